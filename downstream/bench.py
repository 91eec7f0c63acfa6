"""`rdmc bench`: the clean / rainy / derained protocol over a suite, cached and resumable.

For every image of the suite's dataset the runner makes the conditions

    clean;  rainy (per preset and severity);  derained (per derainer, preset, severity)

(a paired dataset is its own rain: one rain setting, named after the dataset, whose
rainy images are the dataset's)

and runs every detector and segmenter on every condition. Ground truth is the
dataset's (COCO json, label maps) when it has some, otherwise pseudo ground
truth from the same model on the clean image (said in every record). It writes
``OUT/results.json`` after every cell:

    {"meta": {...}, "records": [{"dataset", "condition", "derainer", "rain", "task",
                                 "model", "metric", "value", "unit", "gt"}, ...]}

Caching (:mod:`downstream.cache`): every derived image and every prediction is
stored under ``<cache>/bench/`` keyed by a hash of what produced it (input bytes,
rain parameters and seed, derainer weights, model config and weights), and every
scored cell by the hashes of everything it reads, ground truth and scoring code
included. ``meta.complete`` stays false until the last cell is written. An
identical rerun recomputes nothing, a changed derainer recomputes only its own
cells, and a killed run picks up where it stopped. Under ``torchrun`` the images
are sharded across processes (gloo on CPU, nccl on GPU); rank 0 scores from the
shared cache, so results equal a single-process run.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from downstream.annotations import read_label_map
from downstream.cache import Cache
from downstream.checkpoints import DownstreamModelError
from downstream.datasets import Dataset, Image, load_dataset
from downstream.errors import BenchError
from downstream.scoring import derived_records
from downstream.suite import Suite, load_suite
from rdmc.data.samples import default_cache_dir, photo_credit
from rdmc.imageio import write_bytes_atomic
from rdmc.intervals import add_intervals, mean_replicates, resample_counts
from rdmc.metrics import RESTORATION_UNITS, convention, per_image_scores
from rdmc.provenance import code_digest, content_hash, git_commit, machine, versions
from rdmc.rain import add_rain, seed_for

__all__ = ["BenchError", "BenchRun", "Suite", "load_suite", "run_bench"]

# Bump when the runner changes how a cell's records are computed from its inputs.
SCORING_VERSION = "cells-v4"


def scoring_code() -> str:
    """The version of everything that turns predictions into scores, for cell keys: the
    runner's version, the scoring module's source (metric settings, pseudo ground truth)
    and the versions of the metric libraries."""
    libraries = ("mmdet", "mmsegmentation", "pycocotools", "mmengine")
    modules = ("downstream.scoring", "downstream.bootstrap", "rdmc.intervals")
    return content_hash(SCORING_VERSION, code_digest(modules, libraries))


# The code behind each kind of cached value, besides its own inputs (see the keys below).
RAIN_CODE = (("rdmc.rain", "rdmc.imageio", "rdmc.data.datasets"), ("numpy", "opencv-python"))
DERAIN_CODE = (("rdmc.inference", "rdmc.models"), ("torch",))
MODEL_CODE = (
    ("downstream.detection", "downstream.segmentation", "downstream.models"),
    ("torch", "mmcv", "mmdet", "mmsegmentation", "mmengine", "opencv-python"),
)


# ---------------------------------------------------------------- conditions


@dataclass(frozen=True)
class Condition:
    name: str  # "clean", "rainy", or the derainer's name
    derainer: str | None
    preset: str | None  # a rain preset, or a paired dataset's name (its own rain)
    severity: int | None  # None for a dataset's own rain

    @property
    def rain(self) -> str:
        if self.preset is None:
            return "none"
        return self.preset if self.severity is None else f"{self.preset}/s{self.severity}"

    @property
    def label(self) -> str:
        return self.name if self.preset is None else f"{self.name}@{self.rain}"


def conditions_of(suite: Suite, dataset: Dataset) -> list[Condition]:
    conditions = [Condition("clean", None, None, None)]
    settings = [(dataset.rain, None)] if dataset.rain else suite.rain_settings()
    for preset, severity in settings:
        conditions.append(Condition("rainy", None, preset, severity))
        conditions += [Condition(d, d, preset, severity) for d in suite.derainers]
    return conditions


class ConditionImages:
    """Makes (and caches) each condition's copy of every image."""

    def __init__(self, suite: Suite, cache: Cache, device: str, precision: str = "fp32",
                 compile: bool = False) -> None:  # fmt: skip
        from rdmc.inference import resolve_precision
        from rdmc.zoo import derainer_fingerprint

        self.suite, self.cache, self.device, self.precision = suite, cache, device, precision
        self.compile = compile
        self.rain_code = code_digest(*RAIN_CODE)
        path = [str(v) for v in resolve_precision(precision, device.split(":")[0])]
        path += ["compiled"] if compile else []
        self.derain_code = content_hash(code_digest(*DERAIN_CODE), device, path)
        self.fingerprints = {}
        self._derainers: dict = {}
        self._outputs: dict[tuple[str, str, str], tuple[Path, str]] = {}
        for d in suite.derainers:
            if d in suite.outputs:
                continue  # matched to the dataset by attach_outputs
            try:
                self.fingerprints[d] = derainer_fingerprint(d)
                self.derainer(d)  # a checkpoint that does not load stops the run up front
            except ValueError as e:
                raise BenchError(f"{suite.source}: derainer {e}") from e

    def attach_outputs(self, dataset: Dataset, conditions: list[Condition]) -> None:
        """Matches each method run elsewhere (``{name, outputs: DIR}``) to the rainy inputs of
        every rain setting, by file name as ``rdmc eval`` does; DIR may hold ``{dataset}`` and
        ``{rain}``. A missing folder or output is one BenchError before anything runs."""
        from rdmc.scoreboard_data import match_outputs
        from rdmc.weights import sha256_of

        names = [im.name for im in dataset.images]
        for name, pattern in self.suite.outputs.items():
            where, digests = f"{self.suite.source}: derainer {name}", []
            for rain in dict.fromkeys(c.rain for c in conditions if c.derainer == name):
                folder = Path(pattern.replace("{dataset}", dataset.name).replace("{rain}", rain))
                if not folder.is_dir():
                    raise BenchError(f"{where}: {folder}: no such outputs folder (for {rain})")
                try:
                    files = match_outputs(folder, names)
                except ValueError as e:
                    raise BenchError(f"{where}: {e}") from e
                for im, file in zip(dataset.images, files, strict=True):
                    self._outputs[(name, rain, im.name)] = (file, sha256_of(file))
                    digests.append(f"{rain} {im.name} {self._outputs[(name, rain, im.name)][1]}")
            self.fingerprints[name] = "outputs:" + content_hash(digests)

    def key(self, image: Image, c: Condition) -> str:
        """The clean image's bytes; for a rainy copy also the rain's setting, seed and code
        (or a paired dataset's rainy file); for a derained copy also the derainer's weights,
        the inference code and device."""
        if c.preset is None:
            return image.key
        if c.derainer in self.suite.outputs:
            rainy = self.key(image, Condition("rainy", None, c.preset, c.severity))
            return content_hash(
                rainy, ("outputs", self._outputs[(c.derainer, c.rain, image.name)][1])
            )
        if image.rainy is not None:
            rainy = content_hash("rainy file", image.rainy_key, self.rain_code)
            if c.derainer is None:
                return rainy
            return content_hash(rainy, ("derain", self.fingerprints[c.derainer], self.derain_code))
        rain = ("rain", c.preset, c.severity, seed_for(image.name, self.suite.seed))
        if c.derainer is None:
            return content_hash(image.key, rain, self.rain_code)
        derain = ("derain", self.fingerprints[c.derainer], self.derain_code)
        return content_hash(image.key, rain, self.rain_code, derain)

    def get(self, image: Image, c: Condition) -> np.ndarray:
        if c.preset is None:
            return image.read_clean()
        if c.derainer is None and image.rainy is not None:
            return image.read_rainy()
        if c.derainer in self.suite.outputs:
            return self._read_output(image, c)
        key = self.key(image, c)
        cached = self.cache.get_arrays("images", key, required=("rgb",))
        if cached is not None:
            return cached["rgb"]
        if c.derainer is None:
            clean = self.get(image, Condition("clean", None, None, None))
            seed = seed_for(image.name, self.suite.seed)
            rgb = add_rain(clean, c.preset, c.severity, seed).rainy
        else:
            rainy = self.get(image, Condition("rainy", None, c.preset, c.severity))
            rgb = self.derainer(c.derainer)(rainy)
        self.cache.put_arrays("images", key, {"rgb": rgb})
        return rgb

    def _read_output(self, image: Image, c: Condition) -> np.ndarray:
        from rdmc.scoreboard_data import read_output

        try:
            return read_output(self._outputs[(c.derainer, c.rain, image.name)][0], image.name,
                               image.shape)  # fmt: skip
        except ValueError as e:
            raise BenchError(str(e)) from e

    def derainer(self, name: str):
        from rdmc.zoo import load_derainer

        if name not in self._derainers:
            self._derainers[name] = load_derainer(
                name, self.device, precision=self.precision, compile=self.compile
            )
        return self._derainers[name]


