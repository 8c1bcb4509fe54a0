"""What several `edi` commands share, declared once: options, settings loading, the one-line failure."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import NoReturn

import click
from pydantic import ValidationError

from edi.config import Settings
from edi.exits import EXIT_UNREADABLE
from edi.log import configure

LOG_LEVELS = click.Choice(["DEBUG", "INFO", "WARNING", "ERROR"], case_sensitive=False)

STATE = click.option(
    "--state",
    "state_dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="State directory (claim store, control numbers). Default: $EDI_STATE_DIR or ~/.local/state/edi-cob.",
)
STORE = click.option(
    "--store",
    "store_url",
    metavar="URL",
    help="A PostgreSQL claim store several workers share (postgresql://user@host/db) instead of the SQLite "
    "store of --state. Default: settings store_url, else $EDI_STORE_URL.",
)
CONFIG = click.option(
    "--config",
    "config_path",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="TOML settings (interchange ids, policy switches, [posting], [gate], state directory).",
)
OUT_DIR = click.option(
    "--out",
    required=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="Folder the secondary 837 files are published to (atomically).",
)
ACK = click.option(
    "--ack",
    "ack_dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="Write acknowledgments here (atomically): a 999 for each inbound 837 functional group, a TA1 when an "
    "envelope is bad or ISA14=1 asks for one. Default: settings ack_dir, else none.",
)
GATE_WORKERS = click.option(
    "--gate-workers",
    type=click.IntRange(min=0),
    default=None,
    help="Processes validating the outputs before they are published (pyx12: 0.3-0.5 s per file, "
    "~160 claims/s). Default: settings [gate] workers, else min(2, CPUs); 0 = in this process.",
)
NO_GATE = click.option(
    "--no-gate",
    is_flag=True,
    help="UNSAFE: publish outputs without validating them (pyx12 guide + COB balancing). A file the receiver "
    "will reject goes out; use only to measure or in an emergency.",
)


def _set_log_level(ctx: click.Context, param: click.Parameter, value: str | None) -> None:
    if value is not None:
        configure(value)


def log_level_option() -> click.Option:
    """--log-level as an option of a subcommand too (`edi post X --log-level INFO`), so global options work
    after the subcommand as well as before it."""
    return click.Option(
        ["--log-level"],
        type=LOG_LEVELS,
        default=None,
        expose_value=False,
        is_eager=True,
        callback=_set_log_level,
        help="Level of the JSON log events written to standard error (also accepted before the command).",
    )


def with_global_options(command: click.Command) -> None:
    """Give `command` (and a group's subcommands) the global options, accepted after the subcommand."""
    command.params.append(log_level_option())
    for sub in getattr(command, "commands", {}).values():
        with_global_options(sub)


def runner_options(command):
    """The options `edi batch` and `edi watch` share."""
    for option in reversed((OUT_DIR, STATE, STORE, CONFIG, ACK, GATE_WORKERS, NO_GATE)):
        command = option(command)
    return command


def fail(message: str) -> NoReturn:
    """Bad input or usage: one line on stderr, exit 2."""
    click.echo(f"edi: {message}", err=True)
    sys.exit(EXIT_UNREADABLE)


def load_settings(config_path: Path | None, **overrides) -> Settings:
    """The TOML settings, then the flags (`section__name=value`; None means not given); exit 2 when invalid."""
    try:
        return Settings.load(config_path, **overrides)
    except ValidationError as exc:  # one line: where and what, never the value (settings hold member ids)
        problems = [
            f"{'.'.join(map(str, e['loc'])) or 'settings'}: {e['msg'].removeprefix('Value error, ')}"
            for e in exc.errors(include_input=False)
        ]
        fail(f"{config_path or 'settings'}: {'; '.join(problems)}")
    except (ValueError, OSError) as exc:
        fail(f"{config_path or 'settings'}: {exc}")
