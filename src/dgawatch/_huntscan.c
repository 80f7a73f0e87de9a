/* Compiled core of the local hunt engine (dgawatch.hunt.local, dgawatch.hunt.scan).
 *
 * Why hand-written: bench/bench_hunt.py measured the general path (Arrow's CSV reader,
 * Arrow string kernels to normalise every name, a NumPy prefix-sum hash of every distinct
 * name, a sorted-array index merged by argsort every day) at 0.6-0.8x a plain Polars join
 * on 1 M-line Zeek logs; the time went to materialising and re-sorting what a hunt then
 * throws away (99.7 % of the lines match no forecast). This module walks the log's bytes
 * once and keeps only what the hunt needs.
 *
 *   scan_tsv(seg, sep, nfields, i_ts, i_client, i_query, i_rcode, unset, min_ms, max_ms,
 *            line0)
 *       One Zeek TSV data segment (whole lines, no header lines) -> the columns the hunt
 *       reads: (rows, ts_ms int64[rows], line int64[rows] (line0 + 0-based line within
 *       seg), client offsets int32[rows+1], client bytes, qname offsets, qname bytes
 *       (lower-cased, trailing dots removed), rcode offsets, rcode bytes, rcode validity
 *       bitmap or None), each a read-only buffer over its own memory mapping (Mapped), given
 *       back to the system when the last reference goes.
 *       Returns None, reading nothing, when any line needs the general reader's judgement
 *       (a non-ASCII byte, a blank line or CR, a wrong field count, a timestamp that is not
 *       plain decimal seconds or is implausible, a missing client or timestamp, a query
 *       name that is not already normal): the caller then reads the segment with
 *       dgawatch.readers.zeek, which reports each bad line. A query field equal to the unset
 *       marker is no query event and is skipped, as the general reader does.
 *
 *   name_hashes(offsets, data) -> (uint64[n], most labels of one name)
 *       The hash of each string: the polynomial hash of dgawatch.hunt.local._Hasher
 *       (h = h * B + c over the bytes, modulo 2**64, B = 0x100000001B3), bit-mixed.
 *
 *   split_lines(blob) -> (int32 offsets, bytes, count): "a\nb\n" as Arrow string buffers.
 *
 *   count_lines(buf) -> the number of line ends (b"\n"), the GIL released.
 *
 *   Index(hashes)  an open-addressing table of uint64 hashes -> entry numbers (their
 *       positions in ``hashes``; equal hashes all kept), with a bitmap in front.
 *     .add(hashes): more entries, numbered on from those held (the table grows).
 *     .probe_names(offsets, data, max_labels) -> (rows int32, entries int32, starts int32):
 *       every entry whose hash equals the hash of a whole name (start 0) or of one of its
 *       last k labels, 2 <= k <= max_labels, when it has more than k labels (start: the
 *       suffix's first byte). Equal hashes are candidates: the caller compares strings.
 *     .dump() -> (keys, vals, next, bits, bitshift): read-only views of the table's arrays (no
 *       copy; the index cannot grow while one is alive), to be kept in a file.
 *
 *   index_from(keys, vals, next, bits, bitshift) -> Index over those buffers without a copy
 *       (dgawatch.hunt.listpack maps them from a file), refused (ValueError) unless every
 *       probe provably stays inside them and ends; copied before it grows (.add).
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "_hash.h" /* the name hash, shared with _lookupscan.c */

#define HB DGW_POLY_B
#define mix dgw_mix

/* ---- growable output buffers ----------------------------------------------------- */

typedef struct {
    char *p;
    size_t len, cap;
    int mapped; /* p is an anonymous mapping of cap bytes (buf_map), not malloc'd */
} Buf;

/* Room for `cap` bytes, reserved once and never grown: the scanner's worst-case outputs
 * (the segment's size each) of which it touches a small part. Mapped, not malloc'd: glibc
 * raises its mmap threshold to the size of a freed mapping it made, and the scan threads'
 * arenas then kept tens of MB of such reserves (bench_hunt.py: +30-45 MB peak). */
static int buf_map(Buf *b, size_t cap)
{
    void *p = mmap(NULL, cap ? cap : 1, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) return -1;
    b->p = p, b->len = 0, b->cap = cap ? cap : 1, b->mapped = 1;
    return 0;
}

static void buf_free(Buf *b)
{
    if (b->mapped)
        munmap(b->p, b->cap);
    else
        free(b->p);
    b->p = NULL;
    b->len = b->cap = 0;
    b->mapped = 0;
}

static int buf_reserve(Buf *b, size_t more)
{
    if (b->len + more <= b->cap) return 0;
    size_t cap = b->cap ? b->cap : 4096;
    while (cap < b->len + more) cap *= 2;
    char *p = realloc(b->p, cap);
    if (!p) return -1;
    b->p = p;
    b->cap = cap;
    return 0;
}

static inline int buf_put(Buf *b, const void *src, size_t n)
{
    if (buf_reserve(b, n)) return -1;
    memcpy(b->p + b->len, src, n);
    b->len += n;
    return 0;
}

static PyObject *buf_bytes(Buf *b)
{
    PyObject *o = PyBytes_FromStringAndSize(b->p ? b->p : "", (Py_ssize_t)b->len);
    buf_free(b);
    return o;
}

