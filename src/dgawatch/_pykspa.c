/* Compiled core of the "improved" Pykspa DGA (dgawatch.families.pykspa).
 *
 * The period seed costs about 378,000 dependent LCG/rotate steps, too slow for bulk work
 * in pure Python; the family module keeps a pure-Python reference of every function here,
 * compares the two at first use and falls back to Python when they disagree.
 *
 *   md6_256(data)         MD6 with a 256-bit digest, default parameters (no key, L = 64,
 *                         r = 104), for messages of at most 512 bytes (one compression call).
 *   improved_seed(index)  the 32-bit seed of period ``index`` (days since 1970 // 20).
 *   improved_names(seed, count)
 *                         the first ``count`` names of that seed as "name\n" lines.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>
#include <string.h>

/* ---- MD6 (Rivest et al., NIST SHA-3 round-1 submission) ----------------------------- */

#define MD6_N 89         /* words fed to the compression function */
#define MD6_BLOCK 512    /* message bytes per compression call (64 words) */
#define MD6_ROUNDS 104   /* 40 + d / 4 for d = 256, no key */
#define MD6_STEPS (MD6_ROUNDS * 16)

static const uint64_t MD6_Q[15] = {
    0x7311c2812425cfa0ULL, 0x6432286434aac8e7ULL, 0xb60450e9ef68b7c1ULL,
    0xe8fb23908d9f06f1ULL, 0xdd2e76cba691e5bfULL, 0x0cd0d63b2c30bc41ULL,
    0x1f8ccf6823058f8aULL, 0x54e5ed5b88e3775dULL, 0x4ad12aae0a6d6031ULL,
    0x3e7f16bb88222e0dULL, 0x8af8671d3fb50c2cULL, 0x995ad1178bd25c31ULL,
    0xc878c1dd04c4b633ULL, 0x3b72066c7a1552acULL, 0x0d6f3522631effcbULL,
};
static const int MD6_RSHIFT[16] = {10, 5, 13, 10, 11, 12, 2, 7, 14, 15, 7, 13, 11, 7, 6, 12};
static const int MD6_LSHIFT[16] = {11, 24, 9, 16, 15, 9, 27, 15, 6, 2, 29, 8, 15, 5, 31, 9};
#define MD6_S0 0x0123456789abcdefULL
#define MD6_SMASK 0x7311c2812425cfa0ULL

/* A message of at most 512 bytes is a single leaf of the MD6 tree, and that leaf is also
 * the root (z = 1): the digest is the last 256 bits of one compression. */
static void md6_256_small(const uint8_t *msg, size_t len, uint8_t out[32])
{
    uint64_t a[MD6_N + MD6_STEPS];
    uint8_t block[MD6_BLOCK];
    memset(block, 0, sizeof block);
    memcpy(block, msg, len);

    uint64_t pad_bits = 8u * (uint64_t)(MD6_BLOCK - len);
    memcpy(a, MD6_Q, sizeof MD6_Q);
    for (int i = 15; i < 23; i++) a[i] = 0; /* empty key */
    a[23] = (uint64_t)1 << 56;              /* U: level 1, node index 0 */
    a[24] = ((uint64_t)MD6_ROUNDS << 48) | ((uint64_t)64 << 40) | ((uint64_t)1 << 36) |
            (pad_bits << 20) | 256u;        /* V: r, L, z, p, keylen 0, d */
    for (int w = 0; w < 64; w++) {
        uint64_t v = 0;
        for (int b = 0; b < 8; b++) v = (v << 8) | block[8 * w + b];
        a[25 + w] = v;
    }

    uint64_t s = MD6_S0;
    for (int i = MD6_N, round = 0; round < MD6_ROUNDS; round++) {
        for (int j = 0; j < 16; j++, i++) {
            uint64_t x = s ^ a[i - 89] ^ a[i - 17] ^ (a[i - 18] & a[i - 21]) ^
                         (a[i - 31] & a[i - 67]);
            x ^= x >> MD6_RSHIFT[j];
            a[i] = x ^ (x << MD6_LSHIFT[j]);
        }
        s = ((s << 1) | (s >> 63)) ^ (s & MD6_SMASK);
    }
    const uint64_t *chain = a + MD6_N + MD6_STEPS - 4; /* last 4 of the 16 output words */
    for (int w = 0; w < 4; w++)
        for (int b = 0; b < 8; b++) out[8 * w + b] = (uint8_t)(chain[w] >> (56 - 8 * b));
}

