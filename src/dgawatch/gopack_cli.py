"""``dgawatch gopack ...``: the registry loop around a go-pack (issue 15).

``dgawatch gopack --tld ... --start ... --output DIR`` builds a pack (the group's own
options, in ``dgawatch.cli``); the sub-commands sign it, verify it, record each registry's
acknowledgement and list the names a registry may free. The work is in
:mod:`dgawatch.gopack`; this module only parses and prints.
"""

from __future__ import annotations

import datetime as dt
import json
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from dgawatch.clihelp import output_console
from dgawatch.errors import InputError
from dgawatch.words import counted

gopack_app = typer.Typer(
    help="Registry go-packs: build (options below), sign, verify, acknowledge, release.",
)
err = Console(stderr=True, highlight=False, markup=False, emoji=False, soft_wrap=True)  # verbatim

PackArg = Annotated[Path, typer.Argument(metavar="PACK", help="Go-pack directory.")]
KeyOpt = Annotated[Path, typer.Option("--key", help="Signer's public key (<key>.pub, PEM).")]


@gopack_app.command()
def keygen(
    output: Annotated[
        Path, typer.Option(help="Private key file to create (public key: the same + .pub).")
    ],
) -> None:
    """Make an Ed25519 key pair for signing packs (private key mode 0600; never overwrites)."""
    from dgawatch.gopack import keygen as make

    private, public, ident = make(output)
    err.print(f"wrote private key {private} (keep it secret) and public key {public}")
    typer.echo(ident)


@gopack_app.command()
def sign(
    pack: PackArg,
    sign_key: Annotated[Path, typer.Option("--sign-key", help="Private key (gopack keygen).")],
) -> None:
    """Sign a pack's MANIFEST.json (it holds every file's SHA-256) into MANIFEST.sig."""
    from dgawatch.gopack import load_private_key, read_manifest, sign_pack

    read_manifest(pack)
    doc = sign_pack(pack, load_private_key(sign_key))
    err.print(f"signed {pack} with key {doc['key_id']}")


@gopack_app.command()
def verify(pack: PackArg, key: KeyOpt) -> None:
    """Check a pack's signature and every file's SHA-256; exit 1 if anything differs."""
    from dgawatch.gopack import VerificationError, load_public_key, verify_pack

    public = load_public_key(key)
    try:
        manifest = verify_pack(pack, public)
    except VerificationError as exc:
        _failed(pack, exc)
        raise typer.Exit(1) from None
    files = manifest["files"]
    err.print(f"{pack}: verified: signature and {counted(len(files), 'file')}", markup=False)


@gopack_app.command()
def ack(
    tld: Annotated[str, typer.Argument(help="The registry's suffix (as --tld of the pack).")],
    month: Annotated[str, typer.Option(help="Month acknowledged, YYYY-MM.")],
    pack: Annotated[
        Path | None, typer.Option(help="The pack acknowledged (checked, recorded by its id).")
    ] = None,
    note: Annotated[str, typer.Option(help="Free text: who, how (ticket, mail).")] = "",
) -> None:
    """Record that a registry acted on a month's list (in the data directory)."""
    from dgawatch.gopack import acks_path, record_ack

    record = record_ack(tld, month, pack=pack, note=note)
    err.print(f"recorded: {record['tld']} acknowledged {record['month']} in {acks_path()}")


@gopack_app.command()
def acks(
    pack: Annotated[
        Path | None, typer.Option(help="Show every TLD and month of this pack, acked or not.")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="JSON lines instead of a table.")] = False,
) -> None:
    """Which registries acknowledged which months (with --pack: which have not, too)."""
    from dgawatch.gopack import ack_table

    rows = ack_table(pack)
    if as_json:
        sys.stdout.write("".join(json.dumps(r, sort_keys=True) + "\n" for r in rows))
    else:
        table = Table("tld", "month", "acked", "acked at (UTC)", "note")
        for r in rows:
            table.add_row(r["tld"], r["month"], "yes" if r["acked"] else "NO",
                          r["acked_at"] or "-", r.get("note", ""))  # fmt: skip
        output_console().print(table)
    if pack is not None:
        missing = sum(not r["acked"] for r in rows)
        err.print(f"{counted(missing, 'month')} of {len(rows)} not acknowledged")


@gopack_app.command()
def release(
    pack: PackArg,
    tld: Annotated[str, typer.Option(help="The registry's suffix in the pack.")],
    through: Annotated[
        str, typer.Option(help="Last day passed, YYYY-MM-DD or 'yesterday' (UTC).")
    ] = "yesterday",
    key: Annotated[
        Path | None, typer.Option("--key", help="Verify the pack with this public key first.")
    ] = None,
    output: Annotated[Path | None, typer.Option(help="File to write (default stdout).")] = None,
) -> None:
    """Names whose days have passed (generated on no later day of the pack): may be freed."""
    from dgawatch.days import parse_day
    from dgawatch.gopack import VerificationError, load_public_key, release_names, verify_pack
    from dgawatch.outfile import atomic_file, check_output_file

    if output is not None:
        check_output_file(output)
    if through == "yesterday":
        day = dt.datetime.now(dt.UTC).date() - dt.timedelta(days=1)
    else:
        day = parse_day(through, what="--through")
    if key is not None:
        try:
            verify_pack(pack, load_public_key(key))
        except VerificationError as exc:
            _failed(pack, exc)
            raise typer.Exit(1) from None
    try:
        names, summary = release_names(pack, tld, day)
    except VerificationError as exc:
        _failed(pack, exc)
        raise typer.Exit(1) from None
    text = (
        f"# dgawatch go-pack release list (schema gopack-release/1): tld {summary['tld']}\n"
        f"# names of pack {summary['pack'][:16]} generated on days up to {summary['through']} "
        f"and on no later day up to {summary['checked_until']}: they may be freed\n"
        f"# {counted(len(names), 'name')}\n" + "".join(f"{n}\n" for n in names)
    ).encode("ascii")
    if output is None:
        sys.stdout.buffer.write(text)
        sys.stdout.buffer.flush()
    else:
        with atomic_file(output) as fh:
            fh.write(text)
    err.print(f"{counted(len(names), 'name')} of {summary['tld']} released through {day}")


def _failed(pack: Path, why: Exception) -> None:
    """A pack that does not verify: one line, and exit status 1 (not a usage error)."""
    err.print(f"dgawatch: error: {pack}: verification FAILED: {why}", markup=False, soft_wrap=True)


def refuse_build_options_with(subcommand: str, given: list[str]) -> None:
    """The build options belong to the build, not to a sub-command."""
    if given:
        raise InputError(
            f"{', '.join(given)} builds a pack; give it without '{subcommand}' "
            f"(see 'dgawatch gopack {subcommand} --help')"
        )
