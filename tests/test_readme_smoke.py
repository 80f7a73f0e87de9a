"""The README's command lists, run as a user would paste them: each line of the "Using it"
block and of the "Hunt" block is a real ``dgawatch`` process (through bash, so ``>``
redirections work) in a temporary directory with its own ``DGAWATCH_HOME`` holding a small
store; each must exit 0 and print no traceback.

How a README line becomes a command:
- ``\\`` continuations are joined and ``# comments`` dropped;
- ``[--opt value]`` optional parts are *included* (the fuller form is the one to check); an
  alternative ``a|b`` inside them takes ``a``; a bracket that is a placeholder in words
  (``[more logs or directories]``) is dropped;
- :data:`NARROWER` narrows windows and selections so that the whole file stays under a minute
  on 2 cores (each replacement says why); :data:`EXCLUDED` lists the few lines not run.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

README = Path(__file__).resolve().parents[1] / "README.md"

#: (README text, what runs instead, why): the same command over a shorter window or a
#: smaller family; the README's numbers stand for the full run.
NARROWER: list[tuple[str, str, str]] = [
    ("--days 30", "--days 2", "30 days of Conficker are 1.5 M names; 2 days show the same path"),
    ("--days 90", "--days 2", "90 days of Conficker C are 4.5 M names"),
    ("--end 2014-11-30", "--end 2014-11-02", "a 30-day window of every family is ~20 s here"),
    ("--end 2026-12-31", "--end 2026-01-02", "a year of Conficker C is 18 M names"),
    ("--family necurs", "--family dmsniff", "necurs' all-time index takes minutes; dmsniff's "
     "lists are static (one day list each), the same code path"),
]  # fmt: skip

#: README lines (by a fragment) not run, with the reason.
EXCLUDED: dict[str, str] = {
    "--engine spark": "starts a Spark JVM (minutes); tests/hunt/test_hunt_spark.py runs it",
}

SECTIONS = ("## Using it", "## Hunt")


def _block(section: str) -> list[str]:
    """The first ```sh block after ``section``'s heading, as logical lines."""
    text = README.read_text(encoding="utf-8")
    start = text.index(f"\n{section}")
    body = text[start:].split("```sh\n", 1)[1].split("\n```", 1)[0]
    return [ln for ln in body.replace("\\\n", " ").splitlines() if ln.strip()]


def _command(line: str) -> str:
    line = re.sub(r"\s#\s.*$", "", line).strip()

    def optional(m: re.Match[str]) -> str:
        inner = m.group(1).strip()
        if not inner.startswith("-"):
            return ""  # a placeholder in words
        return re.sub(r"(\S+)\|\S+", r"\1", inner)  # first of the alternatives

    line = re.sub(r"\[([^\[\]]*)\]", optional, line)
    line = re.sub(r"(\S+)\|\S+", r"\1", line)
    for readme, instead, _why in NARROWER:
        line = line.replace(readme, instead)
    return " ".join(line.split())


def _cases() -> list[tuple[str, str]]:
    cases = []
    for section in SECTIONS:
        for line in _block(section):
            assert line.startswith("dgawatch "), f"not a command in {section}: {line!r}"
            cases.append((section, _command(line)))
    return cases


CASES = _cases()
RUN = [(s, c) for s, c in CASES if not any(fragment in c for fragment in EXCLUDED)]


def test_the_blocks_are_found_and_exclusions_are_few() -> None:
    commands = [c for _s, c in CASES]
    assert sum(s == "## Using it" for s, _c in CASES) >= 10
    assert sum(s == "## Hunt" for s, _c in CASES) >= 3
    for fragment in EXCLUDED:  # an exclusion that matches nothing is stale
        assert any(fragment in c for c in commands), fragment
    assert len([c for c in commands if any(f in c for f in EXCLUDED)]) <= 2


ZEEK_DNS = """#separator \\x09
#set_separator\t,
#empty_field\t(empty)
#unset_field\t-
#path\tdns
#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tproto\ttrans_id\trtt\tquery\tqclass\tqclass_name\tqtype\tqtype_name\trcode\trcode_name\tAA\tTC\tRD\tRA\tZ\tanswers\tTTLs\trejected
#types\ttime\tstring\taddr\tport\taddr\tport\tenum\tcount\tinterval\tstring\tcount\tstring\tcount\tstring\tcount\tstring\tbool\tbool\tbool\tbool\tcount\tvector[string]\tvector[interval]\tbool
"""


def _zeek_line(ts: float, client: str, name: str, rcode: int) -> str:
    rname = {0: "NOERROR", 3: "NXDOMAIN"}[rcode]
    return (
        f"{ts}\tC1\t{client}\t5353\t10.0.0.1\t53\tudp\t1\t0.01\t{name}\t1\tC_INTERNET\t1\tA\t"
        f"{rcode}\t{rname}\tF\tF\tT\tT\t0\t-\t-\tF\n"
    )


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str]]:
    """A directory with the files the README lines name, and an environment whose
    ``dgawatch`` is this checkout's, with its own data directory and a small store."""
    cwd = tmp_path_factory.mktemp("readme")
    home = cwd / "home"
    env = dict(os.environ)
    env["DGAWATCH_HOME"] = str(home)
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    env.pop(TRACEBACK := "DGAWATCH_TRACEBACK", None)
    assert TRACEBACK not in env
    small = "dgawatch store build --start 2014-11-01 --days 1 --family conficker --variant c"
    subprocess.run(small, shell=True, cwd=cwd, env=env, check=True, capture_output=True)
    # seen.txt: a name whose suffix (.click) rules out every variant but a few cheap ones
    (cwd / "seen.txt").write_text("xjwqpzkrtvbn.click\n")
    lines = [_zeek_line(1238544000.5 + i, f"10.1.1.{i % 3}", n, 3) for i, n in enumerate(
        ["oubezepg.com.mx", "gzyh.nl", "ktmybhf.sg", "www.example.org"] * 3)]  # fmt: skip
    (cwd / "dns.log").write_text(ZEEK_DNS + "".join(lines))
    (cwd / "logs").mkdir()
    (cwd / "logs" / "dns.log").write_text(ZEEK_DNS + "".join(lines))
    (cwd / "conn.log").write_text(
        '{"ts": 1238544000.0, "id.orig_h": "10.1.1.7", "id.resp_h": "192.0.2.9", '
        '"id.resp_p": 443, "proto": "tcp"}\n'
    )
    (cwd / "flows.csv").write_text(
        "time,src,dst,dport,proto\n1238544000,10.1.1.8,192.0.2.9,80,tcp\n"
    )
    return cwd, env


@pytest.mark.parametrize(("section", "command"), RUN, ids=[c for _s, c in RUN])
def test_readme_command_runs(
    section: str, command: str, workdir: tuple[Path, dict[str, str]]
) -> None:
    cwd, env = workdir
    proc = subprocess.run(
        command, shell=True, cwd=cwd, env=env, capture_output=True, text=True, timeout=120
    )
    assert "Traceback" not in proc.stderr + proc.stdout, proc.stderr
    assert proc.returncode == 0, f"{section}: {command}\nexit {proc.returncode}: {proc.stderr}"
