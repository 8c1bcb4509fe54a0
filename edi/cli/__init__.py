"""The `edi` command line: one module per command group, each a thin click wrapper over a Python function
of the same power (`edi.pipeline.convert`, `edi.runner.run_batch`, `edi.validation.validate_files`,
`edi.posting.post_file` ...).

Exit status everywhere (`edi.exits`): 0 clean, 1 done but something needs a person, 2 unreadable input or
bad usage (one line naming the file and where; never a traceback).
"""

from __future__ import annotations

import os
import sys

import click

from edi.exits import EXIT_UNREADABLE
from edi.log import configure
from edi.pipeline import OutputConflict
from edi.runner import DropError
from edi.store import StoreError
from parsers.errors import X12Error

from . import (  # noqa: F401 (worklist: subcommands)
    cob,
    collections,
    convert,
    documents,
    inspect,
    posting,
    report,
    runner,
    status,
    validate,
    worklist,
)
from .common import LOG_LEVELS, fail, with_global_options


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--log-level",
    default="WARNING",
    show_default=True,
    type=LOG_LEVELS,
    help="Level of the JSON log events written to standard error (also accepted after the command).",
)
def cli(log_level: str) -> None:
    """X12 5010 coordination of benefits: a primary payer's 835 in, secondary 837 claims out.

    Exit status of every command: 0 clean, 1 done but something needs a person, 2 unreadable input or bad
    usage (one line naming the file and where; never a traceback).
    """
    configure(log_level)


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
    except (X12Error, StoreError, DropError, OutputConflict) as exc:
        fail(str(exc))
    except OSError as exc:
        fail(f"{exc.filename or ''}: {exc.strerror or exc}")
    except Exception as exc:  # a bug of ours: say so in one line; EDI_DEBUG=1 shows the traceback
        if os.environ.get("EDI_DEBUG"):
            raise
        fail(f"internal error ({type(exc).__name__}); run with EDI_DEBUG=1 for details")


for command in (
    inspect.inspect,
    convert.convert,
    runner.batch,
    runner.watch,
    validate.validate,
    *posting.COMMANDS,
    report.report,
    documents.statements,
    documents.appeal,
    collections.collections,
    cob.cob,
    *status.COMMANDS,
):
    with_global_options(command)
    cli.add_command(command)


if __name__ == "__main__":
    main()
