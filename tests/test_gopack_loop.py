"""Go-packs as the registry loop (issue 15): Ed25519 signatures over the manifest (one
flipped byte anywhere fails verification), names withheld by an allowlist and counted in
the manifest, registry acknowledgements recorded in the data directory, release lists of
names whose days have passed, and one-line errors (exit 2) for bad arguments."""

from __future__ import annotations

import datetime as dt
import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from dgawatch.errors import InputError
from dgawatch.export import Withheld, allowlist
from dgawatch.families import get_family
from dgawatch.gopack import (
    MANIFEST,
    SIGNATURE,
    VerificationError,
    ack_table,
    build_gopack,
    keygen,
    load_private_key,
    load_public_key,
    record_ack,
    release_names,
    sign_pack,
    verify_pack,
)

B = get_family("conficker").variant("b")
START = dt.date(2009, 1, 20)
END = dt.date(2009, 2, 28)
TLDS = ("ws", "cc")
BUILD = ["gopack", "--tld", "ws", "--start", "2009-01-20", "--output", "{new}"]


def cli(*args: str, home: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", "from dgawatch.cli import main; main()", *args],
        capture_output=True,
        text=True,
        env=dict(os.environ, DGAWATCH_HOME=str(home)),
        timeout=300,
        check=False,
    )


def one_line_error(proc: subprocess.CompletedProcess[str], *needles: str, code: int = 2) -> None:
    assert proc.returncode == code, proc.stderr
    assert "Traceback" not in proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("dgawatch: error: "), proc.stderr
    for needle in needles:
        assert needle in lines[0], (needle, proc.stderr)


def days(first: dt.date, last: dt.date) -> list[dt.date]:
    return [first + dt.timedelta(days=i) for i in range((last - first).days + 1)]


def names_on(day: dt.date, tld: str) -> set[str]:
    return {n for n in B.domains_blob(day).decode().split() if n.endswith("." + tld)}


