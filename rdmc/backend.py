"""Running a derainer through OpenVINO or ONNX Runtime instead of torch (``--backend``).

The network is converted once per input shape (OpenVINO's PyTorch frontend traces it; the
spatial shape of the converted graph is fixed) and the graph is kept in the user cache as
OpenVINO IR, keyed by the weights' SHA-256, the shape and OpenVINO's version: a rerun reads
it, without tracing. OpenVINO then runs it in f32 or, on a CPU with AVX512-BF16 or AMX,
bf16 (its ``INFERENCE_PRECISION_HINT``). openvino is an optional extra (``pip install
.[fast]``; setup.sh installs it).

``--backend auto`` (:func:`choose_backend`) times torch and OpenVINO at the asked precision
on a probe image and takes the faster one whose PSNR stays within 0.05 dB of torch fp32's
(torch fp32 if neither does); the probe is cached per machine, weights and versions.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import torch
from torch import nn

from rdmc.cache_dir import default_cache_dir
from rdmc.choices import BACKENDS
from rdmc.digests import sha256_chunks, sha256_text
from rdmc.imageio import write_bytes_atomic

__all__ = [
    "BACKENDS",
    "BackendUnavailable",
    "OnnxRuntimeRunner",
    "OpenVinoRunner",
    "choose_backend",
    "weights_digest",
]


class BackendUnavailable(ValueError):
    """A backend whose package is not installed; the message says how to install it."""


def _openvino():
    try:
        import openvino
    except ImportError as e:
        raise BackendUnavailable(
            "--backend openvino needs the openvino package: pip install 'rdmc[fast]' "
            "(bash setup.sh installs it)"
        ) from e
    return openvino


def _onnxruntime():
    try:
        import onnxruntime
    except ImportError as e:
        raise BackendUnavailable(
            "--backend onnxruntime needs the onnxruntime package: pip install 'rdmc[fast]' "
            "(bash setup.sh installs it)"
        ) from e
    return onnxruntime


def weights_digest(net: nn.Module) -> str:
    """SHA-256 over the network's class and every tensor of its state (buffers included:
    RDMC's path mask decides the traced graph)."""
    state = sorted(net.state_dict().items())
    return sha256_chunks(
        [type(net).__qualname__.encode()]
        + [
            chunk
            for name, tensor in state
            for chunk in (name.encode(), tensor.detach().cpu().contiguous().numpy().tobytes())
        ]
    )


class OpenVinoRunner:
    """Calls a derainer's network through OpenVINO: 1 x 3 x H x W in [0, 1] to its last
    stage's output, one converted graph per shape (cached on disk)."""

    def __init__(self, net: nn.Module, bf16: bool, cache_dir: Path | None = None) -> None:
        self.ov = _openvino()
        self.net = net
        self.hint = "bf16" if bf16 else "f32"
        self.key = weights_digest(net)[:16]
        self.folder = (cache_dir or default_cache_dir()) / "exported"
        self.core = self.ov.Core()
        self.compiled: dict[tuple[int, int], object] = {}

    @property
    def precision(self) -> str:
        return f"openvino-{self.hint}"

    def graph_path(self, height: int, width: int) -> Path:
        version = self.ov.__version__.split("-")[0]
        return self.folder / f"openvino-{version}-{self.key}-{height}x{width}.xml"

    def _model(self, x: torch.Tensor):
        path = self.graph_path(*x.shape[-2:])
        if path.is_file() and path.with_suffix(".bin").is_file():
            return self.core.read_model(path)
        with torch.no_grad():
            model = self.ov.convert_model(self.net, example_input=x)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.stem}.{os.getpid()}.xml")
        self.ov.save_model(model, tmp, compress_to_fp16=False)
        os.replace(tmp.with_suffix(".bin"), path.with_suffix(".bin"))  # the weights first:
        os.replace(tmp, path)  # an .xml on disk always has its .bin
        return model

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        shape = tuple(x.shape[-2:])
        if shape not in self.compiled:
            config = {"INFERENCE_PRECISION_HINT": self.hint, "PERFORMANCE_HINT": "LATENCY"}
            self.compiled[shape] = self.core.compile_model(self._model(x), "CPU", config)
        compiled = self.compiled[shape]
        result = compiled(np.ascontiguousarray(x.float().numpy()))
        return torch.from_numpy(np.asarray(result[compiled.outputs[-1]]).copy())


