"""Unknown DGAs: hosts that, on one log, ask for many names nobody else can resolve, of
one make, that no forecast explains.

Scoring names one by one cannot carry this: a real network's day holds thousands of
random-looking names (cloud and CDN hosts, browser probes, typos) and a classifier with a
1e-3 false-positive rate still passes hundreds of them. What separates an infected machine
is the *host and the day*. The stage therefore works in four steps, the same for both
engines (they only differ in how they build the per-(client, name) relation
:data:`PAIR_SCHEMA`; the local engine aggregates batch by batch, the Spark engine in SQL):

1. **Explain away known structure** (:func:`explain`): names that matched a forecast,
   single-label names (browser probes, search retries, WPAD), reverse DNS (``.arpa``),
   names whose TLD is not public (mDNS ``.local``, ``.lan``, ``.internal``...), service
   names (a label starting with ``_``: DNS-SD, SRV), the user's allowlist (a name or any
   parent), bare public suffixes, and names under a private suffix of the Public Suffix
   List (``*.elb.amazonaws.com``, ``*.s3.amazonaws.com``, ``*.blogspot.com``...) that
   resolved (a log without answers: under a suffix popular in the log, below). Every
   other name belongs to a *site*: its registered domain (private suffixes included, so a
   never-resolving ``<x>.ddns.net`` is its own site).
2. **Keep the unusual sites of this log**: a site is *suspect* for a client when the client
   got NXDOMAIN for a name under it, no client ever got a NOERROR answer for any name under
   it (a name many clients resolve is no rendezvous name; a log without answers gives no
   suspect at all), and it is no one-letter typo of a resolved site (edit distance 1,
   same suffix). A suspect site *counts* when its label is generated-looking: classifier
   log-odds over the cut calibrated for benign FPR ``fpr`` (1e-2 by default: the host-level
   test below carries the error control), or a word-list make (the label splits, by
   ``wordninja``'s English word-frequency model, into 2-4 words of 3+ letters).
3. **A test that scales with volume**: for client ``c`` with ``Q_c`` queries (all of its
   queries in the log) and ``k_c`` counted sites, the background is ``k_c ~ NB(mean
   lam * Q_c, dispersion phi)`` (gamma-Poisson, ``Var = mu + phi mu^2``; ``phi`` 0 is
   Poisson). ``lam`` and ``phi`` are fitted by maximum
   likelihood on the log's own clients with each count *truncated* (:func:`fit_background`):
   a client enters only with ``k_c <= t_c`` (``min_names - 1``, more for heavy clients:
   their Poisson mean plus 4 standard deviations), through the NB conditioned on ``K <=
   t_c``. An infected host's many sites lie above its ``t_c``, so infected hosts cannot
   mask one another, yet the clients above are accounted for by the model, not assumed
   absent: a heavy-tailed clean background keeps its tail (trimming the clients a Poisson
   background cannot explain, as before, removed that tail and under-estimated ``phi``).
   The test uses the one-sided 95 % profile-likelihood upper bound of ``phi`` (a small
   log's imprecise estimate errs towards fewer flags). The p-value ``P(K >= k_c)`` is the
   larger of that tail and a Poisson tail at ``floor_rate`` per query (a log with almost
   no background does not make a few odd names significant). A client is flagged when
   ``k_c >= min_names`` and that p-value is at most ``alpha / N``
   (Bonferroni over the ``N`` clients tested): the probability that any clean client of
   the log is flagged is at most ``alpha`` (1 %), under that background model. A
   20,000-query client is compared with 20,000 queries' worth of background, so a few odd
   names among many are not enough. Beside it, a *burst test* (:func:`_burst_test`) flags
   a client whose counted sites were first asked within :data:`BURST_WINDOW_S` of one
   another more than chance allows if they were spread over its active span (a
   scan-statistic bound, Bonferroni ``alpha / N`` too: at most 2 % for both tests
   together): a heavy host's DGA that its volume of odd names hides.
4. **Coherent clusters**: a flagged client's counted names are grouped by *make* (word-list
   or random; alphabet: letters, letters and digits, hex; hyphens); makes with fewer than
   ``min_names`` names are dropped; a host's groups form one unit -- unless they came in
   bursts of different makes (:func:`_split_host`: a host running two DGAs gives one unit
   per DGA). Units join when they share a name, or have the same makes, label length (a
   fixed length, else the median's band) and TLD set (the fewest suffixes holding 80 % of
   the names). One finding is one make, never a mix of hundreds of shapes; it says why
   (per-host counts, NXDOMAIN share, p-values, samples, what the log explained away
   network-wide: by structure, resolved, typos, not generated-looking).

A log without answers (no rcode anywhere: a resolver logging questions only) has no
NXDOMAIN evidence; there step 1 explains the names under a private suffix that is *popular
in the log* (:func:`_popular_private`: more than 1 % of the clients, and 10, asked for some
name under it -- ``cloudfront.net``, ``elb.amazonaws.com``, ``blogspot.com``: a one-off
random host under a provider many clients use is no evidence without NXDOMAIN); names under
a rare private suffix (``ddns.net`` asked by two hosts) are sites like any other. Step 2
takes sites that at most 1 % of the clients (and 10) asked for, typos of sites two clients
asked for, and counts only random-looking labels at a tenth of ``fpr`` (word-list makes are
not counted: real sites' rare names split into words as often). Random-label DGAs are found
there, under public suffixes and under rare private ones (corebot, symmi under
``ddns.net``); word-list ones are not, nor a DGA under a private suffix more than 1 % of the
clients use. Such a log gives every (client,
name) it holds, not only the failed ones: the local engine keeps them *coded*
(:class:`_QueryOnlyPairs`: clients and names as integer codes, each batch summed into a
sorted run, runs merged by a sort) and step 2 runs over the codes (:class:`_OpenCoded`).
Its merges let go the pairs of the sites more than :data:`DROP_MIN` clients (and 2 % of
the clients then seen) asked for: step 2 explains them as popular, so only their distinct
clients and each client's first and last query are needed, and are kept. The pairs held
are then bounded by the rarer sites', not by the log's (10 M-line bench week: 4.6 M
distinct, 1.3 M held at the end). The answers are the string tables' (the rows, counts,
first and last times of every pair that can count) as long as (a) the log's clients stay
under 100 x a site's clients when it was let go (twice the clients seen then, at least)
and (b) no name a forecast matched is under such a site (step 2 leaves those names out of
a site's clients and a client's span; a site let go keeps them in). The tests compare the
two byte for byte where sites are let go, as do the field grid and the 10 M-line week.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import itertools
import math
import threading
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import cache, lru_cache
from typing import TYPE_CHECKING, Any

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from dgawatch.hunt.codes import Codes
from dgawatch.words import counted

if TYPE_CHECKING:
    from dgawatch.classify.model import DGAClassifier

#: Label lengths per band: 5..9, 10..14, ...
LENGTH_BAND = 5
SAMPLE_NAMES = 10
#: Rows held by the local engine before it re-aggregates them.
COMPACT_ROWS = 1_000_000
#: Query events the local engine reduces at a time; at least this many when its feeder
#: waits for the next batch anyway.
REDUCE_ROWS = 500_000
IDLE_REDUCE_ROWS = 150_000

#: The relations both engines reduce a log to, and hand to :func:`analyse`: one row per
#: (client, name) of the queries that did not get NOERROR (``PAIR_SCHEMA``), the queries of
#: each client (``CLIENT_SCHEMA``) and the names some client resolved (``RESOLVED_SCHEMA``).
#: Bounded by the log's distinct clients and names, not by its lines.
PAIR_SCHEMA = pa.schema(
    [
        ("client", pa.string()),
        ("qname", pa.string()),
        ("queries", pa.int64()),
        ("nx", pa.int64()),
        ("first_seen", pa.timestamp("ms", tz="UTC")),
        ("last_seen", pa.timestamp("ms", tz="UTC")),
    ]
)
CLIENT_SCHEMA = pa.schema([("client", pa.string()), ("queries", pa.int64())])
RESOLVED_SCHEMA = pa.schema([("qname", pa.string())])

#: Query events (a relation ``unk_src``: ts, client, qname, rcode) -> the three relations;
#: DuckDB and Spark SQL alike.
PAIRS_SQL = """
SELECT client, qname, CAST(count(*) AS BIGINT) AS queries,
       CAST(sum(CASE WHEN rcode = 'NXDOMAIN' THEN 1 ELSE 0 END) AS BIGINT) AS nx,
       min(ts) AS first_seen, max(ts) AS last_seen
FROM unk_src WHERE qname <> '' AND (rcode IS NULL OR rcode <> 'NOERROR')
GROUP BY client, qname
"""
CLIENTS_SQL = "SELECT client, CAST(count(*) AS BIGINT) AS queries FROM unk_src GROUP BY client"
RESOLVED_SQL = "SELECT DISTINCT qname FROM unk_src WHERE rcode = 'NOERROR' AND qname <> ''"

_SCHEMAS = {"pairs": PAIR_SCHEMA, "clients": CLIENT_SCHEMA, "resolved": RESOLVED_SCHEMA}


@dataclass(frozen=True)
class UnknownParams:
    """The stage's knobs (module docstring: what each controls)."""

    fpr: float = 1e-2
    alpha: float = 0.01
    min_names: int = 5
    floor_rate: float = 2e-4
    allowlist: frozenset[str] = frozenset()


# --- step 1: structure ---------------------------------------------------------------------


@cache
def _tlds() -> frozenset[str]:
    """TLDs the ICANN section knows (some, like ``za``, only through their children)."""
    return frozenset(r.rsplit(".", 1)[-1] for r in _rules(True)[0])


@cache
def _rules(icann: bool) -> tuple[frozenset[str], int]:
    """The Public Suffix List's rules (ICANN section only, or with the private one: the
    classifier's, :func:`dgawatch.domain.psl_rules`, without loading the classifier)."""
    if not icann:
        from dgawatch.domain import psl_rules

        return psl_rules()
    return _icann_rules()


def _icann_rules() -> tuple[frozenset[str], int]:
    """The ICANN section's rules, kept parsed in the cache directory (~0.13 CPU-s a hunt
    parsed, milliseconds read back): :func:`dgawatch.domain.psl_rules`."""
    from dgawatch.domain import psl_rules

    return psl_rules(only_icann=True)


def _suffix_labels(parts: list[str], icann: bool) -> int:
    """Labels in the public suffix of ``parts`` (the PSL algorithm, wildcards and
    exceptions; 1 for an unknown TLD), as :meth:`PublicSuffixList.publicsuffix` counts."""
    rules, maxlabel = _rules(icann)
    n = len(parts)
    suffix = 1
    for k in range(2, min(maxlabel, n) + 1):
        tail = ".".join(parts[n - k :])
        if "!" + tail in rules:  # an exception: the suffix is one label shorter
            return k - 1
        if tail in rules or "*." + ".".join(parts[n - k + 1 :]) in rules:
            suffix = k
    return suffix


def explain(qname: str, allowlist: frozenset[str] = frozenset()) -> tuple[str | None, str | None]:
    """(site, reason): ``reason`` names the benign structure that explains ``qname`` away,
    ``site`` is its registered domain, private suffixes included. A private-suffix name gets
    reason ``psl-private?``: explained only if it resolved (decided with the log,
    :func:`analyse`)."""
    if "." not in qname:
        return None, "single-label"
    parts = qname.split(".")
    if parts[-1] == "arpa":
        return None, "reverse-dns"
    if any(lab.startswith("_") for lab in parts):
        return None, "service"
    if allowlist:
        for i in range(len(parts)):
            if ".".join(parts[i:]) in allowlist:
                return None, "allowlist"
    if parts[-1] not in _tlds():
        return None, "local"
    n = len(parts)
    si = _suffix_labels(parts, True)
    if si >= n:
        return None, "public-suffix"
    site = ".".join(parts[n - si - 1 :])
    sf = _suffix_labels(parts, False) if n > 2 else si
    if si < sf < n:
        return ".".join(parts[n - sf - 1 :]), "psl-private?"
    return site, None


#: Reasons :func:`explain_arrow` codes (index = code; 0: none).
_REASONS = (
    None,
    "single-label",
    "reverse-dns",
    "service",
    "allowlist",
    "local",
    "public-suffix",
    "psl-private?",
)


def _tails(q: pa.Array, k: int) -> pa.Array:
    """The last ``k`` labels of each name (null where it has fewer)."""
    pattern = rf"(?:^|\.)(?P<t>(?:[^.]*\.){{{k - 1}}}[^.]*)$"
    return pc.struct_field(pc.extract_regex(q, pattern), [0])


class _Labels:
    """The names of a string array cut at their dots, once: :meth:`tail` gathers any
    number of last labels of each name from the names' bytes (a regex per label count
    cost ~5x more). Names must not be null."""

    def __init__(self, q: pa.StringArray) -> None:
        self.q = q
        offs = np.frombuffer(q.buffers()[1], dtype=np.int32, count=len(q) + 1, offset=q.offset * 4)
        self.data = np.frombuffer(q.buffers()[2], dtype=np.uint8)
        self.starts, self.ends = offs[:-1].astype(np.int64), offs[1:].astype(np.int64)
        self.dots = np.flatnonzero(self.data[offs[0] : offs[-1]] == ord(".")) + int(offs[0])
        self.hi = np.searchsorted(self.dots, self.ends)  # dots[lo:hi]: the dots of a name
        self.ndots = self.hi - np.searchsorted(self.dots, self.starts)

    @staticmethod
    def usable(q: pa.StringArray) -> bool:
        return len(q) > 0 and not q.null_count and q.buffers()[2] is not None

    def ends_with(self, suffix: bytes) -> np.ndarray:
        """Whether each name ends with ``suffix`` (Arrow's ``ends_with``)."""
        k = len(suffix)
        out = self.ends - self.starts >= k
        end = self.ends[out]
        same = np.ones(len(end), bool)
        for i, byte in enumerate(suffix):
            same &= self.data[end - k + i] == byte
        out[out] = same
        return out

    def service(self) -> np.ndarray:
        """Whether a label of each name starts with ``_`` (Arrow's ``starts_with(q, "_")``
        or ``match_substring(q, "._")``), from the bytes and dots already found: the two
        string scans were ~0.1 CPU-s of the 10 M-line query-only week's new names."""
        underscore = ord("_")
        out = self.ends > self.starts
        out[out] = self.data[self.starts[out]] == underscore
        after = self.dots + 1
        after = after[after < len(self.data)]
        hit = after[self.data[after] == underscore]  # (a dot's next byte, maybe the next name's)
        if len(hit):
            owner = np.searchsorted(self.ends, hit - 1, side="right")  # (the dot's name)
            out[owner[hit < self.ends[owner]]] = True
        return out

    def tail(self, k: int | np.ndarray, keep: np.ndarray | None = None) -> pa.Array:
        """The last ``k`` labels of each name (``k`` one count, or one per name); null
        where a name has fewer, or where ``keep`` is False."""
        valid = self.ndots >= np.asarray(k) - 1
        if keep is not None:
            valid &= keep
        if len(self.dots):
            at = self.dots[np.clip(self.hi - k, 0, len(self.dots) - 1)] + 1
            st = np.where(self.ndots >= k, at, self.starts)
        else:
            st = self.starts
        # Each name cut in two, head and tail, as one array of 2n strings over the names'
        # own bytes (its offsets: start, cut, end, cut, end...); Arrow's take copies the
        # tails out (a NumPy gather of their bytes cost ~3x more).
        n = len(st)
        cuts = np.empty(2 * n + 1, dtype=np.int32)
        cuts[0] = self.starts[0] if n else 0
        cuts[1::2] = np.where(valid, st, self.ends)
        cuts[2::2] = self.ends
        halves = pa.StringArray.from_buffers(2 * n, pa.py_buffer(cuts), self.q.buffers()[2])
        tails = halves.take(pa.array(np.arange(1, 2 * n, 2)))
        return pa.StringArray.from_buffers(
            n,
            tails.buffers()[1],
            tails.buffers()[2],
            None if valid.all() else pa.array(valid).buffers()[1],
        )


def _all_tails(q: pa.StringArray, upto: int) -> dict[int, pa.Array]:
    """:func:`_tails` for k = 1..``upto``."""
    if not _Labels.usable(q):
        return {k: _tails(q, k) for k in range(1, upto + 1)}
    labels = _Labels(q)
    return {k: labels.tail(k) for k in range(1, upto + 1)}


#: A string's roles in the Public Suffix List walk (:func:`_psl_roles`), shifted by 0 for
#: the ICANN section, by :data:`_WHOLE` for the whole list: a rule, an exception rule
#: without its ``!``, a wildcard rule without its ``*.``; and a TLD the ICANN section knows.
_RULE, _EXCEPTION, _WILDCARD, _WHOLE, _TLD = 1, 2, 4, 3, 64


@cache
def _psl_roles() -> tuple[pa.Array, np.ndarray]:
    """Every string the walks look up (sorted) and its roles (:data:`_RULE`...; one more
    entry, 0, for a string not among them): one value set for all the walks' lookups, so
    that a batch's names are looked up in one call (Arrow hashes a value set on each call:
    the ~25 calls a batch made, one per rule set and label count, cost more than the
    lookups of its new names)."""
    roles: dict[str, int] = defaultdict(int)
    for shift, icann in ((0, True), (_WHOLE, False)):
        for rule in _rules(icann)[0]:
            roles[rule] |= _RULE << shift
            if rule.startswith("!"):
                roles[rule[1:]] |= _EXCEPTION << shift
            if rule.startswith("*."):
                roles[rule[2:]] |= _WILDCARD << shift
    for tld in _tlds():
        roles[tld] |= _TLD
    strings = sorted(roles)
    return pa.array(strings, pa.string()), np.array([*(roles[x] for x in strings), 0], np.uint8)


def _roles_of(tails: dict[int, pa.Array], upto: int, size: int) -> np.ndarray:
    """Row k - 1 (k = 1..``upto``): the roles of each name's last k labels (0: none, or the
    name has fewer)."""
    strings, roles = _psl_roles()
    every = pa.concat_arrays([tails[k] for k in range(1, upto + 1)])
    at = pc.fill_null(pc.index_in(every, value_set=strings), -1)
    del every
    # (-1, not found: the last role, 0)
    return roles[at.to_numpy(zero_copy_only=False)].reshape(upto, size)


def _walk(roles: np.ndarray, n: np.ndarray, icann: bool) -> np.ndarray:
    """:func:`_suffix_labels` of every name at once (``roles``: :func:`_roles_of`, rows up
    to the most labels the walk can reach)."""
    _, maxlabel = _rules(icann)
    shift = 0 if icann else _WHOLE
    suffix = np.ones(len(n), dtype=np.int64)
    done = np.zeros(len(n), dtype=bool)
    for k in range(2, min(maxlabel, len(roles)) + 1):
        live = (n >= k) & ~done
        if not live.any():
            break
        mine = roles[k - 1] >> shift
        exc = (mine & _EXCEPTION).astype(bool) & live  # "!" + t is a rule
        wild = (roles[k - 2] >> shift & _WILDCARD).astype(bool)
        hit = ((mine & _RULE).astype(bool) | wild) & live & ~exc
        suffix[exc] = k - 1
        done |= exc
        suffix[hit] = k
    return suffix


