/* Compiled packet walker of the pcap reader (dgawatch.readers.pcap).
 *
 * Why C (the guide allows hand-written code where a benchmark shows the library is the
 * bottleneck): bench/bench_readers.py measured the pure-Python decoder (struct in place, no
 * per-packet objects) at 222-239 k packets per CPU-second on a capture with a distinct name
 * per exchange (loaded 2-core machine, 2026-12-04), short of the 300 k packets/s asked of
 * the whole process; the per-packet interpreter work was the bottleneck, and the maintained
 * library for this job is slower still: dpkt's full decode ran at under a third of that
 * rate (the Python reader was 3.05-3.69x dpkt in the same runs). With this walker: about
 * 560 k packets per CPU-second for the whole process, 9x dpkt (same bench, 2026-12-05).
 *
 * The walker does, in C, exactly what the Python handlers of readers/pcap.py do for the
 * packets that make up nearly all of a capture, and hands every other packet back to them
 * untouched:
 *
 *   - pcap records (either byte order, micro- or nanosecond) in a chunk of the file, and
 *     pcapng Enhanced and obsolete Packet Blocks (the section and interface blocks, and
 *     every irregular block, are left to Python);
 *   - link layers Ethernet (802.1Q/802.1ad tags), Linux cooked v1/v2, raw IP, BSD loopback;
 *     IPv4 (non-first fragments skipped) and IPv6 (extension headers followed); UDP port 53;
 *   - the DNS header, a question name written out in full of letters, digits, '-', '_' and
 *     '*' (lower-cased), and answer records A, AAAA and NS/CNAME/PTR/DNAME names (with
 *     compression pointers: at most 64 hops, 255 bytes, every read bounds-checked).
 *
 * Anything else (TCP, a timestamp out of range, a truncated or malformed header or message,
 * a name needing escapes or IDNA checks, other record types) is passed, before any state
 * has changed, to the Python packet handler, which reads and reports it as it always has:
 * output and bad-record reports are the same with or without this module
 * (tests/readers/test_pcap_fast.py compares the two on generated and mutated captures).
 *
 * Shared state with the Python handlers: the event column lists, the pairing dict (key:
 * client address + server address + client port and message id, 2 bytes each, big endian;
 * value: global event row), and ``base``, the global row of the lists' first element.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <arpa/inet.h>
#include <stdint.h>
#include <string.h>
#include "structmember.h"

#define ACACHE 4096 /* address text cache entries (direct-mapped) */

typedef struct {
    uint8_t len; /* 0: empty */
    uint8_t raw[16];
    PyObject *text;
} AddrEntry;

typedef struct {
    PyObject_HEAD
    PyObject *ts, *client, *qname, *qtype, *rcode, *answers, *line; /* lists */
    PyObject *pending;   /* dict */
    PyObject *tcache;    /* dict: int -> qtype text */
    PyObject *type_text; /* callable: int -> qtype text */
    PyObject *rcodes;    /* tuple of 16 texts */
    PyObject *fallback;  /* packet(buf, p, end, ts, no, link) of the Python reader */
    long long min_ts, max_ts, base;
    AddrEntry acache[ACACHE];
} Scanner;

/* results of the decoders */
#define DONE 1  /* handled (an event written, or nothing to do) */
#define DEFER 0 /* the Python handler must read this packet */
#define FAIL -1 /* a Python exception is set */

static inline unsigned u16(const uint8_t *p) { return ((unsigned)p[0] << 8) | p[1]; }

/* bytes allowed in a name taken without escapes: letters, digits, '-', '_', '*' */
static uint8_t PLAIN[256];

static void init_tables(void)
{
    for (int c = 'a'; c <= 'z'; c++) PLAIN[c] = PLAIN[c - 32] = 1;
    for (int c = '0'; c <= '9'; c++) PLAIN[c] = 1;
    PLAIN['-'] = PLAIN['_'] = PLAIN['*'] = 1;
}

/* Dotted quad, as inet_ntop writes it. */
static PyObject *ipv4_text(const uint8_t *a)
{
    char text[16];
    int len = 0;
    for (int i = 0; i < 4; i++) {
        unsigned v = a[i];
        if (i) text[len++] = '.';
        if (v >= 100) text[len++] = (char)('0' + v / 100);
        if (v >= 10) text[len++] = (char)('0' + v / 10 % 10);
        text[len++] = (char)('0' + v % 10);
    }
    return PyUnicode_FromStringAndSize(text, len);
}