/* A read-only buffer over an anonymous mapping, unmapped when the last user lets go: the
 * scanner's outputs handed to Arrow without a copy, and their memory given back to the
 * system with the batch (copied into bytes, they sat in the scan threads' malloc arenas:
 * +30-50 MB peak at 10 M lines with two scan threads). */
typedef struct {
    PyObject_HEAD
    char *p;
    Py_ssize_t len;
    size_t maplen;
} MappedObject;

static void mapped_dealloc(MappedObject *self)
{
    if (self->p) munmap(self->p, self->maplen);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

static int mapped_getbuffer(MappedObject *self, Py_buffer *view, int flags)
{
    return PyBuffer_FillInfo(view, (PyObject *)self, self->p, self->len, 1, flags);
}

static PyBufferProcs mapped_as_buffer = {(getbufferproc)mapped_getbuffer, NULL};

static PyTypeObject MappedType = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "dgawatch._huntscan.Mapped",
    .tp_basicsize = sizeof(MappedObject),
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = "read-only bytes of an anonymous mapping (scan_tsv's outputs)",
    .tp_dealloc = (destructor)mapped_dealloc,
    .tp_as_buffer = &mapped_as_buffer,
};

/* A buf_map'd Buf as a Mapped object (its unused tail pages unmapped now); others as bytes. */
static PyObject *buf_object(Buf *b)
{
    if (!b->mapped) return buf_bytes(b);
    size_t page = (size_t)sysconf(_SC_PAGESIZE);
    size_t keep = (b->len + page - 1) / page * page;
    if (keep == 0) keep = page;
    if (keep < b->cap) munmap(b->p + keep, b->cap - keep);
    b->cap = keep;
    MappedObject *o = PyObject_New(MappedObject, &MappedType);
    if (!o) {
        buf_free(b);
        return NULL;
    }
    o->p = b->p, o->len = (Py_ssize_t)b->len, o->maplen = keep;
    b->p = NULL, b->len = b->cap = 0, b->mapped = 0;
    return (PyObject *)o;
}

/* ---- scan_tsv -------------------------------------------------------------------- */

static int ascii_only(const uint8_t *p, size_t n)
{
    uint64_t acc = 0;
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        uint64_t w;
        memcpy(&w, p + i, 8);
        acc |= w;
    }
    for (; i < n; i++) acc |= p[i];
    return (acc & 0x8080808080808080ULL) == 0;
}

/* Plain decimal seconds ("1700000000.123456", optionally negative) -> 1, else 0. */
static int plain_decimal(const uint8_t *f, Py_ssize_t n)
{
    Py_ssize_t i = 0;
    int digits = 0, dots = 0;
    if (n == 0 || n > 40) return 0;
    if (f[0] == '-') i = 1;
    for (; i < n; i++) {
        if (f[i] >= '0' && f[i] <= '9')
            digits++;
        else if (f[i] == '.' && dots == 0)
            dots++;
        else
            return 0;
    }
    return digits > 0;
}

static const double POW10[23] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
                                  1e8,  1e9,  1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
                                  1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};

/* The double nearest a plain decimal (as strtod and Arrow's parser give it): digits as an
 * integer m < 2**53 divided by 10**k (k <= 22) is one correctly rounded IEEE division
 * (Clinger's fast path); anything longer goes to strtod. */
static double decimal_value(const uint8_t *f, Py_ssize_t n)
{
    uint64_t m = 0;
    int k = -1, digits = 0, neg = f[0] == '-';
    for (Py_ssize_t i = neg; i < n; i++) {
        if (f[i] == '.') {
            k = 0;
            continue;
        }
        m = m * 10 + (uint64_t)(f[i] - '0');
        if (++digits > 15 && m >= (1ULL << 53)) goto slow;
        if (k >= 0) k++;
    }
    if (k < 0) k = 0;
    if (k > 22) goto slow;
    {
        double v = (double)m / POW10[k];
        return neg ? -v : v;
    }
slow : {
    char tb[48];
    memcpy(tb, f, (size_t)n);
    tb[n] = 0;
    return strtod(tb, NULL);
}
}

#ifdef __SSE2__
#include <emmintrin.h>
#endif

/* Start offsets of the fields of line [p, le) (fields separated by `sep`) into `starts`
 * (at most `cap`); returns the field count (cap + 1 when there are more). */
static inline int split_fields(const uint8_t *p, const uint8_t *le, uint8_t sep, int32_t *starts,
                               int cap)
{
    int f = 0;
    starts[f++] = 0;
    Py_ssize_t n = le - p, i = 0;
#ifdef __SSE2__
    const __m128i vs = _mm_set1_epi8((char)sep);
    for (; i + 16 <= n; i += 16) {
        unsigned m = (unsigned)_mm_movemask_epi8(
            _mm_cmpeq_epi8(_mm_loadu_si128((const __m128i *)(p + i)), vs));
        while (m) {
            if (f >= cap) return cap + 1;
            starts[f++] = (int32_t)(i + __builtin_ctz(m) + 1);
            m &= m - 1;
        }
    }
#endif
    for (; i < n; i++)
        if (p[i] == sep) {
            if (f >= cap) return cap + 1;
            starts[f++] = (int32_t)(i + 1);
        }
    return f;
}

#define PUT(buf, src, n) (memcpy((buf).p + (buf).len, (src), (n)), (buf).len += (n))