/* ---- seeding ------------------------------------------------------------------------- */

#define NWORDS 128
#define BUFLEN 256

typedef struct {
    uint32_t w[NWORDS];
    uint32_t acc;
} stir_t;

static inline void stir_step(stir_t *st, int j)
{
    uint32_t v = st->w[j] * 22695477u + 1u;
    st->w[j] = v;
    uint32_t t = ((v >> 16) & 0x7FFFu) + st->acc;
    unsigned k = st->acc & 15u;
    st->acc = k ? (t << k) | (t >> (32u - k)) : t;
}

/* Word j is stepped j + 1 times, words in order. */
static void stir_triangle(stir_t *st)
{
    for (int j = 0; j < NWORDS; j++)
        for (int r = 0; r <= j; r++) stir_step(st, j);
}

/* One pass over all words, then ``key`` is added to the accumulator and to the last word;
 * returns the accumulator's low byte from before that addition. */
static uint8_t stir_absorb(stir_t *st, uint8_t key)
{
    for (int j = 0; j < NWORDS; j++) stir_step(st, j);
    uint8_t low = (uint8_t)st->acc;
    st->acc += key;
    st->w[NWORDS - 1] += key;
    return low;
}

static uint32_t improved_seed_of(uint32_t index)
{
    static const char hexdigits[] = "0123456789abcdef";
    uint8_t le[4] = {(uint8_t)index, (uint8_t)(index >> 8), (uint8_t)(index >> 16),
                     (uint8_t)(index >> 24)};
    uint8_t digest[32];
    md6_256_small(le, sizeof le, digest);
    uint8_t hex[64];
    for (int i = 0; i < 32; i++) {
        hex[2 * i] = (uint8_t)hexdigits[digest[i] >> 4];
        hex[2 * i + 1] = (uint8_t)hexdigits[digest[i] & 15];
    }

    stir_t st;
    memset(&st, 0, sizeof st);
    for (int j = 0; j < 32; j++) st.w[j] = ((uint32_t)hex[2 * j] << 8) | hex[2 * j + 1];
    stir_triangle(&st);

    uint8_t buf[BUFLEN];
    memset(buf, 0, sizeof buf);
    memcpy(buf, hex, sizeof hex);
    /* 256 passes from position 0, then 2,570 from position 255, wrapping at the end. */
    int pos = 0;
    for (int n = 0; n < BUFLEN + 2570; n++) {
        if (n == BUFLEN) pos = BUFLEN - 1;
        if (pos >= BUFLEN) pos = 0;
        buf[pos] = stir_absorb(&st, buf[pos]);
        pos++;
    }

    stir_t st2;
    memset(&st2, 0, sizeof st2);
    for (int j = 0; j < NWORDS; j++) st2.w[j] = ((uint32_t)buf[2 * j] << 8) | buf[2 * j + 1];
    stir_triangle(&st2);

    uint32_t seed = 0;
    int off = (int)(index % 50u);
    for (int i = 0; i < 4; i++) {
        uint8_t c = hex[off + i];
        seed |= (uint32_t)(stir_absorb(&st2, c) ^ c) << (8 * i);
    }
    return seed;
}

/* ---- names --------------------------------------------------------------------------- */

static const char *const TLDS[4] = {"com", "net", "org", "info"};

