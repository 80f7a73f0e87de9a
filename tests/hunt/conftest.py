"""One Spark session for every Spark test (starting one costs ~10 s)."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from typing import Any

import pytest

from tests.needs import missing


@pytest.fixture(scope="session")
def spark() -> Iterator[Any]:
    from dgawatch.hunt.spark import spark_session

    if not os.environ.get("JAVA_HOME") and shutil.which("java") is None:
        missing("Spark needs Java 17 (no JAVA_HOME, no java on PATH)")
    session = spark_session("local[2]")
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()
