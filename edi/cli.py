"""The `edi` command line: thin click wrappers over the Python functions of the same power.

Exit status everywhere: 0 clean, 1 done but something needs a person, 2 unreadable input or bad usage.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import click

from parsers.errors import X12Error

from .config import Settings
from .exits import EXIT_OK, EXIT_UNREADABLE
from .log import configure
from .options import CONFIG, STATE, runner_options
from .post import COMMANDS as POSTING_COMMANDS
from .validate import validate as validate_command


def _fail(message: str) -> None:
    click.echo(f"edi: {message}", err=True)
    sys.exit(EXIT_UNREADABLE)


def _runner_settings(
    config_path: Path | None, state_dir: Path | None, ack_dir: Path | None, gate_workers: int | None, no_gate: bool
) -> Settings:
    """Settings of `edi batch` / `edi watch`: the TOML file, then the flags."""
    try:
        return Settings.load(
            config_path,
            state_dir=state_dir,
            ack_dir=ack_dir,
            gate__workers=gate_workers,
            gate__enabled=False if no_gate else None,
        )
    except (ValueError, OSError) as exc:
        _fail(f"{config_path or 'settings'}: {exc}")


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--log-level",
    default="WARNING",
    show_default=True,
    type=click.Choice(["DEBUG", "INFO", "WARNING", "ERROR"], case_sensitive=False),
    help="Level of the JSON log events written to standard error.",
)
def cli(log_level: str) -> None:
    """X12 5010 coordination of benefits: a primary payer's 835 in, secondary 837 claims out."""
    configure(log_level)


@cli.command()
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON.")
def inspect(file: Path, as_json: bool) -> None:
    """Say what FILE holds: interchanges, transaction sets, claims, totals, balancing and envelope findings.

    Exits 0 when the file is readable (findings or not), 2 when it is not X12 or is cut short.
    """
    from .inspect import inspect_file, render_text

    summary = inspect_file(file)
    click.echo(json.dumps(summary, indent=2) if as_json else render_text(summary))


@cli.command()
@click.argument("remit", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--claims",
    "claim_files",
    multiple=True,
    required=True,
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="An original 837 file the 835 answers (repeat for several).",
)
@click.option("--out", required=True, help="Where to write the secondary 837 ('-' for standard output).")
@click.option(
    "--report", "report_path", type=click.Path(dir_okay=False, path_type=Path), help="Write the JSON report here."
)
@CONFIG
@STATE
@click.option("--sender-id", help="ISA06/GS02 of the output (default: the original claim's).")
@click.option("--receiver-id", help="ISA08/GS03 of the output (default: the original claim's).")
@click.option("--usage", type=click.Choice(["P", "T"]), help="ISA15 of the output (default: the original's).")
@click.option(
    "--send-nothing-due/--no-send-nothing-due",
    default=None,
    help="Send claims with nothing left for the secondary (some payers, e.g. Medicaid, want them).",
)
@click.option(
    "--send-provider-liability-denials/--no-send-provider-liability-denials",
    default=None,
    help="Send whole-claim provider-liability denials (CO-50 ...) to the secondary.",
)
def convert(
    remit: Path,
    claim_files: tuple[Path, ...],
    out: str,
    report_path: Path | None,
    config_path: Path | None,
    state_dir: Path | None,
    sender_id: str | None,
    receiver_id: str | None,
    usage: str | None,
    send_nothing_due: bool | None,
    send_provider_liability_denials: bool | None,
) -> None:
    """Turn the primary payer's 835 REMIT and the original claims into secondary 837 claims.

    Every claim in the 835 gets a disposition in the report: converted, crossover, no-secondary,
    nothing-due, rebill-primary or needs-review, with reasons. Exits 0 when no claim needs review, 1 when
    some do, 2 when an input cannot be read. Nothing is written when no claim converts.
    """
    from .pipeline import convert as run

    try:
        settings = Settings.load(
            config_path,
            state_dir=state_dir,
            interchange__sender_id=sender_id,
            interchange__receiver_id=receiver_id,
            interchange__usage=usage,
            policy__send_nothing_due=send_nothing_due,
            policy__send_provider_liability_denials=send_provider_liability_denials,
        )
    except (ValueError, OSError) as exc:
        _fail(f"{config_path or 'settings'}: {exc}")
    result = run(remit, claim_files, None if out == "-" else out, report_path, settings, keep_claims=False)
    if out == "-" and result.text:
        sys.stdout.write(result.text)
    totals = result.report["totals"]
    summary = ", ".join(f"{k} {v}" for k, v in sorted(totals["by_disposition"].items()))
    click.echo(
        f"{totals['claims']} claim(s): {summary or 'none'}"
        + (f"; written to {result.output}" if result.output and out != "-" else ""),
        err=True,
    )
    for entry in result.report["claims"]:
        if entry["disposition"] not in ("converted",):
            click.echo(f"  {entry['claim_id']}: {entry['disposition']}: {'; '.join(entry['reasons'])}", err=True)
    sys.exit(result.exit_code)


