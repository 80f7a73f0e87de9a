"""A name drawn twice into one day's list (dmsniff, pushdo's andrewaeva, kraken v2, qsnatch
repeat names) is one match per query, at its first position, in both engines: the summary's
`matches` counted each repeat (33,258 rows where a semi-join gives 32,995 at 5 M lines)."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from pathlib import Path
from typing import Any

from dgawatch.events import QueryEvent, batch_from_events
from dgawatch.families import get_family
from dgawatch.hunt import HuntOptions, hunt_batches
from tests.hunt.logs import utc

DAY = dt.date(2023, 6, 8)


def repeated_name() -> tuple[Any, str]:
    """dmsniff sn and a name its list of DAY holds more than once."""
    sn = get_family("dmsniff").variant("sn")
    return sn, next(n for n, c in Counter(sn.domains(DAY)).items() if c > 1)


def test_a_repeated_name_is_one_match_per_query() -> None:
    sn, name = repeated_name()
    queries = 3
    events = [
        QueryEvent(utc(2023, 6, 8, 9, 0, i), "192.0.2.7", name, "A", "NXDOMAIN", (), None, "x", i)
        for i in range(queries)
    ]
    result = hunt_batches([batch_from_events(events)], HuntOptions(variants=(sn,)))
    assert result.matches == queries  # was 2 per query: one per position of the name
    (finding,) = result.findings
    assert (finding.client, finding.queries, finding.distinct_names) == ("192.0.2.7", queries, 1)


def test_spark_counts_a_repeated_name_as_local_does(spark: Any, tmp_path: Path) -> None:
    from dgawatch.hunt import hunt_paths
    from dgawatch.hunt.spark import hunt_spark
    from tests.hunt.logs import Query, write_zeek

    sn, name = repeated_name()
    queries = 3
    log = tmp_path / "dns.log"
    write_zeek(log, [Query(utc(2023, 6, 8, 9, 0, i), "192.0.2.7", name) for i in range(queries)])
    options = HuntOptions(variants=(sn,))
    local = hunt_paths([log], options)
    remote = hunt_spark([log], options, spark=spark)
    assert local.matches == remote.matches == queries
    assert remote.findings == local.findings
