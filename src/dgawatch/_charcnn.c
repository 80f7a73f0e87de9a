/* Forward pass of the classifier's character CNN (dgawatch.classify.cnn), for inference.
 *
 * The network: embedding -> one 1-D convolution per kernel width -> ReLU -> max over the
 * label's windows -> dense + ReLU -> one logit. Embedding and convolution are linear in the
 * one-hot input, so training folds them into lookup tables: the convolution of width k at
 * position p is bias + sum_j table[k, j][code[p + j]], a few gathers and adds per filter,
 * no matrix product. dgawatch.classify.cnn keeps a NumPy version of this function and the
 * tests hold the two (and PyTorch's forward pass) to the same outputs.
 *
 *   forward(codes, starts, lengths, widths, tables, conv_bias, w1, b1, w2, b2, out)
 *
 * codes    uint8, labels framed as START label END back to back (features.encode)
 * starts   int64 [n], where each framed label begins; lengths int64 [n], label lengths
 * widths   int32 [K], kernel widths, ascending
 * tables   float32 [sum(widths)][ALPHABET][F]; conv_bias float32 [K][F]
 * w1       float32 [K*F][H]; b1 float32 [H]; w2 float32 [H]; b2 float32 [1]
 * out      float64 [n], written: one logit per label
 * threads  labels are shared among this many threads (1..64)
 *
 * The inner loops run over the F filters of contiguous table rows; forward_one is built
 * twice (AVX2 and the baseline) and picked at load time, so one build runs everywhere.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <pthread.h>
#include <stdint.h>
#include <string.h>

#define ALPHABET 41
#define MAX_F 512
#define MAX_H 512
#define MAX_K 8

typedef struct {
    const uint8_t *codes;
    const int64_t *starts, *lengths;
    const int32_t *widths;
    const float *tables, *conv_bias, *w1, *b1, *w2, *b2;
    Py_ssize_t n, ncodes;
    int K, F, H;
    double *out;
} Net;

__attribute__((target_clones("avx2", "default"))) static void
forward_one(const Net *net, Py_ssize_t i, float *restrict pooled, float *restrict acc,
            float *restrict hidden)
{
    const uint8_t *c = net->codes + net->starts[i];
    int64_t framed = net->lengths[i] + 2;
    const int F = net->F;
    const float *table = net->tables;
    for (int k = 0; k < net->K; k++) {
        int w = net->widths[k];
        float *best = pooled + (size_t)k * F;
        for (int f = 0; f < F; f++) best[f] = 0.0f; /* ReLU outputs are >= 0 */
        for (int64_t p = 0; p + w <= framed; p++) {
            const float *bias = net->conv_bias + (size_t)k * F;
            for (int f = 0; f < F; f++) acc[f] = bias[f];
            for (int j = 0; j < w; j++) {
                const float *restrict row = table + ((size_t)j * ALPHABET + c[p + j]) * F;
                for (int f = 0; f < F; f++) acc[f] += row[f];
            }
            for (int f = 0; f < F; f++) best[f] = acc[f] > best[f] ? acc[f] : best[f];
        }
        table += (size_t)w * ALPHABET * F;
    }
    const int H = net->H, D = net->K * F;
    for (int h = 0; h < H; h++) hidden[h] = net->b1[h];
    for (int d = 0; d < D; d++) {
        float x = pooled[d];
        if (x == 0.0f) continue;
        const float *restrict row = net->w1 + (size_t)d * H;
        for (int h = 0; h < H; h++) hidden[h] += x * row[h];
    }
    double z = net->b2[0];
    for (int h = 0; h < H; h++)
        if (hidden[h] > 0.0f) z += (double)hidden[h] * net->w2[h];
    net->out[i] = z;
}

typedef struct {
    const Net *net;
    Py_ssize_t first, last;
} Slice;

static void *run_slice(void *arg)
{
    const Slice *s = arg;
    float pooled[MAX_K * MAX_F], acc[MAX_F], hidden[MAX_H];
    for (Py_ssize_t i = s->first; i < s->last; i++) forward_one(s->net, i, pooled, acc, hidden);
    return NULL;
}

/* Runs the slices on `threads` threads, the calling one included; a slice whose thread
 * could not be started runs on the calling thread. */
