"""The runner of `rdmc bench` (see the package's docstring): every image and prediction of
this process's shard into the cache, then (rank 0) every scored cell, results.json after
each, the derived figures, the gallery and the provenance."""

from __future__ import annotations

import contextlib
import math
import os
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from downstream.bench import cells as scored_cells
from downstream.bench.conditions import CLEAN, Condition, ConditionImages, conditions_of
from downstream.bench.quality import quality_cells
from downstream.bench.task_models import TaskModel, predict, task_models
from downstream.cache import Cache
from downstream.checkpoints import DownstreamModelError
from downstream.datasets import Dataset, Image, load_dataset
from downstream.errors import BenchError
from downstream.results.provenance import git_commit, machine, versions
from downstream.results.records import units_of, write_results
from downstream.scoring import derived_records
from downstream.suite import Suite, load_suite
from rdmc.cache_dir import default_cache_dir
from rdmc.data.samples import photo_credit
from rdmc.iqa import RECORD_NAMES, quality_meta
from rdmc.locking import FolderLocked, exclusive
from rdmc.metrics import convention

# ---------------------------------------------------------------- runner


def shard_of(
    images: list[Image], conditions: list[Condition], rank: int, world: int
) -> list[list[tuple[Image, Condition]]]:
    """This process's share of the work, balanced by work rather than by image count.

    The work comes in groups that only depend on themselves: an image's clean copy, and per
    rain setting its rainy copy followed by every derained copy (which reads the rainy one).
    Groups go, largest first (pixels x copies), to the least loaded process; every process
    computes the same assignment."""
    groups = []
    for image in images:
        by_setting: dict[tuple, list] = {}  # the clean copy is a setting of its own
        for c in conditions:
            by_setting.setdefault((c.preset, c.severity), []).append((image, c))
        groups += by_setting.values()

    def work(group: list[tuple[Image, Condition]]) -> int:
        height, width = group[0][0].shape
        return height * width * len(group)

    load, mine = [0] * world, []
    for group in sorted(groups, key=work, reverse=True):  # stable: ties keep their order
        target = load.index(min(load))
        load[target] += work(group)
        if target == rank:
            mine.append(group)
    return mine


def _dist() -> tuple[int, int]:
    """(rank, world size); starts a process group under torchrun."""
    import torch

    world = int(os.environ.get("WORLD_SIZE", "1"))
    if world > 1 and not torch.distributed.is_initialized():
        backend = "nccl" if torch.cuda.is_available() else "gloo"
        torch.distributed.init_process_group(backend=backend)
    if world > 1:
        return torch.distributed.get_rank(), world
    return 0, 1


def _barrier(world: int) -> None:
    if world > 1:
        import torch

        torch.distributed.barrier()


def gallery_rain(settings: list[str], records: list[dict]) -> str:
    """The rain setting the gallery shows: where the derainers' PSNRs differ most (heavy rain
    on the default suite), else the heaviest setting at severity 3, else the first."""
    spread = {}
    for rain in settings:
        psnr = [
            r["value"]
            for r in records
            if r["rain"] == rain
            and r["metric"] == "PSNR"
            and r["derainer"] != "none"
            and isinstance(r["value"], float)
            and math.isfinite(r["value"])
        ]
        if len(psnr) > 1:
            spread[rain] = max(psnr) - min(psnr)
    if spread:
        return max(settings, key=lambda s: spread.get(s, -1.0))
    middle = [r for r in settings if r.endswith("/s3")]
    return next((r for r in middle if r.startswith("heavy")), (middle or settings)[0])


