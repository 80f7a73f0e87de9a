"""The Polars baseline of bench_hunt.py, run as its own process: what an analyst would
write instead of ``dgawatch hunt``. Reads a Zeek dns.log, joins each query's name and its
registered domain (the same public suffix list, :func:`dgawatch.domain.registered_domain`,
applied to the distinct names) against the forecast names with their list day, keeps
events within the window of a list day, and writes the matched events per client and the
number of match rows (event, variant, list day), which the hunt's summary also counts.

    python bench/_polars_hunt.py LOG NAMES.tsv WINDOW_DAYS
"""

from __future__ import annotations

import sys

import polars as pl

from dgawatch.domain import registered_domain


def main() -> int:
    log, names_tsv, window = sys.argv[1], sys.argv[2], int(sys.argv[3])
    events = (
        pl.read_csv(
            log,
            separator="\t",
            comment_prefix="#",
            has_header=False,
            quote_char=None,
            columns=[0, 2, 9],
            infer_schema=False,
        )
        .select(
            pl.col("column_0").cast(pl.Float64).alias("ts"),
            pl.col("column_2").alias("client"),
            pl.col("column_9").alias("qname"),
        )
        .with_columns(
            pl.col("qname").str.to_lowercase().str.strip_chars_end("."),
            (pl.col("ts") // 86400).cast(pl.Int32).alias("day"),
        )
    )
    names = pl.read_csv(
        names_tsv,
        separator="\t",
        has_header=False,
        infer_schema=False,
    ).select(
        pl.col("column_0").alias("domain"),
        pl.col("column_1").cast(pl.Int32).alias("list_day"),
        pl.col("column_2").alias("variant"),
    )
    uniq = events.select("qname").unique()
    reg = [registered_domain(q) for q in uniq["qname"].to_list()]
    keys = uniq.with_columns(pl.Series("reg", reg, dtype=pl.String))
    keys = pl.concat(
        [
            keys.select("qname", pl.col("qname").alias("domain")),
            keys.filter(pl.col("reg").is_not_null() & (pl.col("reg") != pl.col("qname"))).select(
                "qname", pl.col("reg").alias("domain")
            ),
        ]
    ).join(names.select("domain").unique(), on="domain", how="semi")
    hits = (
        events.with_row_index("row")
        .join(keys, on="qname")
        .join(names, on="domain")
        .filter((pl.col("day") - pl.col("list_day")).abs() <= window)
        .unique(["row", "variant", "list_day"])
    )
    per_client = hits.group_by("client").agg(pl.col("row").n_unique().alias("queries"))
    per_client.sort("client").write_csv(sys.stdout)
    print(f"# match rows (event, variant, list day) {hits.height}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
