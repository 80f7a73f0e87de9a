"""The local engine: this machine, a compiled hash table over the forecast lists, reading
and the unknown-DGA reductions on a read-ahead thread (:func:`dgawatch.hunt.hunt_paths`)."""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import TYPE_CHECKING

from dgawatch.hunt.engines import HuntEngine

if TYPE_CHECKING:
    from dgawatch.hunt import HuntOptions, HuntResult


def _run(
    paths: Sequence[str | os.PathLike[str]], options: HuntOptions, master: str | None
) -> HuntResult:
    from dgawatch.hunt import hunt_paths

    return hunt_paths(paths, options)


ENGINE = HuntEngine("local", "this machine (the default)", _run)
