"""Pykspa (Skype worm, a.k.a. Pykse, Skyper, SkypeBot) DGAs: precursor and improved.

Precursor
---------
Generator type: arithmetic (a squaring generator ``r = r**2 + k mod 2**32`` per name,
and a per-letter mix of ``r`` with its residues mod 5, 19, 4567 and 123456).
Seeding: time-dependent, every two days: the seed is the Unix time divided by two days
(``days since 1970-01-01 // 2``, in UTC here), so one list per two-day period
(``period_days = 2``, periods starting on even epoch days).
Names per period: 5,000, 6-15 letters, TLD ``biz com net org info cc`` by ``r mod 6``.

The reference examples are the period with seed 8,339 (2015-08-31 and 2015-09-01; the
reference ran on 2015-08-31, the day of the repository's first commit); found by
checking every seed from 5,000 to 12,000.

Active period: the write-up ("Pykspa's inferior DGA version", July 2015) does not date
the samples; ``active_from`` is 2015-07-01, the earliest date the references imply.

Improved
--------
Generator type: arithmetic names from a hash-derived seed.
Seeding: time-dependent, every 20 days. The period number ``index = days since
1970-01-01 // 20`` (UTC here; the reference uses the local time of the machine it runs on)
is packed as a little-endian 32-bit integer and hashed with MD6-256 (default
parameters). The 64 lowercase hex characters of the digest then seed a mixer of 128
32-bit words, each stepped with the LCG ``w = w * 22695477 + 1`` while an accumulator
collects ``(w >> 16) & 0x7FFF`` and rotates left by its own low four bits. The mixer
first steps word ``j`` ``j + 1`` times, then absorbs a 256-byte buffer (the hex text,
zero-padded) for 2,826 passes of 128 steps, each pass overwriting one buffer byte with
the accumulator's low byte; a second mixer made from the rewritten buffer (byte pairs as
words) is stirred the same way and absorbs four hex characters starting at ``index %
50``, whose low accumulator bytes (each xored with its character) form the 32-bit seed.
That is ~378,000 sequential steps per period, done in the compiled ``dgawatch._pykspa``
when it passes a self-check at first use (MD6 and names against the pure-Python reference
here, the seeding against a known period seed); otherwise the pure-Python reference runs,
at a sizeable fraction of a second per period. Lists are cached per period.
Names: ``s += s mod (k + 1) + 1`` for name ``k``; length ``(s + k) mod 7 + 6`` (6-12
letters); letter ``i`` is ``(len**2 + i*len + (s * (s mod 5 + s mod 123456 + i * (s mod 2
+ s mod 4567)) mod 2**32)) mod 26``, a name-local copy of ``s`` advancing by ``((7837632
* s * len mod 2**32) + 82344) mod (541 * len + 4)`` per letter; the TLD is
``com net org info cc`` indexed by ``s & 3``, so ``cc`` never occurs. Arithmetic follows
the reference exactly (unbounded ``s``, products reduced mod 2**32).
Names per period: 200 for the "useful" set (``period_days = 20``).

Noise set (variant ``improved-noise``, issue 18): the malware interleaves a second set
made by the same seeding and name generator from a daily period number (``days since
1970-01-01``, UTC here), the reference's ``--set_nr 2``. The write-up's traffic capture
("February 16th, 2015") shows the first four useful names with eleven noise names between
them, at indices 7, 21, 39, 56, 58, 66, 94, 153, 203, 205 and 249 of the noise list the
reference computes for 2015-02-17: the bot walks the noise list and queries a
pseudo-random subset of it. Two things are not published: how far one pass walks (the
capture suggests some thousands of positions for 200 useful names) and why the capture's
day matches the next day's list (the capture's clock, or a seed of day + 1). This variant
follows the reference's day index and forecasts the first 1,000 names of each day's noise
list: it covers the observed walk with margin without flooding lookups with tens of
thousands of short random names a day (each a chance of a false alarm on a real domain).
A hit on it says "Pykspa noise query", which is as good a sign of infection as a useful
name.

The reference examples (10 names, the reference's default) are the first names of
period 833 (2015-08-13 .. 2015-09-01 UTC); the example list was committed on 2015-09-03.
Their seed, 0xb8b2c9e1, also appears in the seed table the reference shipped before it
re-implemented the seeding in 2020.

Active period: the write-up (March 2015) observes this DGA "since at least October
2013"; ``active_from`` is 2013-10-01.

References:
- http://johannesbader.ch/2015/07/pykspas-inferior-dga-version/
- http://johannesbader.ch/2015/03/the-dga-of-pykspa/
- https://github.com/baderj/domain_generation_algorithms/tree/master/pykspa
- MD6: R. Rivest et al., "The MD6 hash function", NIST SHA-3 submission, 2008
"""