static PyObject *addr_text(Scanner *s, const uint8_t *raw, int len)
{
    uint32_t h = 2166136261u;
    for (int i = 0; i < len; i++) h = (h ^ raw[i]) * 16777619u;
    AddrEntry *e = &s->acache[(h ^ (h >> 15)) & (ACACHE - 1)];
    if (e->len == len && memcmp(e->raw, raw, len) == 0) {
        Py_INCREF(e->text);
        return e->text;
    }
    PyObject *t;
    if (len == 4) {
        t = ipv4_text(raw);
    } else {
        char text[INET6_ADDRSTRLEN];
        if (inet_ntop(AF_INET6, raw, text, sizeof text) == NULL) {
            PyErr_SetFromErrno(PyExc_OSError);
            return NULL;
        }
        t = PyUnicode_FromString(text);
    }
    if (t == NULL) return NULL;
    Py_XSETREF(e->text, t);
    Py_INCREF(t);
    e->len = (uint8_t)len;
    memcpy(e->raw, raw, len);
    return t;
}

/* Position after the name at ``pos`` (dnspython-free skip: a pointer ends it), or -1. */
static Py_ssize_t skip_name(const uint8_t *buf, Py_ssize_t pos, Py_ssize_t end)
{
    for (;;) {
        if (pos >= end) return -1;
        unsigned n = buf[pos];
        if (n == 0) return pos + 1;
        if (n >= 0xC0) return pos + 2;
        if (n > 63) return -1;
        pos += 1 + n;
    }
}

/* The question name at ``pos`` when written out in full of plain bytes (as
 * _dnswire.plain_name accepts it), lower-cased, in *out; -1 when it is not such a name. */
static Py_ssize_t plain_name(const uint8_t *buf, Py_ssize_t pos, Py_ssize_t end, PyObject **out)
{
    Py_ssize_t start = pos;
    int labels = 0;
    while (pos < end) {
        unsigned n = buf[pos];
        if (n == 0) {
            Py_ssize_t wire = pos + 1 - start;
            if (!labels || wire > 255) return -1;
            PyObject *t = PyUnicode_New(wire - 2, 127);
            if (t == NULL) return -2;
            uint8_t *d = PyUnicode_1BYTE_DATA(t);
            Py_ssize_t q = start;
            for (int k = 0; k < labels; k++) {
                unsigned len = buf[q++];
                if (k) *d++ = '.';
                for (unsigned i = 0; i < len; i++) {
                    uint8_t c = buf[q++];
                    *d++ = (c >= 'A' && c <= 'Z') ? c + 32 : c;
                }
            }
            *out = t;
            return pos + 1;
        }
        if (n > 63 || pos + 1 + (Py_ssize_t)n >= end) return -1;
        for (Py_ssize_t i = pos + 1; i <= pos + (Py_ssize_t)n; i++)
            if (!PLAIN[buf[i]]) return -1;
        pos += 1 + n;
        labels++;
    }
    return -1;
}

/* A name in record data (_dnswire.name_at, text only), not lower-cased; DEFER for any
 * error or a label needing escapes. */
static int name_text(const uint8_t *buf, Py_ssize_t msg, Py_ssize_t pos, Py_ssize_t end,
                     PyObject **out)
{
    char text[256];
    int len = 0, hops = 0, size = 1, labels = 0;
    for (;;) {
        if (pos >= end) return DEFER;
        unsigned n = buf[pos];
        if (n == 0) break;
        if (n >= 0xC0) {
            if (pos + 1 >= end) return DEFER;
            if (++hops > 64) return DEFER;
            pos = msg + (((n & 0x3F) << 8) | buf[pos + 1]);
            continue;
        }
        if (n > 63) return DEFER;
        Py_ssize_t nxt = pos + 1 + n;
        if (nxt > end) return DEFER;
        size += n + 1;
        if (size > 255) return DEFER;
        if (labels++) text[len++] = '.';
        for (Py_ssize_t i = pos + 1; i < nxt; i++) {
            if (!PLAIN[buf[i]]) return DEFER;
            text[len++] = (char)buf[i];
        }
        pos = nxt;
    }
    *out = PyUnicode_FromStringAndSize(text, len);
    return *out ? DONE : FAIL;
}

static PyObject *empty_list(void)
{
    PyObject *list = PyList_New(0);
    if (list != NULL) PyObject_GC_UnTrack(list);
    return list;
}