@cli.command()
@click.argument("drop", type=click.Path(path_type=Path))
@runner_options
@click.option(
    "--report", "report_path", type=click.Path(dir_okay=False, path_type=Path), help="Write the run report (JSON) here."
)
@click.option("--quiet", is_flag=True, help="No progress bar and no summary.")
def batch(
    drop: Path,
    out: Path,
    state_dir: Path | None,
    config_path: Path | None,
    report_path: Path | None,
    quiet: bool,
    ack_dir: Path | None,
    gate_workers: int | None,
    no_gate: bool,
) -> None:
    """Process a clearinghouse DROP (a folder, or a .zip) of mixed 837 and 835 files on the claim store.

    Original claims (837) are stored first, then remittances (835) are decided; an 835 claim whose original
    has not arrived waits (pending-original) and converts when its 837 comes in a later drop. Converted claims
    go out as one interchange per destination (receiver and secondary payer). Inputs move to processed/ or
    rejected/ (with NAME.report.json); a file seen before (same SHA-256) is a duplicate and is not read again.
    Every output is validated before it is published (the outbound gate: pyx12 against its implementation
    guide, COB balancing on every claim); one that fails goes to OUTDIR/rejected/ (or [gate] rejected_dir) with
    NAME.report.json, and its claims become needs-review.
    Exits 0 when clean, 1 when a file was rejected, an output failed the gate or a claim needs review, 2 when
    DROP cannot be read.
    """
    from .batch import DropError, run_batch, summary

    settings = _runner_settings(config_path, state_dir, ack_dir, gate_workers, no_gate)
    try:
        report = run_batch(drop, out, settings, quiet=quiet, report_path=report_path)
    except DropError as exc:
        _fail(str(exc))
    if not quiet:
        click.echo(summary(report), err=True)
    sys.exit(report["exit_code"])


@cli.command()
@click.argument("inbox", type=click.Path(file_okay=False, path_type=Path))
@runner_options
@click.option(
    "--stable-seconds",
    default=2.0,
    show_default=True,
    type=click.FloatRange(min=0),
    help="A file is taken once unchanged (size and mtime) for this long; files renamed into place "
    "with an older mtime are taken at once. Names starting with '.' or ending .part/.tmp are "
    "never taken.",
)
@click.option(
    "--poll-interval",
    default=1.0,
    show_default=True,
    type=click.FloatRange(min=0.05),
    help="Seconds between looks at the folder when no event arrives.",
)
@click.option("--force-polling", is_flag=True, help="Poll instead of inotify (network file systems).")
def watch(
    inbox: Path,
    out: Path,
    state_dir: Path | None,
    config_path: Path | None,
    stable_seconds: float,
    poll_interval: float,
    force_polling: bool,
    ack_dir: Path | None,
    gate_workers: int | None,
    no_gate: bool,
) -> None:
    """Watch INBOX and process each complete file as a one-file batch, until SIGTERM or SIGINT.

    Files move to INBOX/processed/ or INBOX/rejected/ (with NAME.report.json). After a crash, a restart
    publishes what was committed, loses no input, bills no claim twice and reuses no control number.
    Every output passes the outbound gate (pyx12 + COB balancing) before it is published, as in edi batch.
    Exits 0 on SIGTERM/SIGINT once the current file is done.
    """
    from .watch import watch as run_watch

    settings = _runner_settings(config_path, state_dir, ack_dir, gate_workers, no_gate)
    run_watch(
        inbox, out, settings, stable_seconds=stable_seconds, poll_interval=poll_interval, force_polling=force_polling
    )
    sys.exit(EXIT_OK)


def main() -> None:
    """Console entry point: X12 problems and unreadable files exit 2 with one line, never a traceback."""
    try:
        cli.main(standalone_mode=False)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
    except click.ClickException as exc:
        exc.show()
        sys.exit(EXIT_UNREADABLE)
    except click.exceptions.Abort:
        sys.exit(EXIT_UNREADABLE)
    except X12Error as exc:
        _fail(str(exc))
    except OSError as exc:
        _fail(f"{exc.filename or ''}: {exc.strerror or exc}")
    except Exception as exc:  # a bug of ours: say so in one line; EDI_DEBUG=1 shows the traceback
        if os.environ.get("EDI_DEBUG"):
            raise
        _fail(f"internal error ({type(exc).__name__}): {exc}; run with EDI_DEBUG=1 for details")


for _command in (validate_command, *POSTING_COMMANDS):
    cli.add_command(_command)


if __name__ == "__main__":
    main()
