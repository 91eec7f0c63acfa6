"""The `rdmc` command line: one entry point, one subcommand per job. Each command is an
``add_<command>`` (its parser) and a ``_run_<command>`` in the module of its group; the
table below is the whole CLI."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence

from rdmc.cli.bench import add_bench
from rdmc.cli.common import CommandError
from rdmc.cli.images import add_data, add_eval, add_iqa, add_rain
from rdmc.cli.models import add_derain, add_models, add_train
from rdmc.cli.results import add_compare, add_history, add_report, add_scoreboard, add_tables
from rdmc.cli.tasks import add_detect, add_segment

__all__ = ["COMMANDS", "build_parser", "main"]

COMMANDS: list[Callable[[argparse._SubParsersAction], None]] = [
    add_eval,
    add_iqa,
    add_rain,
    add_data,
    add_train,
    add_derain,
    add_models,
    add_detect,
    add_segment,
    add_bench,
    add_report,
    add_tables,
    add_scoreboard,
    add_compare,
    add_history,
]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="rdmc", description="RDMC deraining and the downstream deraining benchmark."
    )
    parser.add_argument("--debug", action="store_true", help="show tracebacks on errors")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for add in COMMANDS:
        add(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        if getattr(args, "max_pixels", None) is None:
            return args.func(args)
        from rdmc.imageio import pixel_limit

        with pixel_limit(args.max_pixels):
            return args.func(args)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except Exception as e:  # one line for users, the traceback with --debug
        if args.debug:
            raise
        kind = "" if isinstance(e, CommandError) else f"{type(e).__name__}: "
        print(f"error: {kind}{e}", file=sys.stderr)
        return 1