static void run_all(const Net *net, int threads)
{
    Slice slices[64];
    pthread_t ids[64];
    int started = 0;
    for (int t = 0; t < threads; t++) {
        slices[t].net = net;
        slices[t].first = net->n * t / threads;
        slices[t].last = net->n * (t + 1) / threads;
    }
    for (int t = 1; t < threads; t++, started++)
        if (pthread_create(&ids[t], NULL, run_slice, &slices[t]) != 0) break;
    run_slice(&slices[0]);
    for (int t = 1; t <= started; t++) pthread_join(ids[t], NULL);
    for (int t = started + 1; t < threads; t++) run_slice(&slices[t]);
}

static int need(Py_buffer *b, Py_ssize_t bytes, const char *what)
{
    if (b->len < bytes) {
        PyErr_Format(PyExc_ValueError, "%s: %zd bytes, need %zd", what, b->len, bytes);
        return 0;
    }
    return 1;
}

static PyObject *forward(PyObject *self, PyObject *args)
{
    Py_buffer codes, starts, lengths, widths, tables, conv_bias, w1, b1, w2, b2, out;
    int F, H, threads;
    if (!PyArg_ParseTuple(args, "y*y*y*y*y*y*y*y*y*y*w*iii", &codes, &starts, &lengths, &widths,
                          &tables, &conv_bias, &w1, &b1, &w2, &b2, &out, &F, &H, &threads))
        return NULL;
    Py_buffer *all[] = {&codes, &starts, &lengths, &widths, &tables, &conv_bias,
                        &w1, &b1, &w2, &b2, &out};
    PyObject *result = NULL;
    Net net;
    net.n = lengths.len / (Py_ssize_t)sizeof(int64_t);
    net.K = (int)(widths.len / (Py_ssize_t)sizeof(int32_t));
    net.F = F;
    net.H = H;
    net.ncodes = codes.len;
    net.codes = codes.buf;
    net.starts = starts.buf;
    net.lengths = lengths.buf;
    net.widths = widths.buf;
    net.tables = tables.buf;
    net.conv_bias = conv_bias.buf;
    net.w1 = w1.buf;
    net.b1 = b1.buf;
    net.w2 = w2.buf;
    net.b2 = b2.buf;
    net.out = out.buf;
    if (F < 1 || F > MAX_F || H < 1 || H > MAX_H || net.K < 1 || net.K > MAX_K ||
        threads < 1 || threads > 64) {
        PyErr_SetString(PyExc_ValueError, "network shape out of range");
        goto done;
    }
    Py_ssize_t taps = 0;
    for (int k = 0; k < net.K; k++) {
        if (net.widths[k] < 1 || net.widths[k] > 16) {
            PyErr_SetString(PyExc_ValueError, "kernel width out of range");
            goto done;
        }
        taps += net.widths[k];
    }
    if (!need(&starts, net.n * 8, "starts") || !need(&out, net.n * 8, "out") ||
        !need(&tables, taps * ALPHABET * F * 4, "tables") ||
        !need(&conv_bias, (Py_ssize_t)net.K * F * 4, "conv_bias") ||
        !need(&w1, (Py_ssize_t)net.K * F * H * 4, "w1") || !need(&b1, H * 4, "b1") ||
        !need(&w2, H * 4, "w2") || !need(&b2, 4, "b2"))
        goto done;
    for (Py_ssize_t i = 0; i < net.n; i++) {
        int64_t s = net.starts[i], len = net.lengths[i];
        if (s < 0 || len < 0 || s + len + 2 > net.ncodes) {
            PyErr_Format(PyExc_ValueError, "label %zd lies outside the code stream", i);
            goto done;
        }
    }
    for (Py_ssize_t i = 0; i < net.ncodes; i++) {
        if (net.codes[i] >= ALPHABET) {
            PyErr_Format(PyExc_ValueError, "code %d at %zd is not below %d", net.codes[i], i,
                         ALPHABET);
            goto done;
        }
    }
    if (net.n < 4096 * threads) threads = 1; /* not worth a thread */
    Py_BEGIN_ALLOW_THREADS
    run_all(&net, threads);
    Py_END_ALLOW_THREADS
    result = Py_None;
    Py_INCREF(result);
done:
    for (size_t b = 0; b < sizeof all / sizeof all[0]; b++) PyBuffer_Release(all[b]);
    return result;
}

static PyMethodDef methods[] = {
    {"forward", forward, METH_VARARGS, "Logits of framed labels (see the module comment)."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_charcnn", NULL, -1, methods};

PyMODINIT_FUNC PyInit__charcnn(void) { return PyModule_Create(&module); }
