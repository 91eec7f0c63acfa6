"""Running a derainer through OpenVINO instead of torch (``--backend openvino``).

The network is converted once per input shape (OpenVINO's PyTorch frontend traces it; the
spatial shape of the converted graph is fixed) and the graph is kept in the user cache as
OpenVINO IR, keyed by the weights' SHA-256, the shape and OpenVINO's version: a rerun reads
it, without tracing. OpenVINO then runs it in f32 or, on a CPU with AVX512-BF16 or AMX,
bf16 (its ``INFERENCE_PRECISION_HINT``). openvino is an optional extra (``pip install
.[fast]``; setup.sh installs it).
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import numpy as np
import torch
from torch import nn

from rdmc.choices import BACKENDS
from rdmc.data.samples import default_cache_dir

__all__ = ["BACKENDS", "BackendUnavailable", "OpenVinoRunner", "weights_digest"]


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


def weights_digest(net: nn.Module) -> str:
    """SHA-256 over the network's class and every tensor of its state (buffers included:
    RDMC's path mask decides the traced graph)."""
    digest = hashlib.sha256(type(net).__qualname__.encode())
    for name, tensor in sorted(net.state_dict().items()):
        digest.update(name.encode())
        digest.update(tensor.detach().cpu().contiguous().numpy().tobytes())
    return digest.hexdigest()


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
