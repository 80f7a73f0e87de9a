"""The Spark engine: the same hunt on Apache Spark, for logs one machine cannot hold
(:func:`dgawatch.hunt.spark.hunt_spark`; local[*] unless ``--spark-master`` names a
cluster)."""

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
    from dgawatch.hunt.spark import hunt_spark

    return hunt_spark(paths, options, master=master)


ENGINE = HuntEngine(
    "spark", "Apache Spark (local[*], or the cluster --spark-master names)", _run, takes_master=True
)