class _TailsOf(dict[int, pa.Array]):
    """The last ``k`` labels of each name, cut when first asked for (the PSL walks stop at
    the most labels a name has: the deepest private rule's 7 are rarely reached)."""

    def __init__(self, q: pa.Array, labels: _Labels | None) -> None:
        super().__init__()
        self.q, self.labels = q, labels

    def __missing__(self, k: int) -> pa.Array:
        t = self.labels.tail(k) if self.labels is not None else _tails(self.q, k)
        self[k] = t
        return t


#: Logs of at most this many events get step 1 as soon as they were read
#: (:meth:`UnknownCollector.events_done`).
EARLY_EVENTS = 2_000_000

#: Names explained at a time: the tails of a slice (and the byte gathers that build them)
#: stay a few MB; the whole 10 M-line bench log's names at once peaked ~220 MB higher.
EXPLAIN_SLICE = 1 << 17


def explain_arrow(
    qnames: pa.Array, allowlist: frozenset[str] = frozenset()
) -> tuple[pa.Array, pa.Array]:
    """:func:`explain` of every name, vectorised in Arrow: (sites, reasons), each a string
    array. Tested equal to :func:`explain` over names built from every PSL rule."""
    q = qnames.combine_chunks() if isinstance(qnames, pa.ChunkedArray) else qnames
    q = q.cast(pa.string())
    if len(q) <= EXPLAIN_SLICE:
        return _explain_slice(q, allowlist)
    # Two slices at a time, on two threads (Arrow's and NumPy's kernels release the GIL:
    # a query-only day's names are all unresolved, and this is on the analysis' path).
    with ThreadPoolExecutor(2, thread_name_prefix="dgawatch-explain") as pool:
        parts = list(
            pool.map(
                lambda at: _explain_slice(q.slice(at, EXPLAIN_SLICE), allowlist),
                range(0, len(q), EXPLAIN_SLICE),
            )
        )
    return (
        pa.concat_arrays([s for s, _ in parts]),
        pa.concat_arrays([r for _, r in parts]),
    )


def _explain_slice(q: pa.Array, allowlist: frozenset[str]) -> tuple[pa.Array, pa.Array]:
    size = len(q)
    labels = _Labels(q) if _Labels.usable(q) else None
    code = np.zeros(size, dtype=np.int8)

    def mark(mask: np.ndarray, c: int) -> None:
        code[(code == 0) & mask] = c

    def np_of(a: pa.Array) -> np.ndarray:
        return pc.fill_null(a, False).to_numpy(zero_copy_only=False)

    if labels is not None:  # (the names' dots are found once: no string scans)
        n = labels.ndots + 1
        mark(n == 1, 1)
        mark(labels.ends_with(b".arpa"), 2)
        mark(labels.service(), 3)
    else:
        n = pc.add(pc.count_substring(q, "."), 1).to_numpy(zero_copy_only=False)
        mark(n == 1, 1)
        mark(np_of(pc.ends_with(q, ".arpa")), 2)
        mark(np_of(pc.or_(pc.starts_with(q, "_"), pc.match_substring(q, "._"))), 3)
    _, icann_max = _rules(True)
    _, private_max = _rules(False)
    deepest = max([icann_max, private_max + 1, *(x.count(".") + 1 for x in allowlist)])
    tails = _TailsOf(q, labels)
    if allowlist:
        allowed = pa.array(sorted(allowlist), pa.string())
        for k in range(1, max(x.count(".") + 1 for x in allowlist) + 1):
            mark(np_of(pc.is_in(tails[k], allowed)), 4)
    upto = min(max(icann_max, private_max), int(n.max()) if size else 1)
    roles = _roles_of(tails, max(upto, 1), size)
    mark(~(roles[0] & _TLD).astype(bool), 5)
    si = _walk(roles, n, True)
    mark(si >= n, 6)
    many = n > 2
    sf = si.copy()
    if many.any():
        sf[many] = _walk(roles, n, False)[many]
    private = (si < sf) & (sf < n) & (code == 0)
    code[private] = 7
    open_ = (code == 0) | (code == 7)
    take = np.where(private, sf + 1, si + 1)
    take = np.where(open_, np.minimum(take, deepest + 1), 1)
    if labels is not None:
        sites = labels.tail(take, open_)
    else:
        choices = [tails[k] for k in range(1, deepest + 2)]
        sites = pc.choose(pa.array(take - 1, pa.int8()), *choices)
        sites = pc.if_else(pa.array(open_), sites, pa.nulls(size, pa.string()))
    reasons = pc.take(pa.array(_REASONS, pa.string()), pa.array(code))
    return sites, reasons


def explain_many(
    qnames: Iterable[str], allowlist: frozenset[str] = frozenset()
) -> tuple[list[str | None], list[str | None]]:
    """:func:`explain` of each name (:func:`explain_arrow`, as Python lists)."""
    sites, reasons = explain_arrow(pa.array(list(qnames), pa.string()), allowlist)
    return sites.to_pylist(), reasons.to_pylist()


def warm_up() -> None:
    """The one-time loads of step 1, which any log with an unanswered name needs, so that a
    thread can do them while the log is read: the Public Suffix List's two sections and
    their Arrow value set. Only caches are filled; an error here is met again, and
    reported, by the analysis. (What scoring needs is loaded only for a log where some
    client could be flagged: :class:`_ScoringLoads`.)"""
    explain("a.b.example.co.uk")
    _psl_roles()


def warm_up_scoring(load_model: Callable[[], object]) -> None:
    """The one-time loads of steps 2-3: the classifier (~0.1 CPU-s) and the word model
    (~0.07)."""
    load_model()
    word_split("helloworldtest")


class _ScoringLoads(threading.Thread):
    """:func:`warm_up_scoring` on a thread of its own, started once the log is known to
    need it (some client asked for ``min_names`` open sites), while step 2's SQL runs.
    Only caches are filled: :meth:`model` joins it and loads the classifier again on the
    analysis' thread (a cached object then, or the same error, raised there)."""

    def __init__(self, load_model: Callable[[], DGAClassifier]) -> None:
        super().__init__(name="dgawatch-scoring-loads", daemon=True)
        self.load_model = load_model
        self.start()

    def run(self) -> None:
        with contextlib.suppress(Exception):  # met again by the analysis
            warm_up_scoring(self.load_model)

    def model(self) -> DGAClassifier:
        self.join()
        return self.load_model()


class _FamilyLoads(threading.Thread):
    """What the classifier's family head loads on its first use (SciPy's sparse matrices,
    :meth:`~dgawatch.classify.model.DGAClassifier.predict_family`: ~0.15 CPU-s, on the
    5,000-client query-only day's serial end, after the tests and the clustering), on a
    thread of its own, started once some client could be flagged. Only caches are filled:
    the family head imports it again (a cached module then, or the same error there)."""

    def __init__(self) -> None:
        super().__init__(name="dgawatch-family-loads", daemon=True)
        self.start()

    def run(self) -> None:
        with contextlib.suppress(Exception):
            import scipy.sparse  # noqa: F401


# --- step 2: what a suspect label looks like -----------------------------------------------


@cache
def _words() -> object:
    import wordninja

    return wordninja.DEFAULT_LANGUAGE_MODEL


@lru_cache(maxsize=1 << 18)
def word_split(label: str) -> tuple[str, ...] | None:
    """The words of a word-list label (2-4 words of 3+ letters, 8+ letters in all), or None."""
    if len(label) < 8 or not label.replace("-", "").isalpha():
        return None
    parts: list[str] = []
    for chunk in label.split("-"):
        parts.extend(_words().split(chunk))  # type: ignore[attr-defined]
    if 2 <= len(parts) <= 4 and all(len(p) >= 3 for p in parts):
        return tuple(parts)
    return None


def alphabet_of(label: str) -> str:
    core = label.replace("-", "")
    if core and all(c in "0123456789abcdef" for c in core) and any(c.isdigit() for c in core):
        kind = "hex"
    elif any(c.isdigit() for c in core):
        kind = "alnum"
    else:
        kind = "letters"
    return kind + ("-" if "-" in label else "")


def _band(n: float) -> str:
    lo = int(n) // LENGTH_BAND * LENGTH_BAND
    return f"{lo}-{lo + LENGTH_BAND - 1}"


def shape_of(name: str) -> tuple[str, str, str]:
    """(alphabet, length band, suffix) of a name's site label."""
    site, _ = explain(name)
    site = site or name
    label, _, suffix = site.partition(".")
    return alphabet_of(label), _band(len(label)), suffix


#: Suspect sites within edit distance 1 (insert, delete, substitute, swap of neighbours) of a
#: resolved site's label under the same suffix: typos. Two labels are that close when they
#: share a single-deletion key (or one is the other's); DuckDB expands the keys.
_TYPO_SQL = """
WITH r AS (
    SELECT split_part(site, '.', 1) AS label, substr(site, strpos(site, '.') + 1) AS suffix
    FROM unk_resolved
), s AS (
    SELECT site, split_part(site, '.', 1) AS label, substr(site, strpos(site, '.') + 1) AS suffix
    FROM unk_suspect
), rk AS (
    SELECT suffix, label, label AS key FROM r WHERE length(label) >= 4
    UNION ALL
    SELECT suffix, label, substr(label, 1, i) || substr(label, i + 2) AS key
    FROM (SELECT suffix, label, unnest(range(length(label))) AS i FROM r
          WHERE length(label) >= 4)
), sk AS (
    SELECT site, suffix, label AS key FROM s WHERE length(label) >= 4
    UNION ALL
    SELECT site, suffix, substr(label, 1, i) || substr(label, i + 2) AS key
    FROM (SELECT site, suffix, label, unnest(range(length(label))) AS i FROM s
          WHERE length(label) >= 4)
)
SELECT DISTINCT sk.site FROM sk JOIN rk ON sk.suffix = rk.suffix AND sk.key = rk.key
WHERE sk.site <> rk.label || '.' || rk.suffix
ORDER BY sk.site
"""


# --- findings ----------------------------------------------------------------------------


def _nx(nxdomain: int | None, queries: int) -> str:
    """The NXDOMAIN evidence of ``queries``: "k/n NXDOMAIN", or on a query-only log (no
    rcode logged: no evidence either way) "n queries, rcode not logged"."""
    if nxdomain is None:
        return f"{counted(queries, 'query', 'queries')}, rcode not logged"
    return f"{nxdomain}/{queries} NXDOMAIN"


@dataclass(frozen=True)
class HostEvidence:
    """Why one client was flagged."""

    client: str
    queries: int  # all its queries in the log
    suspect_names: int  # counted names of the finding's make
    suspect_queries: int
    nxdomain: int | None  # of those queries (None: a query-only log, no rcode logged)
    counted_sites: int  # k: all its counted sites (any make)
    expected: float  # lam * Q
    p_value: float
    burst_sites: int = 0  # most counted sites first asked within BURST_WINDOW_S
    burst_p_value: float = 1.0

    def to_dict(self) -> dict[str, object]:
        return {
            "client": self.client,
            "queries": self.queries,
            "suspect_names": self.suspect_names,
            "suspect_queries": self.suspect_queries,
            "nxdomain": self.nxdomain,
            "nxdomain_share": None
            if self.nxdomain is None
            else round(self.nxdomain / max(1, self.suspect_queries), 4),
            "counted_sites": self.counted_sites,
            "expected": round(self.expected, 4),
            "p_value": float(f"{self.p_value:.3g}"),
            "burst_sites": self.burst_sites,
            "burst_p_value": float(f"{self.burst_p_value:.3g}"),
        }

    @property
    def line(self) -> str:
        """Why this host, in one line (the hunt's stderr)."""
        out = (
            f"{self.client}: {counted(self.suspect_names, 'name')} "
            f"({_nx(self.nxdomain, self.suspect_queries)}) among "
            f"{counted(self.queries, 'query', 'queries')}, "
            f"{counted(self.counted_sites, 'odd site')} where {self.expected:.2f} expected, "
            f"p = {self.p_value:.2g}"
        )
        if self.burst_p_value < self.p_value:
            out += (
                f"; {self.burst_sites} of them first asked within {BURST_WINDOW_S:.0f} s, "
                f"p = {self.burst_p_value:.2g}"
            )
        return out


@dataclass(frozen=True)
class UnknownDGAFinding:
    """Clients asking for names of one make that nothing in the log explains."""

    clients: tuple[str, ...]
    make: str
    shapes: tuple[str, ...]
    first_seen: dt.datetime
    last_seen: dt.datetime
    queries: int
    nxdomain: int | None  # (None: a query-only log, no rcode logged)
    distinct_names: int
    mean_score: float
    closest_family: str | None
    samples: tuple[str, ...]
    hosts: tuple[HostEvidence, ...] = ()
    explained: tuple[tuple[str, int], ...] = ()
    test: str = ""
    names: tuple[str, ...] = ()

    @property
    def summary(self) -> str:
        return (
            f"{counted(len(self.clients), 'host')} querying {counted(self.distinct_names, 'name')} "
            "of an unknown DGA "
            f"({self.make}; {', '.join(self.shapes[:4])}"
            f"{' ...' if len(self.shapes) > 4 else ''}) since "
            f"{self.first_seen:%Y-%m-%d %H:%M} UTC, {_nx(self.nxdomain, self.queries)}, "
            f"p <= {max((min(h.p_value, h.burst_p_value) for h in self.hosts), default=1):.2g}"
        )

    def to_dict(self) -> dict[str, object]:
        return {
            "kind": "unknown_dga",
            "clients": list(self.clients),
            "make": self.make,
            "shapes": list(self.shapes),
            "first_seen": _iso(self.first_seen),
            "last_seen": _iso(self.last_seen),
            "queries": self.queries,
            "nxdomain": self.nxdomain,
            "distinct_names": self.distinct_names,
            "mean_score": round(self.mean_score, 6),
            "closest_family": self.closest_family,
            "samples": list(self.samples),
            "hosts": [h.to_dict() for h in self.hosts],
            "explained": dict(self.explained),
            "test": self.test,
            "names": list(self.names),
            "summary": self.summary,
        }


