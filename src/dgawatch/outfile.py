"""Output files and directories written whole or not at all.

A forecast, export or go-pack is written under a temporary name in the destination's own
directory and renamed into place only once complete: a full disk, a quota, a kill or a bug
half-way leaves the requested name as it was (absent, or the previous complete file),
never a truncated file that looks like a result. Every way the destination can be wrong (a
missing or read-only directory, a directory where a file is wanted, an immutable file) is
an :class:`InputError` naming the option and what to do.

What is no regular file is written in place, never renamed over: ``-`` (standard output),
a device (``/dev/null``, ``/dev/full``), a FIFO, and a descriptor of the process
(``/dev/stdout``, ``/dev/fd/N``, ``/proc/self/fd/N``, which may be opened for appending).
Renaming a temporary file over ``/dev/null`` (as root) replaced the device with a file. A
symbolic link to a regular file keeps the link: the file it points to is replaced.

A name spelled with a trailing slash (``--output newdir/``) names a directory: a command
that writes a directory creates it, one that writes a file refuses it. ``Path`` drops the
slash (``Path("newdir/") == Path("newdir")``), so the spelling is read back from the
command line (:func:`spelled_as_directory`); before, such a command wrote a file ``newdir``.

An output that is one of the command's inputs (``hunt --output dns.log dns.log``) is refused:
renamed over, it replaced the log just read. Inputs are the files the command line names
(checked before any work) and those the readers opened (:func:`note_input`; a log found in
a directory, checked when the output is written).
"""

from __future__ import annotations

import os
import shutil
import stat
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import BinaryIO

from dgawatch.errors import InputError


def _parent(path: Path) -> Path:
    return path.parent if str(path.parent) else Path(".")


#: ``--output -``: standard output.
STDOUT = "-"


def check_output_file(path: Path, option: str = "--output") -> None:
    """Raise InputError unless ``path`` can name an output file (its directory exists, it is
    not itself a directory)."""
    if str(path) == STDOUT:
        return
    try:
        _check_output_file(path, option)
    except OSError as exc:  # a name too long, a loop of links: one line naming the option
        raise _failed(path, option, exc) from None


#: (real path, device, inode) of each regular file this process read (:func:`note_input`);
#: the path too, so that a later file given a deleted input's inode number is not one.
_inputs: set[tuple[str, int, int]] = set()


def note_input(path: str | os.PathLike[str], fd: int) -> None:
    """Remember the file ``path``, open as ``fd``, as an input: no output may replace it."""
    with suppress(OSError, ValueError):
        st = os.fstat(fd)
        if stat.S_ISREG(st.st_mode):
            _inputs.add((os.path.realpath(path), st.st_dev, st.st_ino))


def _input_named(path: Path, option: str, argv: list[str] | None = None) -> str | None:
    """How ``path`` is an input of this command (a file it read, or another command-line
    argument naming the same file), or None."""
    try:
        st = os.stat(path)
    except OSError:
        return None
    if not stat.S_ISREG(st.st_mode):
        return None
    if (os.path.realpath(path), st.st_dev, st.st_ino) in _inputs:
        return "a file this command read"
    args = sys.argv[1:] if argv is None else argv
    for i, arg in enumerate(args):
        if arg == option or arg.startswith(f"{option}=") or (i and args[i - 1] == option):
            continue  # the output itself
        try:
            other = os.stat(arg)
        except (OSError, ValueError):
            continue
        if (other.st_dev, other.st_ino) == (st.st_dev, st.st_ino):
            return f"given as {arg}"
    return None


def _check_output_file(path: Path, option: str) -> None:
    if path.is_dir():
        raise InputError(f"{option} {path} is a directory; give a file name")
    if (how := _input_named(path, option)) is not None:
        raise InputError(
            f"{option} {path} is an input of this command ({how}): writing it would replace "
            "what is read; give another file"
        )
    if spelled_as_directory(path, option):
        raise InputError(
            f"{option} {path}/ names a directory (it ends in '/'), and this writes one file; "
            f"give a file name, e.g. {path / 'out'}"
        )
    if _in_place(path):
        if stat.S_ISSOCK(os.stat(path).st_mode):
            raise InputError(f"{option} {path} is a socket; give a file name")
        return
    _check_parent(path, option)