/* Exact in 64 bits: the running value stays below 2^47 for any count accepted here, and
 * the products that may wrap are only ever used modulo 2^32. */
static char *write_label(char *o, uint64_t s, unsigned len)
{
    uint64_t modulo = 541u * len + 4u;
    uint64_t a = (uint64_t)len * len;
    for (unsigned i = 0; i < len; i++) {
        uint64_t mix = (s % 5u) + (s % 123456u) + i * ((s & 1u) + (s % 4567u));
        uint64_t t = (s * mix) & 0xFFFFFFFFu;
        *o++ = (char)('a' + (a + t) % 26u);
        a += len;
        s += (((7837632u * s * len) & 0xFFFFFFFFu) + 82344u) % modulo;
    }
    return o;
}

#define MAX_COUNT 10000000

static PyObject *py_md6_256(PyObject *self, PyObject *args)
{
    Py_buffer data;
    if (!PyArg_ParseTuple(args, "y*", &data)) return NULL;
    if (data.len > MD6_BLOCK) {
        PyBuffer_Release(&data);
        PyErr_SetString(PyExc_ValueError, "md6_256 takes at most 512 bytes");
        return NULL;
    }
    uint8_t out[32];
    md6_256_small((const uint8_t *)data.buf, (size_t)data.len, out);
    PyBuffer_Release(&data);
    return PyBytes_FromStringAndSize((const char *)out, 32);
}

static PyObject *py_improved_seed(PyObject *self, PyObject *args)
{
    unsigned long long index;
    if (!PyArg_ParseTuple(args, "K", &index)) return NULL;
    if (index > 0xFFFFFFFFULL) {
        PyErr_SetString(PyExc_ValueError, "period index must fit in 32 bits");
        return NULL;
    }
    uint32_t seed;
    Py_BEGIN_ALLOW_THREADS
    seed = improved_seed_of((uint32_t)index);
    Py_END_ALLOW_THREADS
    return PyLong_FromUnsignedLong(seed);
}

static PyObject *py_improved_names(PyObject *self, PyObject *args)
{
    unsigned long long seed;
    Py_ssize_t count;
    if (!PyArg_ParseTuple(args, "Kn", &seed, &count)) return NULL;
    if (seed > 0xFFFFFFFFULL || count < 0 || count > MAX_COUNT) {
        PyErr_SetString(PyExc_ValueError, "seed must fit in 32 bits, count in 0..10,000,000");
        return NULL;
    }
    char *buf = PyMem_Malloc((size_t)count * (12 + 1 + 4 + 1) + 1);
    if (!buf) return PyErr_NoMemory();
    char *o = buf;
    Py_BEGIN_ALLOW_THREADS
    uint64_t s = seed;
    for (Py_ssize_t n = 0; n < count; n++) {
        s += s % (uint64_t)(n + 1) + 1u;
        unsigned len = (unsigned)((s + (uint64_t)n) % 7u) + 6u;
        o = write_label(o, s, len);
        *o++ = '.';
        const char *tld = TLDS[s & 3u];
        size_t tl = strlen(tld);
        memcpy(o, tld, tl);
        o += tl;
        *o++ = '\n';
    }
    Py_END_ALLOW_THREADS
    PyObject *result = PyBytes_FromStringAndSize(buf, o - buf);
    PyMem_Free(buf);
    return result;
}

static PyMethodDef methods[] = {
    {"md6_256", py_md6_256, METH_VARARGS, "md6_256(data) -> bytes (32), data <= 512 bytes"},
    {"improved_seed", py_improved_seed, METH_VARARGS, "improved_seed(index) -> int"},
    {"improved_names", py_improved_names, METH_VARARGS,
     "improved_names(seed, count) -> bytes of \"name\\n\" lines"},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_pykspa", NULL, -1, methods};

PyMODINIT_FUNC PyInit__pykspa(void) { return PyModule_Create(&module); }
