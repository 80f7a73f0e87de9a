"""Unknown DGAs: clients querying many generated-looking names that no forecast explains.

Forecast matching only finds families someone has reverse-engineered. This stage scores
every distinct query name that matched no forecast with the classifier
(:mod:`dgawatch.classify`), keeps the names over a threshold calibrated on benign names
(FPR 1e-3 by default), and reports clients with at least ``min_names`` such names. A name
that matched a forecast anywhere in the hunt is explained, whatever batch it came in: the
local engine scores batch by batch, the Spark engine scores on its executors and hands
over only the suspect rows (:meth:`UnknownCollector.add_suspects`).

Clients are then clustered: each name has a *shape*, (alphabet, label-length band,
public suffix); two suspect clients belong to one cluster when they query names of a
common shape or a common name. A cluster is one :class:`UnknownDGAFinding` ("12 hosts
querying the same new DGA since Tuesday"), listing its clients, shapes, first and last
query, and sample names.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from dgawatch.classify.features import label_of

if TYPE_CHECKING:
    from dgawatch.classify.model import DGAClassifier

#: Label lengths per shape band: 5..9, 10..14, ...
LENGTH_BAND = 5
SAMPLE_NAMES = 10


def shape_of(name: str) -> tuple[str, str, str]:
    """(alphabet, length band, public suffix) of a query name's label."""
    label = label_of(name)
    suffix = name[name.find(label + ".") + len(label) + 1 :] if label + "." in name else ""
    if all(c in "0123456789abcdef" for c in label) and any(c.isdigit() for c in label):
        alphabet = "hex"
    elif any(c.isdigit() for c in label):
        alphabet = "alnum"
    else:
        alphabet = "alpha"
    if "-" in label:
        alphabet += "-"
    lo = len(label) // LENGTH_BAND * LENGTH_BAND
    return alphabet, f"{lo}-{lo + LENGTH_BAND - 1}", suffix


@dataclass(frozen=True)
class UnknownDGAFinding:
    """A cluster of clients querying generated-looking names of shared shapes."""

    clients: tuple[str, ...]
    shapes: tuple[str, ...]
    first_seen: dt.datetime
    last_seen: dt.datetime
    queries: int
    nxdomain: int
    distinct_names: int
    mean_score: float
    closest_family: str | None
    samples: tuple[str, ...]

    @property
    def summary(self) -> str:
        return (
            f"{len(self.clients)} hosts querying {self.distinct_names} names of an unknown DGA "
            f"({', '.join(self.shapes)}) since {self.first_seen:%Y-%m-%d %H:%M} UTC"
        )

    def to_dict(self) -> dict[str, object]:
        return {
            "kind": "unknown_dga",
            "clients": list(self.clients),
            "shapes": list(self.shapes),
            "first_seen": _iso(self.first_seen),
            "last_seen": _iso(self.last_seen),
            "queries": self.queries,
            "nxdomain": self.nxdomain,
            "distinct_names": self.distinct_names,
            "mean_score": round(self.mean_score, 6),
            "closest_family": self.closest_family,
            "samples": list(self.samples),
            "summary": self.summary,
        }


