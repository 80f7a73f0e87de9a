/* Compiled core of ``dgawatch lookup --file F --json`` answered from a forecast store
 * (dgawatch.lookuptable).
 *
 * Why hand-written: bench/bench_lookup_cli.py measured the general path (Arrow string
 * kernels, a DuckDB join of every candidate key, the JSON lines assembled by Arrow) at
 * 0.37 M names/s end to end on a quiet machine, against a target of 1 M/s; a sorted hash
 * array probed with NumPy was slower than DuckDB's join. Here the file's bytes are read
 * twice: once for the names' candidate keys, probed in the order of their hashes against a
 * table built once from the store and memory-mapped (a sweep through it, not a cache miss
 * per key), then for the lines: each name checked, lower-cased, its registered domain
 * found and its JSON line written as it is made.
 *
 *   build(offsets, data, packed) -> (bits, groups, dir, tag, gstart, goff, rows, blob)
 *       The table of a store's forecast rows: ``offsets`` (int64[n+1]) and ``data`` are the
 *       domains as an Arrow large_string array, ``packed`` (uint64[n]) each row's
 *       ``code << 48 | day << 32 | index`` (code: the row's (family, variant) number, in the
 *       order of their names; day: days since 1970-01-01). Rows of one domain form a
 *       *group* (its rows sorted by ``packed``: the order the JSON lists them in); groups
 *       are sorted by the domain's 64-bit hash; ``dir`` (uint32[2**bits + 1]) holds the
 *       first group of each value of the hash's top ``bits`` bits, ``tag`` (uint32[G]) the
 *       hash's next 32 bits, ``gstart`` (uint32[G+1]) the groups' first rows, ``goff``
 *       (uint32[G+1]) their domains' offsets in ``blob``. Raises ValueError for a domain
 *       the JSON writer would have to escape (the caller then keeps the general path).
 *
 *   scan(data) -> (names, slow) or None
 *       The names of a ``--file`` as dgawatch.lookup.read_names reads an ASCII file (lines
 *       split at LF or CR LF, blanks and tabs trimmed, empty lines and ``#`` comments left
 *       out): their count and, in file order, the ones the writer leaves to Python
 *       (``slow``: every name that is not a plain valid name, PLAIN_VALID of
 *       dgawatch.domain with at most 253 characters before its trailing dots). None when
 *       the file has a non-ASCII byte, a CR not before a LF, a VT, FF or 0x1c-0x1f (Python
 *       splits or strips at those; the caller keeps the general reader).
 *
 *   write(data, table, layout, allowed, max_labels, rules, maxlabel, prefixes, suffixes,
 *         slow_lines, write, split_from) -> (names, names with matches)
 *       One JSON line per name, as dgawatch.lookup.json_blocks writes it:
 *       ``{"query": q, "name": n, "registered_domain": r, "matches": [...]}``, n the name
 *       lower-cased without trailing dots, r its registered domain by the public suffix
 *       ``rules`` (the rule set of dgawatch.domain._psl(), ``maxlabel`` its longest rule
 *       in labels; the algorithm of dgawatch.domain.registered_domains), the matches the
 *       table's rows whose domain is the name (or, when the name has more labels, its last
 *       k labels, 2 <= k <= max_labels, for a domain whose suffix is public, as
 *       dgawatch.store.ForecastStore.find and dgawatch.lookup._from_store decide it) and
 *       whose (code, day) bit is set in ``allowed`` (bit ``code << 16 | day``), each as
 *       ``prefixes[code] + day + '", "index": ' + index + ', "domain": "' + domain +
 *       suffixes[code]``, sorted by (code, day, index, domain). The i-th slow name's line
 *       is ``slow_lines[i]``. Output goes to ``write`` (a callable taking a memoryview
 *       that is valid only during the call) in blocks of about 256 KiB. A file of at least
 *       ``split_from`` bytes (> 0) is cut in two at a line end, the second half answered by
 *       a second thread into memory while the first is written, then written.
 *
 *   checksum(buffer, start, length) -> int
 *       A 64-bit check of buffer[start:start+length] for damage (dgawatch.lookuptable
 *       keeps one per section of a table and checks them when it maps the table).
 *
 *   registered(names, rules, maxlabel) -> [str | None]
 *       The writer's registered domain of each name (lower-case, no trailing dot); tests
 *       compare it with dgawatch.domain.registered_domains.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "_hash.h"

/* The table's hash of a domain (_hash.h). */
static inline uint64_t name_hash(const uint8_t *s, size_t n)
{
    return dgw_words_hash(s, n);
}

/* ---- checksum ---------------------------------------------------------------------- */

/* checksum(buffer, start, length) -> int: a 64-bit check of buffer[start:start+length]
 * for damage (not for tampering): four lanes of Fletcher's two running sums over
 * little-endian 8-byte words (the last one zero-padded), mixed with the length. Any change
 * of one word changes its lane's first sum; the lanes keep the loop at memory speed. */
static uint64_t checksum64(const uint8_t *p, size_t n)
{
    uint64_t a[4] = {1, 2, 3, 4}, b[4] = {0, 0, 0, 0};
    size_t i = 0;
    for (; i + 32 <= n; i += 32) {
        uint64_t w[4];
        memcpy(w, p + i, 32);
        for (int k = 0; k < 4; k++) {
            a[k] += w[k];
            b[k] += a[k];
        }
    }
    for (int k = 0; i < n; k++, i += 8) {
        uint64_t w = 0;
        memcpy(&w, p + i, n - i < 8 ? n - i : 8);
        a[k] += w;
        b[k] += a[k];
    }
    uint64_t h = dgw_mix((uint64_t)n ^ DGW_K0);
    for (int k = 0; k < 4; k++) h = dgw_mix(dgw_mix(h ^ a[k]) ^ b[k]);
    return h;
}

static PyObject *py_checksum(PyObject *self, PyObject *args)
{
    (void)self;
    Py_buffer buf;
    Py_ssize_t start, length;
    if (!PyArg_ParseTuple(args, "y*nn", &buf, &start, &length)) return NULL;
    if (start < 0 || length < 0 || start > buf.len || length > buf.len - start) {
        PyBuffer_Release(&buf);
        PyErr_SetString(PyExc_ValueError, "checksum range outside the buffer");
        return NULL;
    }
    uint64_t h;
    Py_BEGIN_ALLOW_THREADS h = checksum64((const uint8_t *)buf.buf + start, (size_t)length);
    Py_END_ALLOW_THREADS PyBuffer_Release(&buf);
    return PyLong_FromUnsignedLongLong(h);
}

/* ---- growable buffer ------------------------------------------------------------- */