/* The texts of ``count`` answer records from ``pos`` (_dnswire.answers) in a new list. */
static int answers(const uint8_t *buf, Py_ssize_t msg, Py_ssize_t pos,
                   Py_ssize_t end, unsigned count, PyObject **out)
{
    PyObject *list = PyList_New(0);
    if (list == NULL) return FAIL;
    for (unsigned i = 0; i < count; i++) {
        pos = skip_name(buf, pos, end);
        if (pos < 0 || pos + 10 > end) goto defer;
        unsigned rtype = u16(buf + pos), rdlen = u16(buf + pos + 8);
        pos += 10;
        Py_ssize_t rend = pos + rdlen;
        if (rend > end) goto defer;
        PyObject *t = NULL;
        if (rtype == 1 && rdlen == 4) {
            t = ipv4_text(buf + pos);
            if (t == NULL) goto fail;
        } else if (rtype == 28 && rdlen == 16) {
            char a[INET6_ADDRSTRLEN];
            if (inet_ntop(AF_INET6, buf + pos, a, sizeof a) == NULL) goto defer;
            t = PyUnicode_FromString(a);
            if (t == NULL) goto fail;
        } else if (rtype == 2 || rtype == 5 || rtype == 12 || rtype == 39) {
            if (rdlen == 0) {
                t = PyUnicode_New(0, 127);
                if (t == NULL) goto fail;
            } else {
                int r = name_text(buf, msg, pos, rend, &t);
                if (r == FAIL) goto fail;
                if (r == DEFER) goto defer;
            }
        } else if (rtype != 41) {
            goto defer; /* other record data: dnspython renders it, in Python */
        }
        if (t != NULL) {
            int r = PyList_Append(list, t);
            Py_DECREF(t);
            if (r < 0) goto fail;
        }
        pos = rend;
    }
    /* a list of strings is no part of a reference cycle: the collector need not visit it */
    PyObject_GC_UnTrack(list);
    *out = list;
    return DONE;
defer:
    Py_DECREF(list);
    return DEFER;
fail:
    Py_DECREF(list);
    return FAIL;
}

static PyObject *pair_key(const uint8_t *client, const uint8_t *server, int alen, unsigned cport,
                          unsigned mid)
{
    uint8_t k[36];
    memcpy(k, client, alen);
    memcpy(k + alen, server, alen);
    k[2 * alen] = (uint8_t)(cport >> 8);
    k[2 * alen + 1] = (uint8_t)cport;
    k[2 * alen + 2] = (uint8_t)(mid >> 8);
    k[2 * alen + 3] = (uint8_t)mid;
    return PyBytes_FromStringAndSize((const char *)k, 2 * alen + 4);
}

static int append_steal(PyObject *list, PyObject *item)
{
    if (item == NULL) return -1;
    int r = PyList_Append(list, item);
    Py_DECREF(item);
    return r;
}

static PyObject *qtype_text(Scanner *s, unsigned t)
{
    PyObject *k = PyLong_FromLong(t);
    if (k == NULL) return NULL;
    PyObject *v = PyDict_GetItemWithError(s->tcache, k);
    if (v != NULL) {
        Py_DECREF(k);
        Py_INCREF(v);
        return v;
    }
    if (PyErr_Occurred()) {
        Py_DECREF(k);
        return NULL;
    }
    v = PyObject_CallOneArg(s->type_text, k);
    if (v != NULL && PyDict_SetItem(s->tcache, k, v) < 0) Py_CLEAR(v);
    Py_DECREF(k);
    return v;
}

/* One DNS message over UDP (the Python reader's ``dns``): src/dst addresses of alen bytes,
 * cport the client's port. */
