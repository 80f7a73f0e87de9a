/* The 64-bit name hashes of dgawatch's compiled modules, in one place.
 *
 * dgw_mix is the finalizer of SplitMix64 (Steele, Lea and Flood, "Fast splittable
 * pseudorandom number generators", 2014; constants of Stafford's variant 13): every input
 * bit reaches every output bit. Two name hashes are built on it:
 *
 *   dgw_words_hash  the look-up table's (_lookupscan): the length, then the bytes as
 *                   little-endian 8-byte words (the last one zero-padded), mixed in turn.
 *                   Stored in every <store>.lookup: changing it changes the table format.
 *   dgw_poly_hash   the hunt's (_huntscan, dgawatch.hunt.local._Hasher): the polynomial
 *                   h = h * DGW_POLY_B + byte over the bytes, modulo 2**64, then mixed;
 *                   the polynomial is what lets a name's suffixes be hashed in one pass.
 *
 * tests/test_ends_s7.py holds both modules to a Python restatement of these.
 */
#ifndef DGAWATCH_HASH_H
#define DGAWATCH_HASH_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define DGW_K0 0x9E3779B97F4A7C15ULL /* 2**64 / golden ratio */
#define DGW_K1 0xBF58476D1CE4E5B9ULL
#define DGW_K2 0x94D049BB133111EBULL
#define DGW_POLY_B 0x100000001B3ULL /* the 64-bit FNV prime */

static inline uint64_t dgw_mix(uint64_t x)
{
    x ^= x >> 30;
    x *= DGW_K1;
    x ^= x >> 27;
    x *= DGW_K2;
    return x ^ (x >> 31);
}

static inline uint64_t dgw_words_hash(const uint8_t *s, size_t n)
{
    uint64_t h = dgw_mix((uint64_t)n * DGW_K0 + DGW_K0);
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        uint64_t w;
        memcpy(&w, s + i, 8);
        h = dgw_mix(h ^ w);
    }
    if (i < n) {
        uint64_t w = 0;
        memcpy(&w, s + i, n - i);
        h = dgw_mix(h ^ w);
    }
    return h;
}

/* The polynomial part alone (the hunt extends it byte by byte, mixing at label starts). */
static inline uint64_t dgw_poly(const uint8_t *s, size_t n)
{
    uint64_t h = 0;
    for (size_t i = 0; i < n; i++) h = h * DGW_POLY_B + s[i];
    return h;
}

static inline uint64_t dgw_poly_hash(const uint8_t *s, size_t n)
{
    return dgw_mix(dgw_poly(s, n));
}

#endif
