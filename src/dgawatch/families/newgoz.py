"""newGOZ (Gameover Zeus after Operation Tovar, a.k.a. Peer-to-Peer Zeus) domains.

Generator type: hash (MD5, read as four little-endian 32-bit words written in base 36).
Seeding: time-dependent, one list per UTC day.

Name ``i`` hashes the little-endian record ``i (u32), year (u16), key, month (u16), key,
day (u16), key`` where ``key`` is the 32-bit salt 0x35190501 (bytes ``01 05 19 35``). Each
of the four digest words is written in base 36 (digits then letters), most significant
digit first, with at most 7 digits (a 32-bit word never needs more); the four parts are
concatenated. TLD by ``i``: ``.com`` when ``i % 4 == 0``, else ``.org`` (``% 3``),
``.biz`` (``% 2``), else ``.net``.

Names per day: 1000 (the reference's default; the write-up describes 1000 per day).
TLDs: com, net, org, biz.

Active period: the new generator appeared with GOZ's return in July 2014, about a month
after Operation Tovar; ``active_from`` is 2014-07-10, the day its return was first
publicly reported (an estimate: the references give no first day). The Bambenek feed
still listed it on 2017-04-13, so ``active_until`` is open. The ground-truth list is
for 2015-08-31.

Not reproduced: 1514 of the 1666 names of andrewaeva/DGA ``new_goz.txt`` (observed names
from the DDS list) match no day of 2012-2018 with this salt; its other 152 are names of
2014-08-29. They presumably come from samples with another salt.

References:
- https://johannesbader.ch/2014/12/the-dga-of-newgoz/
- https://github.com/baderj/domain_generation_algorithms/tree/master/newgoz
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Sequence

import numpy as np

from dgawatch.families.base import Family, Variant

DEFAULT_KEY = 0x35190501
NAMES_PER_DAY = 1000
TLDS = ("com", "net", "org", "biz")
_DIGITS = "0123456789abcdefghijklmnopqrstuvwxyz"


_TLD_ROWS = {tld: f".{tld}\n".encode("ascii") for tld in TLDS}


def tld_for(index: int) -> str:
    if index % 4 == 0:
        return "com"
    if index % 3 == 0:
        return "org"
    if index % 2 == 0:
        return "biz"
    return "net"


def _label_blob(digests: bytes, tlds: list[str]) -> bytes:
    """Names as ``b"name\n"`` lines from concatenated MD5 digests and their TLDs.

    Every digest word becomes 7 base-36 digits, most significant first; leading zeros
    (all but the last digit) become spaces and are removed at the end, so a word of 0
    still gives ``"0"`` as in the reference.
    """
    n = len(tlds)
    words = np.frombuffer(digests, dtype="<u4").astype(np.uint64).reshape(n * 4, 1)
    powers = np.array([36**k for k in range(6, -1, -1)], dtype=np.uint64)
    digits = (words // powers) % np.uint64(36)  # (4n, 7), most significant first
    leading = np.cumsum(digits, axis=1) == 0
    leading[:, 6] = False
    chars = _DIGITS_ARRAY[digits]
    chars[leading] = ord(" ")
    rows = np.empty((n, 33), dtype=np.uint8)
    rows[:, :28] = chars.reshape(n, 28)
    rows[:, 28:] = np.frombuffer(b"".join([_TLD_ROWS[t] for t in tlds]), np.uint8).reshape(n, 5)
    return rows.tobytes().replace(b" ", b"")


_DIGITS_ARRAY = np.frombuffer(_DIGITS.encode("ascii"), dtype=np.uint8)


def record_tail(date_fields: Sequence[int], key: int = DEFAULT_KEY) -> bytes:
    """Each date field (u16) followed by the key (u32), little-endian: the hashed record
    after the index."""
    k = (key & 0xFFFFFFFF).to_bytes(4, "little")
    return b"".join(v.to_bytes(2, "little") + k for v in date_fields)


def blob_indices(indices: Sequence[int], tail: bytes) -> bytes:
    """Names for ``indices`` as ``b"name\\n"`` lines; name ``i`` hashes ``u32le(i) + tail``."""
    md5 = hashlib.md5
    digests = b"".join([md5(i.to_bytes(4, "little") + tail).digest() for i in indices])
    if not digests:
        return b""
    return _label_blob(digests, [tld_for(i) for i in indices])


def generate_blob(day: dt.date, key: int = DEFAULT_KEY, nr: int = NAMES_PER_DAY) -> bytes:
    """The first ``nr`` newGOZ names for ``day`` and 32-bit salt ``key``, one per line."""
    return blob_indices(range(nr), record_tail((day.year, day.month, day.day), key))


def generate(day: dt.date, key: int = DEFAULT_KEY, nr: int = NAMES_PER_DAY) -> list[str]:
    """The first ``nr`` newGOZ names for ``day`` and 32-bit salt ``key``."""
    return generate_blob(day, key, nr).decode("ascii").split("\n")[:-1]


def _default(day: dt.date) -> list[str]:
    return generate(day)


FAMILY = Family(
    name="newgoz",
    aliases=("post-tovar-goz", "p2p-zeus-new"),
    summary="newGOZ (post-Tovar Gameover Zeus): 1000 MD5/base-36 names per day",
    generator_type="hash",
    time_seeded=True,
    references=(
        "https://johannesbader.ch/2014/12/the-dga-of-newgoz/",
        "https://github.com/baderj/domain_generation_algorithms/tree/master/newgoz",
    ),
    variants=(
        Variant(
            family="newgoz",
            name="default",
            summary="newGOZ with salt 0x35190501",
            active_from=dt.date(2014, 7, 10),
            active_until=None,
            domains_per_day=NAMES_PER_DAY,
            tlds=TLDS,
            generator=_default,
            blob_generator=generate_blob,
            parameters=(("key", "0x35190501"),),
        ),
    ),
)