static int dns(Scanner *s, const uint8_t *buf, Py_ssize_t m, Py_ssize_t mend,
               const uint8_t *src, const uint8_t *dst, int alen, unsigned cport, long long ts,
               long long no)
{
    if (mend - m < 12) return DEFER;
    unsigned mid = u16(buf + m), flags = u16(buf + m + 2), qd = u16(buf + m + 4);
    unsigned an = u16(buf + m + 6);
    if ((flags & 0x7800) || !qd) return DONE;
    Py_ssize_t q0 = m + 12;
    int response = (flags & 0x8000) != 0;
    PyObject *rcode = PyTuple_GET_ITEM(s->rcodes, flags & 15);
    if (response) {
        PyObject *key = pair_key(dst, src, alen, cport, mid);
        if (key == NULL) return FAIL;
        PyObject *g = PyDict_GetItemWithError(s->pending, key);
        if (g == NULL) {
            Py_DECREF(key);
            if (PyErr_Occurred()) return FAIL;
        } else { /* its query is an event: only rcode and answers are new */
            Py_ssize_t pos = skip_name(buf, q0, mend);
            PyObject *ans = NULL;
            int r = DONE;
            if (pos < 0 || pos + 4 > mend) r = DEFER;
            else if (!an) r = (ans = empty_list()) ? DONE : FAIL;
            else r = answers(buf, m, pos + 4, mend, an, &ans);
            if (r != DONE) {
                Py_DECREF(key);
                return r;
            }
            long long idx = PyLong_AsLongLong(g) - s->base;
            if (idx == -1 - s->base && PyErr_Occurred()) r = FAIL;
            else if (PyDict_DelItem(s->pending, key) < 0) r = FAIL; /* g now dangling */
            else if (idx >= 0 && idx < PyList_GET_SIZE(s->rcode)) {
                Py_INCREF(rcode);
                PyObject *old = PyList_GET_ITEM(s->rcode, idx);
                PyList_SET_ITEM(s->rcode, idx, rcode);
                Py_DECREF(old);
                old = PyList_GET_ITEM(s->answers, idx);
                PyList_SET_ITEM(s->answers, idx, ans);
                Py_DECREF(old);
                ans = NULL;
            }
            Py_XDECREF(ans);
            Py_DECREF(key);
            return r;
        }
    }
    PyObject *name = NULL;
    Py_ssize_t pos = plain_name(buf, q0, mend, &name);
    if (pos == -2) return FAIL;
    if (pos < 0) return DEFER;
    if (pos + 4 > mend) {
        Py_DECREF(name);
        return DEFER;
    }
    PyObject *ans = NULL, *client;
    if (response) { /* a response whose query was not captured */
        if (!an) ans = empty_list();
        else {
            int r = answers(buf, m, pos + 4, mend, an, &ans);
            if (r != DONE) {
                Py_DECREF(name);
                return r;
            }
        }
        if (ans == NULL) goto fail_name;
        client = addr_text(s, dst, alen);
    } else {
        client = addr_text(s, src, alen);
        if (client != NULL) {
            PyObject *key = pair_key(src, dst, alen, cport, mid);
            PyObject *row = PyLong_FromLongLong(s->base + PyList_GET_SIZE(s->ts));
            int r = (key && row) ? PyDict_SetItem(s->pending, key, row) : -1;
            Py_XDECREF(key);
            Py_XDECREF(row);
            if (r < 0) Py_CLEAR(client);
        }
        ans = Py_None;
        Py_INCREF(ans);
        rcode = Py_None;
    }
    if (client == NULL) {
        Py_DECREF(ans);
        goto fail_name;
    }
    PyObject *qtype = qtype_text(s, u16(buf + pos));
    Py_INCREF(rcode);
    if (qtype == NULL || append_steal(s->ts, PyLong_FromLongLong(ts)) < 0 ||
        append_steal(s->client, client) < 0 || append_steal(s->qname, name) < 0 ||
        append_steal(s->qtype, qtype) < 0 || append_steal(s->rcode, rcode) < 0 ||
        append_steal(s->answers, ans) < 0 || append_steal(s->line, PyLong_FromLongLong(no)) < 0)
        return FAIL; /* (the lists are left uneven: the read ends with this exception) */
    return DONE;
fail_name:
    Py_DECREF(name);
    return FAIL;
}

