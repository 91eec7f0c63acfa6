"""Shared by the detection and segmentation wrappers: errors, checkpoint checks, quiet loading."""

from __future__ import annotations

import contextlib
import sys
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path

import torch


class DownstreamModelError(ValueError):
    """An unknown model, a missing file or a checkpoint that does not fit its config."""


@contextlib.contextmanager
def quiet_openmmlab() -> Iterator[None]:
    """mmengine prints checkpoint loading to stdout and mmdet/mmseg warn about missing class
    names; keep stdout clean for --json output (messages go to stderr)."""
    with contextlib.redirect_stdout(sys.stderr), warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="checkpoint is None")
        warnings.filterwarnings("ignore", message="dataset_meta or class names are not saved")
        yield


def in_scope(scope: str) -> contextlib.AbstractContextManager:
    """mmdet and mmseg both build their pipelines in mmengine's *current* default scope; with
    a detector and a segmenter in one process, each call must name its own."""
    from mmengine.registry import DefaultScope

    return DefaultScope.overwrite_default_scope(scope)


def check_checkpoint_fits(model: torch.nn.Module, checkpoint: Path, config: Path) -> None:
    """mmengine loads checkpoints non-strictly and only warns; a benchmark must not run a
    half-initialised model, so every parameter and buffer must be in the checkpoint."""
    try:
        state = torch.load(checkpoint, map_location="cpu", weights_only=True)
    except Exception as e:  # torch raises many kinds for a broken or foreign file
        raise DownstreamModelError(f"{checkpoint}: not a readable checkpoint ({e})") from e
    state = state.get("state_dict", state)
    expected = {k: v.shape for k, v in model.state_dict().items() if "num_batches_tracked" not in k}
    missing = [k for k in expected if k not in state]
    wrong = [k for k in expected if k in state and tuple(state[k].shape) != tuple(expected[k])]
    if missing or wrong:
        example = (missing or wrong)[0]
        raise DownstreamModelError(
            f"{checkpoint}: does not fit {config.name} ({len(missing)} missing and "
            f"{len(wrong)} mis-shaped tensors, e.g. {example})"
        )


def load_openmmlab_model(
    kind: str,
    name: str | None,
    config: str | Path | None,
    checkpoint: str | Path | None,
    embedded: dict[str, Path],
    embedded_checkpoint: Callable[[], Path],
    init: Callable,
    device: str,
) -> tuple[str, Path, Path, torch.nn.Module]:
    """Resolves an embedded model by name, or a user's config + checkpoint, and loads it with
    ``init`` (mmdet's init_detector or mmseg's init_model), refusing checkpoints that do not fit.

    Returns (name, config, checkpoint, model)."""
    if config is None:
        name = name or next(iter(embedded))
        if name not in embedded:
            raise DownstreamModelError(f"unknown {kind} {name!r}; embedded: {', '.join(embedded)}")
        config, checkpoint = embedded[name], checkpoint or embedded_checkpoint()
    else:
        if not Path(config).is_file():
            raise DownstreamModelError(f"{config}: no such {kind} config file")
        if checkpoint is None or not Path(checkpoint).is_file():
            raise DownstreamModelError(f"{checkpoint}: no such checkpoint file")
        name = name or Path(config).stem
    try:
        with quiet_openmmlab():
            model = init(str(config), str(checkpoint), device=device)
    except (RuntimeError, KeyError, ValueError) as e:
        first = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        raise DownstreamModelError(f"{checkpoint} with {config}: {first[:200]}") from e
    check_checkpoint_fits(model, Path(checkpoint), Path(config))
    return name, Path(config), Path(checkpoint), model
