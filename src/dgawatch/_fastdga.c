/* Compiled day-list generators for the DGAs whose pure-Python form is too slow for bulk
 * work (one year of Conficker C is 18.3 M names). Each function returns one day's list as
 * "name\n" lines, byte-identical to the pure-Python reference in the family module; the
 * family module checks that agreement at first use and falls back to Python otherwise.
 *
 * Build flags matter: doubles must round after every operation (no FMA contraction, no
 * 80-bit intermediates), see setup.py and conficker-spec.md section 7. */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <math.h>
#include <stdint.h>
#include <string.h>

/* P66 = P66_NUM / 2^66, the x87's 66-bit pi used by FSIN's argument reduction. */
static const unsigned __int128 P66_NUM =
    (((unsigned __int128)0xCu) << 64) | (unsigned __int128)0x90FDAA22168C234CULL;

/* FSIN of an integer-valued double 0 <= x < 2^63 (conficker-spec.md 2.3). */
static double x87_fsin(double x)
{
    uint64_t xi = (uint64_t)x;
    /* Estimate n = round(x / P66), then fix it with exact 128-bit arithmetic: x*2^66 and
     * n*P66_NUM wrap modulo 2^128, but their difference is small, so it is exact. */
    long double q = (long double)xi / ((long double)P66_NUM / 73786976294838206464.0L);
    int64_t n = (int64_t)llroundl(q);
    __int128 half = (__int128)(P66_NUM >> 1);
    __int128 diff = (__int128)(((unsigned __int128)xi << 66) - (unsigned __int128)n * P66_NUM);
    while (diff > half) { diff -= (__int128)P66_NUM; n += 1; }
    while (diff < -half) { diff += (__int128)P66_NUM; n -= 1; }
    double r = ldexp((double)diff, -66);
    double s = sin(r);
    return (n & 1) ? -s : s;
}

typedef struct {
    uint64_t k;
    uint64_t rmul;
    double radd;
} prng_t;

static inline int32_t draw(prng_t *p)
{
    uint64_t k = p->k;
    double x = (double)k;
    double y = (double)(uint64_t)(k * p->rmul);
    volatile double t; /* volatile: one rounding per operation, whatever the optimiser */
    if (y < 18014398509481984.0) /* 2^54: below it the sine can change the sum */
        t = y + x87_fsin(x);
    else
        t = y;
    t = t * x;
    t = t + p->radd;
    t = t * x;
    double v = log(x) + t;
    memcpy(&p->k, &v, sizeof v);
    return (int32_t)(uint32_t)p->k;
}

/* C's int % on a 32-bit labs() value, including labs(INT_MIN) == INT_MIN. */
static inline int32_t labs32(int32_t r) { return r == INT32_MIN ? r : (r < 0 ? -r : r); }

static inline char letter(int32_t r)
{
    int c = 'a' + labs32(r) % 26;
    if (c >= 'A' && c <= 'Z') c += 'a' - 'A'; /* INT_MIN case: 'I', lower-cased for DNS */
    return (char)c;
}

/* The TLD table of a generator: newline-terminated names in ``text`` -> pointers and
 * lengths (at most ``cap``); sets *maxlen; returns the count, or -1 with ValueError set. */
static int split_tlds(const char *text, Py_ssize_t text_len, const char **tlds, int *lens,
                      int cap, int *maxlen)
{
    int n = 0;
    Py_ssize_t start = 0;
    *maxlen = 0;
    for (Py_ssize_t i = 0; i < text_len; i++) {
        if (text[i] == '\n') {
            if (n == cap) { PyErr_SetString(PyExc_ValueError, "too many TLDs"); return -1; }
            tlds[n] = text + start;
            lens[n] = (int)(i - start);
            if (lens[n] > *maxlen) *maxlen = lens[n];
            n++;
            start = i + 1;
        }
    }
    return n;
}

/* ".<tld>\n" after a name's label; returns the new end. */
static inline char *put_tld(char *o, const char *tld, int len)
{
    *o++ = '.';
    memcpy(o, tld, (size_t)len);
    o += len;
    *o++ = '\n';
    return o;
}