def _iso(ts: dt.datetime) -> str:
    return ts.astimezone(dt.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _utc(value: dt.datetime) -> dt.datetime:
    ts = value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)
    return ts.replace(microsecond=ts.microsecond // 1000 * 1000)


# --- the collector (local engine) and the analysis (both) ---------------------------------


@dataclass
class UnknownCollector:
    """Fed batch by batch (local engine) or with the three relations at once (Spark);
    re-aggregates as they grow (:data:`PAIR_SCHEMA`)."""

    params: UnknownParams = field(default_factory=UnknownParams)
    model: object | None = None
    parts: dict[str, list[pa.Table]] = field(
        default_factory=lambda: {"pairs": [], "clients": [], "resolved": []}
    )
    #: Names that matched a forecast: never unknown, even if kept from an earlier batch.
    explained: set[str] = field(default_factory=set)
    _rows: int = 0
    _con: duckdb.DuckDBPyConnection | None = None
    _pending: list[pa.RecordBatch] = field(default_factory=list)
    _pending_rows: int = 0
    #: The distinct clients (not null) of every event given, once :meth:`findings` ran (the
    #: local engine's count of clients, which it need not count again).
    distinct_clients: int | None = None
    _events: int = 0
    #: Step 1 over every pair, and the bound on counted sites it gives, when the events
    #: ended (:meth:`events_done`): (names, bound; None: left to :func:`analyse`).
    _early: tuple[pa.Table | None, int | None] | None = None
    #: Some part had an answer (a name resolved, or NXDOMAIN).
    _answers: bool = False
    #: Without answers, the rows held before the next compaction (:meth:`add_relations`).
    _next_compact: int = 0
    #: The first and last query of each client among the coded pairs let go
    #: (:data:`DROP_MIN`) before an answer came (:data:`PAIR_SCHEMA`, no name).
    _gone: pa.Table | None = None
    _let_go: tuple[pa.Array, np.ndarray] | None = None
    #: The pairs while no batch had an answer, coded (:class:`_QueryOnlyPairs`); None once
    #: one had (or a batch could not be coded: a null time), the pairs then in ``parts``.
    _coded: _QueryOnlyPairs | None = field(
        default_factory=lambda: _QueryOnlyPairs() if CODED else None
    )

    def __post_init__(self) -> None:
        if self._coded is not None and EARLY_SCORES:
            self._coded.scores = _EarlyScores(self._model, self.explained)

    def _model(self) -> DGAClassifier:
        from dgawatch.classify import DGAClassifier, default_model

        if self.model is None:
            self.model = default_model()
        assert isinstance(self.model, DGAClassifier)
        return self.model

    def cut(self) -> float:
        """The log-odds over which a suspect name is generated-looking."""
        return self._model().logit_threshold_for(self.params.fpr, bare=True)  # labels

    def _sql(self, sql: str, **tables: pa.Table | pa.RecordBatch) -> pa.Table:
        if self._con is None:
            # DuckDB keeps what its allocator freed below 128 MiB: give it back (the
            # analysis runs a few big joins once; at 10 M lines this is 40 MB of peak).
            self._con = duckdb.connect(config={"allocator_flush_threshold": "8MB"})
            self._con.execute("SET TimeZone = 'UTC'")
        for name, t in tables.items():
            self._con.register(name, t)
        try:
            return self._con.sql(sql).to_arrow_table()
        finally:
            for name in tables:
                self._con.unregister(name)

    def add(self, batch: pa.RecordBatch, matched: Iterable[str]) -> None:
        """Take one batch of query events; ``matched``: its names a forecast explains.
        Batches are reduced :data:`REDUCE_ROWS` events at a time (one SQL call per batch
        cost more than the reduction itself)."""
        self.explained.update(matched)
        self.add_events(batch)

    def add_events(self, batch: pa.RecordBatch) -> None:
        """Take one batch of query events (the local engine calls this on its read-ahead
        thread, and :meth:`findings` once that thread is done)."""
        if batch.num_rows == 0:
            return
        self._events += batch.num_rows
        self._pending.append(batch.select(["ts", "client", "qname", "rcode"]))
        self._pending_rows += batch.num_rows
        if self._pending_rows >= REDUCE_ROWS:
            self._reduce()

    def _reduce(self) -> None:
        if not self._pending:
            return
        src = pa.Table.from_batches(self._pending)
        self._pending, self._pending_rows = [], 0
        if self._coded is not None:
            rcode = src.column("rcode")
            # (no NOERROR and no NXDOMAIN: the relations are those of no answer at all; a
            # query-only log's rcode is all null, which no lookup need tell)
            answered = (
                rcode.null_count < len(rcode)
                and pc.any(pc.is_in(rcode, value_set=pa.array(["NOERROR", "NXDOMAIN"]))).as_py()
            )
            if not answered and not _any_null(src, ["ts"]):
                # No answers so far: the events' pairs coded (query-only logs)
                self._coded.add(
                    src.column("client"),
                    src.column("qname"),
                    src.column("ts"),
                    self.params.allowlist,
                )
                return
            self._uncode()
        self.add_relations(**reduce_events(src))

    def _uncode(self) -> None:
        """The coded pairs (if any) as a part of the pairs, coding stopped: a batch with an
        answer, or one that cannot be coded, came."""
        coded, self._coded = self._coded, None
        if coded is not None and coded.scores is not None:
            coded.scores.close()
        if coded is not None and coded.held:
            self.parts["clients"].append(coded.clients_table())
            pairs = coded.coded()
            self.parts["pairs"].append(pairs.table())
            if len(pairs.dropped_sites):  # (pairs let go: their sites' clients, the spans)
                self._gone = pairs.gone_table()
                self._let_go = (pairs.dropped_sites, pairs.dropped_clients)

    def add_relations(self, *, pairs: pa.Table, clients: pa.Table, resolved: pa.Table) -> None:
        """Take the three relations reduced elsewhere (the Spark engine), or one batch's."""
        self._uncode()
        for kind, t in (("pairs", pairs), ("clients", clients), ("resolved", resolved)):
            self.parts[kind].append(t.cast(_SCHEMAS[kind]))
            self._rows += t.num_rows
        if not self._answers and (resolved.num_rows or (pc.sum(pairs.column("nx")).as_py() or 0)):
            self._answers, self._next_compact = True, 0
        held = sum(t.num_rows for parts in self.parts.values() for t in parts)
        if self._rows > COMPACT_ROWS and held >= self._next_compact:
            self._compact()
            if not self._answers:
                # Without answers nearly every (client, name) is new: summing saves a few
                # %, and summing every row held at each step grew with the square of the
                # log (20,000-client query-only day: 8 compactions, 5.4 CPU-s). Sum again
                # once the rows held have doubled: linear in the log, at most twice the
                # distinct pairs held.
                self._next_compact = 2 * self._rows
            # If the log has more distinct rows than that, compact less often.
            self._rows = 0 if self._rows < COMPACT_ROWS // 2 else self._rows // 2

    def _compact(self, sum_pairs: bool = True) -> dict[str, pa.Table]:
        """The relations, each as one table (parts summed; the pairs' only when
        ``sum_pairs``: else one (client, name) may have a row in each part)."""
        out = {}
        self._rows = 0
        for kind, parts in self.parts.items():
            t = pa.concat_tables(parts) if parts else _SCHEMAS[kind].empty_table()
            if len(parts) > 1 and (sum_pairs or kind != "pairs"):
                t = _reaggregate(kind, t).cast(_SCHEMAS[kind])
            self.parts[kind] = [t]
            self._rows += t.num_rows
            out[kind] = t
        return out

    def reduce_idle(self) -> None:
        """Reduce the pending events if there are :data:`IDLE_REDUCE_ROWS` (the feeder
        calls this while it waits for a batch: less is left for the end)."""
        if self._pending_rows >= IDLE_REDUCE_ROWS:
            self._reduce()

    def events_done(self) -> None:
        """The last batch was given: reduce the events still pending (the local engine's
        feeder thread calls this while the last batches are matched). A log of at most
        :data:`EARLY_EVENTS` events also gets step 1 and its bound now, over every pair (the
        names a forecast explains are known only once the matching ends: with them the
        bound can only fall), so that most logs' analysis is done when the matching is (a
        bigger log's compaction is left to :meth:`findings`: here it would add to the
        matcher's peak)."""
        self._reduce()
        if self._coded is not None:
            # (no last merge here: the analysis takes the runs joined, not summed; on the
            # 5,000-client query-only day it was ~0.15 s of the feeder's last steps, which
            # the analysis waits for)
            self._coded.done()
            return
        if self._events <= EARLY_EVENTS:
            # Query-only so far, so query-only after the matching too (fewer pairs keep it
            # so): :func:`analyse` then sums only the rows it counts, and its own pass over
            # the open pairs gives its bound with what step 2 needs (both were a second
            # pass over every pair here, ~0.5 s each on a 5,000-client day).
            no_answers = not any(t.num_rows for t in self.parts["resolved"]) and not any(
                pc.sum(t.column("nx")).as_py() for t in self.parts["pairs"]
            )
            rel = self._compact(sum_pairs=not no_answers)
            pairs, resolved = rel["pairs"], rel["resolved"]
            if not pairs.num_rows:  # every query answered: nothing to explain (no PSL loaded)
                self._early = (None, 0)
                return
            names = explained_names(pairs, resolved, self.params.allowlist)
            bound = None if no_answers else most_open_sites_any(pairs, names, resolved)
            self._early = (names, bound)

    def flush(self) -> None:
        """Reduce the events still pending and compact the relations (``findings()`` then
        has neither left to do; calling it again costs nothing)."""
        self._reduce()
        if any(len(parts) > 1 for parts in self.parts.values()):
            self._compact()

    def findings(self) -> list[UnknownDGAFinding]:
        self._reduce()
        if self._coded is not None:
            return self._coded_findings()
        # (without answers the pairs go unsummed: :func:`analyse` sums the rows it counts)
        rel = self._compact(sum_pairs=self._answers)
        self.distinct_clients = int(pc.count(rel["clients"].column("client")).as_py())
        # The analysis holds the only references: the filtered pairs do not sit beside
        # the unfiltered ones (the peak of a 10 M-line hunt is in here).
        self.parts = {kind: [] for kind in self.parts}
        pairs, clients, resolved = rel.pop("pairs"), rel.pop("clients"), rel.pop("resolved")
        early, self._early = self._early, None
        if early is not None and early[1] is not None and early[1] < self.params.min_names:
            return []  # (nobody could be flagged even with the forecast-matched names)
        names = early[0] if early is not None else None
        if self.explained and pairs.num_rows:
            known = pa.array(sorted(self.explained), pa.string())
            if early is None or early[1] is not None:
                pairs = pairs.filter(pc.invert(pc.is_in(pairs.column("qname"), value_set=known)))
            # else a log without answers: the pairs keep the forecast-matched names, which
            # analyse leaves out through the names (every other pair's name is one of
            # them): a copy of every pair less
            if names is not None:
                names = names.filter(pc.invert(pc.is_in(names.column("qname"), value_set=known)))
        return self._analyse(pairs, clients, resolved, names)

    def _analyse(
        self,
        pairs: pa.Table | _CodedPairs,
        clients: pa.Table,
        resolved: pa.Table,
        names: pa.Table | None,
    ) -> list[UnknownDGAFinding]:
        try:
            return analyse(
                pairs,
                clients,
                resolved,
                self._model,
                self.params,
                self._sql,
                names=names,
                gone=self._gone,
                let_go=self._let_go,
            )
        finally:
            if self._con is not None:
                self._con.close()
                self._con = None

    def _coded_findings(self) -> list[UnknownDGAFinding]:
        """:meth:`findings` of a log without answers (coded pairs): step 1 over every
        name, the forecast-matched ones then left out of it (:func:`analyse` leaves their
        pairs out through it)."""
        assert self._coded is not None
        self.parts = {kind: [] for kind in self.parts}
        self._coded.done()
        clients = self._coded.clients_table()
        self.distinct_clients = int(pc.count(clients.column("client")).as_py())
        self._early = None
        names = self._coded.names_table()
        # (not summed: the analysis sums the few rows it reads; the last merge of the 10
        # M-line query-only week was ~0.1 CPU-s of its serial end)
        coded, self._coded = self._coded.coded(summed=False), _QueryOnlyPairs()
        try:
            return self._analyse_coded(coded, clients, names)
        finally:
            if coded.scored is not None:  # (scores nobody asked for: not waited for)
                coded.scored.close()

    def _analyse_coded(
        self, coded: _CodedPairs, clients: pa.Table, names: pa.Table
    ) -> list[UnknownDGAFinding]:
        if not coded.num_rows:
            return []
        if self.explained:  # (left out: a null name, the rows staying at their codes)
            known = pa.array(list(self.explained), pa.string())
            matched = pc.is_in(names.column("qname"), value_set=known)
            out = np.asarray(matched.to_numpy(zero_copy_only=False), bool)
            names = pa.table(
                {name: _nulled(names.column(name), out) for name in ("qname", "site", "reason")}
            )
        return self._analyse(coded, clients, RESOLVED_SCHEMA.empty_table(), names)


def _whole(a: pa.Array | pa.ChunkedArray) -> pa.Array:
    return a.combine_chunks() if isinstance(a, pa.ChunkedArray) else a


def _nulled(a: pa.Array | pa.ChunkedArray, mask: np.ndarray) -> pa.Array:
    """``a`` (strings) with nulls where ``mask``: a validity bitmap over the same values,
    not a copy of them (``if_else`` copied the 10 M-line query-only week's 0.9 M names,
    sites and reasons, on its analysis' serial end)."""
    if isinstance(a, pa.ChunkedArray):
        a = a.chunk(0) if a.num_chunks == 1 else a.combine_chunks()
    if a.offset or not pa.types.is_string(a.type):
        return pc.if_else(pa.array(mask), pa.scalar(None, a.type), a)
    valid = ~mask
    if a.null_count:
        valid &= np.asarray(a.is_valid().to_numpy(zero_copy_only=False), bool)
    bitmap = pa.array(valid).buffers()[1]
    return pa.Array.from_buffers(a.type, len(a), [bitmap, *a.buffers()[1:]])


def _groups(*keys: pa.Array | pa.ChunkedArray) -> tuple[np.ndarray, list[pa.Array]]:
    """(the group of each row, numbered in the order of its first row, as Arrow's
    ``group_by`` numbers them; each key's value per group) of rows grouped by one or two
    keys (nulls a value of their own). Arrow's hash kernels, without ``group_by``: its
    first use imports pyarrow.acero and pyarrow.dataset (~50 ms, holding the GIL)."""
    encoded = [pc.dictionary_encode(_whole(k), null_encoding="encode") for k in keys]
    codes = [np.asarray(e.indices.to_numpy(zero_copy_only=False), np.int64) for e in encoded]
    if len(keys) == 1:
        return codes[0], [encoded[0].dictionary]
    (a, b), (da, db) = codes, (e.dictionary for e in encoded)
    pair = pc.dictionary_encode(pa.array(a * len(db) + b, pa.int64()))
    first = np.asarray(pair.dictionary.to_numpy(), np.int64)
    group = np.asarray(pair.indices.to_numpy(zero_copy_only=False), np.int64)
    return group, [da.take(pa.array(first // len(db))), db.take(pa.array(first % len(db)))]


def _sum(group: np.ndarray, n: int, values: pa.Array | pa.ChunkedArray) -> pa.Array:
    v = np.asarray(_whole(values).to_numpy(zero_copy_only=False), np.int64)
    out = np.zeros(n, np.int64)
    np.add.at(out, group, v)
    return pa.array(out)


def _extreme(
    group: np.ndarray, n: int, values: pa.Array | pa.ChunkedArray, biggest: bool
) -> pa.Array:
    """The min (max) timestamp of each group."""
    arr = _whole(values)
    v = np.asarray(arr.cast(pa.int64()).to_numpy(zero_copy_only=False), np.int64)
    info = np.iinfo(np.int64)
    out = np.full(n, info.min if biggest else info.max, np.int64)
    (np.maximum if biggest else np.minimum).at(out, group, v)
    return pa.array(out).cast(arr.type)


def _pair_rows(
    client: pa.Array | pa.ChunkedArray,
    qname: pa.Array | pa.ChunkedArray,
    queries: pa.Array | pa.ChunkedArray | None,
    nx: pa.Array | pa.ChunkedArray,
    first: pa.Array | pa.ChunkedArray,
    last: pa.Array | pa.ChunkedArray,
) -> pa.Table:
    """Rows summed per (client, qname): ``queries`` summed (None: one per row), ``nx``
    summed, ``first`` min and ``last`` max; groups in the order of their first row."""
    group, (clients, qnames) = _groups(client, qname)
    n = len(clients)
    count = np.bincount(group, minlength=n).astype(np.int64)
    return pa.table(
        {
            "client": clients,
            "qname": qnames,
            "queries": pa.array(count) if queries is None else _sum(group, n, queries),
            "nx": _sum(group, n, nx),
            "first_seen": _extreme(group, n, first, biggest=False),
            "last_seen": _extreme(group, n, last, biggest=True),
        }
    )


def _reaggregate(kind: str, t: pa.Table) -> pa.Table:
    """Parts of one relation summed into one (Arrow: at 10 M lines DuckDB kept ~160 MB
    more after the same GROUP BY)."""
    if kind == "resolved":
        return pa.table({"qname": pc.unique(t.column("qname"))})
    if kind == "clients":
        group, (clients,) = _groups(t.column("client"))
        return pa.table(
            {"client": clients, "queries": _sum(group, len(clients), t.column("queries"))}
        )
    if not _any_null(t, ["queries", "nx", "first_seen", "last_seen"]):
        return _pair_rows(
            *(t.column(c) for c in ("client", "qname", "queries", "nx", "first_seen", "last_seen"))
        )
    g = t.group_by(["client", "qname"], use_threads=False).aggregate(
        [("queries", "sum"), ("nx", "sum"), ("first_seen", "min"), ("last_seen", "max")]
    )
    return pa.table(
        {
            "client": g.column("client"),
            "qname": g.column("qname"),
            "queries": g.column("queries_sum"),
            "nx": g.column("nx_sum"),
            "first_seen": g.column("first_seen_min"),
            "last_seen": g.column("last_seen_max"),
        }
    )


def reduce_events(src: pa.Table) -> dict[str, pa.Table]:
    """:data:`PAIRS_SQL`, :data:`CLIENTS_SQL` and :data:`RESOLVED_SQL` over ``src``, in
    Arrow compute (a third of DuckDB's time on batches this size; same rows, tested
    through the engines' identical findings) -- but a batch without answers (no rcode)
    keeps a pair row per event: they are summed later (:meth:`UnknownCollector._compact`,
    :func:`_summed`)."""
    qname, rcode = src.column("qname"), src.column("rcode")
    named = pc.not_equal(qname, "")
    noerror = pc.fill_null(pc.equal(rcode, "NOERROR"), False)
    counts = pc.value_counts(src.column("client"))
    clients = pa.table(
        {"client": counts.field("values"), "queries": counts.field("counts").cast(pa.int64())}
    )
    resolved = pa.table({"qname": pc.unique(qname.filter(pc.and_(named, noerror)))})
    rest = src.filter(pc.and_(named, pc.invert(noerror)))
    nx = pc.fill_null(pc.equal(rest.column("rcode"), "NXDOMAIN"), False).cast(pa.int64())
    if rcode.null_count == len(rcode) and not _any_null(rest, ["ts"]):
        # No answers (a query-only log's batch): nearly every (client, name) is asked once
        # a batch, so summing them here saved no rows and cost ~0.3 CPU-s a 5,000-client
        # day; the rows are summed where they are counted (compaction; :func:`_summed`).
        ts = rest.column("ts")
        pairs = pa.table(
            {
                "client": rest.column("client"),
                "qname": rest.column("qname"),
                "queries": pa.array(np.ones(rest.num_rows, np.int64)),
                "nx": nx,
                "first_seen": ts,
                "last_seen": ts,
            }
        )
        return {"pairs": pairs, "clients": clients, "resolved": resolved}
    if not _any_null(rest, ["ts"]):
        ts = rest.column("ts")
        pairs = _pair_rows(rest.column("client"), rest.column("qname"), None, nx, ts, ts)
        return {"pairs": pairs, "clients": clients, "resolved": resolved}
    grouped = (
        rest.select(["client", "qname", "ts"])
        .append_column("nx", nx)
        .group_by(["client", "qname"], use_threads=False)
        .aggregate([("ts", "count"), ("nx", "sum"), ("ts", "min"), ("ts", "max")])
    )
    pairs = pa.table(
        {
            "client": grouped.column("client"),
            "qname": grouped.column("qname"),
            "queries": grouped.column("ts_count"),
            "nx": grouped.column("nx_sum"),
            "first_seen": grouped.column("ts_min"),
            "last_seen": grouped.column("ts_max"),
        }
    )
    return {"pairs": pairs, "clients": clients, "resolved": resolved}


# --- query-only logs: the pairs as integer codes -------------------------------------------

#: Logs without answers are analysed over coded pairs (False: over string tables, as
#: before; the tests compare the two).
CODED = True
#: Their sites' labels are scored as the sites are first met (:class:`_EarlyScores`), once
#: the log has this many events (a smaller log's are scored by the analysis, if it needs
#: them: its hunt does not wait for the classifier's import on a thread nobody needs).
EARLY_SCORES = True
EARLY_SCORES_EVENTS = 100_000
#: A coded pair's key: its client's code in the high 32 bits, its name's in the low 32.
_NAME_BITS = 32
_NAME_MASK = (1 << _NAME_BITS) - 1
_MS = pa.timestamp("ms", tz="UTC")


class _EarlyScores:
    """The classifier's log-odds of the open sites' labels, scored on a thread of its own as
    the sites are first met while a query-only log is read (each label once; step 2 then
    scores only the labels it has not met: ~0.6 CPU-s of a 5,000-client day's analysis
    was that scoring, done after the log was read). The model is loaded on that thread."""

    def __init__(
        self, load_model: Callable[[], DGAClassifier], matched: set[str] | None = None
    ) -> None:
        self.load_model = load_model
        #: Names a forecast matched so far (the collector's, filled by the matcher's
        #: thread): a site that is one is not scored here (step 2 leaves it out; the 10 M-line
        #: bench week's Conficker names were a quarter of its open sites).
        self.matched = matched if matched is not None else set()
        self._pool = ThreadPoolExecutor(1, thread_name_prefix="dgawatch-early-scores")
        self._parts: list[Future[tuple[pa.Array, np.ndarray]]] = []

    def add(self, sites: pa.Array) -> None:
        """Score the labels of these sites (new ones; a label may repeat)."""
        if len(sites):
            self._parts.append(self._pool.submit(self._score, sites))

    def _score(self, sites: pa.Array) -> tuple[pa.Array, np.ndarray]:
        if self.matched:
            keep = [site not in self.matched for site in sites.to_pylist()]
            sites = sites.filter(pa.array(keep, pa.bool_()))
        labels = pc.unique(pc.list_element(pc.split_pattern(sites, ".", max_splits=1), 0))
        return labels, np.asarray(self.load_model().decision_function(labels.to_pylist()))

    def of(self, labels: pa.Array, model: DGAClassifier) -> np.ndarray:
        """The log-odds of ``labels`` (distinct): those scored early, the others now."""
        parts = [f.result() for f in self._parts]
        self._pool.shutdown()
        out = np.zeros(len(labels))
        missing = np.ones(len(labels), bool)
        if parts:
            done = pa.concat_arrays([p[0] for p in parts])
            at = pc.index_in(labels, value_set=done)
            got = np.asarray(pc.fill_null(at, -1).to_numpy(zero_copy_only=False), np.int64)
            hit = got >= 0
            out[hit] = np.concatenate([p[1] for p in parts])[got[hit]]
            missing = ~hit
        if missing.any():
            rest = labels.filter(pa.array(missing))
            out[missing] = model.decision_function(rest.to_pylist())
        return out

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)


@dataclass
class _CodedPairs:
    """The pairs of a log without answers as integers: one row per distinct (client,
    name) -- ``key`` (client code << 32 | name code), ``queries``, ``first`` and ``last``
    (ms since the epoch) -- with the clients and names at their codes. A query-only log
    gives every (client, name) it holds (not only the failed ones): as strings, held and
    grouped in Arrow, the 10 M-line bench week took 1.96 GB and most of its time."""

    clients: pa.Array
    names: pa.Array
    key: np.ndarray
    queries: np.ndarray
    first: np.ndarray
    last: np.ndarray
    #: The sites whose pairs were let go (:data:`DROP_MIN`) and their distinct clients then.
    dropped_sites: pa.Array = field(default_factory=lambda: pa.array([], pa.string()))
    dropped_clients: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    #: Per client code, the first and last query (ms) among the pairs let go (sentinels
    #: where none; shorter than the clients when the last had none).
    gone_first: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    gone_last: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    #: Site labels scored while the log was read (:class:`_EarlyScores`), if any.
    scored: _EarlyScores | None = None
    #: One row per (client, name); False: a pair may have several rows (runs joined, not
    #: summed: :meth:`_QueryOnlyPairs.coded`), which the analysis sums where it reads them.
    summed: bool = True

    @property
    def num_rows(self) -> int:
        return len(self.key)

    @classmethod
    def of_table(cls, pairs: pa.Table) -> _CodedPairs:
        """Pairs of :data:`PAIR_SCHEMA` (no null count or time; summed or not) coded."""
        clients, names = Codes(), Codes()
        c = clients.encode(pairs.column("client"))
        q = names.encode(pairs.column("qname"))
        key, queries, first, last = _run_of(
            (c << _NAME_BITS) | q,
            _ints(pairs.column("queries")),
            _ints(pairs.column("first_seen")),
            _ints(pairs.column("last_seen")),
        )
        return cls(clients.values(), names.values(), key, queries, first, last)

    def gone_table(self) -> pa.Table:
        """The first and last query of each client among the pairs let go, as
        :data:`PAIR_SCHEMA` rows without a name (only their spans are known)."""
        at = np.flatnonzero(self.gone_first != _FAR)
        n = len(at)
        return pa.table(
            {
                "client": self.clients.take(pa.array(at, pa.int64())),
                "qname": pa.nulls(n, pa.string()),
                "queries": pa.nulls(n, pa.int64()),
                "nx": pa.nulls(n, pa.int64()),
                "first_seen": pa.array(self.gone_first[at]).cast(_MS),
                "last_seen": pa.array(self.gone_last[at]).cast(_MS),
            }
        ).cast(PAIR_SCHEMA)

    def table(self) -> pa.Table:
        """As :data:`PAIR_SCHEMA` (no NXDOMAIN: there is no answer)."""
        assert self.summed, "pairs not summed"
        return pa.table(
            {
                "client": self.clients.take(pa.array(self.key >> _NAME_BITS)),
                "qname": self.names.take(pa.array(self.key & _NAME_MASK)),
                "queries": pa.array(self.queries),
                "nx": pa.array(np.zeros(len(self.key), np.int64)),
                "first_seen": pa.array(self.first).cast(_MS),
                "last_seen": pa.array(self.last).cast(_MS),
            }
        ).cast(PAIR_SCHEMA)


def _ints(a: pa.Array | pa.ChunkedArray) -> np.ndarray:
    a = _whole(a)
    if pa.types.is_timestamp(a.type):
        a = a.cast(_MS).cast(pa.int64())
    return np.asarray(a.to_numpy(zero_copy_only=False), np.int64)


#: A run of coded rows: keys sorted and distinct, with their queries, first and last times.
_Run = tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]


def _run_of(
    key: np.ndarray, queries: np.ndarray | None, first: np.ndarray, last: np.ndarray
) -> _Run:
    """Rows summed per key (queries summed, None: one each; first min, last max), sorted by
    key (:func:`_merge_runs`)."""
    return _merge_columns([[key], None if queries is None else [queries], [first], [last]])


def _merge_runs(runs: list[_Run]) -> _Run:
    """Runs summed into one; ``runs`` is emptied (each column is let go once merged: the
    10 M-line bench week's last merge held ~0.5 GB more with every column copied at once)."""
    if len(runs) == 1:
        return runs.pop()
    columns: list[list[np.ndarray] | None] = [[r[i] for r in runs] for i in range(4)]
    runs.clear()
    return _merge_columns(columns)


def _merge_into(big: list[np.ndarray] | None, runs: list[_Run]) -> _Run:
    """The runs summed into one, that merged into the big run (its columns; a linear merge
    of two sorted runs: ~2.5x faster than sorting them together); ``runs`` is emptied."""
    since = _merge_runs(runs)
    return since if big is None else _merge_two(big, since)


def _joined(big: list[np.ndarray] | None, runs: list[_Run]) -> _Run:
    """The big run (its columns) and the runs one after another, not summed: a (client,
    name) may have a row in several (for a reader that sums the rows it reads: the
    query-only analysis, whose last merge of the 10 M-line week, ~0.1 CPU-s, was on its
    serial end); ``runs`` and ``big`` are emptied, each column let go once joined."""
    columns = [[*(() if big is None else (big[i],)), *(r[i] for r in runs)] for i in range(4)]
    if big is not None:
        big.clear()
    runs.clear()
    out = []
    for parts in columns:
        out.append(parts[0] if len(parts) == 1 else np.concatenate(parts))
        parts.clear()
    return out[0], out[1], out[2], out[3]


def _merge_two(big: _Run | list[np.ndarray], small: _Run) -> _Run:
    """Two sorted runs summed into one (:func:`_merge_runs` of both): the small one's keys
    found in the big one by a binary search of sorted keys (memory read in order), the
    others inserted; new arrays (the big run is not changed; given as a list, its columns
    are let go one by one as their new ones are made: the 10 M-line query-only bench
    week's peak was in here)."""
    cols = list(big) if isinstance(big, tuple) else big
    sk, sq, sf, sl = small
    bk = cols[0]
    pos = np.searchsorted(bk, sk)
    found = pos < len(bk)
    found[found] = bk[pos[found]] == sk[found]
    del bk
    new = ~found
    ins = pos[new]  # (sorted: the small run's keys are)
    bq = cols[1]
    if bq.dtype != np.int64 and len(bq) and len(sq) and int(bq.max()) + int(sq.max()) >= 1 << 31:
        cols[1] = bq.astype(np.int64)
    del bq
    out = []
    for i, col in enumerate((sk, sq, sf, sl)):
        old = cols[i]
        cols[i] = None  # type: ignore[call-overload]
        out.append(np.insert(old, ins, col[new].astype(old.dtype)))
        del old
    key, queries, first, last = out
    at = pos[found]
    at += np.searchsorted(ins, at, side="right")  # (the big run's rows moved by the inserts)
    queries[at] += sq[found].astype(queries.dtype)
    first[at] = np.minimum(first[at], sf[found])
    last[at] = np.maximum(last[at], sl[found])
    return key, queries, first, last


def _distinct(a: np.ndarray, grouped: bool = False) -> np.ndarray:
    """``np.unique(a)`` of integers (sorted, each once; ``a`` is sorted in place): NumPy's
    SIMD sort, then the changes. NumPy 2.4's ``unique`` hashes integers first, ~10x slower
    on the 10 M-line query-only week's millions of (site, client) pairs. ``grouped``: the
    values come in ascending groups (client * n + x of pairs in key order), which NumPy's
    stable sort (timsort) orders ~2.5x faster than its default; the same values either way."""
    a.sort(kind="stable" if grouped else "quicksort")
    if len(a) > 1:
        keep = np.empty(len(a), bool)
        keep[0] = True
        np.not_equal(a[1:], a[:-1], out=keep[1:])
        a = a[keep]
    return a


def _stable_order(key: np.ndarray, runs: bool = False) -> np.ndarray:
    """``np.argsort(key, kind="stable")`` of coded keys (client << 32 | name, not negative):
    where (client, name) and the row number fit 63 bits together, a sort of the values
    packed as ((client * names + name) << bits | row): NumPy sorts values with SIMD, ~2.5x
    faster than its argsort; the row in the low bits keeps equal keys in order. ``runs``:
    the keys are sorted runs one after another (a merge), whose packed values NumPy's
    stable sort (timsort: the values are distinct, so any sort gives the same order)
    merges ~4x faster than its default (the 10 M-line query-only week's first merge, 20
    runs of 1.1 M rows: 0.08 -> 0.02 s); a batch's unsorted keys sort faster by default."""
    n = len(key)
    if n > 1:
        bits = (n - 1).bit_length()
        client, name = key >> _NAME_BITS, key & _NAME_MASK
        width = int(name.max()) + 1
        if ((int(client.max()) + 1) * width).bit_length() + bits <= 63:
            packed = client * width
            del client
            packed += name
            del name
            packed <<= bits
            packed |= np.arange(n, dtype=np.int64)
            packed.sort(kind="stable" if runs else "quicksort")
            packed &= (1 << bits) - 1
            return packed
    return np.argsort(key, kind="stable")


def _merge_columns(columns: list[list[np.ndarray] | None]) -> _Run:
    """:func:`_merge_runs` of the columns' parts (queries None: one each; the lists are
    emptied). Sorting, not hashing: a stable sort of runs already sorted merges them
    (timsort), reading memory in order, where Arrow's hash of the 10 M-line bench week's
    keys cost ~3x more."""
    parts = columns[0]
    assert parts is not None
    runs = len(parts) > 1  # (runs to merge: each sorted; one part: a batch's rows)
    key = np.concatenate(parts) if runs else parts[0]
    parts.clear()
    order = _stable_order(key, runs)
    key = key[order]
    n = len(key)
    new = np.ones(n, bool)
    np.not_equal(key[1:], key[:-1], out=new[1:])
    starts = np.flatnonzero(new)
    del new
    key = key[starts]
    out: list[np.ndarray] = [key]
    if columns[1] is None:
        out.append(np.diff(np.append(starts, n)).astype(np.int32))
    # (a batch's events: first and last are the same times)
    firsts, lasts = columns[2], columns[3]
    same = (
        firsts is not None
        and lasts is not None
        and len(firsts) == len(lasts)
        and all(a is b for a, b in zip(firsts, lasts, strict=True))
    )
    for i, ufunc in ((1, np.add), (2, np.minimum), (3, np.maximum)):
        parts = columns[i]
        if parts is None:
            continue
        col = np.concatenate(parts) if len(parts) > 1 else parts[0]
        if i == 2 and same:
            columns[3] = None
        parts.clear()
        col = col[order]
        if not n:
            out.append(col)
            if i == 2 and same:
                out.append(col)
        elif i == 1:
            total = np.add.reduceat(col, starts, dtype=np.int64)
            # (int32 while no pair was asked 2**31 times: 4 bytes a pair less)
            out.append(total.astype(np.int32) if total.max() < 1 << 31 else total)
        else:
            out.append(ufunc.reduceat(col, starts))
            if i == 2 and same:
                out.append(np.maximum.reduceat(col, starts))
        del col
    return out[0], out[1], out[2], out[3]


#: Query-only logs: a site whose pairs are let go once, at a merge, more than this many
#: distinct clients (and more than :data:`DROP_SHARE` of the clients seen so far) asked for
#: it (:class:`_QueryOnlyPairs`). Step 2 explains a site as popular when more than
#: max(:data:`POPULAR_MIN`, :data:`POPULAR_SHARE` x the log's clients) asked for it, and a
#: popular site never counts: its pairs are needed by nothing but the clients' active spans
#: (kept per client) and its count (kept). A site's distinct clients only grow, so such a
#: site is popular at the end unless the log's clients grow past 100 x its count when let
#: go (more than double the clients seen then; its count then stands in for a larger one).
DROP_MIN = 100
DROP_SHARE = 0.02  # (2 x POPULAR_SHARE)


#: A merge's answer (:func:`_merge_dropping`): the big run; the sites let go at it and their
#: distinct clients; the first and last query (ms) of the pairs let go, per client code
#: (sentinels where none); the (site << 32 | client) of the sites still held.
_Merged = tuple[_Run, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]

_FAR = np.iinfo(np.int64).max
_NEAR = np.iinfo(np.int64).min


def _site_rows(
    key: np.ndarray, site_of: np.ndarray, dropped: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """The open site code of each coded key's name (-1: none), and whether it was let go."""
    site = site_of[key & _NAME_MASK]
    gone = np.zeros(len(key), bool)
    held = (site >= 0) & (site < len(dropped))
    gone[held] = dropped[site[held]]
    return site, gone


def _fold_gone(
    clients: np.ndarray, first: np.ndarray, last: np.ndarray, n: int
) -> tuple[np.ndarray, np.ndarray]:
    """Per client code (``n`` of them): the first ``first`` and last ``last`` of its rows."""
    lo = np.full(n, _FAR, np.int64)
    hi = np.full(n, _NEAR, np.int64)
    np.minimum.at(lo, clients, first)
    np.maximum.at(hi, clients, last)
    return lo, hi


def _merge_dropping(
    big: list[np.ndarray] | None,
    runs: list[_Run],
    site_of: np.ndarray,
    dropped: np.ndarray,
    site_clients: np.ndarray,
    threshold: float | None,
    n_clients: int,
    merge: bool = True,
) -> _Merged:
    """:func:`_merge_into` that also lets go the pairs of the sites more than ``threshold``
    distinct clients asked for (``site_of``: each name's open site code, -1 none; ``dropped``:
    the sites let go before, whose pairs the runs may still hold; ``site_clients``: the
    distinct (site << 32 | client) of the held open sites so far, sorted; ``threshold``
    None: no site counted, none let go here -- the last merge, whose counts would cost more
    than the pairs they spare, and most others). ``merge`` False (``threshold`` None): the
    runs are only joined (:func:`_joined`), not summed."""
    gone_first = np.full(n_clients, _FAR, np.int64)
    gone_last = np.full(n_clients, _NEAR, np.int64)

    def fold(run: _Run, gone: np.ndarray) -> None:
        lo, hi = _fold_gone(run[0][gone] >> _NAME_BITS, run[2][gone], run[3][gone], n_clients)
        np.minimum(gone_first, lo, out=gone_first)
        np.maximum(gone_last, hi, out=gone_last)

    kept: list[_Run] = []
    fresh: list[np.ndarray] = []
    for run in runs:
        site, gone = _site_rows(run[0], site_of, dropped)
        if gone.any():
            fold(run, gone)
            keep = ~gone
            run = (run[0][keep], run[1][keep], run[2][keep], run[3][keep])
            site = site[keep]
        if threshold is not None:
            at = site >= 0
            fresh.append((site[at].astype(np.int64) << _NAME_BITS) | (run[0][at] >> _NAME_BITS))
        kept.append(run)
    runs.clear()
    merged = _merge_into(big, kept) if merge or threshold is not None else _joined(big, kept)
    if threshold is None:
        return (
            merged,
            np.zeros(0, np.int64),
            np.zeros(0, np.int64),
            gone_first,
            gone_last,
            site_clients,
        )
    if fresh:
        new = _distinct(np.concatenate(fresh))
        pos = np.searchsorted(site_clients, new)
        inside = pos < len(site_clients)
        inside[inside] = site_clients[pos[inside]] == new[inside]
        site_clients = np.insert(site_clients, pos[~inside], new[~inside])
    counts = np.bincount(site_clients >> _NAME_BITS, minlength=len(dropped))
    let_go = np.flatnonzero(counts > threshold)
    if len(let_go):
        out = np.zeros(len(counts), bool)
        out[let_go] = True
        site_clients = site_clients[~out[site_clients >> _NAME_BITS]]
        _, gone = _site_rows(merged[0], site_of, out)
        if gone.any():
            fold(merged, gone)
            keep = ~gone
            merged = (merged[0][keep], merged[1][keep], merged[2][keep], merged[3][keep])
    return merged, let_go, counts[let_go], gone_first, gone_last, site_clients


#: A batch coded (:meth:`_QueryOnlyPairs._encode`): its queries per client code, the clients
#: coded so far, the named events' client and name codes, the names new in it, their times.
_Encoded = tuple[
    np.ndarray, int, np.ndarray, np.ndarray, pa.Array | None, pa.Array | pa.ChunkedArray
]


class _QueryOnlyPairs:
    """The local engine's pairs of a log without answers, as they come (:class:`_CodedPairs`
    once summed): each batch's named events coded and summed into a run, the runs summed
    into one again once the rows held have doubled (linear in the log; at most about twice
    the distinct pairs held). That merge runs on a thread of its own (NumPy, the GIL
    released) while the next batches are coded; at most one at a time, and a batch that
    finds another merge due waits for it, so the merges are those a merge in line would
    make, at the same points.

    A merge also lets go the pairs of the sites more than :data:`DROP_MIN` clients (and
    :data:`DROP_SHARE` of those seen) asked for -- popular sites, which never count -- and
    the next batches' events under them are left out as they are coded: only their
    distinct clients when let go and each client's first and last query among them are
    kept. The pairs held are then those of the sites at most that many clients had asked
    for when last counted (at the 1st, 2nd, 4th... merge), the names under no open site's
    and the rows since the last merge: each site holds at most max(DROP_MIN, 2 % of the
    clients) clients' pairs once counted, however long the log (the 10 M-line query-only
    bench week: 4.6 M distinct pairs, 1.3 M held at the end, 1.7 M at most)."""

    def __init__(self) -> None:
        self.clients, self.names = Codes(), Codes()
        #: The runs summed so far (None: none yet) and the batches' runs since.
        self._big: _Run | None = None
        self._runs: list[_Run] = []
        #: Times the runs were summed into one (the tests' bound).
        self.compactions = 0
        #: Queries of each client (at its code), named or not.
        self._queries = np.zeros(0, np.int64)
        #: Step 1 (sites, reasons) of the names, at their codes, in parts.
        self._steps: list[tuple[pa.Array, pa.Array]] = []
        #: The merge under way (its big run to be), on ``_pool``'s thread, and the fewest
        #: and most rows it can give.
        self._merging: Future[_Merged] | None = None
        self._merging_rows = (0, 0)
        self._pool: ThreadPoolExecutor | None = None
        #: Rows of the batches' runs since the last merge.
        self._since = 0
        #: Each name's open site (a code of ``sites``; -1: no open site), the sites let go
        #: (their distinct clients then; 0: held), the held sites' distinct (site << 32 |
        #: client) as of the last merge, and each client's first and last query (ms) among
        #: the pairs let go.
        self.sites = Codes()
        self._site_of = np.zeros(0, np.int32)
        self._dropped = np.zeros(0, bool)
        self._dropped_clients = np.zeros(0, np.int64)
        self._site_clients = np.zeros(0, np.int64)
        self._gone_first = np.zeros(0, np.int64)
        self._gone_last = np.zeros(0, np.int64)
        #: The sites the last merge let go and their clients (:meth:`_let_go`).
        self._letting = (np.zeros(0, np.int64), np.zeros(0, np.int64))
        #: The new sites' labels scored as they come (None: at the analysis), and the new
        #: sites not given to it yet (a log's first EARLY_SCORES_EVENTS events' sites).
        self.scores: _EarlyScores | None = None
        self._unscored: list[pa.Array] = []
        #: The coding thread, the batch it codes (and the stage's allowlist), and the
        #: clients coded as of the last batch taken in.
        self._encoder: ThreadPoolExecutor | None = None
        self._pending: tuple[Future[_Encoded], frozenset[str]] | None = None
        self._n_clients = 0
        #: The big run holds runs joined, not summed (:meth:`coded` ``summed`` False).
        self._joined = False

    def add(
        self,
        client: pa.Array,
        qname: pa.Array,
        ts: pa.Array,
        allowlist: frozenset[str] = frozenset(),
    ) -> None:
        """Take events (no null time); step 1 of the names seen first (``allowlist``: the
        stage's), on the feeder's thread while the log is read (it was on the analysis'
        path: ~0.5 s of a 5,000-client day's). The clients and names are coded on a thread
        of their own (:meth:`_encode`, one batch after another, the GIL mostly released)
        while the batch before is taken in here (:meth:`_take`): the feeder's two largest
        costs side by side, the same steps in the same order as one after the other."""
        if not len(qname):
            return
        if self._encoder is None:
            self._encoder = ThreadPoolExecutor(1, thread_name_prefix="dgawatch-encode")
        job = self._encoder.submit(self._encode, client, qname, ts)
        self._flush()
        self._pending = (job, allowlist)

    def _flush(self) -> None:
        """The batch being coded (if any), taken in."""
        if self._pending is not None:
            (job, allowlist), self._pending = self._pending, None
            self._take(job.result(), allowlist)

    def _stop_encoder(self) -> None:
        if self._encoder is not None:
            self._encoder.shutdown()
            self._encoder = None

    def _encode(
        self,
        client: pa.Array | pa.ChunkedArray,
        qname: pa.Array | pa.ChunkedArray,
        ts: pa.Array | pa.ChunkedArray,
    ) -> _Encoded:
        """A batch coded (the encoder's thread): its queries per client code, the clients
        coded so far, and the named events' client and name codes, new names and times."""
        # (the columns stay in their chunks: Codes.encode codes them so, without a copy)
        c = self.clients.encode(client)
        n_clients = len(self.clients)
        counts = np.bincount(c, minlength=n_clients)
        named = pc.not_equal(qname, "")
        if not pc.all(named).as_py():
            keep = np.asarray(named.to_numpy(zero_copy_only=False), bool)
            c, qname, ts = c[keep], qname.filter(named), ts.filter(named)
        if not len(c):
            return counts, n_clients, c, c, None, ts
        q = self.names.encode(qname)
        return counts, n_clients, c, q, self.names.new, ts

    def _take(self, encoded: _Encoded, allowlist: frozenset[str]) -> None:
        """A coded batch (:meth:`_encode`) taken in: step 1 of its new names, its events
        under sites let go left out, its run, and a merge if one is due."""
        counts, n_clients, c, q, new, ts = encoded
        counts[: len(self._queries)] += self._queries
        self._queries = counts
        self._n_clients = n_clients
        if not len(c):
            return
        key = (c << _NAME_BITS) | q
        if new is not None:
            sites, reasons = explain_arrow(new, allowlist)
            self._steps.append((sites, reasons))
            self._new_sites(sites, reasons)
        t = _ints(ts)
        if self._dropped.any():  # (events under a site let go: only the clients' spans)
            _, gone = _site_rows(key, self._site_of, self._dropped)
            if gone.any():
                self._gone(*_fold_gone(c[gone], t[gone], t[gone], n_clients))
                keep = ~gone
                key, t = key[keep], t[keep]
                if not len(key):
                    return
        self._runs.append(_run_of(key, None, t, t))
        self._since += len(self._runs[-1][0])
        if self._merging is not None and not self._merging.done():
            # The big run to be has between ``lo`` and ``hi`` rows: wait for it only if a
            # merge could be due with some size in there (the most likely: COMPACT_ROWS / 2)
            lo, hi = self._merging_rows
            if not self._due(min(max(COMPACT_ROWS // 2, lo), hi)):
                return
        self._settle()
        if self._due(len(self._big[0]) if self._big is not None else 0):
            self._compact(background=True)

    def _due(self, big_rows: int) -> bool:
        """A merge is due: the rows held have doubled since the last (and COMPACT_ROWS)."""
        return big_rows + self._since >= max(COMPACT_ROWS, 2 * big_rows)

    def _new_sites(self, sites: pa.Array, reasons: pa.Array) -> None:
        """The open sites of the names just coded (step 1's ``sites`` and ``reasons``)."""
        open_ = pc.and_(pc.is_valid(sites), pc.is_null(reasons))
        at = np.full(len(sites), -1, np.int32)
        mask = np.asarray(pc.fill_null(open_, False).to_numpy(zero_copy_only=False), bool)
        if mask.any():
            at[mask] = self.sites.encode(sites.filter(open_)).astype(np.int32)
            if self.scores is not None and self.sites.new is not None:
                self._unscored.append(self.sites.new)
                if len(self._queries) and self._queries.sum() >= EARLY_SCORES_EVENTS:
                    self.scores.add(pa.concat_arrays(self._unscored))
                    self._unscored = []
        self._site_of = np.concatenate([self._site_of, at])

    def _gone(self, first: np.ndarray, last: np.ndarray) -> None:
        """Fold the first and last queries (per client code) of pairs let go."""
        n = max(len(first), len(self._gone_first))
        lo = np.full(n, _FAR, np.int64)
        hi = np.full(n, _NEAR, np.int64)
        for a, b in ((self._gone_first, self._gone_last), (first, last)):
            np.minimum(lo[: len(a)], a, out=lo[: len(a)])
            np.maximum(hi[: len(b)], b, out=hi[: len(b)])
        self._gone_first, self._gone_last = lo, hi

    def _took(self, merged: _Merged) -> None:
        """A merge's answer (:func:`_merge_dropping`) taken in; the sites it let go are
        left out of the events from the next merge on (:meth:`_let_go`: at the same points
        whenever the merge ended)."""
        big, let_go, clients, first, last, self._site_clients = merged
        self._big = big
        self._letting = (let_go, clients)
        if (first != _FAR).any():
            self._gone(first, last)

    def _let_go(self) -> None:
        """The sites the last merge let go, from now on left out."""
        let_go, clients = self._letting
        self._letting = (np.zeros(0, np.int64), np.zeros(0, np.int64))
        if len(let_go):
            n = len(self.sites)
            dropped = np.zeros(n, bool)
            dropped[: len(self._dropped)] = self._dropped
            dropped[let_go] = True
            counts = np.zeros(n, np.int64)
            counts[: len(self._dropped_clients)] = self._dropped_clients
            counts[let_go] = clients
            self._dropped, self._dropped_clients = dropped, counts

    def _settle(self) -> None:
        """The merge under way (waited for) becomes the big run."""
        if self._merging is not None:
            merging, self._merging = self._merging, None
            self._took(merging.result())

    @property
    def held(self) -> int:
        """Rows held (a merge under way: the rows it was given; 0: no event taken), the
        batch being coded taken in first."""
        self._flush()
        if self._merging is not None:
            big = self._merging_rows[1]
        else:
            big = len(self._big[0]) if self._big is not None else 0
        return (big + self._since) or len(self._queries)

    def clients_table(self) -> pa.Table:
        """The queries of each client (:data:`CLIENT_SCHEMA`)."""
        self._flush()
        return pa.table(
            {"client": self.clients.values(), "queries": pa.array(self._queries)},
            schema=CLIENT_SCHEMA,
        )

    def _compact(self, background: bool = False, merge: bool = True) -> None:
        """The runs summed into the big one (``background``: on the merge thread; else
        after any merge under way, here; ``merge`` False: joined to it, not summed, their
        rows under sites let go taken out all the same)."""
        self._settle()
        self._let_go()
        if merge and self._joined and self._big is not None:  # (summed after all)
            self._big = _run_of(*self._big)
        self._joined = not merge
        if not self._runs or (self._big is None and len(self._runs) == 1):
            if self._big is None and self._runs:
                self._big = self._runs.pop()
                self._since = 0
            return
        runs, self._runs = self._runs, []
        big_rows = len(self._big[0]) if self._big is not None else 0
        given = big_rows + self._since
        self._since = 0
        # (the list holds the big run's only references: let go column by column)
        columns = None if self._big is None else list(self._big)
        self._big = None
        self.compactions += merge
        # (the arrays given are never changed in place: the feeder's thread replaces them)
        # Sites are counted at the 1st, 2nd, 4th, 8th... merge (a sort of the new pairs'
        # (site, client)s: at every merge ~7 % of the 10 M-line week's hunt CPU); a popular
        # site is let go at one of the first, and counts that miss some of its clients only
        # let it go later (they are lower bounds).
        counting = background and not self.compactions & (self.compactions - 1)
        threshold = max(DROP_MIN, DROP_SHARE * self._n_clients) if counting else None
        args = (
            columns,
            runs,
            self._site_of,
            self._dropped,
            self._site_clients,
            threshold,
            self._n_clients,
        )
        if background:
            if self._pool is None:
                self._pool = ThreadPoolExecutor(1, thread_name_prefix="dgawatch-merge")
            self._merging = self._pool.submit(_merge_dropping, *args)
            # (sites let go may take the big run under its rows now)
            self._merging_rows = (big_rows if threshold is None else 0, given)
            return
        self._took(_merge_dropping(*args, merge=merge))

    def names_table(self) -> pa.Table:
        """Step 1 of every name (qname, site, reason), at its code."""
        self._flush()
        if not self._steps:
            return _coded_names(self.names.values(), frozenset())
        return pa.table(
            {
                "qname": self.names.values(),
                "site": pa.concat_arrays([s for s, _ in self._steps]),
                "reason": pa.concat_arrays([r for _, r in self._steps]),
            }
        )

    def done(self) -> None:
        """No event will be added (the batch being coded taken in; the coding thread, the
        codes' index and store go)."""
        self._flush()
        self._stop_encoder()
        self.clients.release()
        self.names.release()

    def coded(self, summed: bool = True) -> _CodedPairs:
        """Every pair, summed (``summed`` False: a (client, name) may have a row in each
        run since the last merge, for a reader that sums the rows it reads)."""
        self._flush()
        self._stop_encoder()
        self._compact(merge=summed)
        if self._pool is not None:
            self._pool.shutdown()
            self._pool = None
        e = np.zeros(0, np.int64)
        key, queries, first, last = self._big if self._big is not None else (e, e, e, e)
        let_go = np.flatnonzero(self._dropped)
        return _CodedPairs(
            self.clients.values(),
            self.names.values(),
            key,
            queries,
            first,
            last,
            dropped_sites=self.sites.values().take(pa.array(let_go, pa.int64())),
            dropped_clients=self._dropped_clients[let_go],
            gone_first=self._gone_first,
            gone_last=self._gone_last,
            scored=self.scores,
            summed=summed,
        )

    @property
    def let_go(self) -> int:
        """Sites whose pairs were let go."""
        return int(self._dropped.sum())


class _OpenCoded:
    """Step 2 without answers over coded pairs (:func:`_query_only_open` in integers):
    each open site's distinct clients (``per_site``, as :data:`_SITE_CLIENTS_SQL`), the
    most open sites of one client (``bound``), and on demand the rows under some sites
    (:meth:`rows`, as :data:`_SUSPECT_SQL` gives them) and the candidates' active spans
    (:meth:`spans`). ``names``: step 1 of every name at its code (null where the name is
    left out: a forecast matched it)."""

    def __init__(self, coded: _CodedPairs, names: pa.Table, drop: np.ndarray) -> None:
        self.coded, self.drop = coded, drop
        sites, reasons = names.column("site"), names.column("reason")
        open_ = pc.and_(pc.is_valid(sites), pc.is_null(reasons))
        shut = ~np.asarray(open_.to_numpy(zero_copy_only=False), bool)
        enc = pc.dictionary_encode(_nulled(sites, shut))
        self.sites = enc.dictionary.cast(pa.string())
        site_of = np.asarray(pc.fill_null(enc.indices, -1).to_numpy(zero_copy_only=False), np.int32)
        # (int32: the codes of one log fit; three arrays of every pair)
        self.client_of = (coded.key >> _NAME_BITS).astype(np.int32)
        self.name_of = (coded.key & _NAME_MASK).astype(np.int32)
        self.site_of = site_of[self.name_of]
        at = np.flatnonzero(self.site_of >= 0)
        n_sites = len(self.sites)
        if not len(at):
            counts = np.zeros(n_sites, np.int64)
            self._let_go(counts)
            self.per_site = pa.table({"site": self.sites, "clients": pa.array(counts)})
            self.per_site = self.per_site.filter(pc.greater(self.per_site.column("clients"), 0))
            self.bound = 0
            return
        # the distinct (client, site) pairs: a sort of their values (SIMD), not a hash
        both = self.client_of[at].astype(np.int64)
        both *= n_sites
        both += self.site_of[at]
        del at
        both = _distinct(both, grouped=True)  # (the pairs are in key order: by client)
        client, site = both // n_sites, both % n_sites
        # count(DISTINCT client): a null client is not counted (its site still is a row)
        named = ~np.asarray(coded.clients.is_null().to_numpy(zero_copy_only=False), bool)
        counts = np.bincount(site, weights=named[client], minlength=n_sites).astype(np.int64)
        self._let_go(counts)
        self.per_site = pa.table({"site": self.sites, "clients": pa.array(counts)})
        # (over the sites held: a site let go is popular, counted by no client, and step 2
        # ends with no finding wherever this bound is under min_names)
        self.bound = int(np.bincount(client).max())

    def _let_go(self, counts: np.ndarray) -> None:
        """The distinct clients of the sites whose pairs were let go: as they were then."""
        c = self.coded
        if len(c.dropped_sites):
            at = pc.index_in(c.dropped_sites, value_set=self.sites)
            got = np.asarray(pc.fill_null(at, -1).to_numpy(zero_copy_only=False), np.int64)
            counts[got[got >= 0]] = c.dropped_clients[got >= 0]

    def rows(self, sites: pa.Array) -> pa.Table:
        """The pairs under ``sites`` (client, qname, site, queries, nx, first_seen,
        last_seen): one row per (client, name) if the pairs are summed, else maybe more."""
        want = np.zeros(len(self.sites) + 1, bool)  # (the last: no site, code -1)
        want[
            np.asarray(pc.drop_null(pc.index_in(sites, value_set=self.sites)).to_numpy(), np.int64)
        ] = True
        at = pa.array(np.flatnonzero(want[self.site_of]))
        c = self.coded
        return pa.table(
            {
                "client": c.clients.take(pa.array(self.client_of).take(at)),
                "qname": c.names.take(pa.array(self.name_of).take(at)),
                "site": self.sites.take(pa.array(self.site_of).take(at)),
                "queries": pa.array(c.queries).take(at).cast(pa.int64()),
                "nx": pa.array(np.zeros(len(at), np.int64)),
                "first_seen": pa.array(c.first).take(at).cast(_MS),
                "last_seen": pa.array(c.last).take(at).cast(_MS),
            }
        )

    def spans(self, clients: pa.Array) -> dict[str, float]:
        """:func:`_spans` of these clients over their names step 1 was given."""
        want = np.zeros(len(self.coded.clients), bool)
        want[
            np.asarray(
                pc.drop_null(pc.index_in(clients, value_set=self.coded.clients)).to_numpy(),
                np.int64,
            )
        ] = True
        at = np.flatnonzero(want[self.client_of])
        at = at[~self.drop[self.name_of[at]]]
        if not len(at):
            return {}
        group, who = np.unique(self.client_of[at], return_inverse=True)
        first = np.full(len(group), _FAR, np.int64)
        np.minimum.at(first, who, self.coded.first[at])
        last = np.full(len(group), _NEAR, np.int64)
        np.maximum.at(last, who, self.coded.last[at])
        # (and the pairs let go: :class:`_QueryOnlyPairs`)
        gone_first, gone_last = self.coded.gone_first, self.coded.gone_last
        inside = group < len(gone_first)
        first[inside] = np.minimum(first[inside], gone_first[group[inside]])
        last[inside] = np.maximum(last[inside], gone_last[group[inside]])
        names = self.coded.clients.take(pa.array(group)).to_pylist()
        return {
            c: (b - a) / 1000 for c, a, b in zip(names, first.tolist(), last.tolist(), strict=True)
        }


def _any_null(t: pa.Table, columns: list[str]) -> bool:
    """Nulls in any of ``columns`` (Arrow's ``group_by`` then: its aggregates skip them)."""
    return any(t.column(c).null_count for c in columns)


def unresolved_names(pairs: pa.Table, resolved: pa.Table) -> pa.Table:
    """The distinct names of ``pairs`` no client resolved (``qname``, sorted): the names
    step 1 explains. Arrow (DuckDB's first connection alone cost ~25 ms)."""
    names = pc.unique(pairs.column("qname").combine_chunks())
    if resolved.num_rows:
        done = resolved.column("qname").combine_chunks()
        names = names.filter(pc.invert(pc.is_in(names, value_set=done)))
    return pa.table({"qname": names.cast(pa.string()).sort()})


def explained_names(
    pairs: pa.Table, resolved: pa.Table, allowlist: frozenset[str] = frozenset()
) -> pa.Table:
    """Step 1: the names of ``pairs`` nobody resolved (:func:`unresolved_names`) with their
    site and reason (:func:`explain_arrow`; ``psl-private?`` undecided)."""
    qnames = unresolved_names(pairs, resolved)
    sites, reasons = explain_arrow(qnames.column("qname"), allowlist)
    return qnames.append_column("site", sites).append_column("reason", reasons)


def _coded_names(qnames: pa.Array, allowlist: frozenset[str]) -> pa.Table:
    """Step 1 of coded pairs' names (nothing resolved: every name), at their codes."""
    sites, reasons = explain_arrow(qnames, allowlist)
    return pa.table({"qname": qnames, "site": sites, "reason": reasons})


def most_open_sites_any(pairs: pa.Table, names: pa.Table, resolved: pa.Table) -> int:
    """:func:`most_open_sites` whichever way step 2 decides (a log without answers or not;
    names under a private suffix open or explained): private-suffix names open, and
    every pair counted when nothing resolved. At least the bound :func:`analyse` finds for
    these pairs or any subset of them."""
    reasons = names.column("reason")
    undecided = pc.fill_null(pc.equal(reasons, "psl-private?"), False)
    open_names = names.set_column(
        names.schema.get_field_index("reason"),
        "reason",
        pc.if_else(undecided, pa.scalar(None, pa.string()), reasons),
    )
    return most_open_sites(pairs, open_names, query_only=resolved.num_rows == 0)


def most_open_sites(pairs: pa.Table, names: pa.Table, query_only: bool) -> int:
    """The most distinct open sites (a site, no reason: step 1 left them) one client asked
    for with an NXDOMAIN answer (any answer in a query-only log): a bound on any client's
    counted sites, which step 2 takes among those."""
    at = pc.index_in(pairs.column("qname"), value_set=names.column("qname"))
    open_ = pc.and_(pc.is_valid(names.column("site")), pc.is_null(names.column("reason")))
    keep = pc.fill_null(pc.take(open_, at), False)
    if not query_only:
        keep = pc.and_(keep, pc.greater(pairs.column("nx"), 0))
    rows = pa.table(
        {"client": pairs.column("client"), "site": pc.take(names.column("site"), at)}
    ).filter(keep)
    if not rows.num_rows:
        return 0
    _, (clients, _sites) = _groups(rows.column("client"), rows.column("site"))
    return int(pc.max(pc.value_counts(clients).field("counts")).as_py())


#: Sites (among ``unk_sites``) that some resolved name lies under (or is).
_OK_SITES_SQL = """
WITH p AS (SELECT string_split(qname, '.') AS parts FROM unk_resolved),
t AS (SELECT array_to_string(parts[i:], '.') AS site
      FROM (SELECT parts, unnest(range(1, len(parts))) AS i FROM p))
SELECT DISTINCT site FROM t WHERE site IN (SELECT site FROM unk_sites) ORDER BY site
"""

#: Resolved names' last 2 and 3 labels (a registered domain has one of those lengths but for
#: a few deep suffixes) with a suffix and a label length (+-1) some suspect site has: the
#: sites a suspect may be a typo of.
_RESOLVED_TAILS_SQL = """
WITH s AS (SELECT DISTINCT substr(site, strpos(site, '.') + 1) AS suffix,
                  length(split_part(site, '.', 1)) + d AS n
           FROM unk_sites, (SELECT unnest([-1, 0, 1]) AS d)),
p AS (SELECT string_split(qname, '.') AS parts FROM unk_resolved),
t AS (SELECT parts[-2] AS label, parts[-1] AS suffix FROM p WHERE len(parts) >= 2
      UNION ALL
      SELECT parts[-3], parts[-2] || '.' || parts[-1] FROM p WHERE len(parts) >= 3)
SELECT DISTINCT t.label || '.' || t.suffix AS site FROM t JOIN s
  ON t.suffix = s.suffix AND length(t.label) = s.n
WHERE s.n >= 4
"""

_SUSPECT_SQL = """
SELECT p.client, p.qname, n.site, p.queries, p.nx, p.first_seen, p.last_seen
FROM unk_pairs p JOIN unk_names n ON p.qname = n.qname
WHERE n.reason IS NULL AND (p.nx > 0 OR $query_only) AND n.site NOT IN (SELECT site FROM unk_ok)
"""

#: Query-only logs: the clients that asked anything under each open site.
_SITE_CLIENTS_SQL = """
SELECT n.site, count(DISTINCT p.client) AS clients
FROM unk_pairs p JOIN unk_names n ON p.qname = n.qname
WHERE n.reason IS NULL GROUP BY n.site
"""


#: Query-only logs: a site more than this share of the clients (and more than
#: :data:`POPULAR_MIN` clients) asked for is no rendezvous site.
POPULAR_SHARE = 0.01
POPULAR_MIN = 10
#: Query-only logs: the classifier's benign FPR for a counted label, as a share of
#: :attr:`UnknownParams.fpr`.
QUERY_ONLY_FPR = 0.1


def _query_only_sites(per_site: pa.Table, n_clients: int) -> tuple[pa.Table, pa.Table, int]:
    """Step 2 without answers, from each open site's distinct clients (``per_site``:
    :func:`_query_only_open`): (sites explained as popular -- asked by more than
    :data:`POPULAR_SHARE` of the clients and :data:`POPULAR_MIN` --, the sites typos are
    checked against -- asked by two clients or more --, how many popular sites). Names
    under a popular private suffix are already explained (:func:`_popular_private`)."""
    cut = max(POPULAR_MIN, POPULAR_SHARE * n_clients)
    popular = per_site.filter(pc.greater(per_site.column("clients"), cut)).select(["site"])
    shared = per_site.filter(pc.greater_equal(per_site.column("clients"), 2)).select(["site"])
    return popular, shared, popular.num_rows


#: Query-only logs: step 1's reason for the names under a popular private suffix.
POPULAR_PRIVATE = "psl-private (no answers)"


def _popular_private(
    sites: pa.Array,
    reasons: pa.Array,
    name_of: np.ndarray,
    clients_at: Callable[[np.ndarray], np.ndarray],
    named: np.ndarray,
    n_clients: int,
) -> np.ndarray:
    """Step 1 without answers: whether each name (step 1's ``sites`` and ``reasons``, at
    the names' codes) lies under a private suffix of the Public Suffix List that is
    *popular* in this log -- more than :data:`POPULAR_SHARE` of the ``n_clients`` (and
    :data:`POPULAR_MIN`) distinct clients asked for some name under it -- given the pairs
    as name codes (``name_of``; -1: left out) and ``clients_at(mask)``, the client codes of
    the pairs under ``mask`` (``named[client]``: the client is not null). Such a suffix is
    a provider many clients use (``cloudfront.net``, ``elb.amazonaws.com``,
    ``blogspot.com``): a one-off random host under it is no evidence without NXDOMAIN, and
    it is explained away. A rare private suffix (``ddns.net`` asked by two hosts) is not:
    names under it are sites like any other (a random label, asked by few clients,
    counts)."""
    private = np.asarray(
        pc.fill_null(pc.equal(reasons, "psl-private?"), False).to_numpy(zero_copy_only=False),
        bool,
    )
    out = np.zeros(len(private), bool)
    at = np.flatnonzero(private)
    if not len(at):
        return out
    suffix = pc.list_element(pc.split_pattern(sites.take(pa.array(at)), ".", max_splits=1), 1)
    enc = pc.dictionary_encode(_whole(suffix))
    code = np.asarray(enc.indices.to_numpy(zero_copy_only=False), np.int64)
    n_suffixes = len(enc.dictionary)
    suffix_of = np.full(len(private) + 1, -1, np.int32)  # (the last: name code -1)
    suffix_of[at] = code
    s = suffix_of[name_of]  # (4 bytes a pair: only the private pairs' clients are taken)
    keep = s >= 0
    s = s[keep]
    client = clients_at(keep)
    s, client = s[named[client]], client[named[client]]
    # the distinct (client, suffix) pairs: a sort of their values, as :class:`_OpenCoded`
    both = _distinct(client.astype(np.int64) * n_suffixes + s, grouped=True)
    counts = np.bincount(both % n_suffixes, minlength=n_suffixes)
    out[at] = (counts > max(POPULAR_MIN, POPULAR_SHARE * n_clients))[code]
    return out


def _no_answers(pairs: pa.Table, resolved: pa.Table) -> bool:
    """A log without answers: nothing resolved, no NXDOMAIN (fewer pairs -- the
    forecast-matched names taken out -- keep it so)."""
    return resolved.num_rows == 0 and not (pc.sum(pairs.column("nx")).as_py() or 0)


def _query_only_open(pairs: pa.Table, names: pa.Table) -> tuple[pa.Table, pa.Table, int]:
    """Step 2 without answers, in one pass over the pairs under an open site: (those rows
    with their site, as :data:`_SUSPECT_SQL` gives them before the popular sites are taken
    out; each open site's distinct clients, as :data:`_SITE_CLIENTS_SQL`; the most open
    sites of a client, :func:`most_open_sites` with ``query_only``). Arrow: the two SQL
    joins and the bound's own pass cost ~3x more."""
    at = pc.index_in(pairs.column("qname"), value_set=names.column("qname"))
    open_ = pc.and_(pc.is_valid(names.column("site")), pc.is_null(names.column("reason")))
    keep = pc.fill_null(pc.take(open_, at), False)
    kept = pairs.filter(keep)
    site = pc.take(names.column("site"), at.filter(keep))
    rows = pa.table(
        {
            "client": kept.column("client"),
            "qname": kept.column("qname"),
            "site": site,
            "queries": kept.column("queries"),
            "nx": kept.column("nx"),
            "first_seen": kept.column("first_seen"),
            "last_seen": kept.column("last_seen"),
        }
    )
    empty = pa.table({"site": pa.array([], pa.string()), "clients": pa.array([], pa.int64())})
    if not rows.num_rows:
        return rows, empty, 0
    _, (clients, sites) = _groups(rows.column("client"), site)
    bound = int(pc.max(pc.value_counts(clients).field("counts")).as_py())
    # count(DISTINCT client): null clients are not counted (their site still is a row)
    code, (values,) = _groups(sites)
    valid = pc.is_valid(clients).to_numpy(zero_copy_only=False)
    counts = np.bincount(code, weights=valid, minlength=len(values)).astype(np.int64)
    per_site = pa.table({"site": values, "clients": pa.array(counts)})
    return rows, per_site, bound


def _spans(rows: pa.Table) -> dict[str, float]:
    """Seconds from each client's first to last query (``first_seen`` min to ``last_seen``
    max; nulls skipped). NumPy where nothing is null: Arrow's ``group_by`` imports
    pyarrow.acero (~50 ms) on a path that rarely needs it."""
    if not rows.num_rows:
        return {}
    if _any_null(rows, ["client", "first_seen", "last_seen"]):
        active = (
            rows.group_by("client", use_threads=False)
            .aggregate([("first_seen", "min"), ("last_seen", "max")])
            .to_pydict()
        )
        firsts, lasts = active["first_seen_min"], active["last_seen_max"]
        clients = active["client"]
    else:
        group, (keys,) = _groups(rows.column("client"))
        n = len(keys)
        firsts = _extreme(group, n, rows.column("first_seen"), biggest=False).to_pylist()
        lasts = _extreme(group, n, rows.column("last_seen"), biggest=True).to_pylist()
        clients = keys.to_pylist()
    return {c: (b - a).total_seconds() for c, a, b in zip(clients, firsts, lasts, strict=True)}


def _summed(rows: pa.Table) -> pa.Table:
    """Suspect rows (:data:`_SUSPECT_SQL`'s columns) summed per (client, qname), as the
    pairs' parts are (:func:`_reaggregate`); the site is the qname's."""
    if not rows.num_rows:
        return rows
    group, (clients, qnames) = _groups(rows.column("client"), rows.column("qname"))
    if len(clients) == rows.num_rows:
        return rows  # (one row each already)
    n = len(clients)
    first = np.full(n, rows.num_rows, np.int64)
    np.minimum.at(first, group, np.arange(rows.num_rows, dtype=np.int64))
    nulls = _any_null(rows, ["queries", "nx", "first_seen", "last_seen"])
    if nulls:  # (Arrow's group_by skips them, as the SQL sums and extremes do)
        g = rows.group_by(["client", "qname"], use_threads=False).aggregate(
            [("queries", "sum"), ("nx", "sum"), ("first_seen", "min"), ("last_seen", "max")]
        )
        site = pc.take(rows.column("site"), pc.index_in(g.column("qname"), rows.column("qname")))
        cols = [g.column(c) for c in ("queries_sum", "nx_sum", "first_seen_min", "last_seen_max")]
        clients, qnames = g.column("client"), g.column("qname")
    else:
        site = pc.take(rows.column("site"), pa.array(first))
        cols = [
            _sum(group, n, rows.column("queries")),
            _sum(group, n, rows.column("nx")),
            _extreme(group, n, rows.column("first_seen"), biggest=False),
            _extreme(group, n, rows.column("last_seen"), biggest=True),
        ]
    return pa.table(
        {
            "client": clients,
            "qname": qnames,
            "site": site,
            "queries": cols[0],
            "nx": cols[1],
            "first_seen": cols[2],
            "last_seen": cols[3],
        }
    ).cast(rows.schema)


def _near_in_length(ref: pa.Table, sites: pa.Table) -> pa.Table:
    """The sites of ``ref`` under a suffix of some site of ``sites`` whose label is at most
    one letter longer or shorter than its: the only ones :data:`_TYPO_SQL` can find one
    edit away (it expands every label it is given into its deletions: ~0.3 s for a
    query-only day's sites asked by two clients, against a few hundred suspects)."""
    if not ref.num_rows or not sites.num_rows:
        return ref.slice(0, 0)

    def keys(col: pa.Array | pa.ChunkedArray, shift: int) -> pa.Array:
        parts = pc.split_pattern(_whole(col), ".", max_splits=1)
        label, suffix = pc.list_element(parts, 0), pc.list_element(parts, 1)
        n = pc.add(pc.utf8_length(label), shift).cast(pa.string())
        return pc.binary_join_element_wise(suffix, n, "/")

    wanted = pa.concat_arrays([keys(sites.column("site"), d) for d in (-1, 0, 1)])
    near = pc.fill_null(pc.is_in(keys(ref.column("site"), 0), value_set=wanted), False)
    # (a non-ASCII label is kept: DuckDB's length and substr need not count as Arrow does)
    return ref.filter(pc.or_(near, pc.invert(pc.string_is_ascii(ref.column("site")))))


def _most_sites(rows: pa.Table) -> int:
    """The most distinct sites (not null) one client of ``rows`` (client, site) has (a null
    client counted as one). Hash kernels and a sort, not ``group_by``: its first use
    imports pyarrow.acero (~30 ms of the 10 M-line query-only week's serial end, where
    this is the last step)."""
    if not rows.num_rows:
        return 0
    client, _ = _groups(rows.column("client"))
    enc = pc.dictionary_encode(_whole(rows.column("site")))
    site = np.asarray(pc.fill_null(enc.indices, -1).to_numpy(zero_copy_only=False), np.int64)
    named = site >= 0
    n_sites = len(enc.dictionary)
    both = _distinct(client[named] * n_sites + site[named])
    return int(np.bincount(both // n_sites).max()) if len(both) else 0


def _site_label(site: str) -> str:
    return site.partition(".")[0]


def analyse(
    pairs: pa.Table | _CodedPairs,
    clients_table: pa.Table,
    resolved: pa.Table,
    load_model: Callable[[], DGAClassifier],
    params: UnknownParams,
    run: Callable[..., pa.Table],
    names: pa.Table | None = None,
    gone: pa.Table | None = None,
    let_go: tuple[pa.Array, np.ndarray] | None = None,
) -> list[UnknownDGAFinding]:
    """Steps 1-4 of the module docstring over the whole log's relations (pairs without
    forecast-matched names). ``run(query, **tables)`` runs DuckDB SQL over Arrow tables;
    ``load_model()`` gives the classifier (called only when some client asked for
    ``min_names`` open sites and some site is suspect; on a log without answers, loaded
    beside the pass that says so); ``names``: step 1 already done (:func:`explained_names`
    of these pairs). A log without answers may give its pairs unsummed (a (client, name)
    in several rows) and with forecast-matched names still in them, when ``names`` leaves
    those out (:meth:`UnknownCollector.findings`). A log without answers is analysed over
    its pairs coded (:class:`_CodedPairs`: the local engine hands them so, with ``names``
    a row per name at its code, null where left out; a table is coded here, its names
    missing from ``names`` left out). ``gone``: the first and last queries of clients whose
    coded pairs were let go (:class:`_QueryOnlyPairs`) before an answer came: their spans;
    ``let_go``: those sites and their distinct clients then."""
    if pairs.num_rows == 0:
        return []
    # A log without answers (no rcode: a resolver logging questions only) gives neither
    # NXDOMAIN nor NOERROR evidence: :func:`_query_only_sites` stands in for it.
    coded = pairs if isinstance(pairs, _CodedPairs) else None
    if coded is None:
        assert isinstance(pairs, pa.Table)
        query_only = _no_answers(pairs, resolved)
        if query_only and CODED and not _any_null(pairs, ["queries", "first_seen", "last_seen"]):
            coded = _CodedPairs.of_table(pairs)
            if let_go is not None:  # (an answer came, of forecast-matched names only)
                coded.dropped_sites, coded.dropped_clients = let_go
            if gone is not None and gone.num_rows:
                at = pc.index_in(coded.clients, value_set=gone.column("client"))
                got = np.asarray(pc.fill_null(at, -1).to_numpy(zero_copy_only=False), np.int64)
                lo, hi = _ints(gone.column("first_seen")), _ints(gone.column("last_seen"))
                coded.gone_first = np.where(got >= 0, lo[got], _FAR)
                coded.gone_last = np.where(got >= 0, hi[got], _NEAR)
    else:
        query_only = True
    drop = None
    if coded is not None:
        # Step 1 at the names' codes; a name missing from ``names`` is left out (null).
        if names is None:
            names = _coded_names(coded.names, params.allowlist)
        elif not isinstance(pairs, _CodedPairs):  # (step 1 of the string pairs: to the codes)
            names = names.take(pc.index_in(coded.names, value_set=names.column("qname")))
        elif names.num_rows != len(coded.names):
            raise ValueError("step 1 of coded pairs must give a row per name, at its code")
        drop = np.asarray(names.column("qname").is_null().to_numpy(zero_copy_only=False), bool)
    # Step 1, for the names nobody resolved (the others can never count).
    if names is None:
        assert isinstance(pairs, pa.Table)
        names = explained_names(pairs, resolved, params.allowlist)
    qnames = names.select(["qname"])
    sites, reasons = names["site"].combine_chunks(), names["reason"].combine_chunks()
    undecided = pc.fill_null(pc.equal(reasons, "psl-private?"), False)
    if query_only:
        # Without answers a private-suffix name is explained only when its suffix is
        # popular in this log (:func:`_popular_private`); the others are open sites.
        if coded is not None:
            key = coded.key
            name_of = key & _NAME_MASK
            clients_at: Callable[[np.ndarray], np.ndarray] = lambda m: key[m] >> _NAME_BITS  # noqa: E731
            named = ~np.asarray(coded.clients.is_null().to_numpy(zero_copy_only=False), bool)
        else:
            assert isinstance(pairs, pa.Table)
            where = pc.index_in(pairs.column("qname"), value_set=names.column("qname"))
            who = pc.dictionary_encode(_whole(pairs.column("client"))).indices
            name_of = np.asarray(pc.fill_null(where, -1).to_numpy(zero_copy_only=False), np.int64)
            client_of = np.asarray(pc.fill_null(who, -1).to_numpy(zero_copy_only=False), np.int64)
            clients_at = client_of.__getitem__
            named = np.ones(int(client_of.max(initial=-1)) + 2, bool)
            named[-1] = False  # (code -1: a null client)
        popular = _popular_private(
            sites, reasons, name_of, clients_at, named, clients_table.num_rows
        )
        del name_of
        reasons = pc.if_else(
            undecided,
            pc.if_else(
                pa.array(popular),
                pa.scalar(POPULAR_PRIVATE, pa.string()),
                pa.scalar(None, pa.string()),
            ),
            reasons,
        )
    else:
        reasons = pc.if_else(undecided, pa.scalar(None, pa.string()), reasons)
    names = qnames.append_column("site", sites).append_column("reason", reasons)
    why = pc.value_counts(reasons.drop_null())
    explained = (
        ("resolved", resolved.num_rows),
        *sorted(zip(why.field("values").to_pylist(), why.field("counts").to_pylist(), strict=True)),
    )
    queries_of = dict(
        zip(
            clients_table.column("client").to_pylist(),
            clients_table.column("queries").to_pylist(),
            strict=True,
        )
    )
    # Both tests flag only a client with min_names counted sites, and a client's counted
    # sites are some of its open sites: below that, no finding (most logs end here, before
    # the SQL of step 2 and the classifier).
    if query_only:
        # Without answers nearly every rare site is open, so some client almost always
        # asks for min_names of them: the classifier and word model load beside the pass
        # that says so (~0.2 s a hunt otherwise spent waiting after it).
        loads = _ScoringLoads(load_model)
        if coded is not None:
            assert drop is not None
            opened = _OpenCoded(coded, names, drop)
            per_site, bound = opened.per_site, opened.bound
        else:
            assert isinstance(pairs, pa.Table)
            open_rows, per_site, bound = _query_only_open(pairs, names)
        if bound < params.min_names:
            loads.join()
            return []
    elif most_open_sites(pairs, names, query_only) < params.min_names:
        return []
    else:
        loads = _ScoringLoads(load_model)
    # Step 2: sites nobody resolved anything under, minus typos of resolved sites.
    if query_only:
        ok, typo_ref, n_popular = _query_only_sites(per_site, len(queries_of))
        explained = (*explained, ("popular (no answers)", n_popular))
        # The suspect sites: the open ones not popular (each has a row). Their rows are
        # picked out once the counting sites are known: the popular sites' rows go with
        # the sites that do not count (a filter of every open row less).
        unpopular = pc.invert(pc.is_in(per_site.column("site"), value_set=ok.column("site")))
        site_arr = per_site.column("site").filter(unpopular).combine_chunks().sort()
        suspect_rows = None if coded is not None else open_rows
    else:
        open_sites = pc.unique(sites.filter(pc.and_(pc.is_valid(sites), pc.is_null(reasons))))
        cand = pa.table({"site": open_sites.sort()})
        ok = run(_OK_SITES_SQL, unk_resolved=resolved, unk_sites=cand)
        suspect_rows = run(
            _SUSPECT_SQL.replace("$query_only", "FALSE"),
            unk_pairs=pairs,
            unk_names=names,
            unk_ok=ok,
        )
        site_arr = pc.unique(suspect_rows.column("site").combine_chunks()).sort()
    if not len(site_arr):
        loads.join()
        return []
    label_arr = pc.list_element(pc.split_pattern(site_arr, ".", max_splits=1), 0)
    label_set = pc.unique(label_arr).sort()
    model = loads.model()
    if coded is not None and coded.scored is not None:
        scores = np.asarray(coded.scored.of(label_set, model))
    else:
        scores = np.asarray(model.decision_function(label_set.to_pylist()))
    # Without answers a real site's rare name is as unexplained as a DGA's: only random
    # labels count (a long tail of brand names splits into words), at a stricter cut.
    fpr = params.fpr * (QUERY_ONLY_FPR if query_only else 1.0)
    cut = model.logit_threshold_for(fpr, bare=True)  # (labels are scored, not names)
    if query_only:
        # Most sites fail the cut, and never count: only the others are made Python
        # strings (the 10 M-line query-only week: 16 of 82,000, whose lists and dicts
        # were ~0.06 s of the analysis' serial end).
        above = scores[pc.index_in(label_arr, value_set=label_set).to_numpy()] > cut
        s_sites = site_arr.filter(pa.array(above)).to_pylist()
        high = scores > cut
        labels = label_set.filter(pa.array(high)).to_pylist()
        logits = dict(zip(labels, scores[high].tolist(), strict=True))
    else:
        s_sites = site_arr.to_pylist()
        logits = dict(zip(label_set.to_pylist(), scores.tolist(), strict=True))
    below = len(site_arr) - len(s_sites)  # (not generated-looking: never counted)

    def make(site: str) -> str | None:
        label = _site_label(site)
        if query_only and logits[label] <= cut:
            return None  # (before word_split: the log's every rare site is suspect here)
        if word_split(label) is not None:
            return None if query_only else f"word-list {alphabet_of(label)}"
        if logits[label] > cut:
            return f"random {alphabet_of(label)}"
        return None

    make_of = {s: make(s) for s in s_sites}
    # Typos only matter for the sites that would count.
    maybe = pa.table({"site": pa.array([s for s in s_sites if make_of[s]], pa.string())})
    if query_only:
        # Typos only take counting sites away: if no client has min_names of them before,
        # none has after, and there is no finding (the 10 M-line query-only bench week:
        # 16 such sites; the typo join's DuckDB ~0.09 s of its analysis' serial end).
        want = maybe.column("site").combine_chunks()
        rows = (
            opened.rows(want)
            if suspect_rows is None
            else suspect_rows.filter(pc.is_in(suspect_rows.column("site"), value_set=want))
        )
        if _most_sites(rows) < params.min_names:
            return []
        tails = _near_in_length(typo_ref, maybe)
    else:
        tails = run(_RESOLVED_TAILS_SQL, unk_resolved=resolved, unk_sites=maybe)
    typos = run(_TYPO_SQL, unk_resolved=tails, unk_suspect=maybe).column("site").to_pylist()
    for site in typos:
        make_of[site] = None
    plain = below + sum(m is None for m in make_of.values()) - len(typos)
    explained = (*explained, ("typo of a known site", len(typos)), ("not generated", plain))
    # Only rows under a counting site matter from here on (most suspect rows are not).
    counting = pa.array([s for s in s_sites if make_of[s] is not None], pa.string())
    if suspect_rows is None:  # (coded pairs)
        counted_rows = opened.rows(counting)
    else:
        counted_rows = suspect_rows.filter(
            pc.is_in(suspect_rows.column("site"), value_set=counting)
        )
    if query_only:  # (pairs given unsummed: UnknownCollector.events_done, _CodedPairs)
        counted_rows = _summed(counted_rows)
    suspect: list[dict[str, Any]] = counted_rows.sort_by(
        [("client", "ascending"), ("qname", "ascending")]
    ).to_pylist()
    # k_c: counted sites per client.
    counted: dict[str, set[str]] = defaultdict(set)
    for r in suspect:
        if make_of[r["site"]] is not None:
            counted[r["client"]].add(r["site"])
    clients = sorted(queries_of)
    k = np.array([len(counted.get(c, ())) for c in clients], dtype=np.float64)
    q = np.array([queries_of[c] for c in clients], dtype=np.float64)
    if not (k >= params.min_names).any():
        # Both tests flag only a client with min_names counted sites (a burst counts a
        # subset of them): none here, so no finding, without fitting or testing anything.
        return []
    _FamilyLoads()  # (while the tests run: a finding of random labels asks for the family)
    pvals, mu, flagged, background = _test(k, q, params)
    # Step 3b: a heavy host's DGA can hide in its volume of odd names; not in their timing.
    first_asked: dict[str, dict[str, float]] = defaultdict(dict)
    for r in suspect:
        t = r["first_seen"].timestamp()
        seen = first_asked[r["client"]]
        seen[r["site"]] = min(t, seen.get(r["site"], t))
    # The span each candidate was active over: its first to last query not answered
    # NOERROR (browser probes, search retries, typos, PTR misses... spread over its day).
    cand = pa.array([c for c, n in zip(clients, k, strict=True) if n >= params.min_names])
    if coded is not None:
        spans = opened.spans(cand.cast(pa.string()))
    else:
        assert isinstance(pairs, pa.Table)
        cand_rows = pairs.filter(pc.is_in(pairs.column("client"), value_set=cand.cast(pa.string())))
        if query_only:  # (the pairs may hold forecast-matched names: UnknownCollector.findings)
            cand_rows = cand_rows.filter(
                pc.is_in(cand_rows.column("qname"), value_set=names.column("qname"))
            )
        if gone is not None:
            cand = cand.cast(pa.string())
            cand_rows = pa.concat_tables(
                [cand_rows, gone.filter(pc.is_in(gone.column("client"), value_set=cand))]
            )
        spans = _spans(cand_rows)
    burst_k, burst_p = _burst_test(
        [sorted(first_asked[c].values()) for c in clients], [spans.get(c, 0.0) for c in clients]
    )
    flagged |= (burst_k >= params.min_names) & (burst_p <= params.alpha / max(1, len(clients)))
    flagged_clients = {clients[i]: i for i in np.flatnonzero(flagged)}
    if not flagged_clients:
        return []
    test = (
        f"negative-binomial tail of counted sites vs {background.lam:.2e} per query, "
        f"dispersion {background.phi:.3g} (the 95 % upper bound; estimate "
        f"{background.phi_mle:.3g}: truncated fit over {background.fitted} clients), and at "
        f"least the Poisson tail at {params.floor_rate:g} per query "
        f"(Bonferroni alpha {params.alpha} over {len(clients)} clients); or a burst: "
        f"counted sites first asked within {BURST_WINDOW_S:.0f} s, against the same sites "
        f"spread over the host's active span (scan bound, activity factor {BURST_ACTIVITY:g}, "
        f"Bonferroni alpha {params.alpha})"
    )
    if query_only:
        test += (
            "; query-only log (no rcode): a site counts when under 1 % of the clients asked"
            " for it (names under a private suffix that over 1 % asked for are explained)"
            " and its label is random-looking at FPR "
            f"{params.fpr * QUERY_ONLY_FPR:g}, no NXDOMAIN evidence"
        )
    # Step 4: (client, make) groups of at least min_names names.
    per_group: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
    for r in suspect:
        m = make_of[r["site"]]
        if m is not None and r["client"] in flagged_clients:
            per_group[(r["client"], m)].append(r)
    groups = {
        key: rs
        for key, rs in sorted(per_group.items())
        if len({r["site"] for r in rs}) >= params.min_names
    }
    if not groups:
        return []
    # A host's names of one DGA may fall under two makes (a word-list label the
    # segmentation misses, scored random), so a host's groups form one unit, whose make is
    # the set of its groups' makes -- unless its names fall into bursts of different makes
    # (a host running two DGAs): then each coherent part is a unit (:func:`_split_host`).
    by_host: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for (client, m), rs in groups.items():
        by_host[client].extend({**r, "make": m} for r in rs)
    units: list[tuple[str, list[dict[str, Any]]]] = [
        (client, part)
        for client, rs in sorted(by_host.items())
        for part in _split_host(rs, params.min_names)
    ]
    parent = list(range(len(units)))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    owner: dict[object, int] = {}
    for i, (_client, rs) in enumerate(units):
        joins: list[object] = [_signature(rs)]
        joins += sorted({("name", r["qname"]) for r in rs})
        for j in joins:
            if j in owner:
                a, b = root(owner[j]), root(i)
                if a != b:
                    parent[max(a, b)] = min(a, b)
            else:
                owner[j] = i
    clusters: dict[int, list[int]] = defaultdict(list)
    for i in range(len(units)):
        clusters[root(i)].append(i)
    out = []
    for members in clusters.values():
        rs = [r for i in members for r in units[i][1]]
        names = sorted({str(r["qname"]) for r in rs})
        shape_count = Counter("/".join(shape_of(n)) for n in names)
        shapes = tuple(
            f"{s} x{c}" for s, c in sorted(shape_count.items(), key=lambda x: (-x[1], x[0]))
        )
        make_name = " + ".join(sorted({str(r["make"]) for r in rs}))
        hosts = []
        by_client: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for i in members:
            by_client[units[i][0]].extend(units[i][1])
        for client, g in sorted(by_client.items()):
            ci = flagged_clients[client]
            hosts.append(
                HostEvidence(
                    client=client,
                    queries=int(q[ci]),
                    suspect_names=len({r["qname"] for r in g}),
                    suspect_queries=sum(int(r["queries"]) for r in g),
                    nxdomain=None if query_only else sum(int(r["nx"]) for r in g),
                    counted_sites=int(k[ci]),
                    expected=float(mu[ci]),
                    p_value=float(pvals[ci]),
                    burst_sites=int(burst_k[ci]),
                    burst_p_value=float(burst_p[ci]),
                )
            )
        hosts.sort(key=lambda h: h.client)
        scores = np.array([logits[_site_label(str(r["site"]))] for r in rs])
        fam = None
        if "random" in make_name:
            fams, _ = model.predict_family(names)
            vals, counts = np.unique(np.array([f or "" for f in fams]), return_counts=True)
            fam = str(vals[counts.argmax()]) or None
        firsts = [r["first_seen"] for r in rs]
        lasts = [r["last_seen"] for r in rs]
        out.append(
            UnknownDGAFinding(
                clients=tuple(h.client for h in hosts),
                make=make_name,
                shapes=shapes,
                first_seen=_utc(min(firsts)),
                last_seen=_utc(max(lasts)),
                queries=sum(h.suspect_queries for h in hosts),
                nxdomain=None if query_only else sum(h.nxdomain or 0 for h in hosts),
                distinct_names=len(names),
                mean_score=float(np.mean(1 / (1 + np.exp(-scores)))),
                closest_family=fam,
                samples=_samples(rs, logits),
                hosts=tuple(hosts),
                explained=explained,
                test=test,
                names=tuple(names),
            )
        )
    return sorted(out, key=lambda f: (-len(f.clients), -f.distinct_names, f.clients))


def _samples(rows: list[dict[str, Any]], logits: dict[str, float]) -> tuple[str, ...]:
    """The names most typical of the finding first: asked by most of its hosts, then the
    most generated-looking (a host's own stray typos come last)."""
    hosts: dict[str, set[str]] = defaultdict(set)
    for r in rows:
        hosts[r["qname"]].add(r["client"])
    order = sorted(
        hosts, key=lambda n: (-len(hosts[n]), -logits.get(_site_label(explain(n)[0] or n), 0), n)
    )
    return tuple(order[:SAMPLE_NAMES])


#: A host's counted names whose first queries are further apart than this (seconds) start
#: a new burst (:func:`_split_host`).
BURST_GAP_S = 300.0
#: Parts of fewer sites are judged by whether they lie inside a unit (lengths, suffixes).
MIN_PART = 5


def _kind(make: str) -> str:
    """A make's alphabet (``word-list letters`` and ``random letters`` are both letters:
    a word-list DGA's labels the segmentation misses score random)."""
    return make.split(" ", 1)[1]


@dataclass(frozen=True)
class _Part:
    """What a set of one host's counted names looks like (:func:`_split_host`)."""

    rows: list[dict[str, Any]]

    @property
    def sites(self) -> set[str]:
        return {str(r["site"]) for r in self.rows}

    def lengths(self) -> tuple[int, int]:
        ls = [len(_site_label(x)) for x in self.sites]
        return min(ls), max(ls)

    def kind(self) -> str:
        return Counter(_kind(str(r["make"])) for r in self.rows).most_common(1)[0][0]

    def word_share(self) -> float:
        return sum(str(r["make"]).startswith("word-list") for r in self.rows) / len(self.rows)

    def suffixes(self) -> set[str]:
        return {x.partition(".")[2] for x in self.sites}

    def many_suffixes(self) -> bool:
        """Spread over many suffixes (3 or more, one per 2.5 sites or more: necurs's 40
        TLDs), so that two parts of one such DGA need not share many."""
        n = len(self.suffixes())
        return n >= 3 and n >= 0.4 * len(self.sites)

    def under(self, suffixes: set[str]) -> float:
        """The share of the sites under one of ``suffixes``."""
        sites = self.sites
        return sum(x.partition(".")[2] in suffixes for x in sites) / len(sites)

    def fits(self, other: _Part) -> bool:
        """Could both be one DGA's names? Same alphabet; both fixed at one label length or
        neither, with label-length ranges overlapping over half the narrower one; at least
        half of each one's sites under the other's suffixes, or both spread over many
        suffixes; both word-list makes or neither."""
        if self.kind() != other.kind():
            return False
        (a0, a1), (b0, b1) = self.lengths(), other.lengths()
        if len(other.sites) < MIN_PART:  # a few stray names: inside the unit's lengths
            return (
                a0 - 1 <= b0
                and b1 <= a1 + 1
                and (self.many_suffixes() or other.suffixes() <= self.suffixes())
            )
        if (a0 == a1) != (b0 == b1):
            return False
        if min(a1, b1) - max(a0, b0) + 1 < 0.5 * (min(a1 - a0, b1 - b0) + 1):
            return False
        many = self.many_suffixes() and other.many_suffixes()
        if not many and min(self.under(other.suffixes()), other.under(self.suffixes())) < 0.5:
            return False
        return (self.word_share() >= 0.2) == (other.word_share() >= 0.2)


def _split_host(rows: list[dict[str, Any]], min_names: int) -> list[list[dict[str, Any]]]:
    """One host's counted rows as coherent units: one unit, unless the host asked them in
    bursts (first queries more than :data:`BURST_GAP_S` apart) of which at least two hold
    ``min_names`` sites each and do not :meth:`_Part.fits` one another -- a host running two
    DGAs. Then bursts that fit join, and each smaller burst goes with the first unit it fits
    (a host's stray odd names that fit none are left out). A DGA that spreads its queries
    over the day (no burst of ``min_names``) stays one unit."""
    order = sorted(rows, key=lambda r: (r["first_seen"], r["qname"]))
    bursts: list[list[dict[str, Any]]] = [[order[0]]]
    for prev, r in itertools.pairwise(order):
        if (r["first_seen"] - prev["first_seen"]).total_seconds() > BURST_GAP_S:
            bursts.append([])
        bursts[-1].append(r)
    big = [_Part(b) for b in bursts if len(_Part(b).sites) >= max(min_names, MIN_PART)]
    units: list[_Part] = []
    for b in big:
        for i, u in enumerate(units):
            if u.fits(b):
                units[i] = _Part(u.rows + b.rows)
                break
        else:
            units.append(b)
    if len(units) < 2:
        return [rows]
    for burst in bursts:
        part = _Part(burst)
        if len(part.sites) >= max(min_names, MIN_PART):
            continue
        for i, u in enumerate(units):
            if u.fits(part):
                units[i] = _Part(u.rows + part.rows)
                break
    return [sorted(u.rows, key=lambda r: r["qname"]) for u in units]


def _signature(rows: list[dict[str, Any]]) -> tuple[object, ...]:
    """A unit's make for joining hosts: its makes, label length (a fixed length -- tinba's
    12 letters vs ramnit's 8-19 -- else the median's band) and TLD set."""
    sites = sorted({str(r["site"]) for r in rows})
    lengths = sorted(len(_site_label(x)) for x in sites)
    fixed = lengths[0] == lengths[-1]
    return (
        "make",
        tuple(sorted({str(r["make"]) for r in rows})),
        f"={lengths[0]}" if fixed else _band(lengths[len(lengths) // 2]),
        _main_suffixes(sites),
    )


def _main_suffixes(sites: list[str]) -> tuple[str, ...]:
    """The fewest suffixes that hold 80 % of the sites (a make's TLD set)."""
    counts = Counter(x.partition(".")[2] for x in sites)
    out: list[str] = []
    held = 0
    for suffix, c in sorted(counts.items(), key=lambda x: (-x[1], x[0])):
        out.append(suffix)
        held += c
        if held >= 0.8 * len(sites):
            break
    return tuple(sorted(out))


# --- the two tails the tests need, without SciPy (its special functions: ~0.15 CPU-s to
# import at every hunt that tests a client). Tested against SciPy to 1e-12 relative.

_HALF_LOG_2PI = 0.5 * math.log(2 * math.pi)
_EPS = 3e-16
_TINY = 1e-300
_lgamma_each = np.frompyfunc(math.lgamma, 1, 1)


def log_gamma(z: np.ndarray | float) -> np.ndarray:
    """log Gamma(z) of each ``z > 0``."""
    return np.asarray(_lgamma_each(np.asarray(z, np.float64)), np.float64)


def _stirling_rest(z: np.ndarray) -> np.ndarray:
    """log Gamma(z) - ((z - 1/2) log z - z + log(2 pi) / 2): Stirling's series from
    z = 10 (error < 1e-16), the difference itself below (small numbers, no cancellation)."""
    big = z >= 10
    zb = np.where(big, z, 10.0)
    w = 1 / (zb * zb)
    series = 1 / 1188 - w * (691 / 360360 - w / 156)
    series = 1 / 12 - w * (1 / 360 - w * (1 / 1260 - w * (1 / 1680 - w * series)))
    series /= zb
    if big.all():
        return series
    zs = np.where(big, 1.0, z)
    return np.where(big, series, log_gamma(zs) - ((zs - 0.5) * np.log(zs) - zs + _HALF_LOG_2PI))


def _log_less(y: np.ndarray) -> np.ndarray:
    """log(y) - (y - 1) (<= 0; -inf at y = 0): log1p near y = 1, log far from it (y - 1
    then keeps y's precision: x^a for a tiny x is no 1 - 1e-8 in disguise)."""
    u = y - 1
    near = np.abs(u) < 0.5
    with np.errstate(divide="ignore"):
        return np.where(near, np.log1p(np.where(near, u, 0.0)), np.log(np.where(near, 1.0, y))) - u


def gamma_tail(a: np.ndarray | float, x: np.ndarray | float) -> np.ndarray:
    """P(a, x), the regularised lower incomplete gamma function (``scipy.special.gammainc``;
    for an integer ``a``, P(K >= a) of K ~ Poisson(x)): its series below ``x = a + 1``,
    Legendre's continued fraction for 1 - P above. The factor x^a e^-x / Gamma(a) is taken
    as exp(a (log y - y + 1)) * sqrt(a / 2 pi) * exp(-R(a)), y = x/a, R the rest of
    Stirling's series (no large logs cancelling)."""
    a, x = np.broadcast_arrays(np.asarray(a, np.float64), np.asarray(x, np.float64))
    out = np.zeros(a.shape)
    lower = (x > 0) & (x < a + 1)
    upper = x >= a + 1
    for sel, series in ((lower, True), (upper, False)):
        if not sel.any():
            continue
        aa, xx = a[sel], x[sel]
        log_factor = aa * _log_less(xx / aa) + 0.5 * np.log(aa) - _HALF_LOG_2PI
        log_factor -= _stirling_rest(aa)
        if series:  # sum_n x^n / (a (a+1) ... (a+n))
            term = 1 / aa
            total = term.copy()
            live = np.ones(len(aa), bool)
            n = 0
            while live.any() and n < 100_000:
                n += 1
                term = np.where(live, term * xx / (aa + n), term)
                total = np.where(live, total + term, total)
                live &= term >= total * _EPS
            out[sel] = np.exp(log_factor) * total
        else:  # 1 - P: the continued fraction, by Lentz's method
            b = xx + 1 - aa
            c = np.full(len(aa), 1 / _TINY)
            d = 1 / b
            h = d.copy()
            live = np.ones(len(aa), bool)
            i = 0
            while live.any() and i < 100_000:
                i += 1
                an = -i * (i - aa)
                b = b + 2
                d = an * d + b
                d = np.where(np.abs(d) < _TINY, _TINY, d)
                c = b + an / c
                c = np.where(np.abs(c) < _TINY, _TINY, c)
                d = 1 / d
                step = np.where(live, d * c, 1.0)
                h = h * step
                live &= np.abs(step - 1) >= _EPS
            out[sel] = 1 - np.exp(log_factor) * h
    return out


def _beta_fraction(a: np.ndarray, b: np.ndarray, x: np.ndarray) -> np.ndarray:
    """The continued fraction of I_x(a, b) (Lentz's method), fast below x = (a+1)/(a+b+2);
    in extended precision where there is one (thousands of steps near x = 1 otherwise
    lose a few digits)."""
    a, b, x = (np.asarray(v, np.longdouble) for v in (a, b, x))
    c = np.ones(len(a), np.longdouble)
    d = 1 - (a + b) * x / (a + 1)
    d = 1 / np.where(np.abs(d) < _TINY, _TINY, d)
    h = d.copy()
    live = np.ones(len(a), bool)
    m = 0
    while live.any() and m < 100_000:
        m += 1
        for num in (
            m * (b - m) * x / ((a - 1 + 2 * m) * (a + 2 * m)),
            -(a + m) * (a + b + m) * x / ((a + 2 * m) * (a + 1 + 2 * m)),
        ):
            d = 1 + num * d
            d = 1 / np.where(np.abs(d) < _TINY, _TINY, d)
            c = 1 + num / c
            c = np.where(np.abs(c) < _TINY, _TINY, c)
            step = np.where(live, d * c, 1.0)
            h = h * step
        live &= np.abs(step - 1) >= _EPS
    return np.asarray(h, np.float64)


def beta_tail(a: np.ndarray | float, b: np.ndarray | float, x: np.ndarray | float) -> np.ndarray:
    """I_x(a, b), the regularised incomplete beta function (``scipy.special.betainc``; for
    an integer ``a``, P(K >= a) of a negative binomial with ``b`` successes and success
    probability 1 - x, or of K ~ Bin(a + b - 1, x)): the continued fraction below the
    mean, 1 - its mirror above. The factor x^a (1-x)^b / B(a, b) is taken as
    exp(a (log y - y + 1) + b (log z - z + 1)) * sqrt(ab / 2 pi (a+b)) *
    exp(R(a+b) - R(a) - R(b)), y = (a+b) x / a, z = (a+b)(1-x)/b (a (y-1) + b (z-1) = 0),
    R the rest of Stirling's series (no large logs cancelling)."""
    a, b, x = np.broadcast_arrays(
        np.asarray(a, np.float64), np.asarray(b, np.float64), np.asarray(x, np.float64)
    )
    out = np.where(x >= 1, 1.0, 0.0)
    inside = (x > 0) & (x < 1)
    if not inside.any():
        return out
    aa, bb, xx = a[inside], b[inside], x[inside]
    n = aa + bb
    log_factor = aa * _log_less(n * xx / aa) + bb * _log_less(n * (1 - xx) / bb)
    log_factor += 0.5 * np.log(aa * bb / n) - _HALF_LOG_2PI
    log_factor += _stirling_rest(n) - _stirling_rest(aa) - _stirling_rest(bb)
    factor = np.exp(log_factor)
    low = xx < (aa + 1) / (n + 2)
    got = np.empty(len(aa))
    if low.any():
        got[low] = factor[low] * _beta_fraction(aa[low], bb[low], xx[low]) / aa[low]
    high = ~low
    if high.any():
        mirror = _beta_fraction(bb[high], aa[high], 1 - xx[high])
        got[high] = 1 - factor[high] * mirror / bb[high]
        # Past the mean, but still a small tail (a tiny b: a heavy-tailed negative
        # binomial): 1 - mirror would lose its digits; the direct fraction converges there
        # too, more slowly.
        small = high & (got < 0.005)
        if small.any():
            got[small] = factor[small] * _beta_fraction(aa[small], bb[small], xx[small]) / aa[small]
    out[inside] = got
    return out


#: The burst test's window (seconds) and how much busier than its average a clean host is
#: assumed to be at its busiest (an office machine asking a day's names in 6 of 24 hours).
BURST_WINDOW_S = 60.0
BURST_ACTIVITY = 4.0


def _burst_test(times: list[list[float]], active: list[float]) -> tuple[np.ndarray, np.ndarray]:
    """(most sites in one window, p-value) per client, from the sorted first-query times of
    its counted sites and the seconds it was active (``active``; at least the sites' own
    span). Under the null the n times are spread over the active span T with density at
    most :data:`BURST_ACTIVITY` times the average: every window of length W lies in one of
    ceil(T/W) windows of 2W, each holding a site with probability at most
    p = min(1, 4 * 2W / T), so P(some window holds >= k) <= ceil(T/W) * P(Bin(n, p) >= k).
    A heavy host's DGA asking 50 names in a minute is not hidden by its volume (which the
    count test must allow for); odd names spread over the day give no burst."""
    w = BURST_WINDOW_S
    ks = np.zeros(len(times))
    ps = np.ones(len(times))
    for i, t in enumerate(times):
        n = len(t)
        if n < 2:
            ks[i] = n
            continue
        best, lo = 1, 0
        for hi in range(n):
            while t[hi] - t[lo] > w:
                lo += 1
            best = max(best, hi - lo + 1)
        ks[i] = best
        span = max(t[-1] - t[0], active[i])
        frac = min(1.0, BURST_ACTIVITY * 2 * w / span) if span > 0 else 1.0
        if frac < 1.0:
            tail = float(beta_tail(best, n - best + 1, frac)[()])  # P(Bin(n, frac) >= best)
            ps[i] = min(1.0, np.ceil(span / w) * tail)
    return ks, ps


#: The background's over-dispersion used by the test is its one-sided 95 % profile-likelihood
#: upper bound: the log-likelihood may drop this much (chi-square(1) 90 % point / 2).
DISPERSION_DROP = 1.3528
#: Dispersions the fit searches (phi; 0, Poisson, is tried beside them).
_PHI_RANGE = (1e-3, 1e4)


@dataclass(frozen=True)
class Background:
    """The network's background count of counted sites: ``k_c ~ NB(mean lam * Q_c, phi)``
    (gamma-Poisson, ``Var = mu + phi * mu^2``; ``phi`` 0: Poisson). ``phi`` is the upper
    bound the test uses, ``phi_mle`` the maximum-likelihood estimate; ``fitted``: the
    clients whose counts entered the fit."""

    lam: float
    phi: float
    phi_mle: float
    fitted: int


class _TruncatedNB:
    """Log-likelihood of counts ``k`` each truncated to ``K <= t`` (so the clients above
    their ``t`` are left out without biasing the fit), for ``mu = exp(a) * q``. Given
    ``phi``, the truncated NB is an exponential family in ``x = log(mu / (r + mu))``
    (``r = 1/phi``; Poisson: ``x = log mu``): the log-likelihood, its score and its second
    derivative in ``a`` are closed forms of the truncated mean and variance. Rows are
    (q, k, t) with multiplicities, grouped by ``t`` so that a few heavy clients' wide
    truncation does not widen every row."""

    def __init__(self, k: np.ndarray, q: np.ndarray, t: np.ndarray) -> None:
        keys, w = np.unique(np.stack([t, q, k]), axis=1, return_counts=True)
        self.total_k = float((keys[2] * w).sum())
        self.total_q = float((keys[1] * w).sum())
        self.blocks = []
        for lo, hi in ((0, 8), (9, 32), (33, 1 << 62)):
            sel = (keys[0] >= lo) & (keys[0] <= hi)
            if not sel.any():
                continue
            ts, qs, ks = keys[0][sel], keys[1][sel], keys[2][sel].astype(np.int64)
            j = np.arange(int(ts.max()) + 1, dtype=np.float64)
            self.blocks.append((qs, ks, w[sel].astype(np.float64), j, j[None, :] <= ts[:, None]))

    def evaluate(self, a: float, phi: float) -> tuple[float, float, float]:
        """(log-likelihood, d/da, d2/da2)."""
        ll = s = h = 0.0
        for qs, ks, w, j, inside in self.blocks:
            mu = np.exp(a) * qs
            if phi > 0:
                r = 1.0 / phi
                c = log_gamma(j + r) - math.lgamma(r) - log_gamma(j + 1)
                x = np.log(mu / (r + mu))
                dx = r / (r + mu)
                d2x = -r * mu / (r + mu) ** 2
            else:
                c = -log_gamma(j + 1)
                x = np.log(mu)
                dx = np.ones_like(mu)
                d2x = np.zeros_like(mu)
            lp = np.where(inside, c[None, :] + x[:, None] * j[None, :], -np.inf)
            top = lp.max(axis=1)
            e = np.exp(lp - top[:, None])
            norm = e.sum(axis=1)
            p = e / norm[:, None]
            m = p @ j
            v = p @ (j * j) - m * m
            ll += float((w * (c[ks] + ks * x - top - np.log(norm))).sum())
            s += float((w * (ks - m) * dx).sum())
            h += float((w * (-v * dx * dx + (ks - m) * d2x)).sum())
        return ll, s, h

    def profile(self, phi: float, start: float) -> tuple[float, float]:
        """(max over a of the log-likelihood at ``phi``, that a): Newton in ``a``,
        safeguarded by bisection of the score's sign change."""
        lo, hi = np.log(1e-12), np.log(10.0)
        a = min(max(start, lo + 1.0), hi - 1.0)
        for _ in range(60):
            _, s, h = self.evaluate(a, phi)
            if s > 0:
                lo = a
            else:
                hi = a
            step = a - s / h if h < 0 else np.inf
            nxt = step if lo < step < hi else 0.5 * (lo + hi)
            if abs(nxt - a) < 1e-7:
                a = nxt
                break
            a = nxt
        return self.evaluate(a, phi)[0], a


def _golden(f: Callable[[float], float], lo: float, hi: float, tol: float) -> float:
    """The argmax of a unimodal ``f`` on [lo, hi]."""
    g = (5**0.5 - 1) / 2
    x1, x2 = hi - g * (hi - lo), lo + g * (hi - lo)
    f1, f2 = f(x1), f(x2)
    while hi - lo > tol:
        if f1 > f2:
            hi, x2, f2 = x2, x1, f1
            x1 = hi - g * (hi - lo)
            f1 = f(x1)
        else:
            lo, x1, f1 = x1, x2, f2
            x2 = lo + g * (hi - lo)
            f2 = f(x2)
    return 0.5 * (lo + hi)


def _fit_nb(lik: _TruncatedNB) -> tuple[float, float, float]:
    """(lam at the upper bound of phi, that bound, phi's maximum-likelihood estimate)."""
    start = [np.log(max(lik.total_k, 0.5) / max(lik.total_q, 1.0))]

    def at(b: float) -> float:  # profile log-likelihood at phi = exp(b); warm-started
        ll, start[0] = lik.profile(float(np.exp(b)), start[0])
        return ll

    lo_b, hi_b = np.log(_PHI_RANGE[0]), np.log(_PHI_RANGE[1])
    grid = np.linspace(lo_b, hi_b, 8)  # a decade apart
    lls = [at(b) for b in grid]
    i = int(np.argmax(lls))
    b = _golden(at, grid[max(0, i - 1)], grid[min(len(grid) - 1, i + 1)], 0.02)
    best = at(b)
    poisson, a_poisson = lik.profile(0.0, start[0])
    if poisson >= best:
        best, b, phi_mle = poisson, lo_b, 0.0
    else:
        phi_mle = float(np.exp(b))
    # The upper bound: the largest phi whose profile is within DISPERSION_DROP of the top.
    if best - at(hi_b) <= DISPERSION_DROP:
        return float(np.exp(start[0])), _PHI_RANGE[1], phi_mle
    lo, hi = b, hi_b
    if best - at(lo) > DISPERSION_DROP:  # (Poisson's top, and already phi_min is out)
        return float(np.exp(a_poisson)), phi_mle, phi_mle
    while hi - lo > 0.02:
        mid = 0.5 * (lo + hi)
        if best - at(mid) <= DISPERSION_DROP:
            lo = mid
        else:
            hi = mid
    _, a = lik.profile(float(np.exp(lo)), start[0])
    return float(np.exp(a)), max(phi_mle, float(np.exp(lo))), phi_mle


def fit_background(k: np.ndarray, q: np.ndarray, params: UnknownParams) -> Background:
    """The background (step 3) from the log's own clients, without letting infected ones
    in: each client's count enters *truncated* at ``t_c`` -- it is used only when
    ``k_c <= t_c``, and its likelihood is the NB's conditioned on ``K <= t_c`` -- with
    ``t_c = max(min_names - 1, mu0 + 4 sqrt(mu0))`` (``mu0``: a first, Poisson pass at
    ``t_c = min_names - 1``). A client above its ``t_c`` is left out, but the model still
    knows such clients exist: the truncation, not the data, removes them. (Leaving out
    clients a Poisson background cannot explain, as before, removed exactly the tail a
    heavy-tailed background has, and the dispersion came out too low: a 504-query clean
    host with 12 dead names was flagged.) ``phi`` is the one-sided 95 % profile-likelihood
    upper bound, so that a small log's imprecise estimate errs towards fewer flags."""
    base = max(2, params.min_names - 1)
    t = np.full(len(k), base, dtype=np.float64)
    if not k[k <= t].any():  # no background at all: Poisson at the floor
        return Background(0.0, 0.0, 0.0, int((k <= t).sum()))
    first = _TruncatedNB(k[k <= t], q[k <= t], t[k <= t])
    _, a0 = first.profile(0.0, np.log(max(first.total_k, 0.5) / max(first.total_q, 1.0)))
    mu0 = np.exp(a0) * q
    t = np.maximum(base, np.floor(mu0 + 4 * np.sqrt(mu0)))
    use = k <= t
    lam, phi, phi_mle = _fit_nb(_TruncatedNB(k[use], q[use], t[use]))
    return Background(lam, phi, phi_mle, int(use.sum()))


def _test(
    k: np.ndarray, q: np.ndarray, params: UnknownParams
) -> tuple[np.ndarray, np.ndarray, np.ndarray, Background]:
    """(p-values, expected counts, flagged, background) of the volume-scaled tail test
    (step 3): ``P(K >= k_c)``, the larger of its tails under ``NB(lam * Q_c, phi)`` and
    under ``Poisson(floor_rate * Q_c)``, flagged at ``k_c >= min_names`` and ``p <= alpha
    / N``; expected counts ``max(lam, floor_rate) * Q_c``."""
    n = len(k)
    bg = fit_background(k, q, params)
    kk = np.maximum(k, 1.0)
    # P(K >= k) under the fitted background: NB(r = 1/phi, mean mu) is I_{mu/(r+mu)}(k, r),
    # Poisson P(k, mu) ...
    fitted = bg.lam * q
    if bg.phi > 0:
        r = 1.0 / bg.phi
        pvals = beta_tail(kk, r, fitted / (r + fitted))
    else:
        pvals = gamma_tail(kk, fitted)
    # ... and no less than under a Poisson background at the floor rate (a log with almost
    # no background must not make a few odd names significant).
    mu = np.maximum(params.floor_rate, bg.lam) * q
    pvals = np.where(k > 0, np.maximum(pvals, gamma_tail(kk, params.floor_rate * q)), 1.0)
    flagged = (k >= params.min_names) & (pvals <= params.alpha / max(1, n))
    return pvals, mu, flagged, bg
