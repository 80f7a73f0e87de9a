"""bench/bench_classify.py keeps the peers' scores per name: a rerun sends a peer only the
names it has not scored before, and every name gets its own score back, in order."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parents[2]

#: A stand-in peer: scores a name by its length and logs how many names it was sent.
FAKE_PEER = """
import sys
import numpy as np
names = [l.strip() for l in open(sys.argv[1])]
with open(LOG, "a") as log:
    log.write(f"{len(names)}\\n")
np.savetxt(sys.argv[2], np.array([len(n) for n in names], dtype=float))
print(1234.0)
"""


def bench() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "bench_classify", ROOT / "bench" / "bench_classify.py"
    )
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_peer_scores_are_cached_per_name(tmp_path: Path) -> None:
    b = bench()
    calls = tmp_path / "calls.txt"
    code = FAKE_PEER.replace("LOG", repr(str(calls)))
    python, cache = Path(sys.executable), tmp_path / "cache"

    first, speed, _ = b.cached_peer("fake", python, code, ["a.com", "bb.com", "a.com"], cache)
    again, _, _ = b.cached_peer("fake", python, code, ["ccc.com", "bb.com"], cache)
    known, _, _ = b.cached_peer("fake", python, code, ["ccc.com", "a.com"], cache)

    assert first.tolist() == [5, 6, 5] and again.tolist() == [7, 6] and known.tolist() == [7, 5]
    assert speed == 1234.0
    # Two names, then only the new one, then none: the third call never ran the peer.
    assert calls.read_text().split() == ["2", "1"]
    # Other scoring code: another cache file, so the name is scored again.
    other, _, _ = b.cached_peer("fake", python, code + "\n", ["a.com"], cache)
    assert other.tolist() == [5] and calls.read_text().split() == ["2", "1", "1"]