typedef struct {
    char *p;
    size_t len, cap;
} Buf;

static int buf_reserve(Buf *b, size_t more)
{
    if (b->len + more <= b->cap) return 0;
    size_t cap = b->cap ? b->cap : 65536;
    while (cap < b->len + more) cap *= 2;
    char *p = realloc(b->p, cap);
    if (!p) return -1;
    b->p = p;
    b->cap = cap;
    return 0;
}

#define PUT(b, s, n) (memcpy((b)->p + (b)->len, (s), (n)), (b)->len += (n))
#define PUTS(b, lit) PUT(b, lit, sizeof(lit) - 1)

/* ---- characters -------------------------------------------------------------------- */

static uint8_t LABEL[256]; /* [A-Za-z0-9_-] */
static uint8_t LOWER[256];

static void init_tables(void)
{
    for (int c = 0; c < 256; c++) {
        LABEL[c] = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                   c == '_' || c == '-';
        LOWER[c] = (uint8_t)((c >= 'A' && c <= 'Z') ? c + 32 : c);
    }
}

/* PLAIN_VALID (labels of 1-63 of [A-Za-z0-9_-] joined by single dots, then any dots) and at
 * most 253 characters before the trailing dots; *body gets that length. */
static int plain_valid(const uint8_t *p, size_t n, size_t *body)
{
    size_t e = n;
    while (e > 0 && p[e - 1] == '.') e--;
    if (e == 0 || e > 253) return 0;
    size_t lab = 0;
    for (size_t i = 0; i < e; i++) {
        if (p[i] == '.') {
            if (lab == 0) return 0;
            lab = 0;
        } else if (LABEL[p[i]]) {
            if (++lab > 63) return 0;
        } else
            return 0;
    }
    if (lab == 0) return 0;
    *body = e;
    return 1;
}

/* Bytes after which dgawatch.lookup.read_names leaves an ASCII file to Python. */
static int exotic_file(const uint8_t *d, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        uint8_t c = d[i];
        if (c >= 0x80 || c == 0x0b || c == 0x0c || (c >= 0x1c && c <= 0x1f)) return 1;
        if (c == '\r' && (i + 1 == n || d[i + 1] != '\n')) return 1; /* (CRLF is a line end) */
    }
    return 0;
}

/* The next name of the file from *pos: [*s, *e) trimmed; 0 at the end. */
static inline int next_name(const uint8_t *d, size_t n, size_t *pos, size_t *s, size_t *e)
{
    while (*pos < n) {
        size_t a = *pos;
        const uint8_t *nl = memchr(d + a, '\n', n - a);
        size_t b = nl ? (size_t)(nl - d) : n;
        *pos = nl ? b + 1 : n;
        while (a < b && (d[a] == ' ' || d[a] == '\t' || d[a] == '\r')) a++;
        while (b > a && (d[b - 1] == ' ' || d[b - 1] == '\t' || d[b - 1] == '\r')) b--;
        if (a == b || d[a] == '#') continue;
        *s = a, *e = b;
        return 1;
    }
    return 0;
}

/* ---- the public suffix list -------------------------------------------------------- */

typedef struct {
    uint64_t h;
    uint32_t off;
    uint16_t len;
    uint8_t flags, used;
} PslSlot;

typedef struct {
    PslSlot *slots;
    size_t mask;
    Buf arena;
    int maxlabel;
} Psl;

static PslSlot *psl_slot(const Psl *t, const uint8_t *s, size_t n)
{
    uint64_t h = name_hash(s, n);
    for (size_t i = h & t->mask;; i = (i + 1) & t->mask) {
        PslSlot *x = &t->slots[i];
        if (!x->used) return x;
        if (x->h == h && x->len == n && memcmp(t->arena.p + x->off, s, n) == 0) return x;
    }
}

static int psl_flags(const Psl *t, const uint8_t *s, size_t n)
{
    PslSlot *x = psl_slot(t, s, n);
    return x->used ? x->flags : 0;
}

static int psl_add(Psl *t, const uint8_t *s, size_t n, int flag)
{
    PslSlot *x = psl_slot(t, s, n);
    if (!x->used) {
        if (n > 65535 || buf_reserve(&t->arena, n)) return -1;
        x->used = 1;
        x->h = name_hash(s, n);
        x->off = (uint32_t)t->arena.len;
        x->len = (uint16_t)n;
        x->flags = 0;
        PUT(&t->arena, s, n);
    }
    x->flags |= (uint8_t)flag;
    return 0;
}

/* Flags per string as dgawatch.domain._rule_table gives them: 1 exception body (!x),
 * 2 wildcard body (*.x), 4 exact rule, 8 a tail of some body. */
static int psl_init(Psl *t, PyObject *rules, int maxlabel)
{
    memset(t, 0, sizeof *t);
    t->maxlabel = maxlabel;
    PyObject *seq = PySequence_Fast(rules, "rules must be iterable");
    if (!seq) return -1;
    Py_ssize_t n = PySequence_Fast_GET_SIZE(seq);
    size_t cap = 1024;
    while (cap < (size_t)n * 4) cap *= 2; /* rules and their tails: load <= 0.5 */
    t->slots = calloc(cap, sizeof(PslSlot));
    t->mask = cap - 1;
    if (!t->slots) {
        Py_DECREF(seq);
        PyErr_NoMemory();
        return -1;
    }
    for (Py_ssize_t i = 0; i < n; i++) {
        Py_ssize_t len;
        const char *r = PyUnicode_AsUTF8AndSize(PySequence_Fast_GET_ITEM(seq, i), &len);
        if (!r) {
            Py_DECREF(seq);
            return -1;
        }
        const uint8_t *body = (const uint8_t *)r;
        int bit = 4;
        if (len >= 1 && r[0] == '!')
            body += 1, len -= 1, bit = 1;
        else if (len >= 2 && r[0] == '*' && r[1] == '.')
            body += 2, len -= 2, bit = 2;
        if (psl_add(t, body, (size_t)len, bit)) goto oom;
        for (Py_ssize_t j = len - 1; j >= 0; j--)
            if (body[j] == '.' && psl_add(t, body + j + 1, (size_t)(len - j - 1), 8)) goto oom;
        if (psl_add(t, body, (size_t)len, 8)) goto oom;
    }
    Py_DECREF(seq);
    return 0;
oom:
    Py_DECREF(seq);
    PyErr_NoMemory();
    return -1;
}

static void psl_free(Psl *t)
{
    free(t->slots);
    free(t->arena.p);
}

/* Where the registered domain of `name` (lower-case, no trailing dot, no empty label)
 * starts, or -1 when it has none (a bare public suffix, one label): the per-depth
 * decision of dgawatch.domain.registered_domains. `dots` holds the name's dot offsets
 * (ndots of them), left to right. */