/* One packet (the Python reader's ``packet``): DONE, DEFER or FAIL. */
static int packet(Scanner *s, const uint8_t *buf, Py_ssize_t p, Py_ssize_t end, long long ts,
                  long long no, unsigned link)
{
    if (ts < s->min_ts || ts > s->max_ts) return DEFER; /* reported there */
    unsigned et, proto;
    const uint8_t *src, *dst;
    int alen;
    if (link == 1 && end - p >= 42 && u16(buf + p + 12) == 0x0800 && buf[p + 14] == 0x45 &&
        buf[p + 23] == 17) { /* the common case: Ethernet, IPv4 without options, UDP */
        unsigned total = u16(buf + p + 16), frag = u16(buf + p + 20);
        if (frag & 0x1FFF) return DONE; /* not the first fragment */
        if (p + 14 + (Py_ssize_t)total < end && total >= 28) end = p + 14 + total;
        src = buf + p + 26;
        dst = buf + p + 30;
        p += 34;
        proto = 17;
        alen = 4;
        goto udp;
    }
    if (link == 1) {
        if (p + 14 > end) return DONE;
        et = u16(buf + p + 12);
        p += 14;
        while (et == 0x8100 || et == 0x88A8) {
            if (p + 4 > end) return DONE;
            et = u16(buf + p + 2);
            p += 4;
        }
    } else if (link == 113) {
        if (p + 16 > end) return DONE;
        et = u16(buf + p + 14);
        p += 16;
    } else if (link == 276) {
        if (p + 20 > end) return DONE;
        et = u16(buf + p);
        p += 20;
    } else if (link == 0 || link == 108) {
        if (p + 4 > end) return DONE;
        et = (buf[p] | buf[p + 3]) == 2 ? 0x0800 : 0x86DD;
        p += 4;
    } else {
        if (p >= end) return DONE;
        et = buf[p] >> 4 == 4 ? 0x0800 : 0x86DD;
    }
    if (et == 0x0800) {
        if (p + 20 > end) return DONE;
        unsigned vihl = buf[p], total = u16(buf + p + 2), frag = u16(buf + p + 6);
        if (frag & 0x1FFF) return DONE;
        proto = buf[p + 9];
        src = buf + p + 12;
        dst = buf + p + 16;
        alen = 4;
        if (p + (Py_ssize_t)total < end && total >= 20) end = p + total;
        p += (vihl & 15) * 4;
    } else if (et == 0x86DD) {
        if (p + 40 > end) return DONE;
        proto = buf[p + 6];
        src = buf + p + 8;
        dst = buf + p + 24;
        alen = 16;
        unsigned plen = u16(buf + p + 4);
        if (plen && p + 40 + (Py_ssize_t)plen < end) end = p + 40 + plen;
        p += 40;
        while (proto == 0 || proto == 43 || proto == 60 || proto == 44 || proto == 51) {
            if (p + 8 > end) return DONE;
            if (proto == 44) {
                if (u16(buf + p + 2) & 0xFFF8) return DONE; /* not the first fragment */
                proto = buf[p];
                p += 8;
            } else if (proto == 51) {
                unsigned k = buf[p + 1];
                proto = buf[p];
                p += (k + 2) * 4;
            } else {
                unsigned k = buf[p + 1];
                proto = buf[p];
                p += (k + 1) * 8;
            }
        }
    } else {
        return DONE;
    }
    if (proto == 6) return DEFER; /* TCP: reassembled in Python */
    if (proto != 17) return DONE;
udp:
    if (p + 8 > end) return DEFER; /* truncated UDP header: reported there */
    {
        unsigned sport = u16(buf + p), dport = u16(buf + p + 2);
        if (sport == 53) return dns(s, buf, p + 8, end, src, dst, alen, dport, ts, no);
        if (dport == 53) return dns(s, buf, p + 8, end, src, dst, alen, sport, ts, no);
    }
    return DONE;
}

static int defer(Scanner *s, PyObject *bufobj, Py_ssize_t p, Py_ssize_t end, PyObject *ts,
                 long long no, unsigned link)
{
    PyObject *r = PyObject_CallFunction(s->fallback, "OnnOLI", bufobj, p, end, ts, no, link);
    if (r == NULL) return FAIL;
    Py_DECREF(r);
    return DONE;
}

static int one(Scanner *s, PyObject *bufobj, const uint8_t *buf, Py_ssize_t p, Py_ssize_t end,
               long long ts, long long no, unsigned link)
{
    int r = packet(s, buf, p, end, ts, no, link);
    if (r != DEFER) return r;
    PyObject *t = PyLong_FromLongLong(ts);
    if (t == NULL) return FAIL;
    r = defer(s, bufobj, p, end, t, no, link);
    Py_DECREF(t);
    return r;
}

PyDoc_STRVAR(packet_doc,
             "packet(buf, p, end, ts, no, link)\n\n"
             "Read the packet buf[p:end] (time ts ms, packet number no, link type link).");

