"""hunt-flows: a CSV row with fewer fields than the header's flow columns is reported with
how many fields it has and which columns a flow needs, not as '(IndexError)'."""

from __future__ import annotations

from pathlib import Path

from tests.test_cli import run


def test_short_csv_row_names_the_columns(tmp_path: Path) -> None:
    log = tmp_path / "flows.csv"
    log.write_text(
        "ts,src,dst,dport,proto\n"
        "1238544000,10.0.0.1,10.0.0.2,445,tcp\n"
        "1238544001,10.0.0.1,10.0.0.3\n"
    )
    proc = run("hunt-flows", str(log), home=tmp_path / "home")
    assert "IndexError" not in proc.stderr
    assert "1 line(s): 3 fields, expected at least 5 (ts, src, dst, dport, proto)" in proc.stderr
    assert "  line 3: " in proc.stderr


def test_short_zeek_row_names_the_columns(tmp_path: Path) -> None:
    log = tmp_path / "conn.log"
    log.write_text(
        "#separator \\x09\n#path\tconn\n"
        "#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tproto\n"
        "1238544000\tCx\t10.0.0.1\t1025\t10.0.0.2\n"
    )
    proc = run("hunt-flows", str(log), home=tmp_path / "home")
    assert "5 fields, expected at least 7 (ts, uid, id.orig_h, id.orig_p, id.resp_h, " in (
        proc.stderr
    )