@dataclass
class BenchRun:
    suite: Suite
    out: Path
    device: str = "cpu"
    progress: bool = True
    cache_dir: Path | None = None
    precision: str = "fp32"  # of the derainers (see rdmc.inference.PRECISIONS)
    compile: bool = False  # the derainers through torch.compile
    backend: str = "torch"  # what runs the derainers' networks (see rdmc.backend)

    def __post_init__(self) -> None:
        self.cache = Cache(self.cache_dir or default_cache_dir() / "bench")
        self.records: list[dict] = []
        self.timings: dict[str, float] = {}

    # ------------------------------------------------------------ writing

    def write(self, meta: dict) -> None:
        # Intervals over every record on each of a long suite's per-cell writes would cost
        # records x cells percentiles: a partial file (meta.complete false) has none.
        intervals = bool(meta.get("complete"))
        write_results(self.out / "results.json", meta, self.records, intervals)

    # ------------------------------------------------------------ stages

    def _produce(
        self,
        dataset: Dataset,
        conditions: list[Condition],
        models: list[TaskModel],
        images: ConditionImages,
        scored: dict[str, set[str]],
        rank: int,
        world: int,
    ) -> None:
        """Every condition image, and every prediction of a model on the images it is scored
        on (``scored``: model name -> image names), of this process's shard, into the cache."""
        from tqdm import tqdm

        units = [
            unit for group in shard_of(dataset.images, conditions, rank, world) for unit in group
        ]
        bar = tqdm(
            units,
            desc=f"{self.suite.name}: images and predictions",
            unit="img",
            disable=not self.progress or rank != 0,
        )
        for image, c in bar:
            rgb = images.get(image, c)
            for m in models:
                if image.name in scored[m.name]:
                    predict(m, images.key(image, c), lambda rgb=rgb: rgb, self.cache)

    # ------------------------------------------------------------ run

    def run(self) -> Path:
        from tqdm import tqdm

        start = time.perf_counter()
        rank, world = _dist()
        dataset = load_dataset(self.suite.dataset)
        conditions = conditions_of(self.suite, dataset)
        models = task_models(self.suite, self.device)
        if not dataset.has_clean and dataset.labels is None and self.suite.segmenters:
            raise BenchError(
                f"{self.suite.source}: {dataset.name} has no clean images for "
                "pseudo ground truth and no label maps: drop the segmenters"
            )
        images = ConditionImages(
            self.suite, self.cache, self.device, self.precision, self.compile, self.backend
        )
        images.attach_outputs(dataset, conditions)
        scoring = {m.name: scored_cells.scored_images(dataset, m) for m in models}
        scored = {name: {im.name for im in ims} for name, (ims, _) in scoring.items()}
        self._produce(dataset, conditions, models, images, scored, rank, world)
        self.timings["images_and_predictions_s"] = time.perf_counter() - start
        _barrier(world)
        if rank != 0:
            return self.out / "results.json"
        meta = self._meta(dataset, models, images, world)
        meta["scored_images"] = {
            f"{m.task}:{m.name}": {
                "images": [im.name for im in scoring[m.name][0]],
                "rule": scoring[m.name][1],
            }
            for m in models
        }
        meta["complete"] = False  # until the last cell and the derived figures are written
        self._warn_unmapped(dataset, models, meta)
        cells = list(scored_cells.cells(dataset, conditions, models, images, self.cache))
        cells += quality_cells(dataset, conditions, images, self.suite.quality)
        bar = tqdm(
            cells, desc=f"{self.suite.name}: scoring", unit="cell", disable=not self.progress
        )
        hits = 0
        for key, compute in bar:
            cached = self.cache.get_json("cells", key, valid=scored_cells.valid_cell)
            if cached is None:
                cached = compute()
                self.cache.put_json("cells", key, cached)
            else:
                hits += 1
            self.records += cached
            self.write(meta)
        self.records += derived_records(self.records)
        meta["gallery"] = self._gallery(dataset, conditions, models, images, self.records, scored)
        self.timings["total_s"] = time.perf_counter() - start
        meta["timings"] = dict(self.timings, cells=len(cells), cells_from_cache=hits)
        meta["complete"] = True
        self.write(meta)
        return self.out / "results.json"

    def _warn_unmapped(self, dataset: Dataset, models: list[TaskModel], meta: dict) -> None:
        """Annotation classes a detector does not have are left out of its ground truth:
        said once per detector on stderr, and in the results' meta."""
        if dataset.boxes is None:
            return
        for m in models:
            if m.task != "detection":
                continue
            unmapped = scored_cells.unmapped_classes(dataset, m.model.classes)
            if unmapped:
                listed = ", ".join(f"{c} ({n} boxes)" for c, n in sorted(unmapped.items()))
                print(
                    f"warning: {dataset.name}: classes {m.name} does not have, left out of "
                    f"its ground truth: {listed}",
                    file=sys.stderr,
                )
                meta.setdefault("unmapped_classes", {})[m.name] = dict(sorted(unmapped.items()))

    def _gallery(
        self,
        dataset: Dataset,
        conditions: list[Condition],
        models: list[TaskModel],
        images: ConditionImages,
        records: list[dict],
        scored: dict[str, set[str]],
        count: int = 3,
    ) -> list[dict]:
        """Side-by-side panels (clean, rainy, each derainer) with detections and masks drawn
        (a segmenter's mask only on the images it is scored on), for the first images that the
        most models are scored on, at the rain setting where the derainers differ most, as
        JPEGs under OUT/gallery."""
        from downstream.drawing import draw_panel
        from rdmc.imageio import write_image

        settings = list(dict.fromkeys(c.rain for c in conditions if c != CLEAN))
        if not settings:
            return []
        rain = gallery_rain(settings, records)
        shown = [c for c in conditions if c == CLEAN or c.rain == rain]
        classes = next((m.model.classes for m in models if m.task == "detection"), [])
        gallery = []
        # the photos every model is scored on first (for the selfie segmenters: people)
        chosen = sorted(dataset.images, key=lambda im: -sum(im.name in s for s in scored.values()))
        for im in chosen[:count]:
            panels = []
            for c in shown:
                rgb = images.get(im, c)
                key = images.key(im, c)
                preds = {
                    m.task: predict(m, key, lambda rgb=rgb: rgb, self.cache)
                    for m in models
                    if im.name in scored[m.name]
                }
                panel = draw_panel(rgb, preds.get("detection"), preds.get("segmentation"), classes)
                rel = Path("gallery") / f"{Path(im.name).stem}__{c.label.replace('/', '-')}.jpg"
                write_image(self.out / rel, panel)
                panels.append({"condition": c.label, "file": str(rel)})
            item = {"image": im.name, "rain": rain, "panels": panels}
            if dataset.name.startswith("samples:"):
                item["credit"] = photo_credit(Path(im.name).stem)
            gallery.append(item)
        return gallery

    def _meta(
        self, dataset: Dataset, models: list[TaskModel], images: ConditionImages, world: int
    ) -> dict:
        gt = {task: dataset.ground_truth(task) for task in ("detection", "segmentation")}
        return {
            "suite": self.suite.name,
            "suite_file": self.suite.source,
            "dataset": {
                "name": dataset.name,
                "images": [im.name for im in dataset.images],
                "skipped": dataset.skipped,
                "ignored": dataset.ignored,
                "sha256": dataset.sha256,
                "manifest_sha256": dataset.manifest_sha256,
            },
            "rain": self.suite.rain or [{"dataset": rain} for rain in dataset.rain],
            "seed": self.suite.seed,
            "derainers": images.fingerprints,
            "derainer_ids": images.model_ids(),
            "models": {f"{m.task}:{m.name}": m.fingerprint for m in models},
            "ground_truth": gt,
            "restoration_convention": convention(),
            "quality": quality_meta(self.suite.quality),
            "units": units_of(
                ["mAP", "mIoU", "PSNR", "SSIM", "recovery", "rPC"]
                + [RECORD_NAMES[m] for m in self.suite.quality]
            ),
            "versions": versions(),
            "git_commit": git_commit(),
            "machine": machine(self.device, world),
            "derainer_precision": {
                d: images.derainer(d).precision
                for d in self.suite.derainers
                if d not in self.suite.outputs
            },
            "timings": self.timings,
        }


