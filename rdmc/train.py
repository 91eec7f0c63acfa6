"""Training on mmengine's Runner: `rdmc train CONFIG [--work-dir DIR] [--resume]`.

- Single process by default; under ``torchrun --nproc_per_node N`` the same
  command trains data-parallel (gloo on CPU, nccl on GPU): the launcher is read
  from the environment torchrun sets.
- mmengine writes full checkpoints (``iter_N.pth``, with optimizer and schedule)
  for ``--resume``; :class:`ExportDerainerHook` also writes ``last.pth`` and
  ``best.pth`` with only ``meta`` and ``state_dict``, so they load with
  ``torch.load(..., weights_only=True)`` and with ``rdmc derain --model PATH``.
"""

from __future__ import annotations

import contextlib
import itertools
import math
import os
import pickle
from pathlib import Path

import torch
from mmengine.config import Config
from mmengine.dist import is_main_process
from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper
from mmengine.optim import OptimWrapper
from mmengine.runner import Runner, find_latest_checkpoint

import rdmc.models.derain_model  # noqa: F401 - registers DerainModel for the configs
from rdmc.checkpoint import save_checkpoint
from rdmc.inference import cpu_has_bf16
from rdmc.messages import first_line
from rdmc.registry import HOOKS, OPTIM_WRAPPERS

CONFIG_DIR = Path(__file__).parent / "configs"


_HISTORY_STATISTICS = ("min", "max", "current", "mean")
_RUNNERS_BUILT = itertools.count()


def _history_buffer_statistic(owner: object, name: str):
    """Stands in for ``getattr`` while resuming: mmengine pickles each log buffer's statistics
    as ``getattr(HistoryBuffer, "mean")`` and the like, and nothing else may be fetched."""
    from mmengine.logging import HistoryBuffer

    if owner is HistoryBuffer and name in _HISTORY_STATISTICS:
        return getattr(HistoryBuffer, name)
    raise pickle.UnpicklingError(f"getattr({owner!r:.60}, {name!r:.40}) is not training state")


def _resume_safe_globals() -> list:
    """The types mmengine 0.10.7 pickles into a full checkpoint besides tensors (the message
    hub's log buffers with their statistics methods, numpy arrays and scalars): the only
    objects ``--resume`` lets torch's weights-only unpickler build. Anything else is refused."""
    import numpy as np
    from mmengine.logging import HistoryBuffer

    multiarray = np._core.multiarray if hasattr(np, "_core") else np.core.multiarray
    allowed = [HistoryBuffer, np.ndarray, np.dtype, (_history_buffer_statistic, "builtins.getattr")]
    for name in ("_reconstruct", "scalar"):  # pickled under numpy 1's and numpy 2's module name
        function = getattr(multiarray, name)
        allowed += [
            (function, f"numpy.core.multiarray.{name}"),
            (function, f"numpy._core.multiarray.{name}"),
        ]
    numeric = (
        "bool",
        "int8",
        "int16",
        "int32",
        "int64",
        "uint8",
        "uint16",
        "uint32",
        "uint64",
        "float16",
        "float32",
        "float64",
    )
    return allowed + [type(np.dtype(name)) for name in numeric]


def _refusal(error: Exception) -> str:
    """What torch's weights-only unpickler refused, out of its multi-line message."""
    _, found, reason = str(error).partition("WeightsUnpickler error:")
    lines = [line.strip() for line in reason.splitlines() if line.strip()]
    return lines[0][:200] if found and lines else first_line(error, 160)


class ResumeError(RuntimeError):
    """A checkpoint that --resume may not load; the message names it."""


def resolve_config(config: str | Path) -> Path:
    """A config path, or the name of a shipped config (``rdmc-s`` -> configs/rdmc_s.py,
    ``equal-budget/prenet`` -> configs/equal_budget/prenet.py)."""
    path = Path(config)
    if path.is_file():
        return path
    shipped = CONFIG_DIR / f"{str(config).replace('-', '_')}.py"
    if shipped.is_file():
        return shipped
    names = sorted(
        str(p.relative_to(CONFIG_DIR).with_suffix("")).replace("_", "-")
        for p in CONFIG_DIR.rglob("*.py")
        if not p.name.startswith("_") and "_base_" not in p.parts
    )
    raise FileNotFoundError(f"{config}: no such config file or shipped config ({', '.join(names)})")