def _iso(ts: dt.datetime) -> str:
    return ts.astimezone(dt.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


@dataclass
class UnknownCollector:
    """Fed batch by batch during the hunt; holds only the suspect queries (bounded by the
    threshold, not by the log size)."""

    threshold_fpr: float = 1e-3
    min_names: int = 5
    model: object | None = None
    rows: list[pa.Table] = field(default_factory=list)
    #: Log-odds (:meth:`DGAClassifier.decision_function`) of every name scored so far.
    scores: dict[str, float] = field(default_factory=dict)
    #: Names that matched a forecast: never unknown, even if kept from an earlier batch.
    explained: set[str] = field(default_factory=set)

    def _model(self) -> DGAClassifier:
        from dgawatch.classify import DGAClassifier, default_model

        if self.model is None:
            self.model = default_model()
        assert isinstance(self.model, DGAClassifier)
        return self.model

    def cut(self) -> float:
        """The log-odds a name must score over to be suspect."""
        return self._model().logit_threshold_for(self.threshold_fpr)

    def add(self, batch: pa.RecordBatch, matched: Iterable[str]) -> None:
        """Score the batch's query names that matched no forecast; keep the suspect rows."""
        self.explained.update(matched)
        if batch.num_rows == 0:
            return
        model = self._model()
        qnames = batch.column("qname")
        uniq = pc.unique(qnames).drop_null().to_pylist()
        todo = [q for q in uniq if q and q not in self.explained and q not in self.scores]
        if todo:
            s = model.decision_function(todo)
            self.scores.update(zip(todo, s.tolist(), strict=True))
        cut = self.cut()
        suspect = [
            q for q in uniq if q and q not in self.explained and self.scores.get(q, -np.inf) > cut
        ]
        if not suspect:
            return
        mask = pc.is_in(qnames, value_set=pa.array(suspect, pa.string()))
        self.add_suspects(pa.Table.from_batches([batch]).filter(mask))

    def add_suspects(self, rows: pa.Table, scores: Mapping[str, float] | None = None) -> None:
        """Keep query rows whose names were already found suspect (by the Spark executors),
        with those names' log-odds."""
        self.rows.append(rows.select(["ts", "client", "qname", "rcode"]))
        self.scores.update(scores or {})

    def findings(self) -> list[UnknownDGAFinding]:
        if not self.rows:
            return []
        t = pa.concat_tables(self.rows)
        if self.explained:
            known = pa.array(sorted(self.explained), pa.string())
            t = t.filter(pc.invert(pc.is_in(t.column("qname"), value_set=known)))
        ts = t.column("ts").to_pylist()
        clients = t.column("client").to_pylist()
        qnames = t.column("qname").to_pylist()
        rcodes = t.column("rcode").to_pylist()
        names_of: dict[str, set[str]] = defaultdict(set)
        for c, q in zip(clients, qnames, strict=True):
            names_of[c].add(q)
        suspects = sorted(c for c, n in names_of.items() if len(n) >= self.min_names)
        if not suspects:
            return []
        # Union-find over clients joined by a shared shape or a shared name.
        parent = {c: c for c in suspects}

        def root(c: str) -> str:
            while parent[c] != c:
                parent[c] = parent[parent[c]]
                c = parent[c]
            return c

        owner: dict[object, str] = {}
        for c in suspects:
            for q in sorted(names_of[c]):
                for key in (("shape", shape_of(q)), ("name", q)):
                    if key in owner:
                        a, b = root(owner[key]), root(c)
                        if a != b:
                            parent[max(a, b)] = min(a, b)
                    else:
                        owner[key] = c
        groups: dict[str, list[int]] = defaultdict(list)
        suspect_set = set(suspects)
        for i, c in enumerate(clients):
            if c in suspect_set:
                groups[root(c)].append(i)
        model = self._model()
        out = []
        for rows in groups.values():
            names = sorted({qnames[i] for i in rows})
            shapes = sorted({"/".join(shape_of(q)) for q in names})
            fam = None
            from dgawatch.classify import DGAClassifier

            if isinstance(model, DGAClassifier):
                fams, _ = model.predict_family(names)
                vals, counts = np.unique(np.array([f or "" for f in fams]), return_counts=True)
                fam = str(vals[counts.argmax()]) or None
            times = [ts[i] for i in rows]
            out.append(
                UnknownDGAFinding(
                    clients=tuple(sorted({clients[i] for i in rows})),
                    shapes=tuple(shapes),
                    first_seen=_utc(min(times)),
                    last_seen=_utc(max(times)),
                    queries=len(rows),
                    nxdomain=sum(1 for i in rows if rcodes[i] == "NXDOMAIN"),
                    distinct_names=len(names),
                    mean_score=float(
                        np.mean(1 / (1 + np.exp(-np.array([self.scores[q] for q in names]))))
                    ),
                    closest_family=fam,
                    samples=tuple(names[:SAMPLE_NAMES]),
                )
            )
        return sorted(out, key=lambda f: (-len(f.clients), -f.distinct_names, f.clients))


def _utc(value: dt.datetime) -> dt.datetime:
    return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)
