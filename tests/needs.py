"""One rule for tests that depend on something installed (a server, a compiled extension,
shipped data): skip on a developer machine that lacks it, but fail under CI, where
``scripts/setup.sh`` must have installed it — a skip there would hide a broken set-up."""

from __future__ import annotations

import os
from typing import NoReturn

import pytest


def missing(reason: str) -> NoReturn:
    if os.environ.get("CI"):
        pytest.fail(f"{reason} (CI must have it: see scripts/setup.sh)")
    pytest.skip(reason)
