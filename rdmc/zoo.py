"""The model zoo: architectures by name, trained checkpoints with checksums.

``load_derainer`` accepts a zoo checkpoint name or a local checkpoint file
(``{"meta": {"arch": ...}, "state_dict": ...}``, as ``rdmc train`` writes, or
the authors' released UNet state dict, see rdmc/authors.py).
Shipped checkpoints live in ``rdmc/checkpoints/`` and are verified by SHA-256
before use.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path

from torch import nn

from rdmc.authors import from_authors_state_dict, is_authors_state_dict
from rdmc.checkpoint import (
    ZooError,
    load_weights,
    read_checkpoint,
)
from rdmc.configured import configured_fingerprint, configured_network
from rdmc.derainer_kinds import DERAINER_KINDS, DerainerKind, prefixed_kind
from rdmc.digests import sha256_of
from rdmc.fidelity import PathRefused, check_path
from rdmc.inference import Derainer
from rdmc.messages import first_line
from rdmc.models.rdmc import PRESETS
from rdmc.models.rdmc_se import SMALL as SE_SMALL
from rdmc.registry import build_model

CHECKPOINT_DIR = Path(__file__).parent / "checkpoints"


@dataclass(frozen=True)
class Architecture:
    name: str
    arch: dict
    description: str


@dataclass(frozen=True)
class Checkpoint:
    name: str
    file: str  # inside rdmc/checkpoints/
    sha256: str
    description: str
    config: str  # the shipped config that trains it: `rdmc train CONFIG`
    log: str  # its training log, inside rdmc/checkpoints/
    resaved_from: tuple[str, ...] = ()  # SHA-256 of earlier files of the same weights

    @property
    def model_id(self) -> str:
        """``NAME@SHA7``: changes whenever the weights do (``rdmc-s@27c60db``)."""
        return f"{self.name}@{self.sha256[:7]}"


ARCHITECTURES = {
    "rdmc": Architecture(
        "rdmc",
        dict(type="RDMC", **PRESETS["rdmc"]),
        "RDMC as the authors' code (Jzy2017/DRNet): widths 32-256, 3 branches, T=3",
    ),
    "rdmc-s": Architecture(
        "rdmc-s",
        dict(type="RDMC", **PRESETS["rdmc-s"]),
        "RDMC, small: the same structure at widths 8-32",
    ),
    "rdmc-se-s": Architecture(
        "rdmc-se-s",
        dict(type="RDMCSE", **SE_SMALL),
        "RDMC-SE (ours): SE-gated encoder skips, full-width decoder",
    ),
    "prenet": Architecture(
        "prenet", dict(type="PReNet"), "PReNet (Ren et al. 2019): recurrent, T=6, 32 channels"
    ),
    "restormer-lite": Architecture(
        "restormer-lite",
        dict(type="RestormerLite"),
        "Restormer (Zamir et al. 2022) reduced to 1 M parameters: transposed attention, 3 levels",
    ),
}

# Derainers without weights, and what stands for a digest in their fingerprints.
NO_WEIGHTS = "no-weights"
NON_LEARNED = {
    "identity": dict(type="Identity"),
    "guided-filter": dict(type="GuidedFilterDerain"),
}
NON_LEARNED_DESCRIPTIONS = {
    "identity": "no deraining: the rainy lower bound",
    "guided-filter": "classical: guided filter on a morphological guidance image",
}

# Trained checkpoints shipped with the package. rdmc-s, prenet and restormer-lite are the
# retraining runs of reports/studies/retrain/ (train_retrain.py on one NVIDIA H200: the
# 65-photo train split, 1500 iterations each, two seeds per method; the seed with the better
# validation PSNR on heavy and light rain together ships: prenet seed 1, restormer-lite
# seed 0, and rdmc-s seed 1 of the light-rain recipe retrain/rdmc-s-identity-light-mix,
# which beat the base recipe's seeds on validation). rdmc-se-s is its CPU run's last
# checkpoint (1500 iterations on the 7-photo train split of its day): on the val split it did better
# than its best.pth on light and heavy rain together (+0.52 / +1.46 dB heavy / light against
# +0.79 / +0.92).
CHECKPOINTS: dict[str, Checkpoint] = {
    "rdmc-s": Checkpoint(
        "rdmc-s",
        "rdmc_s.pth",
        "27c60dbe0fdd2f3efdef4da440d5034d86348247f9467e0ee88108f43a3120a5",
        "RDMC-S (the authors' structure), `rdmc train retrain/rdmc-s-identity-light-mix` seed 1 "
        "on one H200 (resumed once at iteration 1125), iteration 1500 of 1500",
        "retrain/rdmc-s-identity-light-mix",
        "rdmc_s.train.log",
    ),
    "rdmc-se-s": Checkpoint(
        "rdmc-se-s",
        "rdmc_se_s.pth",
        "b3f0a8eca4830522f193354a312b23bb4dfc0cbee47274eeb1d37f3c95ce0109",
        "RDMC-SE-S, `rdmc train rdmc-se-s`, iteration 1500 of 1500 (named rdmc-s until the "
        "preset became the authors' network; docs/models.md)",
        "rdmc-se-s",
        "rdmc_se_s.train.log",
        # saved as rdmc-s before the architecture's rename (meta["former_sha256"])
        ("c9a6a332bf3d15ee881bff62d82764deeeb4c6eab0c53a21def7ba65e4ba11a5",),
    ),
    "prenet": Checkpoint(
        "prenet",
        "prenet.pth",
        "e036d2622be1b1de41940b238294a4c17464b1bc606ffd3299872ba57ff7873f",
        "PReNet at rdmc-s's equal budget, `rdmc train retrain/prenet` seed 1 on one H200, "
        "iteration 1500 of 1500",
        "retrain/prenet",
        "prenet.train.log",
    ),
    "restormer-lite": Checkpoint(
        "restormer-lite",
        "restormer_lite.pth",
        "287e74c06a95532bd87d5c1ea40c53c120d50e1920864cf7220a3b3d2777b6b8",
        "Restormer-lite at rdmc-s's equal budget, `rdmc train retrain/restormer-lite` seed 0 on "
        "one H200, iteration 1500 of 1500",
        "retrain/restormer-lite",
        "restormer_lite.train.log",
    ),
}


def derainer_kind(spec: str | Path) -> DerainerKind:
    """The kind of derainer a spelling names (rdmc.derainer_kinds); ZooError if none."""
    key = str(spec)
    prefixed = prefixed_kind(key)
    if prefixed is not None:
        return prefixed
    if key in NON_LEARNED:
        return DERAINER_KINDS["weight-free"]
    if key in CHECKPOINTS:
        return DERAINER_KINDS["zoo"]
    if Path(key).is_file():
        return DERAINER_KINDS["checkpoint"]
    if key in ARCHITECTURES:
        raise ZooError(
            f"{key} is an architecture with no trained checkpoint in the zoo yet; "
            f"train one with `rdmc train {key}` and pass its best.pth"
        )
    known = ", ".join(dict.fromkeys([*NON_LEARNED, *CHECKPOINTS, *ARCHITECTURES]))
    raise ZooError(f"{key}: neither a zoo model ({known}) nor a checkpoint file")


def model_id(fingerprint: str, name: str) -> str:
    """A derainer's id, ``NAME@SHA7``, from its fingerprint: a shipped checkpoint's own id
    when the weights are one's (under any earlier file too), the bare name of a weight-free
    one, else ``name`` (its training run's or its row's) with the weights' SHA-256."""
    fingerprint_name, _, digest = fingerprint.rpartition(":")
    if digest == NO_WEIGHTS:
        return fingerprint_name
    for checkpoint in CHECKPOINTS.values():
        if digest in (checkpoint.sha256, *checkpoint.resaved_from):
            return checkpoint.model_id
    return f"{name.replace('_', '-')}@{digest[:7]}"


