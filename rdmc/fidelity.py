"""Which inference paths keep each shipped model's output, and the refusal of those that do not.

A path (torch bf16, torch.compile, OpenVINO f32/bf16, ONNX Runtime) is faithful for a model
when its mean PSNR on the fidelity images stays within :data:`FIDELITY_DB` of torch fp32's.
The images are the centre 256x256 crops of 8 photos of the embedded test split under light
and heavy rain at severity 3 (16 pairs; one size, so a compiled or converted graph is built
once). :data:`MEASURED` holds the change of every path of every shipped checkpoint, keyed by
the checkpoint's SHA-256, as ``python -m rdmc.fidelity`` measured it (machine in
:data:`MEASURED_ON`); a new checkpoint needs a new measurement, and the slow test
(``tests/test_fidelity.py``) measures them again and fails if a verdict changed.
:func:`check_path` refuses a path beyond the bar for that model in one line.
"""

from __future__ import annotations

import argparse
import json
import sys

import numpy as np

FIDELITY_DB = 0.05

# path name (Derainer.precision) -> (backend, precision, compile)
PATHS = {
    "bf16+channels-last": ("torch", "bf16", False),
    "fp32+compiled": ("torch", "fp32", True),
    "bf16+channels-last+compiled": ("torch", "bf16", True),
    "openvino-f32": ("openvino", "fp32", False),
    "openvino-bf16": ("openvino", "bf16", False),
    "onnxruntime-fp32": ("onnxruntime", "fp32", False),
}
PHOTOS = (
    "astronaut",
    "cameraman",
    "chelsea",
    "coffee",
    "grace_hopper",
    "building",
    "cups",
    "messi",
)
CROP = 256

MEASURED_ON = (
    "Intel Xeon Processor (AMX, avx512_bf16), 2 cores; torch 2.13, OpenVINO 2026.4.1, "
    "ONNX Runtime 1.31.1"
)
# checkpoint SHA-256 -> {path: mean PSNR change against torch fp32 in dB, or None where the
# path's output was not finite (a compiled graph that falls back to eager)}
MEASURED: dict[str, dict[str, float | None]] = {
    # rdmc-s
    "27c60dbe0fdd2f3efdef4da440d5034d86348247f9467e0ee88108f43a3120a5": {
        "bf16+channels-last": 0.0149,
        "fp32+compiled": 0.0,
        "bf16+channels-last+compiled": 0.0073,
        "openvino-f32": 0.0,
        "openvino-bf16": 0.0081,
        "onnxruntime-fp32": 0.0,
    },
    # rdmc-se-s
    "b3f0a8eca4830522f193354a312b23bb4dfc0cbee47274eeb1d37f3c95ce0109": {
        "bf16+channels-last": 0.0005,
        "fp32+compiled": 0.0,
        "bf16+channels-last+compiled": -0.0003,
        "openvino-f32": 0.0,
        "openvino-bf16": 0.0025,
        "onnxruntime-fp32": 0.0,
    },
    # prenet
    "e036d2622be1b1de41940b238294a4c17464b1bc606ffd3299872ba57ff7873f": {
        "bf16+channels-last": -0.0627,
        "fp32+compiled": 0.0,
        "bf16+channels-last+compiled": -0.0639,
        "openvino-f32": 0.0,
        "openvino-bf16": -0.057,
        "onnxruntime-fp32": 0.0,
    },
    # restormer-lite
    "287e74c06a95532bd87d5c1ea40c53c120d50e1920864cf7220a3b3d2777b6b8": {
        "bf16+channels-last": 0.0066,
        "fp32+compiled": 0.0,
        "bf16+channels-last+compiled": 0.0057,
        "openvino-f32": 0.0,
        "openvino-bf16": 0.0069,
        "onnxruntime-fp32": 0.0,
    },
}


class PathRefused(ValueError):
    """An inference path that moves a shipped model's PSNR beyond the bar; says which."""


