"""The `rdmc` command line: one entry point, one subcommand per job."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Sequence
from pathlib import Path


class CommandError(Exception):
    """A user-facing failure: printed as one line, exit code 1."""


# ---------------------------------------------------------------- eval


def _add_eval(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "eval",
        help="PSNR/SSIM of restored images against ground truth",
        description="Scores PRED against GT (files or folders, matched by file name, also "
        "rain-N/norain-N and *_rain/*_clean naming). Y channel (MATLAB rgb2ycbcr) by default.",
    )
    p.add_argument("pred", type=Path, help="restored image or folder")
    p.add_argument("gt", type=Path, help="ground-truth image or folder")
    p.add_argument(
        "--crop-border", type=int, default=0, metavar="N", help="pixels cut from each side"
    )
    p.add_argument("--rgb", action="store_true", help="score RGB channels instead of the Y channel")
    p.add_argument("--json", action="store_true", help="print JSON instead of a table")
    p.set_defaults(func=_run_eval)


def _run_eval(args: argparse.Namespace) -> int:
    from rdmc.evaluate import evaluate_folder, format_table

    if args.crop_border < 0:
        raise CommandError(f"--crop-border must be >= 0, got {args.crop_border}")
    for path in (args.pred, args.gt):
        if not path.exists():
            raise CommandError(f"{path}: no such file or folder")
    report = evaluate_folder(args.pred, args.gt, args.crop_border, not args.rgb)
    for message in report.failures:
        print(f"skipped: {message}", file=sys.stderr)
    for p in report.unmatched_pred:
        print(f"unmatched prediction: {p}", file=sys.stderr)
    for g in report.unmatched_gt:
        print(f"unmatched ground truth: {g}", file=sys.stderr)
    if args.json:
        print(json.dumps(report.to_json(), indent=2))
    elif report.n:
        print(format_table(report))
    if report.n == 0:
        print(
            f"error: no image pair could be scored between {args.pred} and {args.gt}",
            file=sys.stderr,
        )
        return 1
    return 0


# ---------------------------------------------------------------- entry point

_COMMANDS: list[Callable[[argparse._SubParsersAction], None]] = [_add_eval]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="rdmc", description="RDMC deraining and the downstream deraining benchmark."
    )
    parser.add_argument("--debug", action="store_true", help="show tracebacks on errors")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for add in _COMMANDS:
        add(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
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


if __name__ == "__main__":
    sys.exit(main())