# ---------------------------------------------------------------- models


@dataclass
class TaskModel:
    task: str  # "detection" or "segmentation"
    name: str
    fingerprint: str  # config and weights
    code: str  # the model and inference code, library versions and device
    load: Callable[[], object]
    _model: object = None

    @property
    def model(self):
        if self._model is None:
            self._model = self.load()
        return self._model


def _model_spec(entry) -> tuple[str | None, str | None, str | None]:
    if isinstance(entry, str):
        return entry, None, None
    return entry.get("name"), entry.get("config"), entry.get("checkpoint")


def task_models(suite: Suite, device: str) -> list[TaskModel]:
    from downstream.detection import EMBEDDED_DETECTORS, Detector, darknet_checkpoint
    from downstream.segmentation import EMBEDDED_SEGMENTERS, Segmenter, selfie_checkpoint
    from rdmc.weights import sha256_of

    code = content_hash(code_digest(*MODEL_CODE), device)
    models = []
    for task, entries, embedded, cls, checkpoint_of in (
        ("detection", suite.detectors, EMBEDDED_DETECTORS, Detector, darknet_checkpoint),
        ("segmentation", suite.segmenters, EMBEDDED_SEGMENTERS, Segmenter, selfie_checkpoint),
    ):
        for entry in entries:
            name, config, checkpoint = _model_spec(entry)
            own = config is not None
            if not own:
                if name not in embedded:
                    raise BenchError(f"suite {suite.name}: unknown {task} model {name!r}")
                config, checkpoint = embedded[name], checkpoint_of(name)
            for path, what in ((config, "config"), (checkpoint, "checkpoint")):
                if path is None or not Path(path).is_file():
                    raise BenchError(f"{path}: {task} {what} file does not exist")
            fingerprint = content_hash(Path(config).read_bytes(), sha256_of(Path(checkpoint)))
            name = name or Path(config).stem
            args = (name, config, checkpoint) if own else (name, None, checkpoint)

            def load(cls=cls, args=args):
                return cls(*args, device)

            models.append(TaskModel(task, name, fingerprint, code, load))
    return models