static PyObject *py_scan_tsv(PyObject *self, PyObject *args)
{
    Py_buffer seg, unset;
    int sep, nfields, i_ts, i_client, i_query, i_rcode;
    long long min_ms, max_ms, line0;
    (void)self;
    if (!PyArg_ParseTuple(args, "y*iiiiiiy*LLL", &seg, &sep, &nfields, &i_ts, &i_client,
                          &i_query, &i_rcode, &unset, &min_ms, &max_ms, &line0))
        return NULL;
    const uint8_t *s = seg.buf, *end = s + seg.len;
    const uint8_t *un = unset.buf;
    Py_ssize_t unlen = unset.len;
    int ok = 1, oom = 0;
    Buf ts = {0}, line = {0}, coff = {0}, cdat = {0}, qoff = {0}, qdat = {0}, roff = {0},
        rdat = {0}, rval = {0};
    int32_t rows = 0, any_null_rcode = 0;
    int32_t *starts = NULL;
    if (nfields < 1 || nfields > 4096 || i_ts < 0 || i_client < 0 || i_query < 0 ||
        i_ts >= nfields || i_client >= nfields || i_query >= nfields || i_rcode >= nfields ||
        sep < 1 || sep > 127 || seg.len >= INT32_MAX) {
        ok = 0;
    }

    Py_BEGIN_ALLOW_THREADS
    if (ok && !ascii_only(s, (size_t)seg.len)) ok = 0;
    /* every line holds nfields - 1 separators and a line end: at most this many */
    size_t lines_max = (size_t)seg.len / (size_t)(nfields > 1 ? nfields : 1) + 1;
    if (ok) {
        size_t L = (size_t)seg.len + 1;
        starts = malloc(sizeof(int32_t) * (size_t)(nfields + 1));
        if (!starts || buf_map(&ts, 8 * lines_max) || buf_map(&line, 8 * lines_max) ||
            buf_map(&coff, 4 * (lines_max + 1)) || buf_map(&qoff, 4 * (lines_max + 1)) ||
            buf_map(&roff, 4 * (lines_max + 1)) || buf_map(&rval, lines_max / 8 + 1) ||
            buf_map(&cdat, L) || buf_map(&qdat, L) || buf_map(&rdat, L))
            oom = 1;
        else
            memset(rval.p, 0, lines_max / 8 + 1);
    }
    int32_t zero = 0;
    if (ok && !oom) PUT(coff, &zero, 4), PUT(qoff, &zero, 4), PUT(roff, &zero, 4);
    const uint8_t *p = s;
    int32_t lineno = 0;
    while (ok && !oom && p < end) {
        const uint8_t *nl = memchr(p, '\n', (size_t)(end - p));
        const uint8_t *le = nl ? nl : end;
        if (le == p || le[-1] == '\r' || split_fields(p, le, (uint8_t)sep, starts, nfields) != nfields) {
            ok = 0; /* blank line, CR, or a wrong field count */
            break;
        }
#define FIELD(i, fp, fn)                                                                       \
    const uint8_t *fp = p + starts[i];                                                         \
    Py_ssize_t fn = ((i) + 1 < nfields ? p + starts[(i) + 1] - 1 : le) - fp;
        FIELD(i_ts, tp, tn)
        FIELD(i_client, cp, cn)
        FIELD(i_query, qp, qn0)
        /* timestamp first: a bad one is reported even on a line without a question */
        if (!plain_decimal(tp, tn)) {
            ok = 0;
            break;
        }
        double secs = decimal_value(tp, tn);
        if (!(fabs(secs) <= 1e11)) {
            ok = 0;
            break;
        }
        double micro = nearbyint(secs * 1000000.0);
        int64_t ms = (int64_t)floor(micro / 1000.0);
        if (ms < min_ms || ms > max_ms) {
            ok = 0;
            break;
        }
        if (qn0 == unlen && memcmp(qp, un, (size_t)unlen) == 0) {
            lineno++; /* a message without a question: no query event */
            p = le + 1;
            continue;
        }
        if (cn == unlen && memcmp(cp, un, (size_t)unlen) == 0) {
            ok = 0; /* missing client: reported by the general reader */
            break;
        }
        /* query: printable ASCII, no whitespace, no empty label; trailing dots dropped */
        Py_ssize_t qn = qn0;
        while (qn > 0 && qp[qn - 1] == '.') qn--;
        if (qn == 0 || qn > 253 || qp[0] == '.') {
            ok = 0;
            break;
        }
        uint8_t *qo = (uint8_t *)qdat.p + qdat.len;
        uint8_t prev = 0;
        for (Py_ssize_t i = 0; i < qn; i++) {
            uint8_t c = qp[i];
            if (c <= 0x20 || c >= 0x7f || (c == '.' && prev == '.')) {
                ok = 0;
                break;
            }
            qo[i] = (c >= 'A' && c <= 'Z') ? (uint8_t)(c + 32) : c;
            prev = c;
        }
        if (!ok) break;
        qdat.len += (size_t)qn;
        PUT(ts, &ms, 8);
        int64_t at_line = line0 + lineno;
        PUT(line, &at_line, 8);
        PUT(cdat, cp, (size_t)cn);
        int rc_null = 1;
        if (i_rcode >= 0) {
            FIELD(i_rcode, rp, rn)
            if (!(rn == unlen && memcmp(rp, un, (size_t)unlen) == 0)) {
                PUT(rdat, rp, (size_t)rn);
                rc_null = 0;
            }
        }
        int32_t co = (int32_t)cdat.len, q_o = (int32_t)qdat.len, ro = (int32_t)rdat.len;
        PUT(coff, &co, 4), PUT(qoff, &q_o, 4), PUT(roff, &ro, 4);
        if (rc_null)
            any_null_rcode = 1;
        else
            ((uint8_t *)rval.p)[rows >> 3] |= (uint8_t)(1u << (rows & 7));
        rows++;
        lineno++;
        p = le + 1;
#undef FIELD
    }
    Py_END_ALLOW_THREADS

    PyBuffer_Release(&seg);
    PyBuffer_Release(&unset);
    free(starts);
    PyObject *out = NULL;
    if (oom) {
        PyErr_NoMemory();
    } else if (!ok) {
        Py_INCREF(Py_None);
        out = Py_None;
    } else {
        PyObject *valid;
        if (any_null_rcode) {
            rval.len = (size_t)(rows + 7) / 8;
            valid = buf_object(&rval);
        } else {
            Py_INCREF(Py_None);
            valid = Py_None;
        }
        out = Py_BuildValue("(iNNNNNNNNN)", rows, buf_object(&ts), buf_object(&line),
                            buf_object(&coff), buf_object(&cdat), buf_object(&qoff),
                            buf_object(&qdat), buf_object(&roff), buf_object(&rdat), valid);
    }
    buf_free(&ts), buf_free(&line), buf_free(&coff), buf_free(&cdat), buf_free(&qoff);
    buf_free(&qdat), buf_free(&roff), buf_free(&rdat), buf_free(&rval);
    return out;
}