from __future__ import annotations

import datetime as dt
import string
import struct
from functools import cache, lru_cache

import numpy as np

from dgawatch.families.base import Family, Signature, Variant

_MASK = 0xFFFFFFFF
_EPOCH = dt.date(1970, 1, 1)
TLDS = ("biz", "com", "net", "org", "info", "cc")
DOMAINS_PER_PERIOD = 5000
_TLD_SUFFIX = tuple("." + t for t in TLDS)


def period_seed(day: dt.date) -> int:
    """The seed of ``day``'s two-day period: days since the Unix epoch, halved."""
    return (day - _EPOCH).days // 2


@lru_cache(maxsize=32)
def _names(seed: int, nr: int) -> tuple[str, ...]:
    # The chain of per-name values is sequential and cheap; the letters of all names
    # are then computed together, one letter position at a time.
    values = []
    v = seed & _MASK
    for k in range(nr):
        v = (v * v + k) & _MASK
        values.append(v)
    r0 = np.array(values, dtype=np.uint64)
    lengths = (r0 % 10 + 6).astype(np.int64)
    mask = np.uint64(_MASK)
    r = r0.copy()
    a = (lengths * lengths).astype(np.uint64)
    step = lengths.astype(np.uint64)
    letters = np.zeros((nr, 15), dtype=np.uint8)
    for i in range(15):
        ui = np.uint64(i)
        x = (ui * (r % np.uint64(4567) + r % np.uint64(19))) & mask
        p = (r * (r % np.uint64(5) + r % np.uint64(123456) + x)) & mask
        letters[:, i] = ((a + p) & mask) % np.uint64(26) + np.uint64(97)
        r = ((r + ui) & mask) >> np.uint64((i * i & 0xFF) & 31)
        a = (a + step) & mask
    rows = letters.tobytes()
    out = []
    for k in range(nr):
        start = 15 * k
        label = rows[start : start + int(lengths[k])].decode("ascii")
        out.append(label + _TLD_SUFFIX[values[k] % 6])
    return tuple(out)


def generate_from_seed(seed: int, nr: int = DOMAINS_PER_PERIOD) -> list[str]:
    """The first ``nr`` names for a raw period ``seed``."""
    return list(_names(seed, nr))


def generate(day: dt.date, nr: int = DOMAINS_PER_PERIOD) -> list[str]:
    """The first ``nr`` names of ``day``'s two-day period."""
    return generate_from_seed(period_seed(day), nr)


# --- improved variant -------------------------------------------------------------------

IMPROVED_TLDS = ("com", "net", "org", "info")
IMPROVED_PER_PERIOD = 200
IMPROVED_PERIOD_DAYS = 20
_IMPROVED_TLD_TABLE = ("com", "net", "org", "info", "cc")  # indexed by ``s & 3``

_W64 = (1 << 64) - 1
_MD6_Q = (
    0x7311C2812425CFA0, 0x6432286434AAC8E7, 0xB60450E9EF68B7C1, 0xE8FB23908D9F06F1,
    0xDD2E76CBA691E5BF, 0x0CD0D63B2C30BC41, 0x1F8CCF6823058F8A, 0x54E5ED5B88E3775D,
    0x4AD12AAE0A6D6031, 0x3E7F16BB88222E0D, 0x8AF8671D3FB50C2C, 0x995AD1178BD25C31,
    0xC878C1DD04C4B633, 0x3B72066C7A1552AC, 0x0D6F3522631EFFCB,
)  # fmt: skip
_MD6_RSHIFT = (10, 5, 13, 10, 11, 12, 2, 7, 14, 15, 7, 13, 11, 7, 6, 12)
_MD6_LSHIFT = (11, 24, 9, 16, 15, 9, 27, 15, 6, 2, 29, 8, 15, 5, 31, 9)
_MD6_ROUNDS = 104  # 40 + 256 / 4, no key


