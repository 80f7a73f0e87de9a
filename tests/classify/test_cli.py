"""``dgawatch classify`` and the shipped model (loaded offline from package data)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np

from dgawatch.classify import default_model
from shared_data import family_examples
from tests.classify.conftest import benign_sample


def run(*args: str) -> subprocess.CompletedProcess[str]:
    code = "from dgawatch.cli import main; main()"
    return subprocess.run(
        [sys.executable, "-c", code, *args], capture_output=True, text=True, check=False
    )


def test_json_schema(tmp_path: Path) -> None:
    f = tmp_path / "names.txt"
    f.write_text("# comment\nwikipedia.org\n")
    p = run("classify", "google.com", "xjwqpzkrtvbn.ru", "--file", str(f), "--json", "--no-lookup")
    assert p.returncode == 0, p.stderr
    docs = [json.loads(line) for line in p.stdout.splitlines()]
    assert [d["domain"] for d in docs] == ["google.com", "xjwqpzkrtvbn.ru", "wikipedia.org"]
    for d in docs:
        assert set(d) == {"domain", "score", "family", "family_score", "generated"}
        assert 0.0 <= d["score"] <= 1.0
        # A family score only where a family is named (google.com's resemblance is no claim).
        assert (d["family"] is None) == (d["family_score"] is None)
    # The default verdict is the FPR 1e-3 one; a closest family only for generated names.
    cut = default_model().threshold_for(1e-3)
    assert [d["generated"] for d in docs] == [d["score"] > cut for d in docs] == [0, 1, 0]
    assert isinstance(docs[1]["family"], str) and 0.0 <= docs[1]["family_score"] <= 1.0
    assert docs[0]["family"] is None and docs[2]["family"] is None


def _ramnit_name() -> tuple[str, str]:
    """A name of a registered static variant (its own generator: ground truth)."""
    from dgawatch.days import today
    from dgawatch.families import get_family

    v = get_family("ramnit").variant("4302c04a")
    return v.domains(today())[0], v.name


def test_forecast_match_comes_before_the_model() -> None:
    name, variant = _ramnit_name()
    p = run("classify", name, "google.click", "--json")
    assert p.returncode == 0, p.stderr
    hit, benign = (json.loads(line) for line in p.stdout.splitlines())
    assert hit["generated"] and hit["family"] == "ramnit"
    (match,) = hit["forecast"]
    assert (match["family"], match["variant"], match["index"]) == ("ramnit", variant, 0)
    assert match["first_day"] <= match["last_day"] and match["days"] > 300
    assert benign["forecast"] == [] and benign["family"] is None and not benign["generated"]
    # The table says it too, by default (no option): verdict, family, why.
    p = run("classify", name, "google.click")
    assert p.returncode == 0, p.stderr
    rows = {
        line.split("\u2502")[1].strip(): line for line in p.stdout.splitlines() if "\u2502" in line
    }
    assert "DGA (forecast)" in rows[name] and f"ramnit/{variant}" in rows[name]
    assert "exact match" in rows[name]
    assert "benign" in rows["google.click"] and "no forecast match" in rows["google.click"]


def test_invalid_names_are_refused_with_a_reason(tmp_path: Path) -> None:
    for bad, why in (("", "empty name"), ("bad..name", "empty label"), ("a b.com", "' '")):
        p = run("classify", "google.com", bad, "--no-lookup")
        assert p.returncode == 2, (bad, p.stdout)
        assert why in p.stderr and "Traceback" not in p.stderr
        assert len(p.stderr.strip().splitlines()) == 1
    f = tmp_path / "names.txt"
    f.write_text("google.com\nbad..name\n" + "x" * 64 + ".com\n")
    p = run("classify", "--file", str(f), "--json", "--no-lookup")
    assert p.returncode == 0, p.stderr
    docs = [json.loads(line) for line in p.stdout.splitlines()]
    assert docs[1] == {"domain": "bad..name", "error": docs[1]["error"]}
    assert "empty label" in docs[1]["error"] and "at most 63" in docs[2]["error"]
    assert f"{f}:2" in p.stderr and f"{f}:3" in p.stderr
    p = run("classify", "--file", str(f), "--no-lookup")
    assert p.returncode == 0 and "invalid" in p.stdout


def test_json_streams_a_file_larger_than_one_chunk(tmp_path: Path) -> None:
    """More names than ``CHUNK``: every one answered once, in input order, each chunk scored
    as if alone (the same scores as the library gives the whole list)."""
    from dgawatch.classify.cli import CHUNK

    rng = np.random.default_rng(0)
    letters = np.array(list("abcdefghijklmnopqrstuvwxyz0123456789"))
    names = ["".join(rng.choice(letters, int(rng.integers(3, 20)))) + ".com" for _ in range(CHUNK)]
    names += benign_sample(200)
    f = tmp_path / "many.txt"
    f.write_text("\n".join(names) + "\n")
    p = run("classify", "--file", str(f), "--json", "--no-lookup")
    assert p.returncode == 0, p.stderr
    docs = [json.loads(line) for line in p.stdout.splitlines()]
    assert [d["domain"] for d in docs] == names
    tail = default_model().score_names(names[-300:])
    np.testing.assert_allclose([d["score"] for d in docs[-300:]], tail, atol=1e-6)


def test_unreadable_file_is_one_line(tmp_path: Path) -> None:
    p = run("classify", "--file", str(tmp_path / "missing.txt"), "--json")
    assert p.returncode == 2 and "cannot read" in p.stderr and "missing.txt" in p.stderr
    assert len(p.stderr.strip().splitlines()) == 1


def test_errors_are_one_line() -> None:
    p = run("classify", "x.com", "--threshold", "0.5", "--fpr", "0.01")
    assert p.returncode == 2 and "not both" in p.stderr
    p = run("classify", "x.com", "--fpr", "0.0123")
    assert p.returncode == 2 and "no threshold calibrated" in p.stderr


def test_evaluate_command(tmp_path: Path) -> None:
    ben = tmp_path / "benign.txt"
    ben.write_text("\n".join(benign_sample(3000)[2000:]) + "\n")
    dga = tmp_path / "dga.csv"
    rows = [("cryptolocker", d) for d, _, _ in family_examples("cryptolocker")[:300]]
    rows += [("gozi", d) for d, _, _ in family_examples("gozi")]
    dga.write_text("family,domain\n" + "".join(f"{f},{d}\n" for f, d in rows))
    p = run("classify", "evaluate", "--benign", str(ben), "--dga", str(dga), "--json")
    assert p.returncode == 0, p.stderr
    doc = json.loads(p.stdout)
    assert set(doc["families"]) == {"cryptolocker", "gozi"}
    assert doc["families"]["cryptolocker"]["tpr@0.01"] > 0.9
    assert set(doc["tpr"]) == {"0.01", "0.001"}


def test_shipped_model_scores_known_dga_high_and_top_sites_low() -> None:
    model = default_model()
    shipped = Path(__file__).parents[2] / "src/dgawatch/classify/model/dgawatch-classifier.npz"
    assert shipped.stat().st_size < 20_000_000
    assert model.thresholds_ and len(model.families_) == 58  # retrained with issue 18's families
    dga = [
        d
        for fam in ("cryptolocker", "necurs", "gameover", "zloader")
        for d, _, _ in family_examples(fam)[:100]
    ]
    top = [
        "google.com",
        "facebook.com",
        "youtube.com",
        "wikipedia.org",
        "amazon.com",
        "twitter.com",
        "linkedin.com",
        "microsoft.com",
        "apple.com",
        "github.com",
    ]
    cut = model.threshold_for(1e-2)
    assert np.mean(model.score_names(dga) > cut) > 0.95
    assert not (model.score_names(top) > cut).any()
    # The family head names a resemblance: most names of a distinctive family resemble it.
    for fam in ("zloader", "corebot", "bazarbackdoor"):
        names = [d for d, _, _ in family_examples(fam)[:100]]
        found, _ = model.predict_family(names)
        assert found.count(fam) > len(names) // 2, fam


def test_json_lines_are_exactly_what_json_dumps_writes() -> None:
    from dgawatch.classify.cli import _json_lines

    names = ["google.com", 'a"b.com', "back\\slash.org", "caf\u00e9.fr", "tab\t.ru", "x-y_z.net"]
    scores = np.array([0.1234567891, 1.0, 0.0, 1e-7, 0.5, 0.999999951])
    fams: list[str | None] = ["necurs", None, "gozi", "necurs", None, 'q"uote']
    fscores = np.array([0.5, 0.25, 1e-9, 0.3333333333, 1.0, 0.0])
    hit = {"family": "x", "variant": "v", "index": 3}
    for cut, hits in ((None, None), (0.3, None), (0.3, {"google.com": [hit]})):
        expected = ""
        for n, s, f, fs in zip(names, scores, fams, fscores, strict=True):
            found = (hits or {}).get(n, [])
            generated = bool((cut is not None and s > cut) or found)
            doc: dict[str, object] = {
                "domain": n,
                "score": round(float(s), 6),
                "family": "x" if found else f if cut is None or s > cut else None,
                "family_score": None,
            }
            if doc["family"] is not None:
                doc["family_score"] = round(float(fs), 6)
            if cut is not None:
                doc["generated"] = generated
            if hits is not None:
                doc["forecast"] = found
            expected += json.dumps(doc) + "\n"
        assert _json_lines(names, scores, list(fams), fscores, cut, hits) == expected
        plain = [
            n
            for n in names
            if n.isascii() and n.replace("-", "").replace("_", "").replace(".", "").isalnum()
        ]
        rows = [names.index(n) for n in plain]
        only = _json_lines(plain, scores[rows], [fams[i] for i in rows], fscores[rows], cut, hits)
        assert only == "".join(
            line + "\n" for i, line in enumerate(expected.splitlines()) if i in rows
        )


def test_time_seeded_forecast_match_near_today() -> None:
    """A time-seeded variant's name of tomorrow is an exact match without a store: the
    lists classify generates cover today +- 7 days (the name comes from the generator)."""
    import datetime as dt

    from dgawatch.days import today
    from dgawatch.families import get_family

    v = get_family("necurs").variants[0]
    day = today() + dt.timedelta(days=1)
    assert v.period_days >= 1 and v.is_active(day)
    name = v.domains(day)[0]
    p = run("classify", name, "--json")
    assert p.returncode == 0, p.stderr
    (doc,) = (json.loads(line) for line in p.stdout.splitlines())
    assert doc["generated"] and doc["family"] == "necurs"
    assert any(
        m["family"] == "necurs" and m["first_day"] <= day.isoformat() <= m["last_day"]
        for m in doc["forecast"]
    )


def test_a_file_of_another_format_stops_early(tmp_path: Path) -> None:
    """QA: a 1.5 M-line CSV of flows was scored line by line (an error row and two stderr
    lines each, exit 0). Mostly invalid first lines: one line naming the file, exit 2."""
    f = tmp_path / "jan.csv"
    f.write_text(
        "".join(f"2026-01-01 00:00:{i % 60:02},10.0.0.{i % 250},53,udp\n" for i in range(5000))
    )
    for extra in ((), ("--json",)):
        p = run("classify", "--file", str(f), "--no-lookup", *extra)
        assert p.returncode == 2 and p.stdout == ""
        (line,) = p.stderr.strip().splitlines()
        assert "jan.csv" in line and "1000 of its first 1000 lines" in line
        assert "comma-separated" in line and "Traceback" not in line


def test_invalid_line_messages_are_capped(tmp_path: Path) -> None:
    bad = [f"bad..name{i}" for i in range(30)]
    good = benign_sample(100)[:70]
    f = tmp_path / "mixed.txt"
    f.write_text("\n".join(bad + good) + "\n")
    p = run("classify", "--file", str(f), "--json", "--no-lookup")
    assert p.returncode == 0, p.stderr
    docs = [json.loads(line) for line in p.stdout.splitlines()]
    assert sum("error" in d for d in docs) == 30 and len(docs) == 100
    lines = p.stderr.strip().splitlines()
    assert len(lines) == 11 and f"{f}:10:" in lines[9] and f"{f}:11:" not in p.stderr
    assert "20 more invalid lines (30 in all)" in lines[10]


def test_empty_file_and_out_of_range_threshold(tmp_path: Path) -> None:
    f = tmp_path / "empty.txt"
    f.write_text("# only a comment\n\n")
    for extra in ((), ("--json",)):
        p = run("classify", "--file", str(f), "--no-lookup", *extra)
        assert p.returncode == 2 and "empty.txt holds no names" in p.stderr
    for t in ("2", "-0.1"):
        p = run("classify", "x.com", "--threshold", t, "--no-lookup")
        assert p.returncode == 2 and "within [0, 1]" in p.stderr, p.stderr
    assert run("classify", "x.com", "--threshold", "1", "--no-lookup").returncode == 0


def test_train_without_pytorch_says_so_at_once(tmp_path: Path) -> None:
    """QA: 56 CPU-s of data preparation before the PyTorch error. ``torch`` made
    unimportable in the process (as when it is not installed)."""
    code = "import sys; sys.modules['torch'] = None; from dgawatch.cli import main; main()"
    p = subprocess.run(
        [sys.executable, "-c", code, "classify", "train", "--output", str(tmp_path / "m.npz")],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert p.returncode == 2 and "needs PyTorch" in p.stderr, p.stderr
    assert len(p.stderr.strip().splitlines()) == 1 and not (tmp_path / "m.npz").exists()
    h = run("classify", "train", "--help")
    assert "not the shipped model" in " ".join(h.stdout.split())


def test_evaluate_refuses_a_log(tmp_path: Path) -> None:
    ben = tmp_path / "top.txt"
    ben.write_text("\n".join(benign_sample(50)) + "\n")
    log = tmp_path / "dns.log"
    log.write_text(
        "#separator \\x09\n#fields\tts\tuid\tquery\n"
        + "".join(f"1700000000.{i}\tC{i}\texample{i}.com\n" for i in range(40))
    )
    p = run("classify", "evaluate", "--benign", str(ben), "--dga", str(log))
    assert p.returncode == 2 and p.stdout == "", p.stdout
    (line,) = p.stderr.strip().splitlines()
    assert "dns.log" in line and "tab-separated" in line


def test_repeated_names_are_answered_in_place(tmp_path: Path) -> None:
    """Each distinct name is scored once and its line written wherever it occurs: the output
    is line for line the one of the names without repeats; a CRLF file (read line by line,
    not by Arrow) gives the same bytes."""
    names = [*benign_sample(40)[:30], "xjwqpzkrtvbn.ru", "qwzxkvbnmrtp.net"]
    rng = np.random.default_rng(5)
    lines = [names[i] for i in rng.integers(0, len(names), 300)]
    lines[7] = "bad..name"
    lines[200] = "# a comment"
    lines[250] = ""
    lf = tmp_path / "lf.txt"
    lf.write_text("\n".join(lines) + "\n")
    crlf = tmp_path / "crlf.txt"
    crlf.write_bytes(lf.read_bytes().replace(b"\n", b"\r\n"))
    once = tmp_path / "once.txt"
    once.write_text("\n".join(dict.fromkeys(n for n in lines if n and n[0] != "#")) + "\n")
    outs = {
        f.name: run("classify", "--file", str(f), "--json", "--no-lookup") for f in (lf, crlf, once)
    }
    assert all(p.returncode == 0 for p in outs.values())
    assert outs["lf.txt"].stdout == outs["crlf.txt"].stdout
    single = {json.loads(x)["domain"]: x for x in outs["once.txt"].stdout.splitlines()}
    got = outs["lf.txt"].stdout.splitlines()
    kept = [n for n in lines if n and n[0] != "#"]
    assert got == [single[n] for n in kept]
    assert json.loads(got[7])["error"] and f"{lf}:8:" in outs["lf.txt"].stderr
    assert f"{crlf}:8:" in outs["crlf.txt"].stderr


def test_why_says_what_the_suffix_did() -> None:
    """The shipped model carries its suffix prior; the table's why names a suffix that moved
    a score, by how much, and which side favours it; a bare label's threshold is its own."""
    model = default_model()
    odds = model.prior_.odds
    assert odds.get("biz", 0) > 0 > odds.get("com.br", 0)  # the known families favour .biz
    assert model.label_thresholds_ and model.label_thresholds_ != model.thresholds_
    names = ["xjwqpzkrtvbn.biz", "example.com.br", "google.com", "--no-lookup"]
    p = subprocess.run(
        [sys.executable, "-c", "from dgawatch.cli import main; main()", "classify", *names],
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "COLUMNS": "400"},
    )
    assert p.returncode == 0, p.stderr
    rows = {line.split("│")[1].strip(): line for line in p.stdout.splitlines() if "│" in line}
    w = model.suffix_prior
    assert (
        f"suffix .biz: +{w * odds['biz']:.1f} log-odds (DGAs favour it)" in rows["xjwqpzkrtvbn.biz"]
    )
    assert (
        f"suffix .com.br: {w * odds['com.br']:.1f} log-odds (benign names favour it)"
        in rows["example.com.br"]
    )
    # .com's push is under the note's bar (SUFFIX_NOTE): nothing said
    assert abs(w * odds.get("com", 0)) < 1.5 and "suffix" not in rows["google.com"]
