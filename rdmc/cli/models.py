"""Commands on derainers: train, derain, models."""

from __future__ import annotations

import argparse
from pathlib import Path

from rdmc.cli.common import (
    CommandError,
    add_backend,
    add_compile,
    add_inputs,
    add_max_pixels,
    add_overwrite,
    add_precision,
    check_outputs,
    chosen_precision,
    collect,
    for_each_image,
    tile_arg,
)


def add_train(sub: argparse._SubParsersAction) -> None:
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
        "--precision",
        choices=("auto", "fp32", "bf16"),
        default="auto",
        help="auto (default): the config's own `precision` if it pins one (the configs behind "
        "committed results pin fp32), else bf16 on a CPU with bf16 units (AMX, AVX512-BF16), "
        "else fp32; bf16 runs the network under autocast, the loss in float32",
    )
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
        args.config,
        args.work_dir,
        args.resume,
        args.precision,
        **_parse_cfg_options(args.cfg_options),
    )
    print(f"trained: checkpoints in {work_dir} (best.pth, last.pth)")
    return 0


def add_derain(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "derain",
        help="derain images with a zoo model or a checkpoint",
        description="Writes the derained copy of every input into OUT under the same file name, "
        "at the same size, channels (gray, RGB, RGBA with alpha kept) and bit depth.",
    )
    add_inputs(p)
    p.add_argument("-o", "--output", type=Path, required=True, help="output folder")
    p.add_argument(
        "--model",
        default="rdmc-se-s",
        help="zoo name (see `rdmc models`) or checkpoint file (default rdmc-se-s, the one "
        "shipped derainer that improves rain made by a recipe none was trained on)",
    )
    p.add_argument(
        "--tile",
        type=tile_arg,
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
    add_precision(p, default="auto")
    add_compile(p)
    add_backend(p)
    add_max_pixels(p)
    add_overwrite(p)
    p.set_defaults(func=_run_derain)


def _run_derain(args: argparse.Namespace) -> int:

    from rdmc.backend import BackendUnavailable
    from rdmc.imageio import read_image, write_image
    from rdmc.inference import check_tiling
    from rdmc.zoo import load_derainer

    try:
        check_tiling(args.tile, args.tile_overlap)
    except ValueError as e:
        raise CommandError(f"--tile/--tile-overlap: {e}") from e
    images, problems = collect(args.inputs)
    check_outputs([(p, args.output / p.name) for p in images], args.overwrite)
    try:
        derainer = load_derainer(
            args.model,
            args.device,
            args.tile,
            args.tile_overlap,
            chosen_precision(args),
            args.compile,
            args.backend,
        )
    except BackendUnavailable as e:
        raise CommandError(str(e)) from e

    def derain(path: Path) -> None:
        write_image(args.output / path.name, derainer(read_image(path)))

    written, failed = for_each_image(images, derain, problems, f"derain ({args.model})")
    print(
        f"wrote {written} derained image(s) to {args.output} ({derainer.precision})"
        + (f"; {failed} failed" if failed else "")
    )
    return 1 if failed or not written else 0


def add_models(sub: argparse._SubParsersAction) -> None:
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
