"""Derainers from a user's mmengine config and checkpoint: the spec ``config:CONFIG:CHECKPOINT``
(a suite's ``{name, config, checkpoint}``; the scoreboard's ``LABEL=config:CONFIG:CHECKPOINT``).

The config's ``custom_imports`` register the user's network in rdmc's model registry, the
mmengine way (the config's folder is importable while it loads). Its ``model`` is an rdmc
training config's (``type="DerainModel"`` with the network in ``arch``) or the network
itself. The checkpoint is an export of `rdmc train` (``{"meta", "state_dict"}``) or a plain
state dict (an ``arch.`` prefix, as mmengine's runner saves the wrapped model, is dropped),
always read with ``weights_only=True``.
"""

from __future__ import annotations

import contextlib
import json
import sys
from collections.abc import Iterator
from pathlib import Path

from torch import nn

from rdmc.checkpoint import load_weights, read_checkpoint
from rdmc.code_digest import code_digest, content_hash
from rdmc.derainer_kinds import CONFIGURED
from rdmc.digests import sha256_of
from rdmc.messages import first_line
from rdmc.registry import build_model


def parse(spec: str) -> tuple[Path, Path]:
    """(config, checkpoint) of ``config:CONFIG:CHECKPOINT``; ValueError naming what is missing."""
    config, sep, checkpoint = spec.removeprefix(CONFIGURED).rpartition(":")
    if not sep or not config:
        raise ValueError(f"{spec}: expected config:CONFIG:CHECKPOINT")
    for path, what in ((config, "config"), (checkpoint, "checkpoint")):
        if not Path(path).is_file():
            raise ValueError(f"{path}: derainer {what} file does not exist")
    return Path(config), Path(checkpoint)


@contextlib.contextmanager
def _importable(folder: Path) -> Iterator[None]:
    sys.path.insert(0, str(folder))
    try:
        yield
    finally:
        sys.path.remove(str(folder))


def _load_config(config: Path):
    """The config, its custom imports done (registering the user's modules)."""
    from mmengine.config import Config

    with _importable(config.resolve().parent):
        try:
            return Config.fromfile(str(config))
        except Exception as e:  # a syntax error, a failed import, a missing base config
            raise ValueError(f"{config}: not a usable mmengine config ({first_line(e)})") from e


def _imports(cfg) -> tuple[str, ...]:
    return tuple(cfg.get("custom_imports", {}).get("imports", []))


def config_digest(config: Path) -> str:
    """What an mmengine config (a derainer's, a detector's, a segmenter's) makes a model
    from, for cache keys: its bytes, its settings with its ``_base_`` configs merged, and
    the code of its custom imports with everything they import. ValueError if it does not
    load."""
    cfg = _load_config(config)
    with _importable(config.resolve().parent):
        code = code_digest(_imports(cfg))
    settings = json.dumps(cfg.to_dict(), sort_keys=True, default=str)
    return content_hash(config.read_bytes(), settings, code)


def configured_fingerprint(spec: str) -> str:
    """The config's digest (:func:`config_digest`) and the checkpoint's SHA-256."""
    config, checkpoint = parse(spec)
    digest = content_hash(config_digest(config), sha256_of(checkpoint))
    return f"{config.name}+{checkpoint.name}:{digest}"


def configured_network(spec: str) -> tuple[nn.Module, dict]:
    """The network the config builds, with the checkpoint's weights, and its meta."""

    config, checkpoint = parse(spec)
    model = _load_config(config).get("model")
    if not isinstance(model, dict) or "type" not in model:
        raise ValueError(f"{config}: no 'model' with a 'type' to build")
    arch = model.get("arch") if model["type"] == "DerainModel" else model
    try:
        net = build_model(dict(arch))
    except (KeyError, TypeError, ValueError) as e:
        raise ValueError(f"{config}: cannot build {arch.get('type')!r} ({first_line(e)})") from e
    saved = read_checkpoint(checkpoint)
    state = saved.get("state_dict", saved) if isinstance(saved, dict) else saved
    if isinstance(state, dict):
        state = {k.removeprefix("arch."): v for k, v in state.items()}
    meta = saved.get("meta", {}) if isinstance(saved, dict) else {}
    return load_weights(net, state, checkpoint), {**meta, "arch": dict(arch), "config": str(config)}
