/* Baseline for bench_conficker_year.py: a straightforward single-threaded C program of the
 * Conficker C algorithm (conficker-spec.md sections 2 and 4), written for this benchmark.
 * Usage: conficker_c_baseline YEAR MONTH DAY NDAYS > names.txt */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *TLDS[116] = {
    "ac", "ae", "ag", "am", "as", "at", "be", "bo", "bz", "ca", "cd", "ch", "cl", "cn",
    "co.cr", "co.id", "co.il", "co.ke", "co.kr", "co.nz", "co.ug", "co.uk", "co.vi", "co.za",
    "com.ag", "com.ai", "com.ar", "com.bo", "com.br", "com.bs", "com.co", "com.do", "com.fj",
    "com.gh", "com.gl", "com.gt", "com.hn", "com.jm", "com.ki", "com.lc", "com.mt", "com.mx",
    "com.ng", "com.ni", "com.pa", "com.pe", "com.pr", "com.pt", "com.py", "com.sv", "com.tr",
    "com.tt", "com.tw", "com.ua", "com.uy", "com.ve", "cx", "cz", "dj", "dk", "dm", "ec", "es",
    "fm", "fr", "gd", "gr", "gs", "gy", "hk", "hn", "ht", "hu", "ie", "im", "in", "ir", "is",
    "kn", "kz", "la", "lc", "li", "lu", "lv", "ly", "md", "me", "mn", "ms", "mu", "mw", "my",
    "nf", "nl", "no", "pe", "pk", "pl", "ps", "ro", "ru", "sc", "sg", "sh", "sk", "su", "tc",
    "tj", "tl", "tn", "to", "tw", "us", "vc", "vn"};

/* x87 FSIN: reduce modulo the 66-bit pi P66 = A' / 2^64 exactly, then take sin. */
static double fsin66(double x)
{
    const unsigned __int128 A = (((unsigned __int128)0x3) << 64) | 0x243F6A8885A308D3ULL;
    unsigned __int128 scaled = (unsigned __int128)(uint64_t)x << 64; /* x < 2^63 */
    unsigned __int128 q = scaled / A;
    __int128 r = (__int128)(scaled % A);
    if (2 * r > (__int128)A) { q += 1; r -= (__int128)A; }
    double s = sin(ldexp((double)r, -64));
    return (q & 1) ? -s : s;
}

static uint64_t K;
static int32_t next_draw(void)
{
    double x = (double)K;
    double y = (double)(uint64_t)(K * 0x4F3D859EULL);
    double t = (y < 18014398509481984.0) ? y + fsin66(x) : y;
    t = t * x;
    t = t + 0.946270391;
    t = t * x;
    double v = log(x) + t;
    memcpy(&K, &v, 8);
    return (int32_t)(uint32_t)K;
}

static int32_t labs32(int32_t r) { return r == INT32_MIN ? r : (r < 0 ? -r : r); }

static long days_from_civil(int y, int m, int d)
{
    y -= m <= 2;
    long era = (y >= 0 ? y : y - 399) / 400;
    unsigned yoe = (unsigned)(y - era * 400);
    unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (long)doe - 719468;
}

int main(int argc, char **argv)
{
    if (argc != 5) { fprintf(stderr, "usage: %s Y M D NDAYS\n", argv[0]); return 2; }
    long day0 = days_from_civil(atoi(argv[1]), atoi(argv[2]), atoi(argv[3]));
    long ndays = atol(argv[4]);
    const long epoch1601 = days_from_civil(1601, 1, 1);
    char name[16];
    for (long d = 0; d < ndays; d++) {
        uint64_t ft = (uint64_t)(day0 + d - epoch1601) * 864000000000ULL;
        K = (ft * 0x2682D10B7ULL) / 0x19254D38000ULL + 0xF1E34A09ULL;
        for (int n = 0; n < 50000; n++) {
            int len = labs32(next_draw()) % 6 + 4;
            for (int i = 0; i < len; i++) {
                int c = 'a' + labs32(next_draw()) % 26;
                name[i] = (char)(c < 'a' ? c + 32 : c);
            }
            name[len] = 0;
            int ti = labs32(next_draw()) % 116;
            if (ti < 0) ti += 116;
            fputs(name, stdout);
            putchar('.');
            fputs(TLDS[ti], stdout);
            putchar('\n');
        }
    }
    return 0;
}