/* ---- hashing ------------------------------------------------------------------- */

static int check_strings(Py_buffer *off, Py_buffer *data, Py_ssize_t *n)
{
    if (off->len % 4 != 0 || off->len < 4) {
        PyErr_SetString(PyExc_ValueError, "offsets must be int32, n + 1 of them");
        return -1;
    }
    *n = off->len / 4 - 1;
    const int32_t *o = off->buf;
    for (Py_ssize_t i = 0; i < *n; i++)
        if (o[i] < 0 || o[i + 1] < o[i] || o[i + 1] > data->len) {
            PyErr_SetString(PyExc_ValueError, "offsets out of range");
            return -1;
        }
    return 0;
}

static PyObject *py_name_hashes(PyObject *self, PyObject *args)
{
    Py_buffer off, data;
    Py_ssize_t n;
    (void)self;
    if (!PyArg_ParseTuple(args, "y*y*", &off, &data)) return NULL;
    PyObject *out = NULL;
    if (check_strings(&off, &data, &n) == 0) {
        PyObject *hb = PyBytes_FromStringAndSize(NULL, n * 8);
        if (hb) {
            uint64_t *h = (uint64_t *)PyBytes_AS_STRING(hb);
            const int32_t *o = off.buf;
            const uint8_t *d = data.buf;
            int labels = 0;
            Py_BEGIN_ALLOW_THREADS
            for (Py_ssize_t i = 0; i < n; i++) {
                const uint8_t *q = d + o[i];
                int32_t len = o[i + 1] - o[i], dots = 1;
                uint64_t x = 0;
                for (int32_t j = 0; j < len; j++) {
                    x = x * HB + q[j];
                    dots += q[j] == '.';
                }
                h[i] = mix(x);
                if (dots > labels) labels = dots;
            }
            Py_END_ALLOW_THREADS
            out = Py_BuildValue("(Ni)", hb, labels);
        }
    }
    PyBuffer_Release(&off);
    PyBuffer_Release(&data);
    return out;
}

/* The number of b'\n' in a buffer, the GIL released (bytes.count holds it: 5 % of a
 * 10 M-line hunt's CPU, on the reading thread that also feeds the matcher). */
static PyObject *py_count_lines(PyObject *self, PyObject *args)
{
    Py_buffer b;
    (void)self;
    if (!PyArg_ParseTuple(args, "y*", &b)) return NULL;
    const uint8_t *p = b.buf;
    Py_ssize_t n = b.len, i = 0, count = 0;
    Py_BEGIN_ALLOW_THREADS
#ifdef __SSE2__
    const __m128i nl = _mm_set1_epi8('\n');
    for (; i + 16 <= n; i += 16)
        count += __builtin_popcount(
            (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(_mm_loadu_si128((const __m128i *)(p + i)), nl)));
#endif
    for (; i < n; i++) count += p[i] == '\n';
    Py_END_ALLOW_THREADS
    PyBuffer_Release(&b);
    return PyLong_FromSsize_t(count);
}