def _runs_here(key: str, kind: DerainerKind) -> None:
    if not kind.runs_here:
        raise ZooError(
            f"{key}: a method's outputs are scored, not run: give it to `rdmc scoreboard` or "
            "to a suite"
        )


def derainer_fingerprint(name_or_path: str | Path) -> str:
    """What identifies a derainer's weights: the name of a weight-free one, else a SHA-256."""
    key = str(name_or_path)
    kind = derainer_kind(key)
    _runs_here(key, kind)
    return FINGERPRINTS[kind.name](key)


def recruitment_summary(arch: dict, state: dict | None = None) -> str:
    """How an RDMC configuration recruits across levels, and with a state dict which paths
    its mask keeps ("-" for other architectures)."""
    if arch.get("type") == "RDMCSE":
        return f"{arch.get('recruitment', 'dynamic')} (SE gates on the encoder skips)"
    if arch.get("type") != "RDMC":
        return "-"
    mode = arch.get("recruitment", "searched")
    mask = state.get("net.recruit.mask") if state else None
    if mode == "none" or mask is None:
        return mode
    from rdmc.models.rdmc import path_names

    names = path_names(len(arch["widths"]))
    kept = [name for name, on in zip(names, mask.tolist(), strict=True) if on]
    if len(kept) in (0, len(names)):
        return f"{mode} ({'all' if kept else 'none'} of the {len(names)} paths on)"
    return f"{mode} ({len(kept)} of {len(names)} paths on: {', '.join(kept)})"


def build_architecture(name: str) -> nn.Module:
    if name not in ARCHITECTURES:
        raise ZooError(f"unknown architecture {name!r}; known: {', '.join(ARCHITECTURES)}")
    return build_model(dict(ARCHITECTURES[name].arch))