def fill_placeholders(cfg: Config, overrides: dict, config: str | Path) -> None:
    """A config's top-level ``name = "{name}"`` is a value the user must give
    (``--cfg-options name=VALUE``); every ``"{name}"`` inside other strings becomes it."""
    names = [k for k, v in cfg.items() if isinstance(v, str) and v == "{" + k + "}"]
    missing = [n for n in names if n not in overrides]
    if missing:
        given = " ".join(f"{n}=..." for n in missing)
        raise ValueError(f"{config}: needs --cfg-options {given}")
    values = {"{" + n + "}": str(overrides[n]) for n in names}

    def fill(node):
        if isinstance(node, str):
            for placeholder, value in values.items():
                node = node.replace(placeholder, value)
            return node
        if isinstance(node, dict):
            return {k: fill(v) for k, v in node.items()}
        if isinstance(node, list | tuple):
            return type(node)(fill(v) for v in node)
        return node

    if values:
        for key in list(cfg.keys()):
            cfg[key] = fill(cfg[key])


TRAINING_PRECISIONS = ("auto", "fp32", "bf16")
_OPTIM_WRAPPERS = {"fp32": "OptimWrapper", "bf16": "BF16OptimWrapper"}


def choose_precision(cfg: Config, precision: str, overrides: dict, config: str | Path) -> str:
    """The precision a run trains in, with the reason, and its optimizer wrapper set for it.

    - ``fp32`` / ``bf16``: as asked.
    - ``auto``: what ``--cfg-options optim_wrapper.type`` asks, else the config's own
      ``precision`` (the configs behind committed results pin the fp32 they were trained in),
      else bf16 on a CPU with bf16 units (AMX or AVX512-BF16; three seeds per path at
      300 iterations put bf16 within the seed spread of fp32, docs/performance.md), else fp32.
    """
    if precision not in TRAINING_PRECISIONS:
        raise ValueError(
            f"precision must be one of {', '.join(TRAINING_PRECISIONS)}, got {precision!r}"
        )
    wrapper = cfg.get("optim_wrapper", {})
    plain = wrapper.get("type") in _OPTIM_WRAPPERS.values() and "constructor" not in wrapper
    given = overrides.get("optim_wrapper.type")
    if precision != "auto" and given is not None:
        raise ValueError(
            f"{config}: give the precision once: --precision {precision} or "
            f"--cfg-options optim_wrapper.type={given}"
        )
    configured = wrapper.get("constructor") or wrapper.get("type")
    if precision == "auto":
        if given is not None or not plain:
            return f"as configured (optim_wrapper {configured})"
        if cfg.get("precision") in _OPTIM_WRAPPERS:
            precision, why = cfg.precision, "pinned by the config"
        elif not torch.cuda.is_available() and cpu_has_bf16():
            precision, why = "bf16", "auto: this CPU has bf16 units"
        else:
            precision, why = "fp32", "auto: no bf16 units on this CPU"
    else:
        if not plain:
            raise ValueError(
                f"{config}: --precision applies to a plain optim_wrapper; this config's is "
                f"{configured}: set it in the config"
            )
        why = "asked"
    cfg.optim_wrapper.type = _OPTIM_WRAPPERS[precision]
    return f"{precision} ({why})"


def build_runner(
    config: str | Path,
    work_dir: str | Path | None = None,
    resume: bool = False,
    precision: str = "auto",
    **overrides,
) -> Runner:
    cfg = Config.fromfile(resolve_config(config))
    fill_placeholders(cfg, overrides, config)
    cfg.merge_from_dict(overrides)
    cfg.training_precision = choose_precision(cfg, precision, overrides, config)
    cfg.work_dir = str(work_dir or cfg.get("work_dir") or Path("work_dirs") / Path(config).stem)
    distributed = int(os.environ.get("WORLD_SIZE", "1")) > 1
    cfg.launcher = "pytorch" if distributed else "none"
    cuda = torch.cuda.is_available()
    cfg.setdefault("env_cfg", {})
    cfg.env_cfg["dist_cfg"] = dict(backend="nccl" if cuda else "gloo")
    if distributed and "constructor" in cfg.get("optim_wrapper", {}):
        raise ValueError(
            f"{config}: the recruitment search trains in one process, not under torchrun"
        )
    if distributed:
        # Paths a recruitment mask leaves off are registered but get no gradient.
        cfg.model_wrapper_cfg = dict(type="MMDistributedDataParallel", find_unused_parameters=True)
    if distributed and not cuda:
        # mmengine's launcher calls torch.cuda.set_device, which a CPU-only torch lacks: start
        # the gloo process group here (torchrun set the env) and mmengine uses it as it is.
        if not torch.distributed.is_initialized():
            torch.distributed.init_process_group(backend="gloo")
        # mmengine passes device_ids=[LOCAL_RANK] by default, which DDP rejects for CPU modules.
        cfg.model_wrapper_cfg.update(device_ids=None, broadcast_buffers=False)
    cfg.resume = bool(resume)
    if resume:
        cfg.load_from = _resume_point(Path(cfg.work_dir))
    # mmengine names a run's logger and message hub "<experiment>_<time to the second>" and
    # reuses an existing instance of that name: a second run in this process within the
    # same second would write its log into the first run's file.
    later = next(_RUNNERS_BUILT)
    if later:
        cfg.experiment_name = f"{cfg.get('experiment_name') or Path(config).stem}-{later}"
    return Runner.from_cfg(cfg)