static int registered_start(const Psl *t, const uint8_t *name, int len, const int *dots,
                            int ndots)
{
    int labels = ndots + 1;
    if (labels < 2) return -1;
#define TAIL(d) ((d) < labels ? dots[ndots - (d)] + 1 : 0)
    int found[140], nfound = 0;
    for (int d = 1; d <= t->maxlabel + 1 && d <= labels && d < 140; d++) {
        int s = TAIL(d);
        int f = psl_flags(t, name + s, (size_t)(len - s));
        found[nfound++] = f;
        if (!(f & 8)) break;
    }
    int publen = 1;
    for (int k = nfound - 1; k >= 0; k--) {
        int d = k + 1, f = found[k];
        if (f & 7) {
            publen = (f & 1) ? d - 1 : (f & 2) ? (labels > d ? d + 1 : d) : d;
            break;
        }
    }
    if (publen > 0 && labels >= publen + 1) return TAIL(publen + 1);
    return -1;
#undef TAIL
}

/* Whether <label>.<suffix> is a registered domain (dgawatch.domain.suffix_is_public): the
 * registered domain of www.dgawatch-probe.<suffix> is dgawatch-probe.<suffix>. */
static int suffix_public(const Psl *t, const uint8_t *suffix, size_t n)
{
    static const char probe[] = "www.dgawatch-probe.";
    uint8_t name[300];
    int dots[150], nd = 0;
    size_t len = sizeof(probe) - 1 + n;
    if (len > sizeof name) return 0;
    memcpy(name, probe, sizeof(probe) - 1);
    memcpy(name + sizeof(probe) - 1, suffix, n);
    for (size_t i = 0; i < len; i++)
        if (name[i] == '.') {
            if (nd >= 150) return 0;
            dots[nd++] = (int)i;
        }
    return registered_start(t, name, (int)len, dots, nd) == 4;
}

/* ---- the table ----------------------------------------------------------------------- */

typedef struct {
    int bits;
    uint32_t groups;
    const uint32_t *dir, *tag, *gstart, *goff;
    const uint64_t *rows;
    const uint8_t *blob;
} Table;

/* The end of bucket b's groups, never past the last group: the inner arrays are not
 * checked when a table is mapped (that would read all of it), so a damaged file must not
 * lead a read outside its sections; get_layout checked the last entries. */
static inline uint32_t bucket_end(const Table *t, uint64_t b)
{
    uint32_t end = t->dir[b + 1];
    return end < t->groups ? end : t->groups;
}

/* Group g's name and rows lie inside the blob and the rows (a damaged table: no). */
static inline int group_sane(const Table *t, uint32_t g)
{
    return t->goff[g] <= t->goff[g + 1] && t->goff[g + 1] <= t->goff[t->groups] &&
           t->gstart[g] <= t->gstart[g + 1] && t->gstart[g + 1] <= t->gstart[t->groups];
}

/* The group whose domain is s[0:n], or -1. */
static inline int64_t table_find(const Table *t, const uint8_t *s, size_t n)
{
    uint64_t h = name_hash(s, n);
    uint64_t b = h >> (64 - t->bits);
    uint32_t tg = (uint32_t)(h >> (32 - t->bits));
    for (uint32_t g = t->dir[b], end = bucket_end(t, b); g < end; g++) {
        if (t->tag[g] != tg || !group_sane(t, g)) continue;
        uint32_t o = t->goff[g];
        if (t->goff[g + 1] - o == n && memcmp(t->blob + o, s, n) == 0) return g;
    }
    return -1;
}

/* ---- build ------------------------------------------------------------------------- */

typedef struct {
    const int64_t *off;
    const uint8_t *data;
    const uint64_t *packed;
} BuildCtx;

static BuildCtx BCTX; /* qsort's comparator context (the GIL is held throughout) */

static int cmp_rows(const void *a, const void *b)
{
    uint32_t i = *(const uint32_t *)a, j = *(const uint32_t *)b;
    int64_t li = BCTX.off[i + 1] - BCTX.off[i], lj = BCTX.off[j + 1] - BCTX.off[j];
    int64_t l = li < lj ? li : lj;
    int c = memcmp(BCTX.data + BCTX.off[i], BCTX.data + BCTX.off[j], (size_t)l);
    if (c) return c;
    if (li != lj) return li < lj ? -1 : 1;
    uint64_t pi = BCTX.packed[i], pj = BCTX.packed[j];
    return pi < pj ? -1 : pi > pj;
}

