"""Hunt engines: what matches a log's query events against the forecast lists and reduces
them to findings (:mod:`dgawatch.hunt`'s stage 2). One module per engine, each defining
``ENGINE`` (a :class:`HuntEngine`); every module of this package whose name does not start
with ``_`` is discovered, as families, readers and exporters are: adding an engine is one
module plus its test. ``dgawatch hunt --engine NAME`` picks one; every engine must give the
local engine's findings (``tests/hunt/test_hunt_spark.py`` holds Spark to that)."""

from __future__ import annotations

import functools
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from dgawatch.errors import InputError
from dgawatch.registry import modules

if TYPE_CHECKING:
    from dgawatch.hunt import HuntOptions, HuntResult


@dataclass(frozen=True)
class HuntEngine:
    name: str
    summary: str
    #: ``run(paths, options, master)``: the hunt over the log files ``paths``; ``master`` is
    #: the cluster to run on (``--spark-master``), None for the engine's default.
    run: Callable[[Sequence[str | os.PathLike[str]], HuntOptions, str | None], HuntResult]
    #: Whether ``master`` means anything to this engine (else giving it is an error).
    takes_master: bool = False


@functools.cache
def engines() -> dict[str, HuntEngine]:
    """Every engine by name (sorted)."""
    found: dict[str, HuntEngine] = {}
    for module in modules(__name__, __path__):
        engine = module.ENGINE
        if engine.name in found:
            raise RuntimeError(f"hunt engine {engine.name!r} registered twice")
        found[engine.name] = engine
    return dict(sorted(found.items()))


def get_engine(name: str, master: str | None) -> HuntEngine:
    """The engine ``--engine name`` names, checked with ``--spark-master``."""
    table = engines()
    if name not in table:
        raise InputError(f"unknown --engine {name!r} (choose from {', '.join(table)})")
    engine = table[name]
    if master is not None and not engine.takes_master:  # (it was ignored)
        takers = [e.name for e in table.values() if e.takes_master]
        raise InputError(
            f"--spark-master is for --engine {' or '.join(takers)}: add --engine "
            f"{takers[0]}, or drop it"
        )
    return engine
