"""The values a user chooses on the command line (precisions, backends, rain presets and
severities, the pixel limit), in a module that imports nothing: building the CLI's parser
reads them, and `rdmc --help` must not wait for numpy, OpenCV or torch."""

from __future__ import annotations

PRECISIONS = ("fp32", "bf16", "fp16", "auto")  # a derainer's, see rdmc.inference
BACKENDS = (
    "torch",
    "openvino",
    "onnxruntime",
    "auto",
)  # what runs a derainer's network, see rdmc.backend
PRESETS = ("light", "heavy", "rain1400")  # synthetic rain, see rdmc.rain
SEVERITIES = (1, 2, 3, 4, 5)
DEFAULT_MAX_PIXELS = 100_000_000  # images above it are refused from their header (imageio)