def _resume_point(work_dir: Path) -> str | None:
    """The checkpoint mmengine's ``last_checkpoint`` names or, when a kill left that file
    empty or naming a missing file, the newest ``iter_N.pth`` / ``epoch_N.pth`` itself."""
    named = find_latest_checkpoint(str(work_dir)) if work_dir.is_dir() else None
    if named and Path(named).is_file():
        return named
    saved = (
        [
            p
            for p in work_dir.glob("*_*.pth")
            if p.stem.split("_")[0] in ("iter", "epoch") and p.stem.split("_")[-1].isdigit()
        ]
        if work_dir.is_dir()
        else []
    )
    return str(max(saved, key=lambda p: int(p.stem.split("_")[-1]))) if saved else None


def train(
    config: str | Path,
    work_dir: str | Path | None = None,
    resume: bool = False,
    precision: str = "auto",
    **overrides,
) -> Path:
    """Trains and returns the work directory (holding best.pth and last.pth).
    ``precision``: see :func:`choose_precision`."""
    runner = build_runner(config, work_dir, resume, precision, **overrides)
    runner.logger.info(f"training precision: {runner.cfg.training_precision}")
    if not resume:
        runner.train()
        return Path(runner.work_dir)
    with torch.serialization.safe_globals(_resume_safe_globals()):
        try:
            runner.train()
        except pickle.UnpicklingError as e:
            raise ResumeError(
                f"{find_latest_checkpoint(runner.work_dir) or runner.work_dir}: refused to "
                "resume from it: it holds pickled objects other than mmengine's training "
                f"state ({_refusal(e)})"
            ) from e
    return Path(runner.work_dir)


@OPTIM_WRAPPERS.register_module()
class BF16OptimWrapper(OptimWrapper):
    """Mixed precision in bfloat16 on a CPU or a GPU: the forward pass runs under autocast
    (the loss itself in float32, see DerainModel). mmengine's AmpOptimWrapper does the same
    but only where CUDA is available; bf16 keeps float32's range, so no loss scaling."""

    @contextlib.contextmanager
    def optim_context(self, model: torch.nn.Module):
        from mmengine.runner.amp import autocast

        with super().optim_context(model), autocast(dtype=torch.bfloat16):
            yield


@HOOKS.register_module()
class ExportDerainerHook(Hook):
    """Writes ``last.pth`` after every validation and ``best.pth`` when ``metric`` improves,
    each as ``{"meta": {...}, "state_dict": ...}`` of the architecture alone."""

    priority = "LOW"

    def __init__(self, metric: str = "derain/psnr", name: str | None = None) -> None:
        self.metric = metric
        self.name = name

    def _export(self, runner: Runner, filename: str, metrics: dict) -> None:
        model = runner.model.module if is_model_wrapper(runner.model) else runner.model
        meta = {
            "arch": _plain(model.arch_cfg),
            "name": self.name or Path(runner.cfg.filename or "model").stem,
            "iter": runner.iter,
            "precision": "bf16" if isinstance(runner.optim_wrapper, BF16OptimWrapper) else "fp32",
            "metrics": {k: float(v) for k, v in metrics.items()},
        }
        state = {k: v.detach().cpu() for k, v in model.arch.state_dict().items()}
        save_checkpoint(Path(runner.work_dir) / filename, meta, state)

    def after_val_epoch(self, runner: Runner, metrics: dict | None = None) -> None:
        if not is_main_process() or not metrics:
            return
        self._export(runner, "last.pth", metrics)
        value = metrics.get(self.metric)
        best_path = Path(runner.work_dir) / "best.pth"
        best = -math.inf
        if best_path.is_file():
            best = torch.load(best_path, map_location="cpu", weights_only=True)["meta"][
                "metrics"
            ].get(self.metric, -math.inf)
        if value is not None and value > best:
            self._export(runner, "best.pth", metrics)


def _plain(value):
    """Config values as plain Python containers (safe for weights_only loading)."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value