def spelled_as_directory(path: Path, option: str, argv: list[str] | None = None) -> bool:
    """Whether the command line (``argv``, default ``sys.argv[1:]``) gives ``option`` as
    ``path`` spelled as a directory: ending in ``/`` or ``/.`` (which ``Path`` drops)."""
    args = sys.argv[1:] if argv is None else argv
    for i, arg in enumerate(args):
        if arg == "--":
            break
        if arg == option and i + 1 < len(args):
            value = args[i + 1]
        elif arg.startswith(f"{option}="):
            value = arg[len(option) + 1 :]
        else:
            continue
        seps = ("/", os.sep, "/.", f"{os.sep}.")
        if value.endswith(seps) and value.rstrip("/.") and Path(value) == path:
            return True
    return False


def _in_place(path: Path) -> bool:
    """Whether ``path`` names something to write into rather than replace: an existing
    device, FIFO or socket, or a file reached through a descriptor link (``/dev/stdout``
    -> ``/proc/self/fd/1``)."""
    try:
        mode = os.stat(path).st_mode
    except OSError:
        return False
    if not stat.S_ISREG(mode):
        return not stat.S_ISDIR(mode)
    return _link_chain(path)[1]


def _link_chain(path: Path) -> tuple[int | None, bool]:
    """Follow ``path``'s symbolic links: the descriptor of this process it names
    (``/dev/fd/N``, ``/proc/self/fd/N``, ``/dev/stdout``), if any, and whether the chain
    passes through ``/proc`` or ``/dev/fd`` at all."""
    hop = Path(os.path.abspath(path))
    for _ in range(40):
        parts = hop.parts
        if parts[1:3] == ("dev", "fd") or parts[1:2] == ("proc",):
            fd_dir = parts[:3] == ("/", "dev", "fd") or parts[:4] in (
                ("/", "proc", "self", "fd"),
                ("/", "proc", str(os.getpid()), "fd"),
            )
            last = parts[-1]
            mine = fd_dir and len(parts) == (4 if parts[1] == "dev" else 5) and last.isdigit()
            return (int(last) if mine else None), True
        if not hop.is_symlink():
            return None, False
        hop = Path(os.path.abspath(hop.parent / os.readlink(hop)))
    return None, False


def check_output_dir(path: Path, option: str = "--output", what: str = "a directory") -> None:
    """Raise InputError unless ``path`` can name an output directory."""
    try:
        _check_output_dir(path, option, what)
    except OSError as exc:
        raise _failed(path, option, exc) from None


def _check_output_dir(path: Path, option: str, what: str) -> None:
    if str(path) == STDOUT:  # standard output for a file; a directory needs a name
        raise InputError(f"{option} -: standard output cannot hold {what}; give a directory")
    if path.exists() and not path.is_dir():
        raise InputError(
            f"{option} {path} is a file, not a directory (for {what}); give a directory"
        )
    _check_parent(path, option)


def _check_parent(path: Path, option: str) -> None:
    parent = _parent(path)
    if not parent.exists():
        raise InputError(f"{option} {path}: directory {parent} does not exist; create it first")
    if not parent.is_dir():
        raise InputError(f"{option} {path}: {parent} is not a directory")


def _temp_prefix(target: Path) -> str:
    """``.<name>.`` for the temporary file beside ``target``, the name cut so that the
    temporary name fits where the final one does (255 bytes: a 250-byte name failed)."""
    return f".{os.fsencode(target.name)[:200].decode(errors='ignore')}."


def _failed(path: Path, option: str, exc: OSError) -> InputError:
    why = exc.strerror or str(exc)
    return InputError(f"cannot write {option} {path}: {why}; nothing was written under that name")


def _final_mode(path: Path) -> int:
    """The mode ``open()`` would give a new file (an existing file keeps its own)."""
    try:
        return os.stat(path).st_mode & 0o7777
    except OSError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask


@contextmanager
def atomic_file(path: str | os.PathLike[str], option: str = "--output") -> Iterator[BinaryIO]:
    """A binary file object whose content appears under ``path`` only when the block ends
    without an error (temporary file in the same directory, fsync, rename)."""
    target = Path(path)
    check_output_file(target, option)
    if str(target) == STDOUT or _in_place(target):
        with _in_place_file(target, option) as fh:
            yield fh
        return
    if target.is_symlink():  # replace the file the link points to, keep the link
        target = Path(os.path.realpath(target))
        check_output_file(target, option)
    try:
        fd, tmp = tempfile.mkstemp(prefix=_temp_prefix(target), suffix=".part", dir=_parent(target))
    except OSError as exc:
        raise _failed(target, option, exc) from None
    try:
        with os.fdopen(fd, "wb") as fh:
            yield fh
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, _final_mode(target))
        os.replace(tmp, target)
    except OSError as exc:
        with suppress(OSError):
            os.unlink(tmp)
        raise _failed(target, option, exc) from None
    except BaseException:
        with suppress(OSError):
            os.unlink(tmp)
        raise


@contextmanager
def _in_place_file(target: Path, option: str) -> Iterator[BinaryIO]:
    """Standard output, a device, a FIFO or a descriptor, written directly (there is no
    previous content to keep whole); a failed write (``/dev/full``) is the same one-line
    error as for a file."""
    try:
        fd = sys.stdout.fileno() if str(target) == STDOUT else _link_chain(target)[0]
        if fd is not None:  # its own descriptor (perhaps opened for appending): not reopened
            sys.stdout.flush()
            fh: BinaryIO = os.fdopen(os.dup(fd), "wb")
        else:
            fh = open(target, "wb")  # noqa: SIM115 - closed below
    except OSError as exc:
        raise _failed(target, option, exc) from None
    try:
        with fh:
            yield fh
            fh.flush()
    except BrokenPipeError:
        raise  # a reader that stopped early (``| head``): the CLI's quiet exit
    except OSError as exc:
        what = "standard output" if str(target) == STDOUT else f"{option} {target}"
        why = exc.strerror or str(exc)
        raise InputError(f"cannot write {what}: {why}") from None


@contextmanager
def atomic_dir(
    path: str | os.PathLike[str],
    option: str = "--output",
    *,
    what: str = "a directory",
    must_be_empty: bool = False,
) -> Iterator[Path]:
    """A temporary directory (beside ``path``) to write into; when the block ends without an
    error it becomes ``path`` (renamed whole when ``path`` is absent or empty, else each file
    renamed into the existing directory, replacing files of the same name). On error it is
    removed and ``path`` is left as it was."""
    target = Path(path)
    check_output_dir(target, option, what)
    if must_be_empty and target.is_dir() and any(target.iterdir()):
        raise InputError(f"{option} {target} exists and is not an empty directory")
    try:
        tmp = Path(
            tempfile.mkdtemp(prefix=_temp_prefix(target), suffix=".part", dir=_parent(target))
        )
    except OSError as exc:
        raise _failed(target, option, exc) from None
    try:
        yield tmp
        _install(tmp, target)
    except OSError as exc:
        shutil.rmtree(tmp, ignore_errors=True)
        raise _failed(target, option, exc) from None
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def _install(tmp: Path, target: Path) -> None:
    os.chmod(tmp, 0o777 & ~_umask())
    if not target.exists():
        os.rename(tmp, target)
        return
    if target.is_dir() and not any(target.iterdir()):
        os.rename(tmp, target)  # rename(2) replaces an empty directory
        return
    for root, dirs, files in os.walk(tmp):
        rel = Path(root).relative_to(tmp)
        for d in dirs:
            (target / rel / d).mkdir(exist_ok=True)
        for f in files:
            os.replace(Path(root) / f, target / rel / f)
    shutil.rmtree(tmp, ignore_errors=True)


def _umask() -> int:
    umask = os.umask(0)
    os.umask(umask)
    return umask