static PyObject *Scanner_packet(Scanner *s, PyObject *args)
{
    PyObject *bufobj, *tsobj;
    Py_ssize_t p, end;
    long long no;
    unsigned int link;
    if (!PyArg_ParseTuple(args, "SnnOLI", &bufobj, &p, &end, &tsobj, &no, &link)) return NULL;
    Py_ssize_t n = PyBytes_GET_SIZE(bufobj);
    if (p < 0 || end > n || p > end) {
        PyErr_SetString(PyExc_ValueError, "packet bounds outside the buffer");
        return NULL;
    }
    int overflow = 0;
    long long ts = PyLong_AsLongLongAndOverflow(tsobj, &overflow);
    if (ts == -1 && PyErr_Occurred()) return NULL;
    int r = overflow ? defer(s, bufobj, p, end, tsobj, no, link)
                     : one(s, bufobj, (const uint8_t *)PyBytes_AS_STRING(bufobj), p, end, ts,
                           no, link);
    if (r == FAIL) return NULL;
    Py_RETURN_NONE;
}

PyDoc_STRVAR(scan_doc,
             "scan_pcap(buf, off, big_endian, div, no, link, max_packet) -> (off, no, corrupt)\n\n"
             "Read the pcap records of buf from off while whole ones are there. corrupt: the\n"
             "record at off claims more than max_packet bytes and runs past the buffer.");

static PyObject *Scanner_scan_pcap(Scanner *s, PyObject *args)
{
    PyObject *bufobj;
    Py_ssize_t off, max_packet;
    int big;
    long long div, no;
    unsigned int link;
    if (!PyArg_ParseTuple(args, "SnpLLIn", &bufobj, &off, &big, &div, &no, &link, &max_packet))
        return NULL;
    if (div <= 0 || off < 0) {
        PyErr_SetString(PyExc_ValueError, "bad divisor or offset");
        return NULL;
    }
    const uint8_t *buf = (const uint8_t *)PyBytes_AS_STRING(bufobj);
    Py_ssize_t n = PyBytes_GET_SIZE(bufobj);
    int corrupt = 0;
    /* The events are new objects that form no cycle; without this pause the collector
     * would walk the growing column lists again and again (a third of the time). */
    int gc_was_on = PyGC_Disable();
    while (off + 16 <= n) {
        const uint8_t *h = buf + off;
        uint32_t sec, frac, incl;
        if (big) {
            sec = (uint32_t)h[0] << 24 | (uint32_t)h[1] << 16 | (uint32_t)h[2] << 8 | h[3];
            frac = (uint32_t)h[4] << 24 | (uint32_t)h[5] << 16 | (uint32_t)h[6] << 8 | h[7];
            incl = (uint32_t)h[8] << 24 | (uint32_t)h[9] << 16 | (uint32_t)h[10] << 8 | h[11];
        } else {
            sec = (uint32_t)h[3] << 24 | (uint32_t)h[2] << 16 | (uint32_t)h[1] << 8 | h[0];
            frac = (uint32_t)h[7] << 24 | (uint32_t)h[6] << 16 | (uint32_t)h[5] << 8 | h[4];
            incl = (uint32_t)h[11] << 24 | (uint32_t)h[10] << 16 | (uint32_t)h[9] << 8 | h[8];
        }
        Py_ssize_t end = off + 16 + (Py_ssize_t)incl;
        if (end > n) {
            corrupt = (Py_ssize_t)incl > max_packet;
            break;
        }
        no++;
        long long ts = (long long)sec * 1000 + (long long)frac / div;
        Py_ssize_t p = off + 16;
        off = end;
        if (one(s, bufobj, buf, p, end, ts, no, link) == FAIL) {
            if (gc_was_on) PyGC_Enable();
            return NULL;
        }
    }
    if (gc_was_on) PyGC_Enable();
    return Py_BuildValue("nLO", off, no, corrupt ? Py_True : Py_False);
}

PyDoc_STRVAR(scan_ng_doc,
             "scan_pcapng(buf, off, big_endian, no, ifaces, max_packet) -> (off, no)\n\n"
             "Read the whole Enhanced and obsolete Packet Blocks of buf from off, on interfaces\n"
             "of ``ifaces`` ((link type, numerator, divisor) each); stops before any other\n"
             "block, an irregular one or one not wholly in buf, which the caller reads.");

#define MAX_IFACES 64

static int link_known(unsigned long long link)
{
    switch (link) {
    case 0: case 1: case 12: case 14: case 101: case 108: case 113: case 228: case 229: case 276:
        return 1;
    default:
        return 0;
    }
}