static PyObject *py_build(PyObject *self, PyObject *args)
{
    (void)self;
    Py_buffer off, data, packed;
    if (!PyArg_ParseTuple(args, "y*y*y*", &off, &data, &packed)) return NULL;
    PyObject *result = NULL;
    size_t n = (size_t)packed.len / 8;
    uint64_t *hk = NULL, *hk2 = NULL;
    uint32_t *ix = NULL, *ix2 = NULL;
    /* the sections are made in place in the bytes objects returned (no copies of hundreds
     * of MB), sized for the worst case and shrunk at the end */
    PyObject *dir_b = NULL, *tag_b = NULL, *gstart_b = NULL, *goff_b = NULL, *rows_b = NULL,
             *blob_b = NULL;
    if ((size_t)off.len != (n + 1) * 8 || n >= UINT32_MAX) {
        PyErr_SetString(PyExc_ValueError, "offsets and rows disagree, or too many rows");
        goto done;
    }
    const int64_t *o = off.buf;
    const uint8_t *d = data.buf;
    const uint64_t *pk = packed.buf;
    hk = malloc(n * 8 + 8), hk2 = malloc(n * 8 + 8);
    ix = malloc(n * 4 + 4), ix2 = malloc(n * 4 + 4);
    rows_b = PyBytes_FromStringAndSize(NULL, (Py_ssize_t)n * 8);
    gstart_b = PyBytes_FromStringAndSize(NULL, (Py_ssize_t)(n + 1) * 4);
    goff_b = PyBytes_FromStringAndSize(NULL, (Py_ssize_t)(n + 1) * 4);
    tag_b = PyBytes_FromStringAndSize(NULL, (Py_ssize_t)n * 4);
    blob_b = PyBytes_FromStringAndSize(NULL, (Py_ssize_t)data.len);
    if (!hk || !hk2 || !ix || !ix2 || !rows_b || !gstart_b || !goff_b || !tag_b || !blob_b) {
        if (!PyErr_Occurred()) PyErr_NoMemory();
        goto done;
    }
    uint64_t *rows = (uint64_t *)PyBytes_AS_STRING(rows_b);
    uint32_t *gstart = (uint32_t *)PyBytes_AS_STRING(gstart_b);
    uint32_t *goff = (uint32_t *)PyBytes_AS_STRING(goff_b);
    uint32_t *tag = (uint32_t *)PyBytes_AS_STRING(tag_b);
    char *blob = PyBytes_AS_STRING(blob_b);
    size_t blob_len = 0; /* (distinct domains: at most the data's bytes) */
    for (size_t i = 0; i < n; i++) {
        const uint8_t *s = d + o[i];
        size_t len = (size_t)(o[i + 1] - o[i]);
        if (len == 0 || len > 65535) goto unplain;
        for (size_t j = 0; j < len; j++)
            if (s[j] < 0x21 || s[j] > 0x7e || s[j] == '"' || s[j] == '\\') goto unplain;
        hk[i] = name_hash(s, len);
        ix[i] = (uint32_t)i;
    }
    /* LSD radix sort of (hash, row) by the hash, 16 bits a pass */
    {
        size_t *count = malloc(65536 * sizeof(size_t));
        if (!count) {
            PyErr_NoMemory();
            goto done;
        }
        for (int shift = 0; shift < 64; shift += 16) {
            memset(count, 0, 65536 * sizeof(size_t));
            for (size_t i = 0; i < n; i++) count[(hk[i] >> shift) & 0xffff]++;
            size_t sum = 0;
            for (size_t k = 0; k < 65536; k++) {
                size_t c = count[k];
                count[k] = sum;
                sum += c;
            }
            for (size_t i = 0; i < n; i++) {
                size_t p = count[(hk[i] >> shift) & 0xffff]++;
                hk2[p] = hk[i];
                ix2[p] = ix[i];
            }
            uint64_t *th = hk;
            hk = hk2, hk2 = th;
            uint32_t *ti = ix;
            ix = ix2, ix2 = ti;
        }
        free(count);
    }
    /* groups: runs of one hash, split by domain (rows sorted by domain then packed) */
    BCTX.off = o, BCTX.data = d, BCTX.packed = pk;
    size_t g = 0, r = 0;
    uint64_t *ghash = hk2; /* reused: the hash of each group */
    for (size_t i = 0; i < n;) {
        size_t j = i + 1;
        while (j < n && hk[j] == hk[i]) j++;
        if (j - i > 1) qsort(ix + i, j - i, sizeof(uint32_t), cmp_rows);
        for (size_t k = i; k < j; k++) {
            uint32_t row = ix[k];
            const uint8_t *s = d + o[row];
            size_t len = (size_t)(o[row + 1] - o[row]);
            int fresh = k == i;
            if (!fresh) {
                uint32_t prev = ix[k - 1];
                fresh = (size_t)(o[prev + 1] - o[prev]) != len ||
                        memcmp(d + o[prev], s, len) != 0;
            }
            if (fresh) {
                if (blob_len + len > UINT32_MAX) {
                    PyErr_SetString(PyExc_ValueError, "domains too large for the table");
                    goto done;
                }
                ghash[g] = hk[i];
                gstart[g] = (uint32_t)r;
                goff[g] = (uint32_t)blob_len;
                memcpy(blob + blob_len, s, len);
                blob_len += len;
                g++;
            }
            rows[r++] = pk[row];
        }
        i = j;
    }
    gstart[g] = (uint32_t)r;
    goff[g] = (uint32_t)blob_len;
    int bits = 8;
    while (bits < 30 && ((size_t)1 << bits) * 4 < g) bits++;
    size_t nb = (size_t)1 << bits;
    dir_b = PyBytes_FromStringAndSize(NULL, (Py_ssize_t)(nb + 1) * 4);
    if (!dir_b) goto done;
    uint32_t *dir = (uint32_t *)PyBytes_AS_STRING(dir_b);
    memset(dir, 0, (nb + 1) * 4);
    for (size_t k = 0; k < g; k++) {
        tag[k] = (uint32_t)(ghash[k] >> (32 - bits));
        dir[(ghash[k] >> (64 - bits)) + 1]++;
    }
    for (size_t b = 0; b < nb; b++) dir[b + 1] += dir[b];
    if (_PyBytes_Resize(&tag_b, (Py_ssize_t)g * 4) ||
        _PyBytes_Resize(&gstart_b, (Py_ssize_t)(g + 1) * 4) ||
        _PyBytes_Resize(&goff_b, (Py_ssize_t)(g + 1) * 4) ||
        _PyBytes_Resize(&blob_b, (Py_ssize_t)blob_len))
        goto done; /* (a failed resize has freed its object and set it to NULL) */
    result = Py_BuildValue("(inOOOOOO)", bits, (Py_ssize_t)g, dir_b, tag_b, gstart_b, goff_b,
                           rows_b, blob_b);
    goto done;
unplain:
    PyErr_SetString(PyExc_ValueError, "a stored domain is not plain printable ASCII");
done:
    free(hk), free(hk2), free(ix), free(ix2);
    Py_XDECREF(dir_b), Py_XDECREF(tag_b), Py_XDECREF(gstart_b), Py_XDECREF(goff_b);
    Py_XDECREF(rows_b), Py_XDECREF(blob_b);
    PyBuffer_Release(&off);
    PyBuffer_Release(&data);
    PyBuffer_Release(&packed);
    return result;
}

/* ---- scan -------------------------------------------------------------------------- */

static PyObject *py_scan(PyObject *self, PyObject *args)
{
    (void)self;
    Py_buffer data;
    if (!PyArg_ParseTuple(args, "y*", &data)) return NULL;
    const uint8_t *d = data.buf;
    size_t n = (size_t)data.len, pos = 0, s, e, body;
    if (exotic_file(d, n)) {
        PyBuffer_Release(&data);
        Py_RETURN_NONE;
    }
    PyObject *slow = PyList_New(0);
    Py_ssize_t names = 0;
    while (slow && next_name(d, n, &pos, &s, &e)) {
        names++;
        if (plain_valid(d + s, e - s, &body)) continue;
        PyObject *b = PyBytes_FromStringAndSize((const char *)d + s, (Py_ssize_t)(e - s));
        if (!b || PyList_Append(slow, b)) Py_CLEAR(slow);
        Py_XDECREF(b);
    }
    PyBuffer_Release(&data);
    if (!slow) return NULL;
    return Py_BuildValue("(nN)", names, slow);
}

/* ---- write ------------------------------------------------------------------------- */

typedef struct {
    uint64_t packed;
    const uint8_t *domain; /* the key it matched (the domain's very bytes) */
    size_t len;
} Hit;