@pytest.fixture(scope="module")
def keys(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    private, public, _ = keygen(tmp_path_factory.mktemp("keys") / "signer")
    return private, public


@pytest.fixture(scope="module")
def pack(tmp_path_factory: pytest.TempPathFactory, keys: tuple[Path, Path]) -> Path:
    out = tmp_path_factory.mktemp("gp") / "pack"
    build_gopack([B], TLDS, START, 2, out, sign_key=keys[0])
    return out


def copy(pack: Path, tmp: Path) -> Path:
    dest = tmp / "copy"
    for p in pack.rglob("*"):
        if p.is_file():
            (dest / p.relative_to(pack)).parent.mkdir(parents=True, exist_ok=True)
            (dest / p.relative_to(pack)).write_bytes(p.read_bytes())
    return dest


def test_keygen_writes_a_private_key_only_its_owner_reads(keys: tuple[Path, Path]) -> None:
    private, public = keys
    assert stat.S_IMODE(private.stat().st_mode) == 0o600
    assert private.read_text().startswith("-----BEGIN PRIVATE KEY-----")
    assert public.read_text().startswith("-----BEGIN PUBLIC KEY-----")
    with pytest.raises(InputError, match="never overwritten"):
        keygen(private)


def test_a_signed_pack_verifies(pack: Path, keys: tuple[Path, Path]) -> None:
    manifest = verify_pack(pack, load_public_key(keys[1]))
    assert {f["path"] for f in manifest["files"]} == {
        f"{t}/{m}.txt" for t in TLDS for m in ("2009-01", "2009-02")
    }
    sig = json.loads((pack / SIGNATURE).read_text())
    assert sig["algorithm"] == "ed25519" and sig["signed"] == MANIFEST


def test_one_flipped_byte_in_any_file_fails(
    pack: Path, keys: tuple[Path, Path], tmp_path: Path
) -> None:
    public = load_public_key(keys[1])
    files = sorted(str(p.relative_to(pack)) for p in pack.rglob("*") if p.is_file())
    assert MANIFEST in files and SIGNATURE in files and len(files) == 6
    for rel in files:
        for offset in (0, -2):  # first byte, and one near the end
            bad = copy(pack, tmp_path / f"{rel.replace('/', '_')}{offset}")
            data = bytearray((bad / rel).read_bytes())
            data[offset] ^= 0x01
            (bad / rel).write_bytes(bytes(data))
            with pytest.raises(VerificationError):
                verify_pack(bad, public)
    # a file added, a file removed, another signer
    extra = copy(pack, tmp_path / "extra")
    (extra / "ws" / "note.txt").write_text("x\n")
    with pytest.raises(VerificationError, match="not listed"):
        verify_pack(extra, public)
    gone = copy(pack, tmp_path / "gone")
    (gone / "cc" / "2009-02.txt").unlink()
    with pytest.raises(VerificationError, match="missing"):
        verify_pack(gone, public)
    _, other, _ = keygen(tmp_path / "other")
    with pytest.raises(VerificationError, match="signed by key"):
        verify_pack(pack, load_public_key(other))


def test_signing_an_unsigned_pack_later(keys: tuple[Path, Path], tmp_path: Path) -> None:
    out = tmp_path / "p"
    build_gopack([B], ["ws"], START, 1, out)
    assert not (out / SIGNATURE).exists()
    with pytest.raises(VerificationError, match=r"MANIFEST\.sig is missing"):
        verify_pack(out, load_public_key(keys[1]))
    sign_pack(out, load_private_key(keys[0]))
    verify_pack(out, load_public_key(keys[1]))


def test_cli_verify_exit_status(pack: Path, keys: tuple[Path, Path], tmp_path: Path) -> None:
    ok = cli("gopack", "verify", str(pack), "--key", str(keys[1]), home=tmp_path)
    assert ok.returncode == 0 and "verified" in ok.stderr, ok.stderr
    bad = copy(pack, tmp_path / "bad")
    data = bytearray((bad / "ws" / "2009-02.txt").read_bytes())
    data[5] ^= 0x20
    (bad / "ws" / "2009-02.txt").write_bytes(bytes(data))
    proc = cli("gopack", "verify", str(bad), "--key", str(keys[1]), home=tmp_path)
    one_line_error(proc, "verification FAILED", "ws/2009-02.txt", code=1)


def test_allowlist_names_are_withheld_and_counted(tmp_path: Path) -> None:
    jan = sorted(names_on(dt.date(2009, 1, 25), "ws"))
    chosen = {jan[0], jan[3]}
    allow = tmp_path / "allow.txt"
    allow.write_text("".join(f"{n}\n" for n in chosen) + "unrelated.example\n")
    out = tmp_path / "p"
    manifest = build_gopack([B], ["ws", "cc"], START, 1, out, withheld=Withheld([allowlist(allow)]))
    plain = tmp_path / "plain"
    build_gopack([B], ["ws", "cc"], START, 1, plain)
    before = set((plain / "ws" / "2009-01.txt").read_text().split())
    after = set((out / "ws" / "2009-01.txt").read_text().split())
    assert before - after == chosen and after <= before
    assert (out / "cc" / "2009-01.txt").read_bytes() == (plain / "cc" / "2009-01.txt").read_bytes()
    withheld = manifest["withheld"]
    assert isinstance(withheld, dict)
    assert withheld["names"] == {"allowlist allow.txt": 2}
    assert withheld["names_per_tld"] == {"cc": 0, "ws": 2}
    assert withheld["lists"][0]["names_listed"] == 3


def test_acknowledgements_per_registry_and_month(pack: Path, tmp_path: Path) -> None:
    home = tmp_path / "home"
    record_ack("ws", "2009-01", pack=pack, note="mail 12", data=home)
    record_ack("cc", "2009-02", data=home)
    rows = {(r["tld"], r["month"]): r for r in ack_table(pack, data=home)}
    assert set(rows) == {(t, m) for t in TLDS for m in ("2009-01", "2009-02")}
    acked = {k for k, r in rows.items() if r["acked"]}
    assert acked == {("ws", "2009-01"), ("cc", "2009-02")}
    assert rows[("ws", "2009-01")]["note"] == "mail 12"
    # recorded in the data directory, read back by the CLI
    proc = cli("gopack", "acks", "--pack", str(pack), "--json", home=home)
    assert proc.returncode == 0, proc.stderr
    lines = [json.loads(x) for x in proc.stdout.splitlines()]
    assert sum(x["acked"] for x in lines) == 2 and len(lines) == 4
    assert "2 months of 4 not acknowledged" in proc.stderr
    proc = cli("gopack", "ack", "cc", "--month", "2009-01", "--pack", str(pack), home=home)
    assert proc.returncode == 0, proc.stderr
    assert len((home / "gopack-acks.jsonl").read_text().splitlines()) == 3


def test_release_lists_the_names_whose_days_have_passed(pack: Path, tmp_path: Path) -> None:
    through = dt.date(2009, 2, 10)
    names, summary = release_names(pack, "ws", through)
    passed = set().union(*(names_on(d, "ws") for d in days(START, through)))
    later = set().union(*(names_on(d, "ws") for d in days(through + dt.timedelta(1), END)))
    assert names == sorted(passed - later) and len(names) > 500
    assert summary["checked_until"] == END.isoformat()
    # a whole month passed: its file, less names generated again later
    jan, _ = release_names(pack, "ws", dt.date(2009, 1, 31))
    jan_file = set((pack / "ws" / "2009-01.txt").read_text().split())
    assert set(jan) <= jan_file and set(jan) == jan_file - set().union(
        *(names_on(d, "ws") for d in days(dt.date(2009, 2, 1), END))
    )
    proc = cli("gopack", "release", str(pack), "--tld", "ws", "--through", "2009-02-10",
               "--output", str(tmp_path / "rel.txt"), home=tmp_path)  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    body = [x for x in (tmp_path / "rel.txt").read_text().splitlines() if not x.startswith("#")]
    assert body == names


@pytest.mark.parametrize(
    ("args", "needles"),
    [
        (["gopack", "verify", "{pack}", "--key", "{missing}"], ["--key", "missing"]),
        (["gopack", "verify", "{pack}", "--key", "{notkey}"], ["--key", "PEM"]),
        (["gopack", "verify", "{nodir}", "--key", "{pub}"], ["not a directory"]),
        (["gopack", "sign", "{nodir}", "--sign-key", "{priv}"], ["not a go-pack"]),
        (["gopack", "sign", "{pack}", "--sign-key", "{pub}"], ["--sign-key"]),
        (["gopack", "keygen", "--output", "{priv}"], ["exists"]),
        (["gopack", "keygen", "--output", "{nodir}/k"], ["does not exist"]),
        (["gopack", "ack", "ws", "--month", "2009-13"], ["--month"]),
        (["gopack", "ack", "ws", "--month", "2010-01", "--pack", "{pack}"], ["--month 2010-01"]),
        (["gopack", "ack", "n/l", "--month", "2009-01"], ["--tld"]),
        (["gopack", "release", "{pack}", "--tld", "nl"], ["--tld nl"]),
        (["gopack", "release", "{pack}", "--tld", "ws", "--through", "2008-01-01"], ["--through"]),
        (["gopack", "release", "{pack}", "--tld", "ws", "--through", "soon"], ["--through"]),
        (["gopack", "acks", "--pack", "{nodir}"], ["not a go-pack"]),
        (["gopack"], ["--tld", "sub-command"]),
        (["gopack", "--tld", "ws", "verify", "{pack}", "--key", "{pub}"], ["--tld", "verify"]),
        ([*BUILD, "--sign-key", "{notkey}"], ["--sign-key"]),
        ([*BUILD, "--allowlist", "{notkey}"], ["notkey", ":1"]),
    ],
)
def test_bad_arguments_are_one_line_exit_2(
    args: list[str], needles: list[str], pack: Path, keys: tuple[Path, Path], tmp_path: Path
) -> None:
    (tmp_path / "notkey").write_text("not a key at all\n")
    places = {
        "pack": str(pack), "priv": str(keys[0]), "pub": str(keys[1]),
        "missing": str(tmp_path / "missing.pub"), "notkey": str(tmp_path / "notkey"),
        "nodir": str(tmp_path / "nodir"), "new": str(tmp_path / "new"),
    }  # fmt: skip
    proc = cli(*(a.format(**places) for a in args), home=tmp_path / "home")
    one_line_error(proc, *needles)
    assert not (tmp_path / "new").exists()
    assert not (tmp_path / "home" / "gopack-acks.jsonl").exists()


def test_release_refuses_a_names_file_that_differs_from_the_manifest(
    pack: Path, tmp_path: Path
) -> None:
    """Without --key too: a line added to a month's file is not released as a name."""
    import shutil

    copy = tmp_path / "pack"
    shutil.copytree(pack, copy)
    with (copy / "ws" / "2009-01.txt").open("a") as fh:
        fh.write("notinthepack.ws\n")
    with pytest.raises(VerificationError, match=r"2009-01\.txt differs"):
        release_names(copy, "ws", dt.date(2009, 1, 31))
    out = tmp_path / "rel.txt"
    proc = cli("gopack", "release", str(copy), "--tld", "ws", "--through", "2009-02-10",
               "--output", str(out), home=tmp_path)  # fmt: skip
    one_line_error(proc, "verification FAILED", "2009-01.txt", code=1)
    assert not out.exists()
    shutil.copy(pack / "ws" / "2009-01.txt", copy / "ws" / "2009-01.txt")
    (copy / "ws" / "2009-02.txt").unlink()
    with pytest.raises(VerificationError, match=r"2009-02\.txt is missing"):
        release_names(copy, "ws", dt.date(2009, 2, 10))


def test_release_keeps_a_name_generated_again_after_the_day(tmp_path: Path) -> None:
    """Gozi 'luther' keeps each list for 4 days: a list straddling --through is not freed."""
    luther = get_family("gozi").variant("luther")
    out = tmp_path / "p"
    build_gopack([luther], ["com"], dt.date(2015, 3, 1), 1, out)
    through = dt.date(2015, 3, 10)

    def on(d: dt.date) -> set[str]:
        return set(luther.domains_blob(d).decode().split())

    passed = set().union(*(on(d) for d in days(dt.date(2015, 3, 1), through)))
    later = set().union(*(on(d) for d in days(through + dt.timedelta(1), dt.date(2015, 3, 31))))
    assert passed & later  # the case under test occurs
    names, _ = release_names(out, "com", through)
    assert names == sorted(passed - later) and names
