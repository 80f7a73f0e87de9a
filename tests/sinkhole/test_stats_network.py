"""``stats --by country|asn``: counted in the engine, only aggregate rows come back."""

import datetime as dt
import ipaddress
from collections import Counter
from pathlib import Path

import duckdb
import pytest

from dgawatch.errors import InputError
from dgawatch.sinkhole.enrich import Enricher
from dgawatch.sinkhole.simulate import Botnet, simulate, write_store
from dgawatch.sinkhole.stats import SinkholeStats

DAY = dt.date(2026, 11, 27)

#: Simulated sources lie in 11.0.0.0-125.255.255.255, resolvers in 198.18.0.0/15.
COUNTRIES = [
    ("11.0.0.0/8", "aa"),
    ("12.0.0.0/6", "bb"),
    ("13.128.0.0/9", "cc"),
    ("64.0.0.0/2", "dd"),
]
ASNS = [("0.0.0.0/1", "AS64500"), ("20.0.0.0/6", "64501"), ("198.18.0.0/15", "64502")]


def write_prefixes(path: Path, rows: list[tuple[str, str]]) -> Path:
    path.write_text("".join(f"{p} {v}\n" for p, v in rows))
    return path


def expected(
    directory: Path, rows: list[tuple[str, str]], what: str
) -> Counter[tuple[str, object]]:
    """Distinct (day, address) pairs read straight from the raw files, looked up by a plain
    longest-prefix scan over ``rows`` (not the enricher's table)."""
    nets = [(ipaddress.ip_network(p), v) for p, v in rows]
    con = duckdb.connect()
    pairs = con.execute(
        "SELECT DISTINCT CAST(floor(ts / 86400000.0) AS BIGINT), src_ip "
        f"FROM read_parquet('{directory}/*.parquet')"
    ).fetchall()
    out: Counter[tuple[str, object]] = Counter()
    epoch = dt.date(1970, 1, 1)
    for day, src in pairs:
        ip = ipaddress.ip_address(src)
        hits = sorted((n.prefixlen, v) for n, v in nets if ip in n)
        value: object = "unknown"
        if hits:
            v = hits[-1][1]
            value = v.upper() if what == "country" else int(v.upper().removeprefix("AS"))
        out[((epoch + dt.timedelta(days=day)).isoformat(), value)] += 1
    return out


def test_by_country_and_asn_counted_in_the_engine(tmp_path: Path) -> None:
    store = tmp_path / "store"
    store.mkdir()
    t = simulate(Botnet(bots=3_000, held=200, day=DAY, seed=5, churn_fraction=0.2))
    write_store(t, store, dns=True)
    enrich = Enricher(
        country_db=write_prefixes(tmp_path / "cc.txt", COUNTRIES),
        asn_db=write_prefixes(tmp_path / "asn.txt", ASNS),
        packages=False,
    )
    with SinkholeStats(store) as st:
        returned: list[int] = []
        rows_of = st.engine.rows

        def counting(sql: str) -> list[dict[str, object]]:
            got = rows_of(sql)
            returned.append(len(got))
            return got

        st.engine.rows = counting  # type: ignore[method-assign]
        for what, prefixes in (("country", COUNTRIES), ("asn", ASNS)):
            returned.clear()
            rows = st.by_network(what, enrich)
            want = expected(store, prefixes, what)
            assert {(r["day"], r[what]): r["addresses"] for r in rows} == dict(want)
            # only the aggregate rows left the engine: one per (day, value), no address
            assert returned == [len(rows)] and len(rows) < 20
            assert sum(want.values()) > 3_000
            days = [r["day"] for r in rows]
            assert days == sorted(days) and len(set(days)) == 3
        (only,) = {r["day"] for r in st.by_network("country", enrich, [DAY])}
        assert only == DAY.isoformat()


def test_memory_limit_same_rows_and_spill_dir_removed(tmp_path: Path) -> None:
    t = simulate(Botnet(bots=20_000, held=200, day=DAY, seed=6))
    write_store(t, tmp_path, dns=True)
    with SinkholeStats(tmp_path) as st:
        free = (st.by_time("hour"), st.observed(), st.dns_sources())
    with SinkholeStats(tmp_path, memory_limit="64MB") as st:
        limit = st.con.execute("SELECT current_setting('memory_limit')").fetchone()
        spill = Path(str(st.con.execute("SELECT current_setting('temp_directory')").fetchone()[0]))  # type: ignore[index]
        assert spill.is_dir() and spill.name.startswith("dgawatch-stats-")
        assert (st.by_time("hour"), st.observed(), st.dns_sources()) == free
    assert limit is not None and "MiB" in str(limit[0]) and not spill.exists()
    with pytest.raises(InputError, match="--memory-limit"):
        SinkholeStats(tmp_path, memory_limit="lots")