static int cmp_hits(const void *a, const void *b)
{
    const Hit *x = a, *y = b;
    if (x->packed != y->packed) return x->packed < y->packed ? -1 : 1;
    return 0; /* same (code, day, index): one domain per list position */
}

typedef struct {
    PyObject *write;
    Buf out;
} Sink;

static int sink_flush(Sink *k)
{
    if (!k->out.len) return 0;
    PyObject *mv = PyMemoryView_FromMemory(k->out.p, (Py_ssize_t)k->out.len, PyBUF_READ);
    if (!mv) return -1;
    PyObject *r = PyObject_CallOneArg(k->write, mv);
    /* the view must not outlive the buffer it shows */
    PyObject *rel = PyObject_CallMethod(mv, "release", NULL);
    Py_DECREF(mv);
    if (!rel) {
        Py_XDECREF(r);
        return -1;
    }
    Py_DECREF(rel);
    if (!r) return -1;
    Py_DECREF(r);
    k->out.len = 0;
    return 0;
}

static char *put_uint(char *p, uint32_t v)
{
    char tmp[12];
    int n = 0;
    do {
        tmp[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    while (n) *p++ = tmp[--n];
    return p;
}

/* days since 1970-01-01 -> "YYYY-MM-DD" (Hinnant's civil_from_days) */
static char *put_day(char *p, int32_t z)
{
    z += 719468;
    int32_t era = (z >= 0 ? z : z - 146096) / 146097;
    uint32_t doe = (uint32_t)(z - era * 146097);
    uint32_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int32_t y = (int32_t)yoe + era * 400;
    uint32_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    uint32_t mp = (5 * doy + 2) / 153;
    uint32_t dd = doy - (153 * mp + 2) / 5 + 1;
    uint32_t m = mp < 10 ? mp + 3 : mp - 9;
    y += m <= 2;
    p[0] = (char)('0' + (y / 1000) % 10), p[1] = (char)('0' + (y / 100) % 10);
    p[2] = (char)('0' + (y / 10) % 10), p[3] = (char)('0' + y % 10), p[4] = '-';
    p[5] = (char)('0' + m / 10), p[6] = (char)('0' + m % 10), p[7] = '-';
    p[8] = (char)('0' + dd / 10), p[9] = (char)('0' + dd % 10);
    return p + 10;
}

static int get_layout(PyObject *layout, Py_buffer *tb, Table *t)
{
    long long v[8]; /* bits, groups, dir, tag, gstart, goff, rows, blob (byte offsets) */
    if (!PyArg_ParseTuple(layout, "LLLLLLLL", &v[0], &v[1], &v[2], &v[3], &v[4], &v[5], &v[6],
                          &v[7]))
        return -1;
    long long nb = (1LL << v[0]) + 1, g = v[1], len = tb->len;
    if (v[0] < 8 || v[0] > 30 || g < 0 || g >= INT32_MAX || v[2] < 0 || v[2] + nb * 4 > len || v[3] < 0 ||
        v[3] + g * 4 > len || v[4] < 0 || v[4] + (g + 1) * 4 > len || v[5] < 0 ||
        v[5] + (g + 1) * 4 > len || v[6] < 0 || v[6] > len || v[7] < 0 || v[7] > len ||
        (v[2] | v[3] | v[4] | v[5] | v[6]) % 8) {
        PyErr_SetString(PyExc_ValueError, "table layout outside the table");
        return -1;
    }
    const char *base = tb->buf;
    t->bits = (int)v[0];
    t->groups = (uint32_t)g;
    t->dir = (const uint32_t *)(base + v[2]);
    t->tag = (const uint32_t *)(base + v[3]);
    t->gstart = (const uint32_t *)(base + v[4]);
    t->goff = (const uint32_t *)(base + v[5]);
    t->rows = (const uint64_t *)(base + v[6]);
    t->blob = (const uint8_t *)(base + v[7]);
    /* the last entries bound every read: checked once here */
    if (t->dir[nb - 1] != g || v[6] + (long long)t->gstart[g] * 8 > len ||
        v[7] + (long long)t->goff[g] > len) {
        PyErr_SetString(PyExc_ValueError, "table sections disagree");
        return -1;
    }
    return 0;
}

/* Keys are probed apart from the names, in the order of their hashes: the table's buckets
 * and tags are then read front to back (a sweep, not a cache and TLB miss per key); the
 * names' lines are made afterwards, in file order, a batch at a time, each stage
 * prefetching what the next reads so that the misses of the matching names overlap. */
enum { BATCH = 32, MAXKEYS = 16 };

/* A key's candidate: the first group of its bucket whose tag matches the key's (g, -1 if
 * none), with that group's domain (offset, length) and rows, read during the sweep (in
 * the order of the groups) so that the lines' stage reads no offset at random. */
typedef struct {
    int32_t g;
    uint32_t off, len, row, rows_end;
} Cand;

typedef struct {
    Cand c;
    int ks; /* where the key starts in the name (0: the whole name) */
} Key;

typedef struct {
    size_t s, e;
    int slow, len, nd, nkeys, reg;
    uint8_t name[256];
    int dots[128];
    Key key[MAXKEYS];
} Item;

/* Reads the name [s, e) into `it`: plain or slow, lower-cased, its dots and its candidate
 * keys: the name, and its last k labels for 2 <= k <= max_labels when it has more than k
 * and at least three (DuckDB's key list in dgawatch.store._match_sql). */
static void make_item(Item *it, const uint8_t *d, size_t s, size_t e, int max_labels)
{
    size_t body;
    it->s = s, it->e = e;
    it->slow = !plain_valid(d + s, e - s, &body);
    if (it->slow) return;
    int len = (int)body, nd = 0;
    for (int i = 0; i < len; i++) {
        uint8_t c = d[s + i];
        it->name[i] = LOWER[c];
        if (c == '.') it->dots[nd++] = i;
    }
    it->len = len, it->nd = nd;
    int labels = nd + 1, nk = 0;
    it->key[nk++].ks = 0;
    if (labels >= 3)
        for (int k = 2; k <= max_labels && labels > k && nk < MAXKEYS; k++)
            it->key[nk++].ks = it->dots[nd - k] + 1;
    it->nkeys = nk;
}

/* Pass 1 and 2: every key's candidate, in key order. */
static Cand *probe_keys(const Table *t, const uint8_t *d, size_t lo, size_t hi, int max_labels,
                        size_t *nkeys)
{
    size_t cap = 1 << 16, nk = 0, pos = lo, s, e;
    uint64_t *kh = malloc(cap * 8), *kh2 = NULL;
    uint32_t *ki = NULL;
    Cand *result = NULL;
    size_t *count = NULL;
    Item *it = malloc(sizeof(Item));
    if (!kh || !it) goto done;
    while (next_name(d, hi, &pos, &s, &e)) {
        make_item(it, d, s, e, max_labels);
        if (it->slow) continue;
        if (nk + MAXKEYS > cap) {
            uint64_t *p = realloc(kh, cap * 2 * 8);
            if (!p) goto done;
            kh = p, cap *= 2;
        }
        for (int k = 0; k < it->nkeys; k++)
            kh[nk++] = name_hash(it->name + it->key[k].ks, (size_t)(it->len - it->key[k].ks));
    }
    /* counting sort of the key numbers by their hash's top 16 bits */
    ki = malloc(nk * 4 + 4), kh2 = malloc(nk * 8 + 8), result = malloc((nk + 1) * sizeof(Cand));
    count = calloc(65537, sizeof(size_t));
    if (!ki || !kh2 || !result || !count) {
        free(result);
        result = NULL;
        goto done;
    }
    for (size_t i = 0; i < nk; i++) count[(kh[i] >> 48) + 1]++;
    for (size_t b = 0; b < 65536; b++) count[b + 1] += count[b];
    for (size_t i = 0; i < nk; i++) {
        size_t p = count[kh[i] >> 48]++;
        kh2[p] = kh[i];
        ki[p] = (uint32_t)i;
    }
    const int shift = 64 - t->bits, tshift = 32 - t->bits;
    for (size_t i = 0; i < nk; i++) {
        uint64_t h = kh2[i], b = h >> shift;
        uint32_t tg = (uint32_t)(h >> tshift);
        Cand *c = &result[ki[i]];
        c->g = -1;
        for (uint32_t g = t->dir[b], end = bucket_end(t, b); g < end; g++)
            if (t->tag[g] == tg && group_sane(t, g)) {
                c->g = (int32_t)g;
                c->off = t->goff[g], c->len = t->goff[g + 1] - c->off;
                c->row = t->gstart[g], c->rows_end = t->gstart[g + 1];
                break;
            }
    }
    *nkeys = nk;
done:
    free(kh), free(kh2), free(ki), free(count), free(it);
    return result;
}

/* The hits' JSON objects, comma-separated (their codes checked by the caller); -1: out
 * of memory. */
static int put_hits(Buf *out, Hit *hits, size_t nh, PyObject *prefixes, PyObject *suffixes)
{
    for (size_t i = 0; i < nh; i++) {
        uint64_t pk = hits[i].packed;
        PyObject *pre = PyList_GET_ITEM(prefixes, (Py_ssize_t)(pk >> 48));
        PyObject *suf = PyList_GET_ITEM(suffixes, (Py_ssize_t)(pk >> 48));
        size_t dl = hits[i].len;
        size_t need = (size_t)PyBytes_GET_SIZE(pre) + (size_t)PyBytes_GET_SIZE(suf) + dl + 64;
        if (buf_reserve(out, need)) return -1;
        if (i) PUTS(out, ", ");
        PUT(out, PyBytes_AS_STRING(pre), (size_t)PyBytes_GET_SIZE(pre));
        char *p = put_day(out->p + out->len, (int32_t)((pk >> 32) & 0xffff));
        memcpy(p, "\", \"index\": ", 12);
        p = put_uint(p + 12, (uint32_t)pk);
        memcpy(p, ", \"domain\": \"", 13);
        p += 13;
        memcpy(p, hits[i].domain, dl);
        out->len = (size_t)(p + dl - out->p);
        PUT(out, PyBytes_AS_STRING(suf), (size_t)PyBytes_GET_SIZE(suf));
    }
    return 0;
}

/* A small memo of suffix_public (a store holds a few hundred suffixes). */
typedef struct {
    uint8_t len, value, used;
    uint8_t text[61];
} SuffixMemo;

static int suffix_public_memo(SuffixMemo *memo, const Psl *psl, const uint8_t *s, size_t n)
{
    if (n > 61) return suffix_public(psl, s, n);
    SuffixMemo *m = &memo[name_hash(s, n) & 255];
    if (m->used && m->len == n && memcmp(m->text, s, n) == 0) return m->value;
    m->used = 1, m->len = (uint8_t)n, m->value = (uint8_t)suffix_public(psl, s, n);
    memcpy(m->text, s, n);
    return m->value;
}

/* The lines of the names in the byte range [lo, hi) of the file (whole lines). A job runs
 * without touching Python objects' reference counts or the interpreter, except through
 * its sink's `write` (main thread only; a worker's sink has none and keeps its lines). */
enum { JOB_OK, JOB_OOM, JOB_CODE, JOB_SLOW, JOB_PASSES, JOB_PY };

typedef struct {
    const Table *t;
    const Psl *psl;
    const uint8_t *d;
    size_t lo, hi;
    int max_labels;
    const uint8_t *al;
    uint64_t nallowed;
    PyObject *prefixes, *suffixes, *slow;
    Py_ssize_t slow_at; /* the number of the range's first slow line */
    Sink *sink;
    Py_ssize_t names, matched, nslow;
    int err;
} Job;

static void *run_job(void *arg)
{
    Job *j = arg;
    const Table *t = j->t;
    const Psl *psl = j->psl;
    const uint8_t *d = j->d;
    Sink *sink = j->sink;
    Hit *hits = NULL;
    size_t nhits_cap = 0, pos = j->lo, nkeys = 0, kc = 0;
    Item *items = malloc(BATCH * sizeof(Item));
    SuffixMemo *memo = calloc(256, sizeof(SuffixMemo));
    Cand *cand = NULL;
    const int shift = 64 - t->bits, tshift = 32 - t->bits;
    Py_ssize_t nslow_all = PyList_GET_SIZE(j->slow), ncodes = PyList_GET_SIZE(j->prefixes);
    j->err = JOB_OOM;
    if (!items || !memo) goto out;
    cand = probe_keys(t, d, j->lo, j->hi, j->max_labels, &nkeys);
    if (!cand) goto out;
    j->err = JOB_OK;
    for (;;) {
        /* stage 1: a batch of names and their keys' candidates; prefetch their domains
         * and rows */
        int nb = 0;
        size_t s, e;
        while (nb < BATCH && next_name(d, j->hi, &pos, &s, &e)) {
            Item *it = &items[nb++];
            make_item(it, d, s, e, j->max_labels);
            if (it->slow) continue;
            if (kc + (size_t)it->nkeys > nkeys) {
                j->err = JOB_PASSES;
                goto out;
            }
            for (int k = 0; k < it->nkeys; k++) {
                Cand *c = &it->key[k].c;
                *c = cand[kc++];
                if (c->g < 0) continue;
                __builtin_prefetch(t->blob + c->off);
                __builtin_prefetch(&t->rows[c->row]);
            }
            /* the public suffix list's slot of the name's last two labels (the TLD's is
             * cached) */
            if (it->nd >= 1) {
                int s2 = it->nd >= 2 ? it->dots[it->nd - 2] + 1 : 0;
                uint64_t h2 = name_hash(it->name + s2, (size_t)(it->len - s2));
                __builtin_prefetch(&psl->slots[h2 & psl->mask]);
            }
        }
        if (nb == 0) break;
        /* stage 2, while they arrive: the registered domains */
        for (int i = 0; i < nb; i++)
            if (!items[i].slow)
                items[i].reg = registered_start(psl, items[i].name, items[i].len, items[i].dots,
                                                items[i].nd);
        /* stage 3: each name's line, in file order */
        for (int i = 0; i < nb; i++) {
            Item *it = &items[i];
            Buf *o = &sink->out;
            j->names++;
            if (it->slow) {
                if (j->slow_at + j->nslow >= nslow_all) {
                    j->err = JOB_SLOW;
                    goto out;
                }
                PyObject *line = PyList_GET_ITEM(j->slow, j->slow_at + j->nslow++);
                Py_ssize_t ll = PyBytes_GET_SIZE(line);
                if (buf_reserve(o, (size_t)ll)) goto oom;
                PUT(o, PyBytes_AS_STRING(line), (size_t)ll);
                continue;
            }
            size_t nh = 0;
            int len = it->len;
            for (int k = 0; k < it->nkeys; k++) {
                Key *key = &it->key[k];
                if (key->c.g < 0) continue;
                const uint8_t *ks = it->name + key->ks;
                size_t kl = (size_t)(len - key->ks);
                int64_t g = key->c.g;
                uint32_t r0 = key->c.row, r1 = key->c.rows_end;
                if (key->c.len != kl || memcmp(t->blob + key->c.off, ks, kl) != 0) {
                    /* another name with the same tag: the rest of the bucket */
                    uint64_t h = name_hash(ks, kl);
                    uint32_t tg = (uint32_t)(h >> tshift), end = bucket_end(t, h >> shift);
                    for (g = key->c.g + 1; g < end; g++) {
                        if (t->tag[g] != tg || !group_sane(t, (uint32_t)g)) continue;
                        uint32_t go = t->goff[g];
                        if (t->goff[g + 1] - go == kl && memcmp(t->blob + go, ks, kl) == 0) break;
                    }
                    if (g >= end) continue;
                    r0 = t->gstart[g], r1 = t->gstart[g + 1];
                }
                if (key->ks) { /* a suffix key counts when the domain's suffix is public */
                    size_t dot = 0; /* (the key is the domain) */
                    while (dot < kl && ks[dot] != '.') dot++;
                    if (dot >= kl) continue;
                    if (!suffix_public_memo(memo, psl, ks + dot + 1, kl - dot - 1)) continue;
                }
                for (uint32_t r = r0; r < r1; r++) {
                    uint64_t pk = t->rows[r];
                    uint64_t bit = pk >> 32; /* code << 16 | day */
                    if (bit >= j->nallowed || !((j->al[bit >> 3] >> (bit & 7)) & 1)) continue;
                    if ((Py_ssize_t)(pk >> 48) >= ncodes) {
                        j->err = JOB_CODE;
                        goto out;
                    }
                    if (nh == nhits_cap) {
                        size_t cap = nhits_cap ? nhits_cap * 2 : 64;
                        Hit *p = realloc(hits, cap * sizeof(Hit));
                        if (!p) goto oom;
                        hits = p, nhits_cap = cap;
                    }
                    hits[nh].packed = pk;
                    hits[nh].domain = ks;
                    hits[nh++].len = kl;
                }
            }
            int reg = it->reg;
            size_t q = it->e - it->s;
            if (buf_reserve(o, q + 2 * (size_t)len + 96)) goto oom;
            PUTS(o, "{\"query\": \"");
            PUT(o, d + it->s, q);
            PUTS(o, "\", \"name\": \"");
            PUT(o, it->name, (size_t)len);
            if (reg >= 0) {
                PUTS(o, "\", \"registered_domain\": \"");
                PUT(o, it->name + reg, (size_t)(len - reg));
                PUTS(o, "\", \"matches\": [");
            } else
                PUTS(o, "\", \"registered_domain\": null, \"matches\": [");
            if (nh > 1) qsort(hits, nh, sizeof(Hit), cmp_hits);
            if (put_hits(o, hits, nh, j->prefixes, j->suffixes)) goto oom;
            j->matched += nh > 0;
            if (buf_reserve(o, 3)) goto oom;
            PUTS(o, "]}\n");
        }
        if (sink->write && sink->out.len >= 262144 && sink_flush(sink)) {
            j->err = JOB_PY;
            goto out;
        }
    }
    goto out;
oom:
    j->err = JOB_OOM;
out:
    free(hits);
    free(items);
    free(memo);
    free(cand);
    return NULL;
}

/* The buffer's bytes through `write`, 256 KiB at a time. */
static int write_all(PyObject *write, Buf *b)
{
    Sink k = {write, {0}};
    for (size_t at = 0; at < b->len; at += 262144) {
        k.out.p = b->p + at;
        k.out.len = b->len - at < 262144 ? b->len - at : 262144;
        if (sink_flush(&k)) return -1;
    }
    return 0;
}

static void *run_job_thread(void *arg) { return run_job(arg); }

static PyObject *py_write(PyObject *self, PyObject *args)
{
    (void)self;
    Py_buffer data, tb, allowed;
    PyObject *layout, *rules, *prefixes, *suffixes, *slow, *write;
    int max_labels, maxlabel;
    Py_ssize_t split_from;
    if (!PyArg_ParseTuple(args, "y*y*Oy*iOiOOOOn", &data, &tb, &layout, &allowed, &max_labels,
                          &rules, &maxlabel, &prefixes, &suffixes, &slow, &write, &split_from))
        return NULL;
    PyObject *result = NULL;
    Table t;
    Psl psl = {0};
    Sink main_sink = {write, {0}}, side_sink = {NULL, {0}};
    Job jobs[2];
    int njobs = 1, threaded = 0;
    pthread_t worker;
    if (get_layout(layout, &tb, &t) || psl_init(&psl, rules, maxlabel)) goto done;
    if (!PyList_Check(prefixes) || !PyList_Check(suffixes) || !PyList_Check(slow) ||
        PyList_GET_SIZE(prefixes) != PyList_GET_SIZE(suffixes) || PyList_GET_SIZE(prefixes) < 1) {
        PyErr_SetString(PyExc_TypeError, "prefixes, suffixes and slow lines must be lists");
        goto done;
    }
    for (Py_ssize_t i = 0; i < PyList_GET_SIZE(prefixes); i++)
        if (!PyBytes_Check(PyList_GET_ITEM(prefixes, i)) ||
            !PyBytes_Check(PyList_GET_ITEM(suffixes, i))) {
            PyErr_SetString(PyExc_TypeError, "prefixes and suffixes must be bytes");
            goto done;
        }
    for (Py_ssize_t i = 0; i < PyList_GET_SIZE(slow); i++)
        if (!PyBytes_Check(PyList_GET_ITEM(slow, i))) {
            PyErr_SetString(PyExc_TypeError, "slow lines must be bytes");
            goto done;
        }
    if (max_labels > MAXKEYS) max_labels = MAXKEYS;
    const uint8_t *d = data.buf;
    size_t n = (size_t)data.len;
    Job base = {&t,       &psl,     d,    0, n, max_labels, allowed.buf, (uint64_t)allowed.len * 8,
                prefixes, suffixes, slow, 0, &main_sink, 0, 0, 0, JOB_OK};
    jobs[0] = base;
    /* a large file: its second half on a second thread, into memory, written after the
     * first (the same lines in the same order) */
    if (split_from > 0 && n >= (size_t)split_from) {
        const uint8_t *nl = memchr(d + n / 2, '\n', n - n / 2);
        size_t split = nl ? (size_t)(nl - d) + 1 : n;
        if (split < n) {
            Py_ssize_t slow_before = 0;
            size_t pos = 0, s, e, body;
            while (next_name(d, split, &pos, &s, &e))
                slow_before += !plain_valid(d + s, e - s, &body);
            jobs[0].hi = split;
            jobs[1] = base;
            jobs[1].lo = split, jobs[1].slow_at = slow_before, jobs[1].sink = &side_sink;
            njobs = 2;
            threaded = pthread_create(&worker, NULL, run_job_thread, &jobs[1]) == 0;
        }
    }
    run_job(&jobs[0]);
    if (threaded) {
        Py_BEGIN_ALLOW_THREADS pthread_join(worker, NULL);
        Py_END_ALLOW_THREADS
    } else if (njobs == 2 && jobs[0].err == JOB_OK)
        run_job(&jobs[1]);
    for (int i = 0; i < njobs; i++) {
        switch (jobs[i].err) {
        case JOB_OK:
            continue;
        case JOB_OOM:
            if (!PyErr_Occurred()) PyErr_NoMemory();
            goto done;
        case JOB_CODE:
            if (!PyErr_Occurred()) PyErr_SetString(PyExc_ValueError, "a row's code has no prefix");
            goto done;
        case JOB_SLOW:
            if (!PyErr_Occurred())
                PyErr_SetString(PyExc_ValueError, "fewer slow lines than slow names");
            goto done;
        case JOB_PASSES:
            if (!PyErr_Occurred())
                PyErr_SetString(PyExc_RuntimeError, "the names changed between passes");
            goto done;
        default: /* JOB_PY: the exception is set */
            goto done;
        }
    }
    Py_ssize_t names = jobs[0].names, matched = jobs[0].matched, nslow = jobs[0].nslow;
    if (njobs == 2) {
        names += jobs[1].names, matched += jobs[1].matched, nslow += jobs[1].nslow;
        if (jobs[0].nslow != jobs[1].slow_at) {
            PyErr_SetString(PyExc_RuntimeError, "the slow names changed between passes");
            goto done;
        }
    }
    if (nslow != PyList_GET_SIZE(slow)) {
        PyErr_SetString(PyExc_ValueError, "more slow lines than slow names");
        goto done;
    }
    if (sink_flush(&main_sink) || write_all(write, &side_sink.out)) goto done;
    result = Py_BuildValue("(nn)", names, matched);
done:
    free(main_sink.out.p);
    free(side_sink.out.p);
    psl_free(&psl);
    PyBuffer_Release(&data);
    PyBuffer_Release(&tb);
    PyBuffer_Release(&allowed);
    return result;
}

/* registered(names, rules, maxlabel) -> list of str | None: the writer's registered
 * domain of each (lower-case, no trailing dot, plain) name; for tests. */
static PyObject *py_registered(PyObject *self, PyObject *args)
{
    (void)self;
    PyObject *names, *rules;
    int maxlabel;
    if (!PyArg_ParseTuple(args, "OOi", &names, &rules, &maxlabel)) return NULL;
    Psl psl;
    if (psl_init(&psl, rules, maxlabel)) {
        psl_free(&psl);
        return NULL;
    }
    PyObject *seq = PySequence_Fast(names, "names must be iterable");
    PyObject *out = seq ? PyList_New(PySequence_Fast_GET_SIZE(seq)) : NULL;
    for (Py_ssize_t i = 0; out && i < PySequence_Fast_GET_SIZE(seq); i++) {
        Py_ssize_t len;
        const char *s = PyUnicode_AsUTF8AndSize(PySequence_Fast_GET_ITEM(seq, i), &len);
        int dots[128], nd = 0;
        if (!s || len > 253) {
            if (s) PyErr_SetString(PyExc_ValueError, "name longer than 253");
            Py_CLEAR(out);
            break;
        }
        for (Py_ssize_t j = 0; j < len; j++)
            if (s[j] == '.') dots[nd++] = (int)j;
        int r = registered_start(&psl, (const uint8_t *)s, (int)len, dots, nd);
        PyObject *v = r < 0 ? Py_NewRef(Py_None) : PyUnicode_FromStringAndSize(s + r, len - r);
        if (!v) {
            Py_CLEAR(out);
            break;
        }
        PyList_SET_ITEM(out, i, v);
    }
    Py_XDECREF(seq);
    psl_free(&psl);
    return out;
}

static PyMethodDef methods[] = {
    {"build", py_build, METH_VARARGS,
     "build(offsets, data, packed) -> (bits, groups, dir, tag, gstart, goff, rows, blob)"},
    {"scan", py_scan, METH_VARARGS, "scan(data) -> (names, slow names) or None"},
    {"checksum", py_checksum, METH_VARARGS, "checksum(buffer, start, length) -> int"},
    {"write", py_write, METH_VARARGS,
     "write(data, table, layout, allowed, max_labels, rules, maxlabel, prefixes, suffixes, "
     "slow_lines, write, split_from) -> (names, names with matches)"},
    {"registered", py_registered, METH_VARARGS,
     "registered(names, rules, maxlabel) -> registered domains (None: none)"},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_lookupscan", NULL, -1, methods};

PyMODINIT_FUNC PyInit__lookupscan(void)
{
    init_tables();
    return PyModule_Create(&module);
}
