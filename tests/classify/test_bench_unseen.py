"""bench/bench_classify.py reads the HSTS preload list out of the ``hstspreload`` wheel without
importing it: the whole hosts (flag 0x80) at the spans of ``_JUMPTABLE``, nothing else."""

from __future__ import annotations

import zipfile
from pathlib import Path

from tests.classify.test_bench_peer_cache import bench


def entry(flags: int, label: str) -> bytes:
    return bytes([flags, len(label)]) + label.encode()


def test_hsts_hosts_reads_whole_hosts_only(tmp_path: Path) -> None:
    # Layer 0: the TLDs (inner nodes, flags 0); layer 1: hosts, one of them with
    # include-subdomains (0xC0), and an inner node under a span the table does not list.
    tlds = entry(0, "com") + entry(0, "org")
    hosts = entry(0x80, "example.com") + entry(0xC0, "a-b.org") + entry(0, "inner.com")
    unlisted = entry(0x80, "never.com")
    blob = tlds + hosts + unlisted
    table = [[(0, len(tlds)), None], [None, (len(tlds), len(hosts))]]
    wheel = tmp_path / "hstspreload-0-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w") as z:
        z.writestr(
            "hstspreload/__init__.py",
            f'"""doc"""\nimport os\n_JUMPTABLE = {table!r}\n\ndef f():\n    return 1\n',
        )
        z.writestr("hstspreload/hstspreload.bin", blob)
    assert bench().hsts_hosts(wheel) == ["a-b.org", "example.com"]