static PyObject *Scanner_scan_pcapng(Scanner *s, PyObject *args)
{
    PyObject *bufobj, *ifaces;
    Py_ssize_t off, max_packet;
    int big;
    long long no;
    if (!PyArg_ParseTuple(args, "SnpLO!n", &bufobj, &off, &big, &no, &PyList_Type, &ifaces,
                          &max_packet))
        return NULL;
    /* the interfaces this walker reads: known link type, numerator and divisor in range */
    unsigned long long link[MAX_IFACES], num[MAX_IFACES], div[MAX_IFACES];
    int ok[MAX_IFACES];
    Py_ssize_t nif = PyList_GET_SIZE(ifaces);
    if (nif > MAX_IFACES) nif = MAX_IFACES;
    for (Py_ssize_t i = 0; i < nif; i++) {
        PyObject *t = PyList_GET_ITEM(ifaces, i);
        ok[i] = 0;
        if (!PyTuple_Check(t) || PyTuple_GET_SIZE(t) != 3) continue;
        link[i] = PyLong_AsUnsignedLongLong(PyTuple_GET_ITEM(t, 0));
        num[i] = PyLong_AsUnsignedLongLong(PyTuple_GET_ITEM(t, 1));
        div[i] = PyLong_AsUnsignedLongLong(PyTuple_GET_ITEM(t, 2));
        if (PyErr_Occurred()) { /* too large for C: that interface is read in Python */
            PyErr_Clear();
            continue;
        }
        ok[i] = link_known(link[i]) && div[i] > 0 && num[i] <= 1000000;
    }
    const uint8_t *buf = (const uint8_t *)PyBytes_AS_STRING(bufobj);
    Py_ssize_t n = PyBytes_GET_SIZE(bufobj);
    if (off < 0) off = n;
    int gc_was_on = PyGC_Disable();
#define U32(p) (big ? ((uint32_t)(p)[0] << 24 | (uint32_t)(p)[1] << 16 | (uint32_t)(p)[2] << 8 | (p)[3]) \
                    : ((uint32_t)(p)[3] << 24 | (uint32_t)(p)[2] << 16 | (uint32_t)(p)[1] << 8 | (p)[0]))
#define U16(p) (big ? ((unsigned)(p)[0] << 8 | (p)[1]) : ((unsigned)(p)[1] << 8 | (p)[0]))
    while (off + 12 <= n) {
        const uint8_t *h = buf + off;
        uint32_t btype = U32(h), blen = U32(h + 4);
        if ((btype != 6 && btype != 2) || blen < 32 || blen % 4 ||
            (Py_ssize_t)blen > max_packet + 64 || off + (Py_ssize_t)blen > n)
            break;
        uint32_t iface, hi, lo, incl;
        if (btype == 6) {
            iface = U32(h + 8);
            hi = U32(h + 12);
            lo = U32(h + 16);
        } else {
            iface = U16(h + 8);
            hi = U32(h + 12);
            lo = U32(h + 16);
        }
        incl = U32(h + 20);
        Py_ssize_t start = off + 28, bend = off + (Py_ssize_t)blen - 4;
        if (iface >= (uint32_t)nif || !ok[iface] || start + (Py_ssize_t)incl > bend) break;
        unsigned __int128 t = ((unsigned __int128)(((uint64_t)hi << 32) | lo) * num[iface]) /
                              div[iface];
        if (t > (unsigned __int128)INT64_MAX) break;
        no++;
        off += blen;
        if (one(s, bufobj, buf, start, start + incl, (long long)t, no, (unsigned)link[iface]) ==
            FAIL) {
            if (gc_was_on) PyGC_Enable();
            return NULL;
        }
    }
#undef U32
#undef U16
    if (gc_was_on) PyGC_Enable();
    return Py_BuildValue("nL", off, no);
}