def check_path(name: str, sha256: str, path: str) -> None:
    """Raises :class:`PathRefused` when ``path`` was measured beyond the bar for this
    checkpoint. Paths and checkpoints not in :data:`MEASURED` pass: the bar is measured for
    the shipped weights; ``--backend auto`` probes any other network itself."""
    measured = MEASURED.get(sha256, {})
    if path not in measured:
        return
    change = measured[path]
    if change is None:
        raise PathRefused(
            f"{name}: the {path} path is refused for this model: its output on the embedded "
            "test split is not finite (NaN); use --precision fp32 or leave out --compile"
        )
    if abs(change) > FIDELITY_DB:
        raise PathRefused(
            f"{name}: the {path} path is refused for this model: it moves PSNR on the "
            f"embedded test split by {change:+.3f} dB, beyond {FIDELITY_DB} dB of torch fp32; "
            "use --precision fp32 or another --backend"
        )


def fidelity_pairs() -> list[tuple[np.ndarray, np.ndarray]]:
    """(rainy, clean) centre crops of :data:`PHOTOS` at light and heavy rain, severity 3."""
    from rdmc.data.datasets import to_rgb_uint8
    from rdmc.data.samples import sample_split
    from rdmc.imageio import list_images, read_image
    from rdmc.rain import add_rain, seed_for

    pairs = []
    for path in [p for p in list_images(sample_split("test")) if p.stem in PHOTOS]:
        clean = to_rgb_uint8(read_image(path))
        top, left = (clean.shape[0] - CROP) // 2, (clean.shape[1] - CROP) // 2
        clean = np.ascontiguousarray(clean[top : top + CROP, left : left + CROP])
        for preset in ("light", "heavy"):
            pairs.append((add_rain(clean, preset, 3, seed_for(path.name, 0)).rainy, clean))
    return pairs


def mean_psnr(derainer, pairs: list[tuple[np.ndarray, np.ndarray]]) -> float:
    from rdmc.metrics import psnr

    return float(np.mean([psnr(derainer(rainy), clean) for rainy, clean in pairs]))


def measure(models: list[str], paths: list[str]) -> dict[str, dict[str, float | None]]:
    """The PSNR change of each path against torch fp32 for zoo checkpoints, by name. The
    torch paths run first: a process that has run OpenVINO must not fork (compile workers)."""
    from rdmc.zoo import load_derainer

    pairs = fidelity_pairs()
    references = {
        name: mean_psnr(load_derainer(name, tile=None, precision="fp32", check=False), pairs)
        for name in models
    }
    changes: dict[str, dict[str, float | None]] = {name: {} for name in models}
    for path in sorted(paths, key=lambda p: PATHS[p][0] != "torch"):
        backend, precision, compile = PATHS[path]
        for name in models:
            derainer = load_derainer(
                name, tile=None, precision=precision, compile=compile, backend=backend, check=False
            )
            value = mean_psnr(derainer, pairs)
            # A compiled graph whose output is not finite falls back to eager: not this path.
            change = round(value - references[name], 4) if derainer.precision == path else None
            changes[name][path] = change
            print(f"{name} {path}: {change} dB", file=sys.stderr, flush=True)
    return changes


def main(argv: list[str] | None = None) -> int:
    from rdmc.zoo import CHECKPOINTS

    parser = argparse.ArgumentParser(
        prog="python -m rdmc.fidelity",
        description="Measures the PSNR change of every inference path of the shipped models "
        "against torch fp32 and prints it as JSON (the MEASURED table).",
    )
    parser.add_argument("--models", nargs="+", default=list(CHECKPOINTS), choices=CHECKPOINTS)
    parser.add_argument("--paths", nargs="+", default=list(PATHS), choices=PATHS)
    args = parser.parse_args(argv)
    changes = measure(args.models, args.paths)
    table = {CHECKPOINTS[name].sha256: changes[name] for name in args.models}
    print(json.dumps(table, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