def predict(
    model: TaskModel, image_key: str, load_rgb: Callable[[], np.ndarray], cache: Cache
) -> dict[str, np.ndarray]:
    """The model's (cached) output; the image is only loaded when the cache misses."""
    key = content_hash(model.fingerprint, model.code, image_key)
    required = ("bboxes", "scores", "labels") if model.task == "detection" else ("labels",)
    cached = cache.get_arrays(model.task, key, required)
    if cached is not None:
        return cached
    rgb = load_rgb()
    if model.task == "detection":
        found = model.model(rgb)
        result = {"bboxes": found.bboxes, "scores": found.scores, "labels": found.labels}
    else:
        result = {"labels": model.model(rgb).astype(np.uint8)}
    cache.put_arrays(model.task, key, result)
    return result


# ---------------------------------------------------------------- runner


def shard_of(images: list[Image], conditions: list[Condition], rank: int,
             world: int) -> list[list[tuple[Image, Condition]]]:  # fmt: skip
    """This process's share of the work, balanced by work rather than by image count.

    The work comes in groups that only depend on themselves: an image's clean copy, and per
    rain setting its rainy copy followed by every derained copy (which reads the rainy one).
    Groups go, largest first (pixels x copies), to the least loaded process; every process
    computes the same assignment."""
    groups = []
    for image in images:
        groups.append([(image, conditions[0])])
        by_setting: dict[tuple, list] = {}
        for c in conditions[1:]:
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