/* "a\nb\n" -> (int32 offsets, the bytes without the line ends): Arrow strings. */
static PyObject *py_split_lines(PyObject *self, PyObject *args)
{
    Py_buffer blob;
    (void)self;
    if (!PyArg_ParseTuple(args, "y*", &blob)) return NULL;
    if (blob.len >= INT32_MAX) {
        PyBuffer_Release(&blob);
        PyErr_SetString(PyExc_ValueError, "blob too large");
        return NULL;
    }
    const uint8_t *s = blob.buf, *end = s + blob.len;
    Py_ssize_t lines = 0;
    Py_BEGIN_ALLOW_THREADS
    for (const uint8_t *x = s; x < end && (x = memchr(x, '\n', (size_t)(end - x))) != NULL; x++)
        lines++;
    Py_END_ALLOW_THREADS
    if (blob.len && end[-1] != '\n') lines++;
    PyObject *ob = PyBytes_FromStringAndSize(NULL, (lines + 1) * 4);
    PyObject *db = PyBytes_FromStringAndSize(NULL, blob.len - (blob.len ? lines : 0) + 1);
    if (!ob || !db) {
        Py_XDECREF(ob), Py_XDECREF(db);
        PyBuffer_Release(&blob);
        return NULL;
    }
    int32_t *o = (int32_t *)PyBytes_AS_STRING(ob);
    char *d = PyBytes_AS_STRING(db);
    int32_t at = 0;
    Py_ssize_t k = 0;
    o[k++] = 0;
    Py_BEGIN_ALLOW_THREADS
    for (const uint8_t *p = s; p < end;) {
        const uint8_t *nl = memchr(p, '\n', (size_t)(end - p));
        const uint8_t *le = nl ? nl : end;
        memcpy(d + at, p, (size_t)(le - p));
        at += (int32_t)(le - p);
        o[k++] = at;
        p = le + 1;
    }
    Py_END_ALLOW_THREADS
    PyBuffer_Release(&blob);
    if (_PyBytes_Resize(&db, at) < 0) {
        Py_DECREF(ob);
        return NULL;
    }
    return Py_BuildValue("(NNn)", ob, db, k - 1);
}

/* ---- Index ----------------------------------------------------------------------- */

typedef struct {
    PyObject_HEAD
    uint64_t *keys; /* distinct hashes */
    int32_t *vals;  /* per slot: its hash's latest entry, -1 when empty */
    int32_t *next;  /* per entry: the previous entry of the same hash, -1 at the end */
    uint64_t *bits;
    uint64_t mask; /* slots - 1 */
    int bitshift;  /* 64 - log2(bitmap bits) */
    Py_ssize_t n, distinct, next_cap;
    /* borrowed: the four arrays are views of other objects' memory (a packed index file's
     * mapping, index_from), read only; copied into our own memory before any change */
    int borrowed;
    Py_buffer views[4];
    Py_ssize_t exports; /* TableView objects alive: the arrays must not move (add refuses) */
} IndexObject;

/* A read-only view of one of an index's arrays (dump), holding the index alive. */
typedef struct {
    PyObject_HEAD
    IndexObject *owner;
    const char *p;
    Py_ssize_t len;
} TableViewObject;

static void tableview_dealloc(TableViewObject *self)
{
    if (self->owner) {
        self->owner->exports--;
        Py_DECREF(self->owner);
    }
    Py_TYPE(self)->tp_free((PyObject *)self);
}

static int tableview_getbuffer(TableViewObject *self, Py_buffer *view, int flags)
{
    return PyBuffer_FillInfo(view, (PyObject *)self, (void *)self->p, self->len, 1, flags);
}

static PyBufferProcs tableview_as_buffer = {(getbufferproc)tableview_getbuffer, NULL};

static PyTypeObject TableViewType = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "dgawatch._huntscan.TableView",
    .tp_basicsize = sizeof(TableViewObject),
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = "read-only bytes of an Index's array (Index.dump)",
    .tp_dealloc = (destructor)tableview_dealloc,
    .tp_as_buffer = &tableview_as_buffer,
};

static PyObject *tableview_new(IndexObject *owner, const void *p, Py_ssize_t len)
{
    TableViewObject *o = PyObject_New(TableViewObject, &TableViewType);
    if (!o) return NULL;
    Py_INCREF(owner);
    owner->exports++;
    o->owner = owner, o->p = p, o->len = len;
    return (PyObject *)o;
}

static void index_release(IndexObject *self)
{
    if (self->borrowed) {
        for (int i = 0; i < 4; i++) PyBuffer_Release(&self->views[i]);
        self->borrowed = 0;
    } else {
        free(self->keys), free(self->vals), free(self->next), free(self->bits);
    }
    self->keys = NULL, self->vals = NULL, self->next = NULL, self->bits = NULL;
}

