"""Conficker A, B and C rendezvous domains (../shared/conficker-spec.md §§ 1-4).

Generator type: arithmetic (a floating-point PRNG seeded from the UTC date).
Seeding: time-dependent; one list per UTC calendar day.
Names per day: A and B 250 (TLDs com/net/org/info/biz, B adds cc/cn/ws), C 50,000 under
116 ccTLD suffixes. B++ (Microsoft's Conficker.C) reportedly reuses B's generator and is
an alias of B. References: spec §12 [S1]-[S3], [S6], [S9], [S16].

Two implementations live here and are tested against the same ground truth: a pure-Python
reference that follows the spec line by line, and the C fast path in ``dgawatch._fastdga``
(built by the install) used for bulk work. The fast path is only used when it agrees with
the reference on a self-check day, so a miscompiled extension cannot emit wrong names.
"""

from __future__ import annotations

import datetime as dt
import math
import string
import struct
from dataclasses import dataclass
from functools import cache

from dgawatch.families.base import Family, Signature, Variant

M64 = (1 << 64) - 1
M32 = (1 << 32) - 1
INT_MIN = -(1 << 31)

#: x87 FSIN reduces its argument modulo this 66-bit approximation of pi (spec §2.3).
P66_NUMERATOR = 0xC90FDAA22168C234C  # P66 = P66_NUMERATOR / 2**66
_TWO_POW_54 = float(1 << 54)
_FILETIME_EPOCH = dt.date(1601, 1, 1)
_TICKS_PER_DAY = 86_400 * 10_000_000

A_TLDS = ("com", "net", "org", "info", "biz")
B_TLDS = ("cc", "cn", "ws", "com", "net", "org", "info", "biz")
# Spec §4: exact order matters (the TLD index is drawn from the PRNG).
C_TLDS = tuple(
    """
    ac ae ag am as at be bo bz ca cd ch cl cn co.cr co.id co.il co.ke co.kr co.nz
    co.ug co.uk co.vi co.za com.ag com.ai com.ar com.bo com.br com.bs com.co com.do
    com.fj com.gh com.gl com.gt com.hn com.jm com.ki com.lc com.mt com.mx com.ng com.ni
    com.pa com.pe com.pr com.pt com.py com.sv com.tr com.tt com.tw com.ua com.uy com.ve
    cx cz dj dk dm ec es fm fr gd gr gs gy hk hn ht hu ie im in ir is kn kz la lc li lu
    lv ly md me mn ms mu mw my nf nl no pe pk pl ps ro ru sc sg sh sk su tc tj tl tn to
    tw us vc vn
    """.split()
)
assert len(C_TLDS) == 116


@dataclass(frozen=True)
class Constants:
    """Per-variant PRNG constants (spec §3, §4)."""

    vmul: int
    vdiv: int
    vadd: int
    rmul: int
    radd: float


A_CONSTANTS = Constants(0x463DA5676, 0x58028E44000, 0xB46A7637, 0x64236735, 0.737565675)
B_CONSTANTS = Constants(0x352C94565, 0x58028E44000, 0xA3596526, 0x53125624, 0.626454564)
C_CONSTANTS = Constants(0x2682D10B7, 0x19254D38000, 0xF1E34A09, 0x4F3D859E, 0.946270391)


def filetime(day: dt.date) -> int:
    """Windows FILETIME (100 ns ticks since 1601-01-01) of 00:00 UTC on ``day``."""
    return (day - _FILETIME_EPOCH).days * _TICKS_PER_DAY