class OnnxRuntimeRunner:
    """Calls a derainer's network through ONNX Runtime (CPU, fp32): exported per input shape
    with torch's TorchScript-based ONNX exporter (opset 17; the dynamo exporter cannot
    follow RDMC's data-dependent path list) and cached as .onnx, keyed by the weights'
    SHA-256, the shape, and the torch and ONNX Runtime versions."""

    OPSET = 17

    def __init__(self, net: nn.Module, cache_dir: Path | None = None) -> None:
        self.ort = _onnxruntime()
        self.net = net
        self.key = weights_digest(net)[:16]
        self.folder = (cache_dir or default_cache_dir()) / "exported"
        self.sessions: dict[tuple[int, int], object] = {}

    @property
    def precision(self) -> str:
        return "onnxruntime-fp32"

    def graph_path(self, height: int, width: int) -> Path:
        versions = f"{self.ort.__version__}-torch{torch.__version__.split('+')[0]}"
        name = f"onnxruntime-{versions}-opset{self.OPSET}-{self.key}-{height}x{width}.onnx"
        return self.folder / name

    def _session(self, x: torch.Tensor):
        path = self.graph_path(*x.shape[-2:])
        if not path.is_file():
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_name(f".{path.stem}.{os.getpid()}.onnx")
            with torch.no_grad():
                torch.onnx.export(self.net, (x,), str(tmp), opset_version=self.OPSET, dynamo=False)
            os.replace(tmp, path)
        return self.ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        shape = tuple(x.shape[-2:])
        if shape not in self.sessions:
            self.sessions[shape] = self._session(x)
        session = self.sessions[shape]
        feed = {session.get_inputs()[0].name: np.ascontiguousarray(x.float().numpy())}
        return torch.from_numpy(np.asarray(session.run(None, feed)[-1]).copy())


# ---------------------------------------------------------------- auto

PROBE_SIZE = 256
FIDELITY_DB = 0.05  # a path's PSNR on the probe may differ from torch fp32's by this much


def machine_fingerprint() -> str:
    """The CPU model, its bf16 units and its core count: what a probe's timings hold for."""
    model, flags = "unknown", set()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            key, _, value = line.partition(":")
            if key.strip() == "model name":
                model = value.strip()
            elif key.strip() == "flags":
                flags = set(value.split())
    except OSError:
        pass
    units = sorted(flags & {"avx512_bf16", "amx_bf16", "avx512f", "avx2"})
    text = f"{model} {' '.join(units)} {os.cpu_count()}"
    return sha256_text(text)[:12]


def _probe_pair() -> tuple[np.ndarray, np.ndarray]:
    from rdmc.data.samples import sample_image
    from rdmc.rain import add_rain

    clean = sample_image("astronaut")[:PROBE_SIZE, :PROBE_SIZE]
    return add_rain(clean, "heavy", 3, 0).rainy, clean


def _median_ms(derainer, rainy: np.ndarray, rounds: int = 3) -> float:
    import time

    derainer(rainy)  # warm-up (and OpenVINO's conversion, cached for the real images' size)
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        derainer(rainy)
        times.append(time.perf_counter() - start)
    return 1000 * float(np.median(times))


def choose_backend(make, net: nn.Module, precision: str, cache_dir: Path | None = None) -> dict:
    """The fastest installed backend (torch and OpenVINO at ``precision``, ONNX Runtime at
    fp32) for this network on this CPU whose PSNR on a probe image (a rainy 256x256 crop of
    an embedded photo) is within 0.05 dB of torch fp32's; torch fp32 when none is.
    ``make(backend, precision)`` builds a Derainer. The probe's result is cached per
    machine fingerprint, weights and versions."""
    import json

    import torch as torch_module

    from rdmc.fidelity import PathRefused
    from rdmc.metrics import psnr

    candidates = [("torch", precision)]
    versions = [torch_module.__version__]
    others = (("openvino", _openvino, precision), ("onnxruntime", _onnxruntime, "fp32"))
    for backend, load, path_precision in others:
        try:
            versions.append(f"{backend}{load().__version__.split('-')[0]}")
            candidates.append((backend, path_precision))
        except BackendUnavailable:
            continue
    if len(candidates) == 1:
        return {"backend": "torch", "precision": precision, "why": "no other backend installed"}
    names = [machine_fingerprint(), weights_digest(net)[:16], precision, *versions]
    path = (cache_dir or default_cache_dir()) / "backend-probe" / f"{'-'.join(names)}.json"
    if path.is_file():
        return json.loads(path.read_text())
    rainy, clean = _probe_pair()
    reference = psnr(make("torch", "fp32")(rainy), clean)
    trials = []
    for backend, path_precision in candidates:
        try:
            derainer = make(backend, path_precision)
        except PathRefused:  # measured beyond the bar for this shipped model (rdmc.fidelity)
            continue
        change = psnr(derainer(rainy), clean) - reference
        ms = _median_ms(derainer, rainy)
        trials.append(
            {
                "backend": backend,
                "precision": path_precision,
                "path": derainer.precision,
                "ms": ms,
                "psnr_change": change,
            }
        )
    faithful = [t for t in trials if abs(t["psnr_change"]) <= FIDELITY_DB]
    best = min(faithful, key=lambda t: t["ms"]) if faithful else None
    choice = {
        "backend": best["backend"] if best else "torch",
        "precision": best["precision"] if best else "fp32",
    }
    shown = ", ".join(f"{t['path']} {t['ms']:.0f} ms ({t['psnr_change']:+.3f} dB)" for t in trials)
    choice["why"] = f"probe at {PROBE_SIZE}x{PROBE_SIZE}: {shown}"
    choice["trials"] = trials
    write_bytes_atomic(path, (json.dumps(choice, indent=1) + "\n").encode())
    return choice
