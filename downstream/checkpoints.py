"""Shared by the detection and segmentation wrappers: errors, checkpoint checks, quiet loading."""

from __future__ import annotations

import contextlib
import sys
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path

import torch

from rdmc.messages import first_line


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


def derived_checkpoint(target: Path, build: Callable[[], tuple[dict, dict]]) -> Path:
    """A checkpoint converted from verified registry files, kept in the cache with the SHA-256
    of its bytes beside it (``NAME.pth.sha256``). It is rebuilt with ``build() -> (meta,
    state_dict)`` when it is missing, when the digest is missing, or when the bytes no longer
    match (a truncated or altered file)."""
    from rdmc.checkpoint import save_checkpoint
    from rdmc.digests import sha256_of
    from rdmc.imageio import write_bytes_atomic

    digest_file = target.with_name(f"{target.name}.sha256")
    if target.is_file() and digest_file.is_file():
        if digest_file.read_text().strip() == sha256_of(target):
            return target
        print(
            f"warning: {target}: does not match its recorded SHA-256; rebuilding it",
            file=sys.stderr,
        )
    meta, state = build()
    save_checkpoint(target, meta, state)
    write_bytes_atomic(digest_file, sha256_of(target).encode())
    return target


def in_scope(scope: str) -> contextlib.AbstractContextManager:
    """mmdet and mmseg both build their pipelines in mmengine's *current* default scope; with
    a detector and a segmenter in one process, each call must name its own."""
    from mmengine.registry import DefaultScope

    return DefaultScope.overwrite_default_scope(scope)


def read_state_dict(checkpoint: Path) -> dict:
    """The tensors of a checkpoint, loaded with ``weights_only=True`` (a pickle that would
    run code is refused); one line naming the file when it is not a checkpoint."""
    try:
        state = torch.load(checkpoint, map_location="cpu", weights_only=True)
    except Exception as e:  # torch raises many kinds for a broken or foreign file
        pickled = "weights_only" in str(e)
        why = "it holds pickled objects, not only weights" if pickled else first_line(e, 120)
        raise DownstreamModelError(
            f"{checkpoint}: not a readable checkpoint ({type(e).__name__}: {why})"
        ) from e
    state = state.get("state_dict", state) if isinstance(state, dict) else None
    if not isinstance(state, dict):
        raise DownstreamModelError(f"{checkpoint}: not a checkpoint (no mapping of tensors)")
    return state


def check_checkpoint_fits(
    model: torch.nn.Module, state: dict, checkpoint: Path, config: Path
) -> None:
    """mmengine loads checkpoints non-strictly and only warns; a benchmark must not run a
    half-initialised model, so every parameter and buffer must be in the checkpoint's
    ``state`` (extra tensors are allowed)."""
    from rdmc.checkpoint import mismatched_tensors

    expected = {k: v for k, v in model.state_dict().items() if "num_batches_tracked" not in k}
    missing, _, wrong = mismatched_tensors(expected, state)
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
    embedded_checkpoint: Callable[[str], Path],
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
        config, checkpoint = embedded[name], checkpoint or embedded_checkpoint(name)
    else:
        if not Path(config).is_file():
            raise DownstreamModelError(f"{config}: no such {kind} config file")
        if checkpoint is None or not Path(checkpoint).is_file():
            raise DownstreamModelError(f"{checkpoint}: no such checkpoint file")
        name = name or Path(config).stem
    state = read_state_dict(Path(checkpoint))  # a foreign or pickled file stops here
    try:
        with quiet_openmmlab():
            model = init(str(config), str(checkpoint), device=device)
    except Exception as e:  # a user's config can fail in any way; say where, in one line
        first = first_line(e)
        raise DownstreamModelError(f"{checkpoint} with {config}: {first}") from e
    check_checkpoint_fits(model, state, Path(checkpoint), Path(config))
    return name, Path(config), Path(checkpoint), model