def seed(day: dt.date, c: Constants) -> int:
    """Initial PRNG state K0 for ``day`` (spec §2.1)."""
    return (((filetime(day) * c.vmul) & M64) // c.vdiv + c.vadd) & M64


def x87_fsin(x: float) -> float:
    """Sine as the x87 FSIN instruction computes it for an integer-valued ``0 <= x < 2**63``.

    FSIN reduces modulo a 66-bit approximation of pi, not pi itself; for arguments near
    10**18 that shifts the result by up to 1e-2, which flips roundings later (spec §2.3).
    """
    scaled = int(x) << 66  # x * 2**66, exact: x is an integer-valued double here
    n, rem = divmod(scaled, P66_NUMERATOR)
    if 2 * rem > P66_NUMERATOR:
        n += 1
        rem -= P66_NUMERATOR
    s = math.sin(rem / (1 << 66))  # int / int is correctly rounded in Python
    return -s if n & 1 else s


_PACK = struct.Struct("<d")
_UNPACK = struct.Struct("<Q")


class Prng:
    """The shared Conficker float generator (spec §2.2); one instance per day list."""

    __slots__ = ("k", "radd", "rmul")

    def __init__(self, k0: int, c: Constants) -> None:
        self.k = k0
        self.rmul = c.rmul
        self.radd = c.radd

    def draw(self) -> int:
        """Advance the state and return its low 32 bits as a signed integer."""
        k = self.k
        x = float(k)  # correctly rounded, like the hardware conversion
        y = float((k * self.rmul) & M64)
        # |fsin| <= 1 cannot move y once its spacing is 4 or more: skip the costly sine.
        t = y + x87_fsin(x) if y < _TWO_POW_54 else y
        t = t * x
        t = t + self.radd
        t = t * x
        v = math.log(x) + t
        k = _UNPACK.unpack(_PACK.pack(v))[0]
        self.k = k
        r = k & M32
        return r - (1 << 32) if r & 0x80000000 else r


def trunc_rem(a: int, b: int) -> int:
    """C's ``%`` for signed ints: the remainder takes the dividend's sign."""
    r = abs(a) % b
    return -r if a < 0 else r


def labs32(r: int) -> int:
    """32-bit ``labs``: ``labs(INT_MIN)`` overflows back to INT_MIN."""
    return r if r == INT_MIN else abs(r)


def letter(r: int) -> str:
    """``'a' + labs(r) % 26`` in C; INT_MIN gives 'I', lower-cased for DNS (spec §3.2)."""
    return chr(ord("a") + trunc_rem(labs32(r), 26)).lower()


def _ab_names(day: dt.date, c: Constants, tlds: tuple[str, ...], b_style: bool) -> list[str]:
    prng = Prng(seed(day, c), c)
    draw = prng.draw
    out: list[str] = []
    for _ in range(250):
        length = trunc_rem(draw(), 4) + 8
        label = "".join(letter(draw()) for _ in range(length))
        r = draw()
        tld = tlds[r & 7] if b_style else tlds[(r & M32) % 5]
        out.append(f"{label}.{tld}")
    return out


def reference_a(day: dt.date) -> list[str]:
    return _ab_names(day, A_CONSTANTS, A_TLDS, b_style=False)


def reference_b(day: dt.date) -> list[str]:
    return _ab_names(day, B_CONSTANTS, B_TLDS, b_style=True)


def reference_c(day: dt.date, count: int = 50_000) -> list[str]:
    prng = Prng(seed(day, C_CONSTANTS), C_CONSTANTS)
    draw = prng.draw
    out: list[str] = []
    for _ in range(count):
        length = trunc_rem(labs32(draw()), 6) + 4
        label = "".join(letter(draw()) for _ in range(length))
        # labs(INT_MIN) % 116 is negative and would index before the C table: undefined
        # behaviour in the worm, never observed; Python's modulo keeps it in range.
        out.append(f"{label}.{C_TLDS[labs32(draw()) % 116]}")
    return out


# --- fast path ------------------------------------------------------------------------

_KIND = {"a": 0, "b": 1, "c": 2}
_SPEC = {
    "a": (A_CONSTANTS, A_TLDS, 250),
    "b": (B_CONSTANTS, B_TLDS, 250),
    "c": (C_CONSTANTS, C_TLDS, 50_000),
}
_SELF_CHECK_DAY = {"a": dt.date(2020, 1, 19), "b": dt.date(2020, 1, 19), "c": dt.date(2014, 11, 16)}


@cache
def _extension_ok(kind: str) -> bool:
    """True when the compiled generator exists and matches the reference on a check day."""
    try:
        import dgawatch._fastdga  # noqa: F401
    except ImportError:
        return False
    day = _SELF_CHECK_DAY[kind]
    ref = {"a": reference_a, "b": reference_b}.get(kind)
    expected = ref(day) if ref else reference_c(day, count=2_000)
    got = _fast_blob(kind, day, count=len(expected)).decode("ascii").split("\n")[:-1]
    return got == expected


def _fast_blob(kind: str, day: dt.date, count: int | None = None) -> bytes:
    import dgawatch._fastdga as _fastdga

    c, tlds, n = _SPEC[kind]
    return _fastdga.conficker_day(
        _KIND[kind],
        filetime(day),
        c.vmul,
        c.vdiv,
        c.vadd,
        c.rmul,
        c.radd,
        ("\n".join(tlds) + "\n").encode("ascii"),
        n if count is None else count,
    )


def has_fast_path() -> bool:
    return all(_extension_ok(k) for k in _KIND)


def day_blob(kind: str, day: dt.date) -> bytes:
    """One day's list as ``b"name\\n"`` lines: compiled when possible, else the reference."""
    if _extension_ok(kind):
        return _fast_blob(kind, day)
    names = {"a": reference_a, "b": reference_b, "c": reference_c}[kind](day)
    return ("\n".join(names) + "\n").encode("ascii")


def day_names(kind: str, day: dt.date) -> list[str]:
    return day_blob(kind, day).decode("ascii").split("\n")[:-1]


# --- registry -------------------------------------------------------------------------


def _variant(
    kind: str,
    summary: str,
    active_from: dt.date,
    period_source: str,
    aliases: tuple[str, ...] = (),
) -> Variant:
    _, tlds, n = _SPEC[kind]
    return Variant(
        family="conficker",
        name=kind,
        summary=summary,
        active_from=active_from,
        active_until=None,
        period_source=period_source,
        domains_per_day=n,
        # C queries 500 of its 50,000 names a day (spec §4): the sinkhole estimators' s.
        queried_per_day=500 if kind == "c" else None,
        tlds=tlds,
        generator=lambda day: day_names(kind, day),
        blob_generator=lambda day: day_blob(kind, day),
        aliases=aliases,
        # A/B: trunc_rem(r, 4) + 8 letters (5..11); C: labs(r) % 6 + 4 letters (4..9).
        signature=Signature(string.ascii_lowercase, *((4, 9) if kind == "c" else (5, 11))),
    )


FAMILY = Family(
    name="conficker",
    remediation=(
        "Conficker (Downadup): patch MS08-067 (KB958644), disable AutoRun, reset weak "
        "administrator and share passwords, and clean with Microsoft's Malicious Software "
        "Removal Tool; infected hosts scan port 445 and spread through shares and USB drives."
    ),
    aliases=("downadup", "kido"),
    report_tag="downadup",  # Shadowserver's reports call it so
    summary="Conficker/Downadup worm (2008-): 250 names/day (A, B), 50,000/day (C)",
    generator_type="arithmetic",
    time_seeded=True,
    references=(
        "../shared/conficker-spec.md",
        "https://github.com/Will-Beninger/ConfickerDGA (downatool2 output)",
        "https://github.com/anthonykasza/rubot (constants, TLD tables)",
        "https://www.csl.sri.com/users/vinod/papers/Conficker/",
    ),
    variants=(
        _variant(
            "a",
            "Conficker.A (W32.Downadup)",
            dt.date(2008, 11, 21),
            "first seen 2008-11-21 (CWG, quoted by Farsight Security's blog "
            "conficker-sie80-20151002; ../shared/conficker-spec.md section 0, [S13])",
        ),
        _variant(
            "b",
            "Conficker.B (W32.Downadup.B); B++ (MS Conficker.C) reuses it",
            dt.date(2008, 12, 29),
            "first seen late December 2008, 2008-12-29 per Wikipedia's Conficker variant "
            "table (../shared/conficker-spec.md section 0, [S14])",
            aliases=("b++", "bpp"),
        ),
        _variant(
            "c",
            "Conficker.C (MS: Conficker.D, W32.Downadup.C): 50,000 names in 116 suffixes",
            dt.date(2009, 4, 1),
            "DGA live from 2009-04-01 (F-Secure weblog of 2009-03-31; "
            "../shared/conficker-spec.md section 0, [S9])",
            aliases=("d",),
        ),
    ),
)
