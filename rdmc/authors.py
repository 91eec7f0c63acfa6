"""The authors' released checkpoints (Jzy2017/DRNet: ``torch.save(model.state_dict())`` of
their ``UNet``) as an ``rdmc`` network.

Their state dict maps one to one onto ours (README's fidelity table): the same
tensors under other names. Their file holds no architecture parameters (a bug of
their release): the upsampling mix is then the even one, and the recruitment mask
is theirs by default (all paths off) or the ``mask`` their run used
(``skip_index``, flattened: ``[[a, b, c, d], [e, f, g, h]]`` -> ``[a, ..., h]``).
"""

from __future__ import annotations

import re

import torch

from rdmc.models.rdmc import PRESETS, RDMC

MARKER = "inc1.conv.0.op.0.weight"  # the first tensor of their UNet

_RENAMES = (
    (
        re.compile(r"^inc(\d)\.conv\.0\.op\.(.+)$"),
        lambda m: f"net.encoder.branches.{int(m[1]) - 1}.levels.0.0.{m[2]}",
    ),
    (
        re.compile(r"^down(\d)_(\d)\.mpconv\.1\.op\.(.+)$"),
        lambda m: f"net.encoder.branches.{int(m[1]) - 1}.levels.{m[2]}.1.{m[3]}",
    ),
    (re.compile(r"^up(\d)\.conv\.conv\.(.+)$"), lambda m: f"net.decoder.{4 - int(m[1])}.{m[2]}"),
    (re.compile(r"^outc\.conv\.(.+)$"), lambda m: f"net.head.{m[1]}"),
    (re.compile(r"^skip_down_0_1\.op\.(.+)$"), lambda m: f"net.recruit.paths.enc0_dec1.{m[1]}"),
    (
        re.compile(r"^skip_down_(\d)_(\d)\.op\.0\.1\.(.+)$"),
        lambda m: f"net.recruit.paths.enc{m[1]}_dec{m[2]}.1.{m[3]}",
    ),
    (
        re.compile(r"^skip_down_(\d)_(\d)\.op\.1\.(.+)$"),
        lambda m: f"net.recruit.paths.enc{m[1]}_dec{m[2]}.2.{m[3]}",
    ),
    (
        re.compile(r"^skip_up_(\d)_(\d)\.conv\.conv\.(.+)$"),
        lambda m: f"net.recruit.paths.enc{m[1]}_dec{m[2]}.conv.{m[3]}",
    ),
)


def is_authors_state_dict(state: object) -> bool:
    return isinstance(state, dict) and any(k.removeprefix("module.") == MARKER for k in state)


def our_name(theirs: str) -> str:
    """Our state-dict key for one of theirs (``module.`` of DataParallel dropped)."""
    name = theirs.removeprefix("module.")
    for pattern, rename in _RENAMES:
        match = pattern.match(name)
        if match:
            return rename(match)
    raise ValueError(f"{theirs!r} is not a tensor of the authors' UNet")


def from_authors_state_dict(state: dict, mask: list[bool] | None = None) -> RDMC:
    """The ``rdmc`` network holding the authors' weights (their released default mask unless
    ``mask`` is given)."""
    arch = dict(PRESETS["rdmc"], recruitment="searched", mask=mask)
    net = RDMC(**arch)
    ours = net.state_dict()
    converted = {our_name(k): v for k, v in state.items()}
    wrong = [k for k, v in converted.items() if k not in ours or ours[k].shape != v.shape]
    missing = [k for k in ours if k not in converted and not _architecture_entry(k)]
    if wrong or missing:
        example = (wrong or missing)[0]
        raise ValueError(
            f"not the authors' UNet at paper size ({len(wrong)} tensors do not fit, "
            f"{len(missing)} missing, e.g. {example})"
        )
    net.load_state_dict(converted, strict=False)
    return net.eval()


def _architecture_entry(key: str) -> bool:
    """What their file never holds: the upsampling mix, the path scalars, the mask."""
    return key in ("net.upsample.logits", "net.recruit.alphas", "net.recruit.mask")


def load_authors_checkpoint(path, mask: list[bool] | None = None) -> RDMC:
    state = torch.load(path, map_location="cpu", weights_only=True)
    if not is_authors_state_dict(state):
        raise ValueError(f"{path}: not a state dict of the authors' UNet (no {MARKER})")
    return from_authors_state_dict(state, mask)