def md6_256(data: bytes) -> bytes:
    """MD6 with a 256-bit digest and default parameters, for at most 512 bytes.

    Such a message is one leaf of the MD6 tree that is also its root, so the digest is
    the tail of a single compression call.
    """
    if len(data) > 512:
        raise ValueError("md6_256 here takes at most 512 bytes")
    pad_bits = 8 * (512 - len(data))
    control = (_MD6_ROUNDS << 48) | (64 << 40) | (1 << 36) | (pad_bits << 20) | 256
    block = struct.unpack(">64Q", data + bytes(512 - len(data)))
    a = [*_MD6_Q, 0, 0, 0, 0, 0, 0, 0, 0, 1 << 56, control, *block]
    s = 0x0123456789ABCDEF
    for _ in range(_MD6_ROUNDS):
        for j in range(16):
            n = len(a)
            x = s ^ a[n - 89] ^ a[n - 17] ^ (a[n - 18] & a[n - 21]) ^ (a[n - 31] & a[n - 67])
            x ^= x >> _MD6_RSHIFT[j]
            a.append(x ^ ((x << _MD6_LSHIFT[j]) & _W64))
        s = (((s << 1) & _W64) | (s >> 63)) ^ (s & 0x7311C2812425CFA0)
    return struct.pack(">4Q", *a[-4:])


class _Mixer:
    """128 LCG words and a rotating accumulator (the improved seeding's state)."""

    def __init__(self, words: list[int]) -> None:
        self.words = words
        self.acc = 0

    def _step(self, j: int) -> None:
        v = (self.words[j] * 22695477 + 1) & _MASK
        self.words[j] = v
        t = (((v >> 16) & 0x7FFF) + self.acc) & _MASK
        k = self.acc & 15
        self.acc = ((t << k) | (t >> (32 - k))) & _MASK

    def triangle(self) -> None:
        for j in range(128):
            for _ in range(j + 1):
                self._step(j)

    def absorb(self, key: int) -> int:
        for j in range(128):
            self._step(j)
        low = self.acc & 0xFF
        self.acc = (self.acc + key) & _MASK
        self.words[127] = (self.words[127] + key) & _MASK
        return low


def reference_improved_seed(index: int) -> int:
    """The 32-bit seed of period ``index``, in pure Python (slow: ~378,000 steps)."""
    hexd = md6_256(struct.pack("<I", index)).hex().encode("ascii")
    first = _Mixer([hexd[2 * j] << 8 | hexd[2 * j + 1] for j in range(32)] + [0] * 96)
    first.triangle()
    buf = bytearray(hexd) + bytearray(256 - len(hexd))
    pos = 0
    for n in range(256 + 2570):
        if n == 256:
            pos = 255
        elif pos == 256:
            pos = 0
        buf[pos] = first.absorb(buf[pos])
        pos += 1
    second = _Mixer([buf[2 * j] << 8 | buf[2 * j + 1] for j in range(128)])
    second.triangle()
    seed = 0
    start = index % 50
    for i, c in enumerate(hexd[start : start + 4]):
        seed |= (second.absorb(c) ^ c) << (8 * i)
    return seed


def reference_improved_names(seed: int, nr: int = IMPROVED_PER_PERIOD) -> list[str]:
    """The first ``nr`` names of a raw improved ``seed``, in pure Python."""
    out = []
    s = seed
    for k in range(nr):
        s += s % (k + 1) + 1
        length = (s + k) % 7 + 6
        modulo = 541 * length + 4
        letters = []
        t = s
        for i in range(length):
            mix = t % 5 + t % 123456 + i * ((t & 1) + t % 4567)
            letters.append(chr(97 + (length * (length + i) + ((t * mix) & _MASK)) % 26))
            t += (((7837632 * t * length) & _MASK) + 82344) % modulo
        out.append("".join(letters) + "." + _IMPROVED_TLD_TABLE[s & 3])
    return out


# Known answer for the compiled seeding: period 833's seed, as listed in the seed table
# the reference shipped in 2015 (and as ``reference_improved_seed(833)`` computes it; the
# tests compare the two implementations on several periods). Checking against the
# constant keeps the first use cheap: the pure-Python seeding takes ~0.2 s.
_CHECK_INDEX, _CHECK_SEED = 833, 0xB8B2C9E1


@cache
def _extension_ok() -> bool:
    """True when ``dgawatch._pykspa`` exists and agrees with the reference."""
    try:
        import dgawatch._pykspa as fast
    except ImportError:
        return False
    for data in (b"abc", struct.pack("<I", _CHECK_INDEX)):
        if fast.md6_256(data) != md6_256(data):
            return False
    if fast.improved_seed(_CHECK_INDEX) != _CHECK_SEED:
        return False
    names = fast.improved_names(_CHECK_SEED, 1000).decode("ascii").split("\n")[:-1]
    return names == reference_improved_names(_CHECK_SEED, 1000)


def has_fast_path() -> bool:
    return _extension_ok()


