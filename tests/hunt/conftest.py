"""One Spark session for every Spark test (starting one costs ~10 s)."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from typing import Any

import pytest


@pytest.fixture(scope="session")
def spark() -> Iterator[Any]:
    from dgawatch.hunt.spark import spark_session

    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    session = spark_session("local[2]")
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()
