"""The values a user chooses on the command line (precisions, backends, rain presets and
severities, the pixel limit), in a module that imports nothing: building the CLI's parser
reads them, and `rdmc --help` must not wait for numpy, OpenCV or torch."""

from __future__ import annotations

from typing import NamedTuple

PRECISIONS = ("fp32", "bf16", "fp16", "auto")  # a derainer's, see rdmc.inference
# what runs a derainer's network, see rdmc.backend
BACKENDS = ("torch", "openvino", "onnxruntime", "auto")
PRESETS = ("light", "heavy", "rain1400")  # synthetic rain, see rdmc.rain
SEVERITIES = (1, 2, 3, 4, 5)


class RainSetting(NamedTuple):
    """A synthetic rain setting, written ``PRESET/sN`` (``light/s3``) everywhere: on the
    command line, in results records and in tables."""

    preset: str
    severity: int

    def __str__(self) -> str:
        return f"{self.preset}/s{self.severity}"

    @classmethod
    def parse(cls, text: str) -> RainSetting:
        """``PRESET/sN`` with any preset name; ValueError saying what is expected."""
        setting = cls.from_label(text)
        if setting is None:
            raise ValueError(f"{text!r}: expected PRESET/sN, e.g. light/s3")
        return setting

    @classmethod
    def from_label(cls, text: str) -> RainSetting | None:
        """The setting a record's ``rain`` names, or None for "none", a dataset's own rain
        (``Rain100H``) or a sweep label."""
        preset, sep, severity = text.partition("/s")
        if not sep or not preset or not severity.isdigit():
            return None
        return cls(preset, int(severity))

    def check(self) -> None:
        """ValueError unless the preset and severity are ones rdmc.rain makes."""
        if self.preset not in PRESETS or self.severity not in SEVERITIES:
            raise ValueError(f"{self}: unknown rain setting (presets {', '.join(PRESETS)}, s1-s5)")


DEFAULT_MAX_PIXELS = 100_000_000  # images above it are refused from their header (imageio)