def run_bench(
    suite: str | Path,
    out: Path,
    resume: bool = False,
    device: str = "cpu",
    progress: bool = True,
    cache_dir: Path | None = None,
    precision: str = "fp32",
    compile: bool = False,
    backend: str = "torch",
) -> Path:
    """Runs a suite into ``out`` and returns the path of results.json.

    ``cache_dir``: where derived images, predictions and scored cells are kept
    (default ``<user cache>/bench``); ``precision``: the derainers' (fp32 by default, so
    results compare across machines); ``compile``: derainers through torch.compile;
    ``backend``: torch (default) or openvino."""
    loaded = load_suite(suite)
    results = out / "results.json"
    # Rank 0 writes OUT; the other ranks of one torchrun job write only to the cache.
    writes_out = int(os.environ.get("RANK", "0")) == 0
    lock = exclusive(out) if writes_out else contextlib.nullcontext()
    try:
        with lock:
            if results.exists() and not resume and writes_out:
                raise BenchError(
                    f"{results} exists; pass --resume to continue or update it, "
                    "or pick another --out"
                )
            out.mkdir(parents=True, exist_ok=True)
            run = BenchRun(loaded, out, device, progress, cache_dir, precision, compile, backend)
            return run.run()
    except (DownstreamModelError, FolderLocked) as e:
        raise BenchError(str(e)) from e