static int Scanner_init(Scanner *s, PyObject *args, PyObject *kw)
{
    static char *names[] = {"ts",        "client",  "qname",    "qtype",  "rcode",
                            "answers",   "line",    "pending",  "tcache", "type_text",
                            "rcodes",    "fallback", "min_ts",  "max_ts", NULL};
    PyObject *o[12];
    long long min_ts, max_ts;
    if (!PyArg_ParseTupleAndKeywords(args, kw, "O!O!O!O!O!O!O!O!O!OO!OLL", names, &PyList_Type,
                                     &o[0], &PyList_Type, &o[1], &PyList_Type, &o[2],
                                     &PyList_Type, &o[3], &PyList_Type, &o[4], &PyList_Type,
                                     &o[5], &PyList_Type, &o[6], &PyDict_Type, &o[7],
                                     &PyDict_Type, &o[8], &o[9], &PyTuple_Type, &o[10], &o[11],
                                     &min_ts, &max_ts))
        return -1;
    if (PyTuple_GET_SIZE(o[10]) != 16) {
        PyErr_SetString(PyExc_ValueError, "rcodes: 16 texts");
        return -1;
    }
    PyObject **slots[12] = {&s->ts,      &s->client, &s->qname,   &s->qtype,
                            &s->rcode,   &s->answers, &s->line,   &s->pending,
                            &s->tcache,  &s->type_text, &s->rcodes, &s->fallback};
    for (int i = 0; i < 12; i++) {
        Py_INCREF(o[i]);
        Py_XSETREF(*slots[i], o[i]);
    }
    s->min_ts = min_ts;
    s->max_ts = max_ts;
    s->base = 0;
    return 0;
}

static int Scanner_traverse(Scanner *s, visitproc visit, void *arg)
{
    Py_VISIT(s->ts);
    Py_VISIT(s->client);
    Py_VISIT(s->qname);
    Py_VISIT(s->qtype);
    Py_VISIT(s->rcode);
    Py_VISIT(s->answers);
    Py_VISIT(s->line);
    Py_VISIT(s->pending);
    Py_VISIT(s->tcache);
    Py_VISIT(s->type_text);
    Py_VISIT(s->rcodes);
    Py_VISIT(s->fallback);
    return 0;
}

static int Scanner_clear(Scanner *s)
{
    Py_CLEAR(s->ts);
    Py_CLEAR(s->client);
    Py_CLEAR(s->qname);
    Py_CLEAR(s->qtype);
    Py_CLEAR(s->rcode);
    Py_CLEAR(s->answers);
    Py_CLEAR(s->line);
    Py_CLEAR(s->pending);
    Py_CLEAR(s->tcache);
    Py_CLEAR(s->type_text);
    Py_CLEAR(s->rcodes);
    Py_CLEAR(s->fallback);
    for (int i = 0; i < ACACHE; i++) {
        Py_CLEAR(s->acache[i].text);
        s->acache[i].len = 0;
    }
    return 0;
}

static void Scanner_dealloc(Scanner *s)
{
    PyObject_GC_UnTrack(s);
    Scanner_clear(s);
    Py_TYPE(s)->tp_free((PyObject *)s);
}

static PyMethodDef Scanner_methods[] = {
    {"packet", (PyCFunction)Scanner_packet, METH_VARARGS, packet_doc},
    {"scan_pcap", (PyCFunction)Scanner_scan_pcap, METH_VARARGS, scan_doc},
    {"scan_pcapng", (PyCFunction)Scanner_scan_pcapng, METH_VARARGS, scan_ng_doc},
    {NULL, NULL, 0, NULL},
};

static PyMemberDef Scanner_members[] = {
    {"base", T_LONGLONG, offsetof(Scanner, base), 0, "global row of the lists' first element"},
    {NULL, 0, 0, 0, NULL},
};

static PyTypeObject ScannerType = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "dgawatch._pcapscan.Scanner",
    .tp_basicsize = sizeof(Scanner),
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC,
    .tp_doc = "Packet walker writing query events into the Python reader's column lists.",
    .tp_new = PyType_GenericNew,
    .tp_init = (initproc)Scanner_init,
    .tp_dealloc = (destructor)Scanner_dealloc,
    .tp_traverse = (traverseproc)Scanner_traverse,
    .tp_clear = (inquiry)Scanner_clear,
    .tp_methods = Scanner_methods,
    .tp_members = Scanner_members,
};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_pcapscan", NULL, -1, NULL};

PyMODINIT_FUNC PyInit__pcapscan(void)
{
    init_tables();
    if (PyType_Ready(&ScannerType) < 0) return NULL;
    PyObject *m = PyModule_Create(&module);
    if (m == NULL) return NULL;
    Py_INCREF(&ScannerType);
    if (PyModule_AddObject(m, "Scanner", (PyObject *)&ScannerType) < 0) {
        Py_DECREF(&ScannerType);
        Py_DECREF(m);
        return NULL;
    }
    return m;
}