static void index_dealloc(IndexObject *self)
{
    index_release(self);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

/* A borrowed index's arrays copied into memory of its own (before it grows). */
static int index_own(IndexObject *self)
{
    if (!self->borrowed) return 0;
    size_t slots = (size_t)self->mask + 1, words = ((size_t)1 << (64 - self->bitshift)) / 64;
    size_t cap = self->n ? (size_t)self->n : 1;
    uint64_t *keys = malloc(slots * 8), *bits = malloc(words * 8);
    int32_t *vals = malloc(slots * 4), *next = malloc(cap * 4);
    if (!keys || !bits || !vals || !next) {
        free(keys), free(bits), free(vals), free(next);
        PyErr_NoMemory();
        return -1;
    }
    memcpy(keys, self->keys, slots * 8), memcpy(vals, self->vals, slots * 4);
    memcpy(bits, self->bits, words * 8), memcpy(next, self->next, (size_t)self->n * 4);
    index_release(self);
    self->keys = keys, self->vals = vals, self->next = next, self->bits = bits;
    self->next_cap = (Py_ssize_t)cap;
    return 0;
}

/* Room for `want` distinct hashes (load <= 3/4: the bitmap turns away misses before they
 * walk a run; bitmap >= 16 bits per hash): a bigger table and the held hashes put back
 * (their chains stay as they are). */
static int index_grow(IndexObject *self, Py_ssize_t want)
{
    uint64_t slots = 1024;
    while (slots * 3 < (uint64_t)want * 4) slots <<= 1;
    if (self->keys && slots <= self->mask + 1) return 0;
    int lg = 16;
    while ((1ULL << lg) < (uint64_t)want * 16) lg++;
    uint64_t *keys = malloc(slots * 8), *bits = calloc((1ULL << lg) / 64, 8);
    int32_t *vals = malloc(slots * 4);
    if (!keys || !vals || !bits) {
        free(keys), free(vals), free(bits);
        return -1; /* out of memory: the caller, holding the GIL, says so */
    }
    memset(vals, 0xff, slots * 4);
    uint64_t mask = slots - 1;
    int shift = 64 - lg;
    if (self->keys) {
        for (uint64_t j = 0; j <= self->mask; j++) {
            if (self->vals[j] < 0) continue;
            uint64_t k = self->keys[j], b = k >> shift, i = k & mask;
            bits[b >> 6] |= 1ULL << (b & 63);
            while (vals[i] >= 0) i = (i + 1) & mask;
            keys[i] = k;
            vals[i] = self->vals[j];
        }
    }
    free(self->keys), free(self->vals), free(self->bits);
    self->keys = keys, self->vals = vals, self->bits = bits;
    self->mask = mask, self->bitshift = shift;
    return 0;
}

/* Insert hashes[i] as entry self->n + i; called with the GIL released (one thread at a
 * time per Index: the hunt's matching thread). -1: out of memory. */
static int index_insert_nogil(IndexObject *self, const uint64_t *h, Py_ssize_t n)
{
    Py_ssize_t base = self->n;
    if (base + n > self->next_cap) {
        Py_ssize_t cap = self->next_cap ? self->next_cap : 1024;
        while (cap < base + n) cap *= 2;
        int32_t *nx = realloc(self->next, (size_t)cap * 4);
        if (!nx) return -1;
        self->next = nx, self->next_cap = cap;
    }
    /* Room for all of them at once, not one doubling (and rehash of everything held) after
     * another: as much as they need, and at least twice what is held (growth amortised as
     * below; a first fill from empty gets no more than it needs). */
    Py_ssize_t want = self->distinct + n;
    if (want < 2 * self->distinct) want = 2 * self->distinct;
    if ((uint64_t)(self->distinct + n) * 4 > (self->mask + 1) * 3 && index_grow(self, want))
        return -1;
    for (Py_ssize_t i = 0; i < n; i++) {
        if (i + 8 < n) {
            uint64_t ahead = h[i + 8] & self->mask;
            __builtin_prefetch(&self->keys[ahead]);
            __builtin_prefetch(&self->vals[ahead]);
        }
        if ((uint64_t)(self->distinct + 1) * 4 > (self->mask + 1) * 3 &&
            index_grow(self, 2 * (self->distinct + 1)))
            return -1;
        uint64_t k = h[i], j = k & self->mask;
        int32_t e = (int32_t)(base + i);
        while (self->vals[j] >= 0 && self->keys[j] != k) j = (j + 1) & self->mask;
        if (self->vals[j] < 0) {
            uint64_t b = k >> self->bitshift;
            self->bits[b >> 6] |= 1ULL << (b & 63);
            self->keys[j] = k;
            self->next[e] = -1;
            self->distinct++;
        } else {
            self->next[e] = self->vals[j];
        }
        self->vals[j] = e;
    }
    self->n += n;
    return 0;
}

/* Insert the hashes of `hb` (uint64) after those held, the GIL released. */
static int index_insert(IndexObject *self, Py_buffer *hb)
{
    if (hb->len % 8) {
        PyErr_SetString(PyExc_ValueError, "hashes must be uint64");
        return -1;
    }
    Py_ssize_t n = hb->len / 8;
    if (self->n + n >= INT32_MAX / 2) {
        PyErr_SetString(PyExc_ValueError, "too many hashes");
        return -1;
    }
    int rc;
    Py_BEGIN_ALLOW_THREADS
    rc = index_insert_nogil(self, hb->buf, n);
    Py_END_ALLOW_THREADS
    if (rc) PyErr_NoMemory();
    return rc;
}

static int index_init(IndexObject *self, PyObject *args, PyObject *kw)
{
    Py_buffer hb;
    (void)kw;
    if (!PyArg_ParseTuple(args, "y*", &hb)) return -1;
    if (self->exports) {
        PyBuffer_Release(&hb);
        PyErr_SetString(PyExc_BufferError, "the index's arrays are viewed (dump)");
        return -1;
    }
    index_release(self);
    self->n = self->distinct = self->next_cap = 0;
    int rc = index_grow(self, hb.len / 8);
    if (rc) PyErr_NoMemory();
    if (rc == 0) rc = index_insert(self, &hb);
    PyBuffer_Release(&hb);
    return rc;
}

static PyObject *index_add(IndexObject *self, PyObject *args)
{
    Py_buffer hb;
    if (!PyArg_ParseTuple(args, "y*", &hb)) return NULL;
    if (self->exports) {
        PyBuffer_Release(&hb);
        PyErr_SetString(PyExc_BufferError, "the index's arrays are viewed (dump): it cannot grow");
        return NULL;
    }
    if (index_own(self)) {
        PyBuffer_Release(&hb);
        return NULL;
    }
    int rc = self->keys ? index_insert(self, &hb) : -1;
    if (rc && !PyErr_Occurred()) PyErr_SetString(PyExc_ValueError, "index not built");
    PyBuffer_Release(&hb);
    if (rc) return NULL;
    Py_RETURN_NONE;
}

static inline int index_emit(IndexObject *ix, uint64_t k, int32_t row, int32_t start, Buf *r,
                             Buf *e, Buf *st)
{
    uint64_t b = k >> ix->bitshift;
    if (!(ix->bits[b >> 6] >> (b & 63) & 1)) return 0;
    for (uint64_t j = k & ix->mask; ix->vals[j] >= 0; j = (j + 1) & ix->mask) {
        if (ix->keys[j] == k) {
            for (int32_t x = ix->vals[j]; x >= 0; x = ix->next[x])
                if (buf_put(r, &row, 4) || buf_put(e, &x, 4) || buf_put(st, &start, 4)) return -1;
            return 0;
        }
    }
    return 0;
}

static PyObject *index_probe_names(IndexObject *self, PyObject *args)
{
    Py_buffer off, data;
    int max_labels;
    Py_ssize_t n;
    if (!PyArg_ParseTuple(args, "y*y*i", &off, &data, &max_labels)) return NULL;
    if (self->keys == NULL || check_strings(&off, &data, &n)) {
        if (!PyErr_Occurred()) PyErr_SetString(PyExc_ValueError, "index not built");
        PyBuffer_Release(&off);
        PyBuffer_Release(&data);
        return NULL;
    }
    if (n > INT32_MAX) n = INT32_MAX;
    Buf r = {0}, e = {0}, st = {0};
    int oom = 0;
    const int32_t *o = off.buf;
    const uint8_t *d = data.buf;
    /* Keys wait in a ring for LAG others to be made before their bitmap word is read: its
     * prefetch, issued when the key was made, has landed by then (the bitmap is MBs). */
    enum { RING = 64, LAG = 24 };
    struct {
        uint64_t key;
        int32_t row, start;
    } ring[RING];
    unsigned head = 0, tail = 0;
    Py_BEGIN_ALLOW_THREADS
#define PUSH(k_, row_, start_)                                                                 \
    do {                                                                                       \
        uint64_t k__ = (k_), b__ = k__ >> self->bitshift;                                      \
        __builtin_prefetch(&self->bits[b__ >> 6]);                                             \
        ring[head % RING].key = k__, ring[head % RING].row = (row_),                           \
                   ring[head % RING].start = (start_);                                         \
        head++;                                                                                \
        while (!oom && head - tail > LAG) {                                                    \
            if (index_emit(self, ring[tail % RING].key, ring[tail % RING].row,                 \
                           ring[tail % RING].start, &r, &e, &st))                              \
                oom = 1;                                                                       \
            tail++;                                                                            \
        }                                                                                      \
    } while (0)
    for (Py_ssize_t i = 0; i < n && !oom; i++) {
        const uint8_t *q = d + o[i];
        int32_t len = o[i + 1] - o[i];
        /* suffix hashes right to left: H(j) = c_j * B^(len-1-j) + H(j+1) */
        uint64_t h = 0, pw = 1;
        int dots = 0;
        for (int32_t j = len - 1; j >= 0; j--) {
            h += (uint64_t)q[j] * pw;
            pw *= HB;
            if (j > 0 && q[j - 1] == '.') {
                dots++; /* the suffix q[j:] holds `dots` labels */
                if (dots >= 2 && dots <= max_labels) PUSH(mix(h), (int32_t)i, j);
            }
        }
        PUSH(mix(h), (int32_t)i, 0);
    }
    for (; !oom && tail < head; tail++)
        if (index_emit(self, ring[tail % RING].key, ring[tail % RING].row, ring[tail % RING].start,
                       &r, &e, &st))
            oom = 1;
#undef PUSH
    Py_END_ALLOW_THREADS
    PyBuffer_Release(&off);
    PyBuffer_Release(&data);
    if (oom) {
        free(r.p), free(e.p), free(st.p);
        return PyErr_NoMemory();
    }
    return Py_BuildValue("(NNN)", buf_bytes(&r), buf_bytes(&e), buf_bytes(&st));
}

static PyObject *index_len(IndexObject *self, PyObject *unused)
{
    (void)unused;
    return PyLong_FromSsize_t(self->n);
}

/* (keys, vals, next, bits, bitshift): the table as index_from takes it back. */
static PyObject *index_dump(IndexObject *self, PyObject *unused)
{
    (void)unused;
    if (self->keys == NULL) {
        PyErr_SetString(PyExc_ValueError, "index not built");
        return NULL;
    }
    size_t slots = (size_t)self->mask + 1, words = ((size_t)1 << (64 - self->bitshift)) / 64;
    return Py_BuildValue("(NNNNi)", tableview_new(self, self->keys, (Py_ssize_t)(slots * 8)),
                         tableview_new(self, self->vals, (Py_ssize_t)(slots * 4)),
                         tableview_new(self, self->next, (Py_ssize_t)(self->n * 4)),
                         tableview_new(self, self->bits, (Py_ssize_t)(words * 8)),
                         self->bitshift);
}

static PyMethodDef index_methods[] = {
    {"dump", (PyCFunction)index_dump, METH_NOARGS,
     "dump() -> (keys, vals, next, bits, bitshift): the table, for index_from"},
    {"probe_names", (PyCFunction)index_probe_names, METH_VARARGS,
     "probe_names(offsets, data, max_labels) -> (rows, entries, starts) as int32 bytes"},
    {"add", (PyCFunction)index_add, METH_VARARGS,
     "add(hashes): more entries, numbered on from the ones held"},
    {"size", (PyCFunction)index_len, METH_NOARGS, "number of hashes held"},
    {NULL, NULL, 0, NULL},
};

static PyTypeObject IndexType = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "dgawatch._huntscan.Index",
    .tp_basicsize = sizeof(IndexObject),
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = "Index(hashes): uint64 hashes -> their positions",
    .tp_new = PyType_GenericNew,
    .tp_init = (initproc)index_init,
    .tp_dealloc = (destructor)index_dealloc,
    .tp_methods = index_methods,
};

