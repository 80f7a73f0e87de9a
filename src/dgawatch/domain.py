"""Domain names as DNS logs show them, reduced to what a DGA generates.

A query for ``www.abcdef.co.uk.`` concerns the *registered domain* ``abcdef.co.uk``: the name
one label below its public suffix, from the Public Suffix List shipped with the
``publicsuffixlist`` package (offline; private suffixes such as dynamic-DNS providers count,
because some DGAs generate names under them).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from functools import cache, lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

from publicsuffixlist import PublicSuffixList

from dgawatch.errors import InputError

if TYPE_CHECKING:  # numpy and pyarrow load on first batch use: every command imports this
    import numpy as np
    import pyarrow as pa


def psl_rules(only_icann: bool = False) -> tuple[frozenset[str], int]:
    """The package's PSL rules and its longest rule's labels (the ICANN section alone with
    ``only_icann``). Parsing costs 0.1-0.3 s, so the rules are kept, once parsed, as a plain
    rule list in the cache directory (keyed by the package version and the list file's size
    and time: ``psl-KEY.txt``, ``psl-icann-KEY.txt``) and read back in milliseconds."""
    import publicsuffixlist

    from dgawatch.home import cache_root

    root = cache_root()
    try:
        st = Path(publicsuffixlist.PSLFILE).stat()
        key = f"{publicsuffixlist.__version__}-{st.st_size}-{st.st_mtime_ns}"
    except OSError:
        root = None
    name = f"psl-icann-{key}.txt" if only_icann else f"psl-{key}.txt"
    cached = root / name if root is not None else None
    if cached is not None:
        try:
            head, _, body = cached.read_text("utf-8").partition("\n")
            return frozenset(body.split("\n")), int(head)
        except (OSError, ValueError):
            pass
    psl = PublicSuffixList(only_icann=only_icann)
    if cached is not None:
        try:
            cached.parent.mkdir(parents=True, exist_ok=True)
            tmp = cached.with_name(f".{cached.name}.{os.getpid()}")
            tmp.write_text(f"{psl._maxlabel}\n" + "\n".join(sorted(psl._publicsuffix)), "utf-8")
            tmp.replace(cached)
        except OSError:
            pass
    return frozenset(psl._publicsuffix), psl._maxlabel


@cache
def _psl() -> PublicSuffixList:
    """The package's PSL (both sections), from :func:`psl_rules`' cached rule list: every
    command would otherwise pay the parse."""
    rules, maxlabel = psl_rules()
    psl = PublicSuffixList.__new__(PublicSuffixList)
    psl.accept_unknown = True
    psl._maxlabel = maxlabel
    psl._publicsuffix = rules
    return psl


def normalise(qname: str) -> str:
    """Lower-case, no trailing dot, IDNA (A-label) form; raises InputError when invalid."""
    name = qname.strip().rstrip(".").lower()
    if not name:
        raise InputError(f"{qname!r} is not a domain name")
    if not name.isascii():
        try:
            name = name.encode("idna").decode("ascii")
        except UnicodeError as exc:
            raise InputError(f"{qname!r} is not a valid internationalised name: {exc}") from None
    if any(not label for label in name.split(".")) or len(name) > 253:
        raise InputError(f"{qname!r} is not a valid domain name")
    return name


#: Characters of a DNS label as resolvers meet them: letters, digits, the hyphen, and the
#: underscore of service labels (``_dmarc``, ``_tcp``).
LABEL_CHARS = frozenset("abcdefghijklmnopqrstuvwxyz0123456789-_")

#: A name :func:`invalid_reason` certainly accepts (ASCII labels of 1-63 allowed characters,
#: trailing dots allowed; the 253-character limit is checked apart); the rest are asked one
#: by one.
PLAIN_VALID = r"^[A-Za-z0-9_-]{1,63}(\.[A-Za-z0-9_-]{1,63})*\.*$"


def invalid_reason(name: str) -> str | None:
    """Why ``name`` is no domain name a resolver would ask for (``""``, ``bad..name``,
    ``http://x.nl/path``), or None. The one definition ``classify``, ``lookup`` and the
    portal share."""
    if not name:
        return "empty name"
    text = name.rstrip(".")
    if not text:
        return "only a dot"
    if not text.isascii():
        try:
            text = text.encode("idna").decode("ascii")
        except UnicodeError as exc:
            return f"not a valid internationalised name ({exc})"
    if len(text) > 253:
        return f"{len(text)} characters (at most 253)"
    for label in text.split("."):
        if not label:
            return "empty label (two dots in a row, or a leading dot)"
        if len(label) > 63:
            return f"label of {len(label)} characters (at most 63)"
        bad = sorted(set(label.lower()) - LABEL_CHARS)
        if bad:
            return f"character {bad[0]!r} not allowed in a DNS label"
    return None


@lru_cache(maxsize=65_536)
def registered_domain(name: str) -> str | None:
    """``www.abc.co.uk`` -> ``abc.co.uk``; None for a bare public suffix such as ``co.uk``."""
    return _psl().privatesuffix(name)


def lookup_keys(name: str) -> tuple[str, ...]:
    """Names in the forecast that a query for ``name`` can be about: itself and its
    registered domain (a DGA name may also be queried below, e.g. ``www.<dga>``)."""
    reg = registered_domain(name)
    if reg is None or reg == name:
        return (name,)
    return (name, reg)


@lru_cache(maxsize=4096)
def suffix_is_public(suffix: str) -> bool:
    """Whether ``<label>.<suffix>`` is a registered domain for an ordinary label: then a
    query below a forecast name ``<label>.<suffix>`` is a query for that name. (PSL
    exception rules naming one specific label are not considered.)"""
    probe = f"dgawatch-probe.{suffix}"
    return registered_domain(f"www.{probe}") == probe


@cache
def _rule_table() -> tuple[pa.Array, np.ndarray]:
    """The PSL rules of :func:`_psl` as ``_countpublic`` reads them, one row per string:
    flags exception body (``!x``), wildcard body (``*.x``), exact rule, and suffix of some
    body (a name's tail can match at depth d only when its tail at depth d-1 is one)."""
    import numpy as np
    import pyarrow as pa

    rules = _psl()._publicsuffix  # the very rule set privatesuffix() consults
    flags: dict[str, int] = {}
    for rule in rules:
        if rule.startswith("!"):
            body, bit = rule[1:], 1
        elif rule.startswith("*."):
            body, bit = rule[2:], 2
        else:
            body, bit = rule, 4
        flags[body] = flags.get(body, 0) | bit
        labels = body.split(".")
        for i in range(len(labels)):
            tail = ".".join(labels[i:])
            flags[tail] = flags.get(tail, 0) | 8
    keys = sorted(flags)
    return pa.array(keys, pa.large_binary()), np.array([flags[k] for k in keys] + [0], np.uint8)


def _ranges(buffer: pa.Buffer, starts: np.ndarray, ends: np.ndarray) -> pa.Array:
    """Byte ranges ``[starts[i], ends[i])`` of one buffer (ascending, not overlapping) as the
    odd elements of a binary array over that buffer, without copying: element 2i is the gap
    before range i. Hashing kernels then run on it directly (results taken ``[1::2]``)."""
    import numpy as np
    import pyarrow as pa

    offsets = np.empty(2 * len(starts) + 1, np.int64)
    offsets[0] = starts[0] if len(starts) else 0
    offsets[1::2] = starts
    offsets[2::2] = ends
    return pa.Array.from_buffers(
        pa.large_binary(), 2 * len(starts), [None, pa.py_buffer(offsets), buffer]
    )


def registered_domains(
    names: Sequence[str | None] | pa.Array | pa.ChunkedArray, *, normalised: bool = False
) -> pa.Array:
    """:func:`registered_domain` of every name at once (nulls stay null), equal to calling
    it per name. Why: a million per-name PSL calls cost seconds; here each label depth is
    one hashed set membership over the names still in question (most leave after their
    TLD or their last two labels). ASCII names take this path; others (and names with an
    empty label) go through :func:`registered_domain` one by one. ``normalised``: the
    caller vouches that the names are lower-case without a trailing dot (two passes over
    the strings saved)."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    if isinstance(names, pa.ChunkedArray):
        names = names.combine_chunks()
    array = names if isinstance(names, pa.Array) else pa.array(list(names), pa.string())
    if normalised:
        array = pa.concat_arrays([array.cast(pa.large_string())])
        stripped = array
    else:
        array = pc.ascii_lower(array.cast(pa.large_string()))
        # PSL drops one trailing dot
        trailing = pc.fill_null(pc.ends_with(array, "."), False)
        stripped = pa.concat_arrays(
            [pc.if_else(trailing, pc.utf8_slice_codeunits(array, 0, -1), array)]
        )
    n = len(stripped)
    if n == 0:
        return pa.array([], pa.string())
    offsets = np.frombuffer(stripped.buffers()[1], np.int64, n + 1, stripped.offset * 8)
    buffer = stripped.buffers()[2] or pa.py_buffer(b"")
    data = np.frombuffer(buffer, np.uint8)
    starts, ends = offsets[:-1], offsets[1:]
    is_dot = data == ord(".")
    dots = np.flatnonzero(is_dot).astype(np.int64)
    dot_count = np.zeros(len(data) + 1, np.int32)
    np.cumsum(is_dot, out=dot_count[1:])
    first_dot, end_dot = dot_count[starts], dot_count[ends]  # dots before start / end
    n_labels = (end_dot - first_dot + 1).astype(np.int64)
    # non-ASCII or an empty label (leading dot, '..', empty name): per name, as before.
    # A '..' pair starting at a name's last byte means that byte is a dot: flagged anyway.
    odd = data >= 0x80
    if len(data) > 1:
        odd[:-1] |= is_dot[:-1] & is_dot[1:]
    odd_count = np.zeros(len(data) + 1, np.int32)
    np.cumsum(odd, out=odd_count[1:])
    nonempty = ends > starts
    first_byte = np.where(nonempty, data[np.minimum(starts, max(len(data) - 1, 0))], 0)
    last_byte = np.where(nonempty, data[np.maximum(ends - 1, 0)], 0) if len(data) else first_byte
    bad = (
        ~nonempty
        | (odd_count[ends] > odd_count[starts])
        | (first_byte == ord("."))
        | (last_byte == ord("."))
    )
    valid_np = ~(np.asarray(stripped.is_null()) | bad)
    keys, key_flags = _rule_table()
    maxlabel = _psl()._maxlabel

    def tail_start(idx: np.ndarray, depth: np.ndarray | int) -> np.ndarray:
        """Byte offset where the last ``depth`` labels of names ``idx`` begin."""
        more = n_labels[idx] > depth
        behind = dots[np.where(more, end_dot[idx] - depth, 0)] + 1 if len(dots) else starts[idx]
        return np.where(more, behind, starts[idx])

    publen = np.ones(n, np.int64)  # accept_unknown: an unlisted TLD is public
    decided = np.zeros(n, bool)
    # _countpublic tries depths longest first; the longest depth with a rule decides
    found: list[tuple[int, np.ndarray, np.ndarray, np.ndarray, np.ndarray]] = []
    active = np.flatnonzero(valid_np & (n_labels > 1))
    for depth in range(1, maxlabel + 2):
        active = active[n_labels[active] >= depth]
        if not len(active):
            break
        tails = _ranges(buffer, tail_start(active, depth), ends[active])
        where = pc.fill_null(pc.index_in(tails, value_set=keys), len(keys))
        flag = key_flags[where.to_numpy()[1::2]]
        is_exc, is_wild, is_exact = (flag & 1) > 0, (flag & 2) > 0, (flag & 4) > 0
        found.append((depth, active, is_exc, is_wild, is_exact))
        active = active[(flag & 8) > 0]
    for depth, idx, is_exc, is_wild, is_exact in reversed(found):
        value = np.where(
            is_exc,
            depth - 1,
            np.where(is_wild, np.where(n_labels[idx] > depth, depth + 1, depth), depth),
        )
        hit = (is_exc | is_wild | is_exact) & ~decided[idx]
        publen[idx[hit]] = value[hit]
        decided[idx[hit]] = True
    has_private = valid_np & (publen > 0) & (n_labels >= publen + 1)
    keep = np.flatnonzero(has_private)
    spans = _ranges(buffer, tail_start(keep, publen[keep] + 1), ends[keep])
    out = spans.take(pa.array(np.arange(1, 2 * len(keep), 2))).cast(pa.string())
    result = pa.array([None] * n, pa.string()) if len(keep) < n else out
    if len(keep) < n:
        positions = np.full(n, -1, np.int64)
        positions[keep] = np.arange(len(keep))
        result = out.take(pa.array(positions, mask=positions < 0))
    slow = np.flatnonzero(~valid_np & ~np.asarray(array.is_null()))
    if len(slow):
        raw = names.to_pylist() if isinstance(names, pa.Array) else list(names)
        values = result.to_pylist()
        for i in slow:
            values[i] = registered_domain(raw[i])
        result = pa.array(values, pa.string())
    return result
