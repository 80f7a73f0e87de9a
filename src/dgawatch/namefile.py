"""Files of names, one a line (``--file``): when such a file is refused, and how its
invalid lines are reported.

A file's invalid lines each get their error row (or ``{"error"}`` line) in the output and a
``file:line`` message on stderr, the first :data:`MAX_LINE_MESSAGES` of them, then a count: a
file of a million bad lines must not flood the terminal. A file is refused before any work
(one line naming it, exit 2) when it holds no name at all, no valid name, or when more than
half of its first :data:`PROBE_LINES` name lines (of :data:`MIN_PROBE_LINES` or more) are not
names: a log or a CSV of flows given by mistake would only be answered by one error a line.
This module imports nothing heavy: the compiled path of ``lookup --file`` uses it.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from dgawatch.errors import InputError, unreadable

#: Invalid file lines reported one by one on stderr; the rest are counted.
MAX_LINE_MESSAGES = 10
#: Name lines of a file looked at to decide whether it is a file of names at all...
PROBE_LINES = 1000
#: ... the share of them that may be invalid ...
MAX_INVALID_SHARE = 0.5
#: ... and the fewest of them for that share to count (a short file is only refused when it
#: holds no valid name: each of its bad lines is reported).
MIN_PROBE_LINES = 20


#: ``--file -``: standard input.
STDIN = "-"
_stdin: bytes | None = None


def file_bytes(path: Path, option: str = "--file") -> bytes:
    """The bytes of a file of names as UTF-8 text; ``-`` is standard input, read once and
    kept (the compiled path of ``lookup --file`` may hand the same input to the general
    one). Read as the log readers read theirs: gzip decompressed, a UTF-8 byte-order mark
    dropped (it became part of the first name), UTF-16 with its mark transcoded (Windows
    tools write it). A file that cannot be read is one line naming the option (none when
    ``option`` is empty) and why."""
    global _stdin
    what = f"{option} {path}" if option else str(path)
    if str(path) == STDIN:
        if _stdin is None:
            _stdin = _plain(sys.stdin.buffer.read(), what)
        return _stdin
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InputError(f"cannot read {what}: {unreadable(path, exc)}") from None
    return _plain(data, what)


def one_file(files: list[Path] | None, command: str) -> Path | None:
    """The one ``--file`` of ``dgawatch <command>`` (declared repeatable so that a repeated
    one is seen: typer keeps only the last, the others would be ignored without a word);
    several are refused in one line that says how to give them."""
    if files and len(files) > 1:
        both = " ".join(str(f) for f in files[:2])
        raise InputError(
            f"--file given {len(files)} times; give one file (for several: "
            f"cat {both} | dgawatch {command} --file -)"
        )
    return files[0] if files else None


def _plain(data: bytes, what: str) -> bytes:
    if data[:2] == b"\x1f\x8b":
        import gzip
        import zlib

        try:
            data = gzip.decompress(data)
        except (OSError, EOFError, zlib.error) as exc:
            why = f"truncated or corrupt gzip ({exc})"
            raise InputError(f"cannot read {what}: {why}") from None
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:]
    if data[:2] in (b"\xff\xfe", b"\xfe\xff") and not data.startswith(b"\xff\xfe\x00\x00"):
        try:
            return data.decode("utf-16").encode("utf-8")
        except UnicodeDecodeError:
            raise InputError(f"cannot read {what}: broken UTF-16 text") from None
    return data


def empty_file(path: Path) -> InputError:
    """The error for a file without a name line."""
    return InputError(
        f"{path} is empty: no names, only blank or # lines; give one domain name a line"
    )


@dataclass
class BadLines:
    """A file's invalid name lines: what it takes to refuse the file or report them.

    ``names``/``bad``: the file's name lines (neither blank nor ``#``) and how many of them
    are invalid; ``probe``/``probe_bad`` the same among its first :data:`PROBE_LINES` name
    lines; ``first``: (line number, name, why) of its first :data:`MAX_LINE_MESSAGES` bad
    lines, in file order (``why`` a message naming the name, as ``lookup`` writes it in
    the name's error row)."""

    path: Path
    names: int = 0
    bad: int = 0
    probe: int = 0
    probe_bad: int = 0
    first: list[tuple[int, str, str]] = field(default_factory=list)

    def check(self) -> None:
        """Raise the one-line :class:`InputError` refusing the file, if it must be."""
        if not self.names:
            raise empty_file(self.path)
        if not self.bad:
            return
        line, name, why = self.first[0]
        if self.bad == self.names:
            raise InputError(
                f"{self.path} holds no valid domain name ({self.bad:,} name lines, all "
                f"invalid; line {line}: {why}); give one domain name a line"
            )
        if self.probe >= MIN_PROBE_LINES and self.probe_bad > MAX_INVALID_SHARE * self.probe:
            shape = (
                "tab-separated columns (a log?)"
                if "\t" in name
                else "comma-separated columns"
                if "," in name
                else "not one name a line"
            )
            raise InputError(
                f"{self.path}: {self.probe_bad} of its first {self.probe} lines are not "
                f"domain names; it looks like {shape}: {name[:60]!r}"
            )

    def report(self, write: Callable[[str], object] | None = None) -> None:
        """The first bad lines' ``file:line`` messages, then a count of the others (on
        stderr unless ``write`` is given)."""
        write = write or sys.stderr.write
        for line, _, why in self.first:
            write(f"{self.path}:{line}: {why}\n")
        if self.bad > len(self.first):
            more = self.bad - len(self.first)
            write(f"... and {more:,} more invalid lines ({self.bad:,} in all)\n")

    def vet(self) -> None:
        """:meth:`check`, then :meth:`report`."""
        self.check()
        self.report()


def bad_lines(
    path: Path, lines: Iterable[str], why: Mapping[str, str], *, names: int, bad: int
) -> BadLines:
    """:class:`BadLines` of a file from its lines (``str.strip``-ped here; blank and ``#``
    lines skipped), ``why`` giving the reason of each invalid name, when its counts of name
    lines and invalid ones are known: the lines are read only as far as the probe and the
    first bad lines reach."""
    found = BadLines(path, names=names, bad=bad)
    seen = 0
    for number, raw in enumerate(lines, 1):
        if seen >= PROBE_LINES and len(found.first) >= min(bad, MAX_LINE_MESSAGES):
            break
        name = raw.strip()
        if not name or name[0] == "#":
            continue
        seen += 1
        reason = why.get(name)
        if seen <= PROBE_LINES:
            found.probe = seen
            found.probe_bad += reason is not None
        if reason is not None and len(found.first) < MAX_LINE_MESSAGES:
            found.first.append((number, name, reason))
    return found