def shipped_recruitment(name: str) -> str:
    """Which recruitment a shipped checkpoint uses and which paths its mask keeps."""
    saved = read_checkpoint(checkpoint_path(name))
    return recruitment_summary(saved["meta"]["arch"], saved["state_dict"])


def load_checkpoint(path: str | Path) -> tuple[nn.Module, dict]:
    """The network stored in a ``{"meta", "state_dict"}`` checkpoint, and its meta."""
    path = Path(path)
    checkpoint = read_checkpoint(path)
    if is_authors_state_dict(checkpoint):
        try:
            net = from_authors_state_dict(checkpoint)
        except ValueError as e:
            raise ZooError(f"{path}: {e}") from e
        return net, {
            "arch": dict(type="RDMC", **PRESETS["rdmc"]),
            "source": "the authors' released UNet (Jzy2017/DRNet)",
        }
    if (
        not isinstance(checkpoint, dict)
        or "state_dict" not in checkpoint
        or "meta" not in checkpoint
    ):
        raise ZooError(f"{path}: not an rdmc checkpoint (expected 'meta' and 'state_dict')")
    arch = checkpoint["meta"].get("arch")
    if not isinstance(arch, dict) or "type" not in arch:
        raise ZooError(f"{path}: checkpoint meta has no architecture ('arch')")
    try:
        net = build_model(dict(arch))
    except (KeyError, TypeError, ValueError) as e:
        first = first_line(e)
        raise ZooError(f"{path}: cannot build its architecture {arch['type']!r} ({first})") from e
    return load_weights(net, checkpoint["state_dict"], path), checkpoint["meta"]


def checkpoint_path(name: str) -> Path:
    entry = CHECKPOINTS[name]
    path = CHECKPOINT_DIR / entry.file
    if not path.is_file():
        raise ZooError(f"{name}: checkpoint file {path} is missing from the installation")
    actual = sha256_of(path)
    if actual != entry.sha256:
        raise ZooError(f"{path}: SHA-256 {actual} does not match the zoo's {entry.sha256}")
    return path


def load_derainer(
    name_or_path: str | Path,
    device: str = "cpu",
    tile: int | str | None = "auto",
    tile_overlap: int | None = None,
    precision: str = "fp32",
    compile: bool = False,
    backend: str = "torch",
    check: bool = True,
) -> Derainer:
    """A ready :class:`Derainer` from a zoo name, a checkpoint file, or a user's config and
    checkpoint (``config:CONFIG:CHECKPOINT``, see :mod:`rdmc.configured`); ``backend``:
    "torch", "openvino", "onnxruntime", or "auto": the fastest whose output stays within
    0.05 dB of torch fp32, from a probe cached per machine (see :mod:`rdmc.backend`).
    A path measured beyond that bar for a shipped model is refused (:mod:`rdmc.fidelity`;
    ``check=False`` skips this, to measure it), except that ``precision="auto"`` steps down
    to fp32."""
    key = str(name_or_path)
    kind = derainer_kind(key)
    _runs_here(key, kind)
    net, meta = NETWORKS[kind.name](key)

    def make(backend: str, precision: str) -> Derainer:
        derainer = Derainer(
            net,
            device,
            tile,
            tile_overlap,
            precision,
            name=key,
            meta=meta,
            compile=compile,
            backend=backend,
        )
        if check and key in CHECKPOINTS:
            check_path(key, CHECKPOINTS[key].sha256, derainer.precision)
        return derainer

    if backend != "auto":
        try:
            return make(backend, precision)
        except PathRefused:
            if precision != "auto":
                raise
        # --precision auto means the fastest faithful one: fp32 where bf16 is refused
        derainer = make(backend, "fp32")
        print(
            f"precision auto: {derainer.precision} for {key} (bf16 is refused for it: "
            "rdmc.fidelity)",
            file=sys.stderr,
        )
        return derainer
    if device != "cpu" or compile:
        return make("torch", precision)  # OpenVINO runs on the CPU and does not compile
    from rdmc.backend import choose_backend

    choice = choose_backend(make, net, precision)
    derainer = make(choice["backend"], choice["precision"])
    print(f"backend auto: {derainer.precision} for {key} ({choice['why']})", file=sys.stderr)
    return derainer


# How each kind of derainer that runs here is built and identified (rdmc.derainer_kinds).
NETWORKS = {
    "weight-free": lambda key: (build_model(dict(NON_LEARNED[key])), {}),
    "zoo": lambda key: load_checkpoint(checkpoint_path(key)),
    "configured": configured_network,
    "checkpoint": load_checkpoint,
}
FINGERPRINTS = {
    "weight-free": lambda key: f"{key}:{NO_WEIGHTS}",
    "zoo": lambda key: f"{key}:{CHECKPOINTS[key].sha256}",
    "configured": configured_fingerprint,
    "checkpoint": lambda key: f"{Path(key).name}:{sha256_of(Path(key))}",
}
