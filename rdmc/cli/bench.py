"""The benchmark: bench."""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

from rdmc.cli.common import (
    add_backend,
    add_compile,
    add_max_pixels,
    add_precision,
    chosen_precision,
)


def add_bench(sub: argparse._SubParsersAction) -> None:
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
    add_precision(p, default="fp32")
    add_max_pixels(p)
    add_compile(p)
    add_backend(p)
    p.set_defaults(func=_run_bench)


def _run_bench(args: argparse.Namespace) -> int:
    from downstream.bench import run_bench

    results = run_bench(
        args.suite,
        args.out,
        args.resume,
        args.device,
        cache_dir=args.cache_dir,
        precision=chosen_precision(args),
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
