"""Features of a domain name for the classifier, vectorised over whole batches.

What a DGA chooses is the label below the public suffix (``xkqjzw`` in ``www.xkqjzw.co.uk``),
so only that label is looked at: the TLD says more about a registrar's prices than about
the malware, and a classifier that learnt ``.ru`` would not generalise to tomorrow's family.

The label becomes a row of small character codes framed by start/end markers (as
scikit-learn's ``char_wb``). Its features are:

* every character n-gram (n = 1..5) as an exact integer id, hashed into ``2**bits``
  buckets; each occurrence weighs ``1/sqrt(number of n-grams)``, so long and short names
  are comparable;
* a few lexical measures (length, Shannon entropy, vowel / digit / hyphen ratios, longest
  consonant run, distinct-character ratio, and the mean log-likelihood of the label under a
  character trigram model of benign names), each cut into bins and one-hot encoded after the
  hashed buckets. The bins let a linear model learn a non-linear response to each measure,
  and these measures are what carries over to families never seen in training.

An experiment, off by default (``Featurizer.suffix_bits``, ``DGAClassifier(suffix_bits=)``):
the public suffix as evidence too (:func:`suffix_tokens`, a block of its own after the bins).
On the full 57-family leave-one-family-out (session 10) it lifted families under DGA-typical
TLDs (symmi 0.35 -> 0.57, bazarbackdoor 0.43 -> 0.73 at FPR 1e-3) and sank those under .com,
which most benign names use (banjori 0.28 -> 0.01, torpig 0.71 -> 0.27, simda 0.20 -> 0.02):
macro at 1e-3 about even, so the shipped model does not use it.

Everything is NumPy over a padded ``uint8`` matrix; no Python loop runs per name except the
public-suffix split (:func:`labels`).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING

import numpy as np

from dgawatch.domain import _psl

if TYPE_CHECKING:
    import scipy.sparse as sp

#: Longest label kept (DNS allows 63 octets).
MAX_LABEL = 63
#: Character codes: 0 = padding, 1 = start, 2 = end, 3..28 = a-z, 29..38 = 0-9, 39 = '-',
#: 40 = anything else ('_', non-ASCII left over).
ALPHABET = 41
START, END = 1, 2
_CODE = np.full(256, 40, dtype=np.uint8)
_CODE[np.frombuffer(b"abcdefghijklmnopqrstuvwxyz", np.uint8)] = np.arange(3, 29, dtype=np.uint8)
_CODE[np.frombuffer(b"ABCDEFGHIJKLMNOPQRSTUVWXYZ", np.uint8)] = np.arange(3, 29, dtype=np.uint8)
_CODE[np.frombuffer(b"0123456789", np.uint8)] = np.arange(29, 39, dtype=np.uint8)
_CODE[ord("-")] = 39
_VOWEL = np.zeros(ALPHABET, dtype=bool)
_VOWEL[[3 + "abcdefghijklmnopqrstuvwxyz".index(c) for c in "aeiouy"]] = True
_LETTER = np.zeros(ALPHABET, dtype=bool)
_LETTER[3:29] = True
_DIGIT = np.zeros(ALPHABET, dtype=bool)
_DIGIT[29:39] = True
_CONSONANT = _LETTER & ~_VOWEL
_GOLDEN = np.uint64(0x9E3779B97F4A7C15)

#: Lexical measures and their bins (edges; values beyond the last edge share the last bin).
LEXICAL_EDGES: dict[str, tuple[float, ...]] = {
    "length": tuple(float(x) for x in range(1, 41)),
    "entropy": tuple(np.round(np.arange(0.25, 5.0, 0.25), 2).tolist()),
    "vowels": tuple(np.round(np.arange(0.05, 1.0, 0.05), 2).tolist()),
    "digits": (1e-9, 0.1, 0.2, 0.3, 0.4, 0.5, 0.7),
    "hyphens": (1e-9, 1.5 / 63, 2.5 / 63),
    "consonant_run": tuple(float(x) for x in range(1, 13)),
    "distinct": tuple(np.round(np.arange(0.3, 1.0, 0.05), 2).tolist()),
    "loglik": tuple(np.round(np.arange(-9.0, -1.0, 0.25), 2).tolist()),
}


@cache
def _suffixes() -> tuple[frozenset[str], int]:
    psl = _psl()
    return psl._publicsuffix, psl._maxlabel


def label_of(name: str) -> str:
    """The label one below the public suffix (private suffixes included), lower case; the
    first label when the name is itself a public suffix. Same answer as
    :func:`dgawatch.domain.registered_domain` (tested), about ten times faster."""
    name = name.strip().rstrip(".").lower()
    parts = name.split(".")
    n = len(parts)
    if n <= 2:
        # One label, or two: whatever the suffix (one label, or the whole name), the answer
        # is the first label. Most names take this path.
        return parts[0]
    suffix = _suffix_len(parts)
    return parts[0] if suffix >= n else parts[n - suffix - 1]


def _suffix_len(parts: list[str]) -> int:
    """Labels in the public suffix of ``parts`` (3 or more labels)."""
    rules, maxlabel = _suffixes()
    n = len(parts)
    suffix = 1  # an unknown TLD is a public suffix of one label
    for k in range(2, min(maxlabel, n) + 1):
        tail = ".".join(parts[n - k :])
        if "!" + tail in rules:
            break
        if tail in rules or "*." + ".".join(parts[n - k + 1 :]) in rules:
            suffix = k
    return suffix


def split_name(name: str) -> tuple[str, str]:
    """(:func:`label_of`, the public suffix below which it sits): ``("xkqjzw", "co.uk")``
    for ``www.xkqjzw.co.uk``; the suffix is ``""`` for a single label (a bare label, as the
    hunt scores them) and for a name that is itself a public suffix."""
    name = name.strip().rstrip(".").lower()
    parts = name.split(".")
    n = len(parts)
    if n == 1:
        return parts[0], ""
    if n == 2:
        return parts[0], ("" if name in _suffixes()[0] else parts[1])
    suffix = _suffix_len(parts)
    if suffix >= n:
        return parts[0], ""
    return parts[n - suffix - 1], ".".join(parts[n - suffix :])


def labels(names: Sequence[str]) -> list[str]:
    return [label_of(n) for n in names]


def idn_labels(labs: Sequence[str], enc: Encoded | None = None) -> np.ndarray:
    """True for each label that is an IDN: in its ASCII form, ``xn--`` and Punycode that
    decodes to a valid IDNA 2008 label (``xn--80aaacqdkdv7b0a`` is ``азербайджан``), or
    given in Unicode as a valid IDNA 2008 label (``азербайджан`` itself).

    Its letters are an encoding of the name, not the name: any non-Latin word comes out as
    a consonant-heavy string that the n-grams and lexical measures read as random (on the
    2025 HSTS preload hosts the shipped model called 5 of 24 such hosts generated at its
    1e-3 threshold, 21 % against 0.5 % of all hosts). No DGA of the registry or of the
    training lists makes IDN names (0 of the dataset's generated names; 19 of Alexa's top
    100 k are IDNs), so the detectors have nothing to say about one, and
    :meth:`dgawatch.classify.model.DGAClassifier.decision_function` does not score it.

    With ``enc`` (the labels' :func:`encode`), only the labels it shows starting with
    ``xn--`` or holding a character outside a-z, 0-9 and '-' are looked at one by one (a
    Python loop over every label cost a third of :func:`encode`'s time)."""
    import idna

    out = np.zeros(len(labs), dtype=bool)
    if enc is None:
        maybe: Iterable[int] = range(len(labs))
    else:
        long = enc.lengths >= 4
        first = enc.starts[long] + 1  # (after the START marker)
        maybe_idn = np.zeros(len(labs), dtype=bool)
        maybe_idn[long] = (enc.codes[first] == _CODE[ord("x")]) & (
            enc.codes[first + 1] == _CODE[ord("n")]
        )
        maybe_idn[long] &= (enc.codes[first + 2] == _CODE[ord("-")]) & (
            enc.codes[first + 3] == _CODE[ord("-")]
        )
        # '_' and non-ASCII characters (encoded as '?') share the code of anything else
        other = np.flatnonzero(enc.codes == _CODE[ord("?")])
        maybe_idn[np.searchsorted(enc.starts, other, side="right") - 1] = True
        maybe = np.flatnonzero(maybe_idn).tolist()
    for i in maybe:
        lab = labs[i]
        if len(lab) <= MAX_LABEL and (lab[:4].lower() == "xn--" or not lab.isascii()):
            try:
                idna.decode(lab)
            except (idna.IDNAError, UnicodeError, ValueError):
                continue
            out[i] = True
    return out


def split_names(names: Sequence[str]) -> tuple[list[str], list[str]]:
    """(labels, suffixes) of :func:`split_name`, name by name."""
    pairs = [split_name(n) for n in names]
    return [p[0] for p in pairs], [p[1] for p in pairs]


#: Suffix evidence (:func:`suffix_tokens`): tokens per name, each hashed into its own
#: ``2**suffix_bits`` columns after the lexical bins.
SUFFIX_TOKENS = 5


@cache
def _icann() -> frozenset[str]:
    from dgawatch.domain import psl_rules

    return psl_rules(only_icann=True)[0]


@cache
def suffix_tokens(suffix: str) -> tuple[str, ...]:
    """What a name's public suffix says, as tokens: the suffix itself (``co.uk``), its last
    label (``uk``), whether that is a country code, how many labels the suffix has, and
    whether it comes from the PSL's private section (``ddns.net``, ``github.io``). DGAs
    favour cheap or lax registries (.biz .info .ws .cc .su .pw .top); which ones a *new*
    family uses is shared with the families already seen, not specific to it. A bare label
    (no suffix) gets none of them: its score is the detector's on the label alone, plus the
    benign names' average suffix contribution (:meth:`Featurizer.featurize`)."""
    if not suffix:
        return ()
    last = suffix.rsplit(".", 1)[-1]
    depth = suffix.count(".") + 1
    parent = suffix.partition(".")[2]
    private = depth > 1 and suffix not in _icann() and "*." + parent not in _icann()
    return (
        "s:" + suffix,
        "t:" + last,
        "cc:" + str(len(last) == 2 and last.isalpha()),
        "d:" + str(min(depth, 3)),
        "p:" + str(private),
    )


@cache
def _token_column(token: str, bits: int) -> int:
    import zlib

    return zlib.crc32(token.encode()) & ((1 << bits) - 1)


def suffix_columns(suffixes: Sequence[str], bits: int) -> np.ndarray:
    """(n, SUFFIX_TOKENS) column numbers inside the suffix block, -1 for none (a bare
    label). Distinct suffixes are few: each is worked out once."""
    seen: dict[str, int] = {}
    which = np.fromiter(
        (seen.setdefault(s, len(seen)) for s in suffixes), dtype=np.int64, count=len(suffixes)
    )
    table = np.full((max(len(seen), 1), SUFFIX_TOKENS), -1, dtype=np.int64)
    for s, i in seen.items():
        toks = suffix_tokens(s)
        for j, tok in enumerate(toks):
            table[i, j] = _token_column(tok, bits)
    return table[which]


@dataclass(frozen=True)
class Encoded:
    """Labels as one flat stream of character codes: START, the label, END, label after
    label. Work is proportional to the characters, not to the longest label."""

    codes: np.ndarray  # uint8, every framed label back to back
    starts: np.ndarray  # int64, where each framed label begins
    lengths: np.ndarray  # int64, label lengths (without the two markers)

    def __len__(self) -> int:
        return len(self.lengths)

    def take(self, rows: np.ndarray) -> Encoded:
        rows = np.asarray(rows, dtype=np.int64)
        framed = self.lengths[rows] + 2
        pos = np.repeat(self.starts[rows] - (np.cumsum(framed) - framed), framed) + np.arange(
            int(framed.sum())
        )
        return Encoded(self.codes[pos], np.cumsum(framed) - framed, self.lengths[rows])

    @property
    def row(self) -> np.ndarray:
        """The label number of every position of the stream."""
        return np.repeat(np.arange(len(self.lengths)), self.lengths + 2)

    @property
    def end(self) -> np.ndarray:
        """For every position, where its framed label ends (exclusive)."""
        framed = self.lengths + 2
        return np.repeat(self.starts + framed, framed)


def encode(labels_: Sequence[str]) -> Encoded:
    data = [s.encode("ascii", "replace")[:MAX_LABEL] for s in labels_]
    lengths = np.fromiter((len(b) for b in data), dtype=np.int64, count=len(data))
    framed = b"".join(b"\x01" + b + b"\x02" for b in data)
    codes = _CODE[np.frombuffer(framed, dtype=np.uint8)]
    starts = np.cumsum(lengths + 2) - (lengths + 2)
    codes[starts] = START
    codes[starts + lengths + 1] = END
    return Encoded(codes, starts, lengths)


def ngram_ids(enc: Encoded, n: int) -> tuple[np.ndarray, np.ndarray]:
    """(ids, valid) per stream position: the exact integer id of the n-gram starting there
    (unique across n, no code being 0) and whether it stays inside its framed label."""
    total = len(enc.codes)
    padded = np.concatenate([enc.codes, np.zeros(n, dtype=np.uint8)]).astype(np.int64)
    ids = np.zeros(total, dtype=np.int64)
    for j in range(n):
        ids = ids * ALPHABET + padded[j : j + total]
    valid = np.arange(total) + n <= enc.end
    return ids, valid


def bucket(ids: np.ndarray, bits: int) -> np.ndarray:
    with np.errstate(over="ignore"):
        return ((ids.astype(np.uint64) * _GOLDEN) >> np.uint64(64 - bits)).astype(np.int64)


@dataclass(frozen=True)
class LanguageModel:
    """Character trigram log-probabilities (smoothed) learnt from benign labels."""

    logp: np.ndarray  # float32, ALPHABET**3 entries

    @classmethod
    def fit(cls, enc: Encoded) -> LanguageModel:
        ids, valid = ngram_ids(enc, 3)
        tri = np.bincount(ids[valid], minlength=ALPHABET**3).astype(np.float64)
        table = tri.reshape(ALPHABET**2, ALPHABET)
        logp = np.log((table + 0.1) / (table.sum(axis=1)[:, None] + 0.1 * 40))
        return cls(logp.reshape(-1).astype(np.float32))

    @classmethod
    def cross_fitted(cls, enc: Encoded, benign: np.ndarray, folds: int) -> np.ndarray:
        """Mean log-likelihood of every label under a model fitted on the benign labels
        of the *other* folds (label ``i`` is in fold ``i % folds``). A training label scored
        by a model fitted on itself looks more benign than any unseen name does, and the
        detector would learn to over-trust the measure."""
        fold = np.arange(len(enc)) % folds
        out = np.zeros(len(enc))
        for k in range(folds):
            lm = cls.fit(enc.take(np.flatnonzero(benign & (fold != k))))
            rows = np.flatnonzero(fold == k)
            out[rows] = lm.mean_loglik(enc.take(rows))
        return out

    def mean_loglik(self, enc: Encoded) -> np.ndarray:
        ids, valid = ngram_ids(enc, 3)
        row = enc.row
        n = len(enc)
        total = np.bincount(row[valid], weights=self.logp[ids[valid]], minlength=n)
        return total / np.maximum(np.bincount(row[valid], minlength=n), 1)


def lexical(
    enc: Encoded, lm: LanguageModel, loglik: np.ndarray | None = None
) -> dict[str, np.ndarray]:
    """The lexical measures of each label (see the module docstring); ``loglik`` replaces
    the language model's scores (the cross-fitted ones of training names)."""
    n = len(enc)
    row = enc.row
    inner = enc.codes > END
    r, c = row[inner], enc.codes[inner].astype(np.int64)
    present = np.bincount(r * ALPHABET + c, minlength=n * ALPHABET).reshape(n, ALPHABET)
    length = np.maximum(enc.lengths, 1).astype(np.float64)
    p = present / length[:, None]
    with np.errstate(divide="ignore", invalid="ignore"):
        entropy = -np.where(p > 0, p * np.log2(np.where(p > 0, p, 1.0)), 0.0).sum(axis=1)
    # Longest consonant run: run lengths from the positions of the last non-consonant.
    cons = _CONSONANT[enc.codes]
    idx = np.arange(len(cons))
    last_break = np.maximum.accumulate(np.where(cons, -1, idx))
    runs = np.where(cons, idx - last_break, 0)
    best = np.zeros(n, dtype=np.int64)
    np.maximum.at(best, row, runs)
    return {
        "length": enc.lengths.astype(np.float64),
        "entropy": entropy,
        "vowels": present[:, _VOWEL].sum(axis=1) / length,
        "digits": present[:, _DIGIT].sum(axis=1) / length,
        "hyphens": present[:, 39] / length,
        "consonant_run": best.astype(np.float64),
        "distinct": (present > 0).sum(axis=1) / length,
        "loglik": lm.mean_loglik(enc) if loglik is None else loglik,
    }


def lexical_width() -> int:
    return sum(len(e) + 1 for e in LEXICAL_EDGES.values())


@dataclass(frozen=True)
class Featurizer:
    """Names -> sparse feature rows (CSR): hashed n-gram buckets, then lexical bins."""

    bits: int
    ngram_max: int
    use_lexical: bool
    lm: LanguageModel | None
    #: Columns of the suffix evidence (:func:`suffix_tokens`) as a power of two; 0: none.
    suffix_bits: int = 0

    @property
    def width(self) -> int:
        return self._width(self.bits)

    def _width(self, bits: int) -> int:
        lex = lexical_width() if self.use_lexical else 0
        return (1 << bits) + lex + ((1 << self.suffix_bits) if self.suffix_bits else 0)

    def featurize(
        self,
        enc: Encoded,
        loglik: np.ndarray | None = None,
        suffixes: Sequence[str] | None = None,
    ) -> Featurized:
        """Every n-gram occurrence and the lexical bins of encoded labels, computed once for
        both heads (they differ only in how many buckets the n-grams fold into);
        ``loglik`` as in :func:`lexical`; ``suffixes`` (one per label, :func:`split_names`)
        for the suffix evidence, which only the detector uses."""
        ids = np.empty((len(enc.codes), self.ngram_max), dtype=np.int64)
        valid = np.empty((len(enc.codes), self.ngram_max), dtype=bool)
        for k in range(1, self.ngram_max + 1):
            ids[:, k - 1], valid[:, k - 1] = ngram_ids(enc, k)
        row = np.broadcast_to(enc.row[:, None], ids.shape)[valid]
        counts = np.bincount(row, minlength=len(enc))
        scale = (1.0 / np.sqrt(np.maximum(counts, 1))).astype(np.float32)
        bins = None
        if self.use_lexical:
            assert self.lm is not None
            measures = lexical(enc, self.lm, loglik)
            offset = 0
            cols = []
            for name, edges in LEXICAL_EDGES.items():
                cols.append(offset + np.searchsorted(np.asarray(edges), measures[name], "right"))
                offset += len(edges) + 1
            bins = np.column_stack(cols).astype(np.int64)
        sfx = None
        if self.suffix_bits:
            given = suffixes if suffixes is not None else [""] * len(enc)
            sfx = suffix_columns(given, self.suffix_bits)
        return Featurized(len(enc), row, ids[valid], scale[row], counts, bins, sfx)

    def transform(
        self,
        enc: Encoded,
        bits: int | None = None,
        loglik: np.ndarray | None = None,
        suffixes: Sequence[str] | None = None,
    ) -> sp.csr_matrix:
        """Sparse rows for encoded labels (:meth:`matrix` of :meth:`featurize`)."""
        return self.matrix(self.featurize(enc, loglik, suffixes), bits)

    def matrix(self, f: Featurized, bits: int | None = None) -> sp.csr_matrix:
        """Sparse rows: n-gram buckets, then the lexical bins, then the suffix block;
        ``bits`` below ``self.bits`` folds the buckets into a smaller space (the family
        head's, which has no suffix block: the family head learns from labels only).
        SciPy is imported here: scoring (:meth:`linear`) needs no matrix, and its import
        was ~0.12 CPU-s of every hunt that scores names."""
        import scipy.sparse as sp

        family = bits is not None and bits != self.bits
        bits = self.bits if bits is None else bits
        lex = lexical_width() if self.use_lexical else 0
        width = (1 << bits) + lex
        col = bucket(f.ids, bits)
        extra = []  # (n, k) columns and values placed after each row's n-grams
        if f.bins is not None:
            extra.append((f.bins + (1 << bits), np.ones(f.bins.shape, np.float32)))
        if f.suffix is not None and not family:
            extra.append(
                (
                    np.maximum(f.suffix, 0) + width,
                    (f.suffix >= 0).astype(np.float32),
                )
            )
            width += 1 << self.suffix_bits
        if not extra:
            indptr = np.concatenate([[0], np.cumsum(f.counts)])
            return sp.csr_matrix((f.value, col, indptr), shape=(f.n, width))
        ecols = np.hstack([e[0] for e in extra])
        evals = np.hstack([e[1] for e in extra])
        # Row i holds its n-grams, then its m extra columns: straight into CSR order.
        m = ecols.shape[1]
        per_row = f.counts + m
        indptr = np.concatenate([[0], np.cumsum(per_row)])
        data = np.ones(int(indptr[-1]), dtype=np.float32)
        cols = np.empty(int(indptr[-1]), dtype=np.int64)
        first = np.concatenate([[0], np.cumsum(f.counts)])[:-1]
        dest = np.arange(len(f.row)) + (indptr[:-1] - first)[f.row]
        data[dest] = f.value
        cols[dest] = col
        extra_dest = (indptr[:-1] + f.counts)[:, None] + np.arange(m)[None, :]
        cols[extra_dest] = ecols
        data[extra_dest] = evals
        return sp.csr_matrix((data, cols, indptr), shape=(f.n, width))

    def linear(self, f: Featurized, coef: np.ndarray, bare: float = 0.0) -> np.ndarray:
        """``matrix(f) @ coef`` without building the matrix: a gather and a sum. A bare
        label (no suffix) gets ``bare`` for its suffix block."""
        col = bucket(f.ids, self.bits)
        out = np.bincount(f.row, weights=coef[col] * f.value, minlength=f.n).astype(np.float64)
        if f.bins is not None:
            out += coef[f.bins + (1 << self.bits)].sum(axis=1)
        if f.suffix is not None:
            out += self.suffix_part(f, coef)
            out[f.suffix[:, 0] < 0] += bare
        return out

    def suffix_part(self, f: Featurized, coef: np.ndarray) -> np.ndarray:
        """Each label's suffix-block contribution to :meth:`linear`."""
        if f.suffix is None:
            return np.zeros(f.n)
        offset = (1 << self.bits) + (lexical_width() if self.use_lexical else 0)
        block = coef[offset : offset + (1 << self.suffix_bits)]
        return np.where(f.suffix >= 0, block[np.maximum(f.suffix, 0)], 0.0).sum(axis=1)


@dataclass(frozen=True)
class Featurized:
    """A batch's features before folding into buckets (:meth:`Featurizer.featurize`)."""

    n: int
    row: np.ndarray  # label of every n-gram occurrence, ascending
    ids: np.ndarray  # exact n-gram id of each occurrence (:func:`ngram_ids`)
    value: np.ndarray  # float32 weight of each occurrence
    counts: np.ndarray  # n-gram occurrences per label
    bins: np.ndarray | None  # (n, measures) bin numbers, counted from 0; None without lexical
    suffix: np.ndarray | None = None  # (n, SUFFIX_TOKENS) suffix-block columns, -1: none