/* index_from(keys, vals, next, bits, bitshift) -> Index over those buffers (not copied:
 * a packed index file's mapping), after checks that make every probe stay inside them and
 * end: a slot count that is a power of two with at least one empty slot, every slot's
 * entry and every chain link inside the entries, each link to an earlier entry (chains
 * end), a bitmap of 2**(64 - bitshift) bits. A file damaged elsewhere may give wrong
 * candidates (the caller compares strings), never a read outside these buffers. */
static PyObject *py_index_from(PyObject *self, PyObject *args)
{
    Py_buffer v[4];
    int bitshift;
    (void)self;
    memset(v, 0, sizeof v);
    if (!PyArg_ParseTuple(args, "y*y*y*y*i", &v[0], &v[1], &v[2], &v[3], &bitshift)) return NULL;
    const char *why = NULL;
    Py_ssize_t slots = v[0].len / 8, n = v[2].len / 4, distinct = 0;
    int lg = 64 - bitshift;
    if (v[0].len % 8 || slots < 1 || (slots & (slots - 1)) || v[1].len != slots * 4 ||
        v[2].len % 4 || n >= INT32_MAX / 2 || slots > ((Py_ssize_t)1 << 40))
        why = "table sizes do not agree";
    else if (lg < 6 || lg > 40 || v[3].len != ((Py_ssize_t)1 << lg) / 8)
        why = "bitmap size does not agree";
    else if (((uintptr_t)v[0].buf % 8) || ((uintptr_t)v[1].buf % 4) || ((uintptr_t)v[2].buf % 4) ||
             ((uintptr_t)v[3].buf % 8))
        why = "misaligned table";
    if (!why) {
        const int32_t *vals = v[1].buf, *next = v[2].buf;
        int bad = 0;
        Py_BEGIN_ALLOW_THREADS
        for (Py_ssize_t j = 0; j < slots; j++) {
            bad |= vals[j] < -1 || vals[j] >= n;
            distinct += vals[j] >= 0;
        }
        for (Py_ssize_t e = 0; e < n; e++) bad |= next[e] < -1 || next[e] >= e;
        Py_END_ALLOW_THREADS
        if (bad)
            why = "entry out of range";
        else if (distinct >= slots)
            why = "table without an empty slot";
    }
    if (why) {
        for (int i = 0; i < 4; i++) PyBuffer_Release(&v[i]);
        PyErr_Format(PyExc_ValueError, "not a packed index: %s", why);
        return NULL;
    }
    IndexObject *ix = PyObject_New(IndexObject, &IndexType);
    if (!ix) {
        for (int i = 0; i < 4; i++) PyBuffer_Release(&v[i]);
        return NULL;
    }
    ix->keys = v[0].buf, ix->vals = v[1].buf, ix->next = v[2].buf, ix->bits = v[3].buf;
    ix->mask = (uint64_t)slots - 1, ix->bitshift = bitshift;
    ix->n = n, ix->distinct = distinct, ix->next_cap = n;
    ix->borrowed = 1, ix->exports = 0;
    memcpy(ix->views, v, sizeof v);
    return (PyObject *)ix;
}

