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


# ---------------------------------------------------------------- rain


def _add_rain(sub: argparse._SubParsersAction) -> None:
    from rdmc.rain import PRESETS, SEVERITIES

    p = sub.add_parser(
        "rain",
        help="add synthetic rain to images",
        description="Writes a rainy copy of every input into OUT under the same file name. "
        "Each image's rain is seeded from its file name and --seed: reruns give identical bytes. "
        "--preset rain1400 without --rain-type writes the 14 rain types as NAME_1 .. NAME_14 "
        "(DDN's layout).",
    )
    p.add_argument("inputs", nargs="+", help="image files, folders or glob patterns")
    p.add_argument("-o", "--output", type=Path, required=True, help="output folder")
    p.add_argument("--preset", choices=PRESETS, default="light")
    p.add_argument("--severity", type=int, choices=SEVERITIES, help="1 (light) .. 5 (heavy)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--rain-type", type=int, metavar="K", help="rain1400 rain type 1..14")
    p.set_defaults(func=_run_rain)


def _run_rain(args: argparse.Namespace) -> int:
    from rdmc.imageio import ImageError, collect_images, read_image, write_image
    from rdmc.rain import RAIN1400_TYPES, add_rain, seed_for

    if args.rain_type is not None and args.preset != "rain1400":
        raise CommandError("--rain-type applies to --preset rain1400 only")
    if args.rain_type is not None and not 1 <= args.rain_type <= len(RAIN1400_TYPES):
        raise CommandError(f"--rain-type must be in 1..{len(RAIN1400_TYPES)}, got {args.rain_type}")
    images, problems = collect_images(args.inputs)
    for message in problems:
        print(f"skipped: {message}", file=sys.stderr)
    if args.preset == "rain1400" and args.rain_type is None:
        types = list(range(1, len(RAIN1400_TYPES) + 1))
    else:
        types = [args.rain_type]
    failed = len(problems)
    written = 0
    for path in images:
        try:
            img = read_image(path)
            seed = seed_for(path.name, args.seed)
            for rain_type in types:
                rainy = add_rain(img, args.preset, args.severity, seed, rain_type=rain_type).rainy
                name = path.name if len(types) == 1 else f"{path.stem}_{rain_type}{path.suffix}"
                write_image(args.output / name, rainy)
                written += 1
        except (ImageError, ValueError) as e:
            failed += 1
            print(
                f"skipped: {e}" if str(path) in str(e) else f"skipped: {path}: {e}", file=sys.stderr
            )
    print(
        f"wrote {written} rainy image(s) to {args.output}"
        + (f"; {failed} failed" if failed else "")
    )
    return 1 if failed else 0


# ---------------------------------------------------------------- data


def _add_data(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("data", help="the embedded sample set and dataset folders")
    data_sub = p.add_subparsers(dest="data_command", required=True, metavar="ACTION")
    prepare = data_sub.add_parser(
        "prepare", help="write the embedded sample photos into the user cache (idempotent)"
    )
    prepare.add_argument("--force", action="store_true", help="rewrite even if up to date")
    prepare.set_defaults(func=_run_data_prepare)
    listing = data_sub.add_parser("list", help="show the splits of the embedded sample set")
    listing.set_defaults(func=_run_data_list)
    check = data_sub.add_parser(
        "check", help="detect a dataset folder's layout and count its pairs"
    )
    check.add_argument("root", type=Path)
    check.add_argument("--layout", help="force a layout instead of detecting it")
    check.set_defaults(func=_run_data_check)


def _run_data_prepare(args: argparse.Namespace) -> int:
    from rdmc.data.samples import PHOTOS, prepare_samples

    root = prepare_samples(force=args.force)
    print(
        f"sample set ready: {root} ({len(PHOTOS)} photos; manifest.json lists sources and licenses)"
    )
    return 0


def _run_data_list(args: argparse.Namespace) -> int:
    from rdmc.data.samples import SPLITS, load_manifest, samples_dir

    entries = load_manifest()
    print(f"sample set in {samples_dir()}")
    for split in SPLITS:
        rows = [e for e in entries if e["split"] == split]
        print(f"\n{split} ({len(rows)} photos)")
        for e in rows:
            print(
                f"  {e['name']:<14} {e['contents']:<40} {e['license']:<14} "
                f"{e['package']}/{e['file']}"
            )
    return 0


def _run_data_check(args: argparse.Namespace) -> int:
    from rdmc.data.layouts import find_pairs

    found = find_pairs(args.root, args.layout)
    print(f"{args.root}: layout '{found.layout}', {len(found.pairs)} pairs")
    for path in found.unmatched:
        print(f"unmatched: {path}", file=sys.stderr)
    return 0


# ---------------------------------------------------------------- entry point

_COMMANDS: list[Callable[[argparse._SubParsersAction], None]] = [_add_eval, _add_rain, _add_data]


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