def improved_period_index(day: dt.date) -> int:
    """``day``'s 20-day period number: days since the Unix epoch // 20."""
    return (day - _EPOCH).days // IMPROVED_PERIOD_DAYS


@lru_cache(maxsize=64)
def improved_seed(index: int) -> int:
    """The seed of improved period ``index`` (compiled when it self-checks OK)."""
    if _extension_ok():
        import dgawatch._pykspa as fast

        return fast.improved_seed(index)
    return reference_improved_seed(index)


@lru_cache(maxsize=64)
def _improved_blob(index: int, nr: int) -> bytes:
    seed = improved_seed(index)
    if _extension_ok():
        import dgawatch._pykspa as fast

        return fast.improved_names(seed, nr)
    names = reference_improved_names(seed, nr)
    return ("\n".join(names) + "\n").encode("ascii") if names else b""


def generate_improved(day: dt.date, nr: int = IMPROVED_PER_PERIOD) -> list[str]:
    """The first ``nr`` names of ``day``'s 20-day improved period (the useful set)."""
    return _improved_blob(improved_period_index(day), nr).decode("ascii").split("\n")[:-1]


def generate_improved_blob(day: dt.date) -> bytes:
    """``generate_improved(day)`` as ``b"name\\n"`` lines."""
    return _improved_blob(improved_period_index(day), IMPROVED_PER_PERIOD)


NOISE_PER_DAY = 1000


def generate_noise_blob(day: dt.date, nr: int = NOISE_PER_DAY) -> bytes:
    """The first ``nr`` names of ``day``'s noise list (daily period number), one per line."""
    return _improved_blob((day - _EPOCH).days, nr)


def generate_noise(day: dt.date, nr: int = NOISE_PER_DAY) -> list[str]:
    """The first ``nr`` names of ``day``'s noise list."""
    return generate_noise_blob(day, nr).decode("ascii").split("\n")[:-1]


FAMILY = Family(
    name="pykspa",
    remediation=(
        "Pykspa: spreads through Skype messages to the contacts of the signed-in user: clean "
        "the host and warn those contacts."
    ),
    aliases=("pykse", "skyper", "skypebot"),
    summary="Pykspa Skype worm: precursor (5,000 / 2 days), improved (200 / 20 days + noise)",
    generator_type="arithmetic",
    time_seeded=True,
    references=(
        "http://johannesbader.ch/2015/07/pykspas-inferior-dga-version/",
        "http://johannesbader.ch/2015/03/the-dga-of-pykspa/",
        "https://github.com/baderj/domain_generation_algorithms/tree/master/pykspa",
    ),
    variants=(
        Variant(
            family="pykspa",
            name="precursor",
            summary="Pykspa precursor DGA: 5,000 names per two-day period",
            active_from=dt.date(2015, 7, 1),
            active_until=None,
            domains_per_day=DOMAINS_PER_PERIOD,
            tlds=TLDS,
            generator=generate,
            period_days=2,
            parameters=(("nr", str(DOMAINS_PER_PERIOD)),),
            signature=Signature(string.ascii_lowercase, 6, 15),
            period_source="estimate: write-up of July 2015 (samples not dated)",
        ),
        Variant(
            family="pykspa",
            name="improved",
            summary="Pykspa improved DGA, useful set: 200 names per 20-day period",
            active_from=dt.date(2013, 10, 1),
            active_until=None,
            domains_per_day=IMPROVED_PER_PERIOD,
            tlds=IMPROVED_TLDS,
            generator=generate_improved,
            period_days=IMPROVED_PERIOD_DAYS,
            aliases=("v2",),
            parameters=(("nr", str(IMPROVED_PER_PERIOD)), ("set", "1 (useful)")),
            signature=Signature(string.ascii_lowercase, 6, 12),
            blob_generator=generate_improved_blob,
            period_source="write-up (2015-03): observed since at least October 2013",
        ),
        Variant(
            family="pykspa",
            name="improved-noise",
            summary="Pykspa improved DGA, noise set: first 1,000 names of a daily list",
            active_from=dt.date(2013, 10, 1),
            active_until=None,
            domains_per_day=NOISE_PER_DAY,
            tlds=IMPROVED_TLDS,
            generator=generate_noise,
            period_days=1,
            aliases=("noise",),
            parameters=(("nr", str(NOISE_PER_DAY)), ("set", "2 (noise)")),
            signature=Signature(string.ascii_lowercase, 6, 12),
            blob_generator=generate_noise_blob,
            period_source="as the useful set: the same sample queries both",
        ),
    ),
)