static PyMethodDef methods[] = {
    {"index_from", py_index_from, METH_VARARGS,
     "index_from(keys, vals, next, bits, bitshift) -> Index over those buffers (checked)"},
    {"scan_tsv", py_scan_tsv, METH_VARARGS,
     "scan_tsv(seg, sep, nfields, i_ts, i_client, i_query, i_rcode, unset, min_ms, max_ms, "
     "line0)"},
    {"name_hashes", py_name_hashes, METH_VARARGS,
     "name_hashes(offsets, data) -> (uint64 bytes, most labels of a name)"},
    {"count_lines", py_count_lines, METH_VARARGS, "count_lines(buf) -> the number of b'\\n' in it"},
    {"split_lines", py_split_lines, METH_VARARGS,
     "split_lines(blob) -> (int32 offsets, bytes without line ends, count)"},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_huntscan", NULL, -1, methods};

PyMODINIT_FUNC PyInit__huntscan(void)
{
    if (PyType_Ready(&IndexType) < 0 || PyType_Ready(&MappedType) < 0 ||
        PyType_Ready(&TableViewType) < 0)
        return NULL;
    PyObject *m = PyModule_Create(&module);
    if (!m) return NULL;
    Py_INCREF(&IndexType);
    if (PyModule_AddObject(m, "Index", (PyObject *)&IndexType) < 0) {
        Py_DECREF(&IndexType);
        Py_DECREF(m);
        return NULL;
    }
    return m;
}
