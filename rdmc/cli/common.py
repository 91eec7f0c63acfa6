"""What every command shares: the one-line error, input collection, the image loop, output
checks and the options several commands take."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


class CommandError(Exception):
    """A user-facing failure: printed as one line, exit code 1."""


def check_model_args(args: argparse.Namespace, name: str | None) -> None:
    if (args.config is None) != (args.checkpoint is None):
        raise CommandError("--config and --checkpoint go together")
    if args.config is not None and name is not None:
        raise CommandError("give either a model name or --config/--checkpoint, not both")


def add_inputs(p: argparse.ArgumentParser) -> None:
    """The positional ``inputs`` that :func:`collect` reads."""
    p.add_argument("inputs", nargs="+", help="image files, folders or glob patterns")


def collect(inputs: list[str]) -> tuple[list[Path], list[str]]:
    """The images named by files, folders and globs; what matched nothing is reported."""
    from rdmc.imageio import collect_images

    images, problems = collect_images(inputs)
    for message in problems:
        print(f"skipped: {message}", file=sys.stderr)
    note_ignored([Path(i) for i in inputs])
    return images, problems


def note_ignored(paths: list[Path]) -> None:
    """Says, for each folder among ``paths``, which files are not read as images."""
    from rdmc.imageio import ignored_note

    for folder in dict.fromkeys(p for p in paths if p.is_dir()):
        note = ignored_note(folder)
        if note:
            print(f"note: {note}", file=sys.stderr)


def add_overwrite(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--overwrite",
        action="store_true",
        help="replace output files that exist (input files included, when OUT is their folder)",
    )


def add_quality(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--quality",
        default="niqe,brisque,piqe",
        metavar="LIST",
        help="no-reference quality of every row, comma-separated: niqe, brisque, piqe, or "
        "none (default: all three)",
    )


def quality_metrics(text: str) -> list[str]:
    from rdmc.iqa import IqaError, parse_metrics

    if text.strip().lower() == "none":
        return []
    try:
        return parse_metrics(text)
    except IqaError as e:
        raise CommandError(f"--quality: {e}") from e


def add_max_pixels(p: argparse.ArgumentParser) -> None:
    from rdmc.choices import DEFAULT_MAX_PIXELS

    p.add_argument(
        "--max-pixels",
        type=int,
        default=DEFAULT_MAX_PIXELS,
        metavar="N",
        help=f"skip (and name) images of more pixels than this, read from their header "
        f"(default {DEFAULT_MAX_PIXELS:,})",
    )


def check_outputs(plan: list[tuple[Path, Path]], overwrite: bool) -> None:
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


def skipped(path: Path, error: Exception) -> str:
    from rdmc.imageio import printable

    name = printable(path)
    return f"skipped: {error}" if name in str(error) else f"skipped: {name}: {error}"


def for_each_image(
    images: list[Path], work, problems: list[str], progress: str | None = None
) -> tuple[int, int]:
    """Runs ``work(path)`` on every image. One that cannot be read or processed is named on
    stderr in one line and skipped; the rest still run. Returns (done, failed), failed
    counting the ``problems`` of :func:`collect` too. ``progress`` labels a progress bar."""
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
            tqdm.write(skipped(path, e), sys.stderr)
    return done, failed


def tile_arg(value: str) -> int | str | None:
    if value == "auto":
        return "auto"
    tile = int(value)
    return None if tile == 0 else tile


def add_backend(p: argparse.ArgumentParser) -> None:
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


def add_compile(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--compile",
        action="store_true",
        help="run the derainers through torch.compile: seconds to compile per image size, "
        "faster after; falls back to eager (with a warning) where it cannot compile",
    )


def add_precision(p: argparse.ArgumentParser, default: str) -> None:
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


def chosen_precision(args: argparse.Namespace) -> str:
    if args.precision == "half":
        return "fp16" if getattr(args, "device", "cpu").startswith("cuda") else "bf16"
    return args.precision


def add_model_choice(p: argparse.ArgumentParser, kind: str, default: str) -> None:
    p.add_argument(
        f"--{kind}", default=None, metavar="NAME", help=f"embedded {kind} (default {default})"
    )
    p.add_argument("--config", type=Path, help=f"your own mm{kind[:3]} config file")
    p.add_argument("--checkpoint", type=Path, help="its checkpoint file (with --config)")
    p.add_argument("--device", default="cpu", choices=("cpu", "cuda"))


def to_rgb(img):
    """8-bit RGB from any image read_image returns (gray, RGBA and 16-bit included)."""
    from rdmc.data.datasets import to_rgb_uint8

    return to_rgb_uint8(img)
