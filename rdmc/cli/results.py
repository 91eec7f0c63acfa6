"""Results files: report, tables, scoreboard, compare, history."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from rdmc.cli.common import (
    CommandError,
    add_backend,
    add_precision,
    add_quality,
    chosen_precision,
    quality_metrics,
)


def add_report(sub: argparse._SubParsersAction) -> None:
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


def add_tables(sub: argparse._SubParsersAction) -> None:
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
    from downstream.scoreboard.cases import DatasetSpec

    return DatasetSpec.parse(text)


def add_scoreboard(sub: argparse._SubParsersAction) -> None:
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
    add_quality(p)
    add_precision(p, default="fp32")
    add_backend(p)
    p.set_defaults(func=_run_scoreboard)


def _run_scoreboard(args: argparse.Namespace) -> int:
    from downstream.scoreboard.runner import Entry, LabelError, run_scoreboard
    from rdmc.choices import RainSetting
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
            precision=chosen_precision(args),
            datasets=args.dataset,
            quality=quality_metrics(args.quality),
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


def add_compare(sub: argparse._SubParsersAction) -> None:
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


def add_history(sub: argparse._SubParsersAction) -> None:
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