static PyObject *conficker_day(PyObject *self, PyObject *args)
{
    int kind;
    unsigned long long ft, vmul, vdiv, vadd, rmul;
    double radd;
    const char *tld_text;
    Py_ssize_t tld_len;
    Py_ssize_t count;
    if (!PyArg_ParseTuple(args, "iKKKKKdy#n", &kind, &ft, &vmul, &vdiv, &vadd, &rmul, &radd,
                          &tld_text, &tld_len, &count))
        return NULL;
    if (kind < 0 || kind > 2 || count < 0 || vdiv == 0) {
        PyErr_SetString(PyExc_ValueError, "bad generator parameters");
        return NULL;
    }
    const char *tlds[128];
    int tld_lens[128];
    int maxtld;
    int ntld = split_tlds(tld_text, tld_len, tlds, tld_lens, 128, &maxtld);
    if (ntld < 0) return NULL;
    if ((kind == 0 && ntld != 5) || (kind == 1 && ntld != 8) || (kind == 2 && ntld != 116)) {
        PyErr_SetString(PyExc_ValueError, "TLD table has the wrong size for this variant");
        return NULL;
    }
    size_t cap = (size_t)count * (size_t)(12 + 1 + maxtld + 1) + 1;
    char *buf = PyMem_Malloc(cap);
    if (!buf) return PyErr_NoMemory();
    char *o = buf;

    prng_t p;
    p.k = (uint64_t)(((uint64_t)(ft * vmul)) / vdiv + vadd);
    p.rmul = rmul;
    p.radd = radd;

    Py_BEGIN_ALLOW_THREADS
    for (Py_ssize_t n = 0; n < count; n++) {
        int len;
        if (kind == 2) {
            len = labs32(draw(&p)) % 6 + 4;
        } else {
            len = draw(&p) % 4 + 8;
        }
        for (int i = 0; i < len; i++) *o++ = letter(draw(&p));
        int32_t r = draw(&p);
        int ti;
        if (kind == 0) ti = (int)((uint32_t)r % 5u);
        else if (kind == 1) ti = (int)(r & 7);
        else { ti = labs32(r) % 116; if (ti < 0) ti += 116; }
        o = put_tld(o, tlds[ti], tld_lens[ti]);
    }
    Py_END_ALLOW_THREADS

    PyObject *result = PyBytes_FromStringAndSize(buf, o - buf);
    PyMem_Free(buf);
    return result;
}

/* Necurs: the 64-bit mixing loop, (v & 0x7F) + 21 rounds fixed by the value it starts from. */
static inline uint64_t necurs_mix(uint64_t v)
{
    uint64_t rounds = (v & 0x7F) + 21;
    for (uint64_t k = 0; k < rounds; k++) v = v + ((v * 7) ^ (v << 15)) + 8 * k - (v >> 5);
    return v;
}

static PyObject *necurs_names(PyObject *self, PyObject *args)
{
    unsigned long long base, magic, letter_add;
    const char *tld_text;
    Py_ssize_t tld_len;
    Py_ssize_t count;
    if (!PyArg_ParseTuple(args, "KKKy#n", &base, &magic, &letter_add, &tld_text, &tld_len, &count))
        return NULL;
    const char *tlds[64];
    int tld_lens[64];
    int maxtld;
    int ntld = split_tlds(tld_text, tld_len, tlds, tld_lens, 64, &maxtld);
    if (ntld < 0) return NULL;
    if (ntld == 0 || count < 0) {
        PyErr_SetString(PyExc_ValueError, "bad generator parameters");
        return NULL;
    }
    size_t cap = (size_t)count * (size_t)(21 + 1 + maxtld + 1) + 1;
    char *buf = PyMem_Malloc(cap);
    if (!buf) return PyErr_NoMemory();
    char *o = buf;
    Py_BEGIN_ALLOW_THREADS
    for (Py_ssize_t seq = 0; seq < count; seq++) {
        uint64_t v = necurs_mix(necurs_mix((uint64_t)base + (uint64_t)seq) + (uint64_t)magic);
        int len = (int)(v % 15) + 7;
        for (int i = 0; i < len; i++) {
            uint64_t w = necurs_mix(v + (uint64_t)i);
            *o++ = (char)('a' + w % 25);
            v = necurs_mix(w + (uint64_t)letter_add);
        }
        int ti = (int)(v % (uint64_t)ntld);
        o = put_tld(o, tlds[ti], tld_lens[ti]);
    }
    Py_END_ALLOW_THREADS
    PyObject *result = PyBytes_FromStringAndSize(buf, o - buf);
    PyMem_Free(buf);
    return result;
}

static PyMethodDef methods[] = {
    {"conficker_day", conficker_day, METH_VARARGS,
     "conficker_day(kind, filetime, vmul, vdiv, vadd, rmul, radd, tlds, count) -> bytes"},
    {"necurs_names", necurs_names, METH_VARARGS,
     "necurs_names(base, magic, letter_add, tlds, count) -> bytes"},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_fastdga", NULL, -1, methods};

PyMODINIT_FUNC PyInit__fastdga(void) { return PyModule_Create(&module); }
