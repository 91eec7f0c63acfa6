"""`rdmc bench`: the clean / rainy / derained protocol over a suite, cached and resumable.

For every image of the suite's dataset the runner makes the conditions

    clean;  rainy (per preset and severity);  derained (per derainer, preset, severity)

(a dataset may bring its own rain: a paired dataset is one rain setting named after it,
RainCityscapes one per alpha/beta/dropsize/pattern; a real-rain dataset has no clean
image, so no clean condition, no PSNR and no recovery)

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

Modules: ``conditions`` (the conditions and their cached images), ``task_models`` (the
detectors and segmenters and their cached predictions), ``cells`` (the scored cells),
``runner`` (the run); the dataset types are :mod:`downstream.datasets`, the suite schema
:mod:`downstream.suite`.
"""

from __future__ import annotations

from downstream.bench.runner import BenchRun, run_bench
from downstream.errors import BenchError
from downstream.suite import Suite, load_suite

__all__ = ["BenchError", "BenchRun", "Suite", "load_suite", "run_bench"]