_RECORD_FIELDS = ("dataset", "condition", "derainer", "rain", "task", "model", "metric",
                  "value", "unit", "gt")  # fmt: skip


def _valid_cell(value: object) -> bool:
    """A cached cell is a list of complete records."""
    return isinstance(value, list) and all(
        isinstance(r, dict) and all(k in r for k in _RECORD_FIELDS) for r in value
    )


@dataclass
class BenchRun:
    suite: Suite
    out: Path
    device: str = "cpu"
    progress: bool = True
    cache_dir: Path | None = None
    precision: str = "fp32"  # of the derainers (see rdmc.inference.PRECISIONS)
    compile: bool = False  # the derainers through torch.compile

    def __post_init__(self) -> None:
        self.cache = Cache(self.cache_dir or default_cache_dir() / "bench")
        self.records: list[dict] = []
        self.timings: dict[str, float] = {}

    # ------------------------------------------------------------ writing

    def write(self, meta: dict) -> None:
        records = [{k: v for k, v in r.items() if k != "replicates"} for r in self.records]
        data = {"meta": meta, "records": records}
        write_bytes_atomic(self.out / "results.json", json.dumps(data, indent=1).encode())

    # ------------------------------------------------------------ stages

    def _produce(self, dataset: Dataset, conditions: list[Condition], models: list[TaskModel],
                 images: ConditionImages, rank: int, world: int) -> None:  # fmt: skip
        """Every condition image and every prediction of this process's shard, into the cache."""
        from tqdm import tqdm

        units = [unit for group in shard_of(dataset.images, conditions, rank, world)
                 for unit in group]  # fmt: skip
        bar = tqdm(units, desc=f"{self.suite.name}: images and predictions", unit="img",
                   disable=not self.progress or rank != 0)  # fmt: skip
        for image, c in bar:
            rgb = images.get(image, c)
            for m in models:
                predict(m, images.key(image, c), lambda rgb=rgb: rgb, self.cache)

    def _cells(
        self,
        dataset: Dataset,
        conditions: list[Condition],
        models: list[TaskModel],
        images: ConditionImages,
    ) -> Iterator[tuple[str, Callable[[], list[dict]]]]:
        """(cache key, computation) of every scored cell. A key hashes everything the cell
        reads: the condition's and the clean images' keys, the model's fingerprint, the
        dataset, the ground truth (kind, annotation or label-map bytes, pseudo-GT threshold)
        and the version of the scoring code (metric settings included)."""
        clean = conditions[0]
        gt = [images.key(im, clean) for im in dataset.images]
        code = scoring_code()
        truth = {task: dataset.ground_truth_identity(task)
                 for task in ("restoration", *{m.task for m in models})}  # fmt: skip

        def key(cell: str, c: Condition, model: str, task: str) -> str:
            inputs = [images.key(im, c) for im in dataset.images]
            return content_hash(code, cell, inputs, gt, model, dataset.name, truth[task])

        for c in conditions[1:]:
            yield (
                key(f"restoration:{c.label}", c, "", "restoration"),
                lambda c=c: self._restoration_records(dataset, c, images),
            )
        for m in models:
            for c in conditions:
                yield (
                    key(f"{m.task}:{m.name}:{c.label}", c, m.fingerprint, m.task),
                    (lambda m=m, c=c: self._task_records(dataset, m, c, clean, images)),
                )

    def _record(self, dataset: Dataset, c: Condition, task: str, model: str, metric: str,
                value: float | None, unit: str, gt: str) -> dict:  # fmt: skip
        return {"dataset": dataset.name, "condition": c.name, "derainer": c.derainer or "none",
                "rain": c.rain, "task": task, "model": model, "metric": metric,
                "value": value, "unit": unit, "gt": gt}  # fmt: skip

    def _restoration_records(
        self, dataset: Dataset, c: Condition, images: ConditionImages
    ) -> list[dict]:
        clean = Condition("clean", None, None, None)
        pairs = [(images.get(im, c), images.get(im, clean)) for im in dataset.images]
        counts = resample_counts(len(dataset.images))
        return [
            {**self._record(dataset, c, "restoration", "Y channel", k, float(np.mean(v)),
                            RESTORATION_UNITS[k], "clean image"), "per_image": v,
             "replicates": mean_replicates(v, counts).tolist()}
            for k, v in per_image_scores(pairs).items()
        ]  # fmt: skip

    def _task_records(self, dataset: Dataset, m: TaskModel, c: Condition, clean: Condition,
                      images: ConditionImages) -> list[dict]:  # fmt: skip
        from downstream.scoring import detection_scores, pseudo_detection_gt, segmentation_scores

        preds = [
            predict(m, images.key(im, c), lambda im=im: images.get(im, c), self.cache)
            for im in dataset.images
        ]
        clean_preds = [
            predict(m, images.key(im, clean), lambda im=im: images.get(im, clean), self.cache)
            for im in dataset.images
        ]
        counts = resample_counts(len(dataset.images))
        if m.task == "detection":
            classes = m.model.classes
            if dataset.coco is not None:
                gts = [
                    [{"bbox": a["bbox"], "bbox_label": classes.index(a["category"]),
                      "ignore_flag": a["ignore_flag"]}
                     for a in dataset.coco[im.name] if a["category"] in classes]
                    for im in dataset.images
                ]  # fmt: skip
            else:
                gts = [
                    pseudo_detection_gt(p["bboxes"], p["scores"], p["labels"]) for p in clean_preds
                ]
            shapes = [im.shape for im in dataset.images]
            scores, replicates = detection_scores(preds, gts, shapes, classes, counts)
        else:
            classes = m.model.classes
            if dataset.seg_labels is not None:
                gts = [read_label_map(dataset.seg_labels[im.name]) for im in dataset.images]
            else:
                gts = [p["labels"].astype(np.int64) for p in clean_preds]
            scores, replicates = segmentation_scores(
                [p["labels"].astype(np.int64) for p in preds], gts, classes, counts
            )
        gt_kind = dataset.ground_truth(m.task)
        records = [self._record(dataset, c, m.task, m.name, k, float(v), "%", gt_kind)
                   for k, v in scores.items()]  # fmt: skip
        for r in records:
            if r["metric"] in replicates:
                r["replicates"] = replicates[r["metric"]].tolist()
        return records

    # ------------------------------------------------------------ run

    def run(self) -> Path:
        from tqdm import tqdm

        start = time.perf_counter()
        rank, world = _dist()
        dataset = load_dataset(self.suite.dataset)
        conditions = conditions_of(self.suite, dataset)
        models = task_models(self.suite, self.device)
        images = ConditionImages(self.suite, self.cache, self.device, self.precision, self.compile)
        images.attach_outputs(dataset, conditions)
        self._produce(dataset, conditions, models, images, rank, world)
        self.timings["images_and_predictions_s"] = time.perf_counter() - start
        _barrier(world)
        if rank != 0:
            return self.out / "results.json"
        meta = self._meta(dataset, models, images, world)
        meta["complete"] = False  # until the last cell and the derived figures are written
        cells = list(self._cells(dataset, conditions, models, images))
        bar = tqdm(
            cells, desc=f"{self.suite.name}: scoring", unit="cell", disable=not self.progress
        )
        hits = 0
        for key, compute in bar:
            cached = self.cache.get_json("cells", key, valid=_valid_cell)
            if cached is None:
                cached = compute()
                self.cache.put_json("cells", key, cached)
            else:
                hits += 1
            self.records += cached
            self.write(meta)
        self.records += derived_records(self.records)
        add_intervals(self.records)
        meta["gallery"] = self._gallery(dataset, conditions, models, images)
        self.timings["total_s"] = time.perf_counter() - start
        meta["timings"] = dict(self.timings, cells=len(cells), cells_from_cache=hits)
        meta["complete"] = True
        self.write(meta)
        return self.out / "results.json"

    def _gallery(self, dataset: Dataset, conditions: list[Condition], models: list[TaskModel],
                 images: ConditionImages, count: int = 3) -> list[dict]:  # fmt: skip
        """Side-by-side panels (clean, rainy, each derainer) with detections and masks drawn,
        for the first images at the suite's middle rain setting, as JPEGs under OUT/gallery."""
        from downstream.drawing import draw_panel
        from rdmc.imageio import write_image

        settings = list(dict.fromkeys(c.rain for c in conditions[1:]))
        if not settings:
            return []
        rain = next((r for r in settings if r.endswith("/s3")), settings[0])
        shown = [conditions[0]] + [c for c in conditions if c.rain == rain]
        classes = next((m.model.classes for m in models if m.task == "detection"), [])
        gallery = []
        for im in dataset.images[:count]:
            panels = []
            for c in shown:
                rgb = images.get(im, c)
                key = images.key(im, c)
                preds = {m.task: predict(m, key, lambda rgb=rgb: rgb, self.cache) for m in models}
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
                "sha256": dataset.sha256,
                "manifest_sha256": dataset.manifest_sha256,
            },  # fmt: skip
            "rain": self.suite.rain or [{"dataset": dataset.rain}],
            "seed": self.suite.seed,
            "derainers": images.fingerprints,
            "models": {f"{m.task}:{m.name}": m.fingerprint for m in models},
            "ground_truth": gt,
            "restoration_convention": convention(),
            "units": {
                "mAP": "%",
                "mIoU": "%",
                "PSNR": "dB",
                "SSIM": "1",
                "recovery": "1",
                "rPC": "1",
            },
            "versions": versions(),
            "git_commit": git_commit(),
            "machine": machine(self.device, world),
            "derainer_precision": {
                d: images.derainer(d).precision
                for d in self.suite.derainers
                if d not in self.suite.outputs
            },  # fmt: skip
            "timings": self.timings,
        }


def run_bench(suite: str | Path, out: Path, resume: bool = False, device: str = "cpu",
              progress: bool = True, cache_dir: Path | None = None,
              precision: str = "fp32", compile: bool = False) -> Path:  # fmt: skip
    """Runs a suite into ``out`` and returns the path of results.json.

    ``cache_dir``: where derived images, predictions and scored cells are kept
    (default ``<user cache>/bench``); ``precision``: the derainers' (fp32 by default, so
    results compare across machines); ``compile``: derainers through torch.compile."""
    loaded = load_suite(suite)
    results = out / "results.json"
    if results.exists() and not resume and int(os.environ.get("RANK", "0")) == 0:
        raise BenchError(
            f"{results} exists; pass --resume to continue or update it, or pick another --out"
        )
    out.mkdir(parents=True, exist_ok=True)
    try:
        return BenchRun(loaded, out, device, progress, cache_dir, precision, compile).run()
    except DownstreamModelError as e:
        raise BenchError(str(e)) from e
