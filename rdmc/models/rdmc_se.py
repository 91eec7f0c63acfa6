"""RDMC-SE: our former reading of RDMC, kept as a named architecture of its own.

Before the network was checked against the authors' released code (README's
fidelity table), ``rdmc`` was this: the same multi-scale encoder and recursion,
but cross-level recruitment on the *encoder* skips (every level takes in the next
finer level by a strided conv and the next coarser by upsample + conv, each
weighted per image by SE-style gates from globally pooled features), a decoder at
the full concatenated width (1x1 reduction, then the learned bilinear/bicubic
mix, then two convs) and a 3x3 head. The global pooling of its gates gives every
level a view of the whole image, which the authors' network lacks; its shipped
checkpoint ``rdmc-se-s`` is the derainer that measured best on light and unseen
rain (README), so it stays the default of ``rdmc derain``.

Inputs of any size are padded (reflection) to a multiple of 16 and cropped back.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn

from rdmc.models.interpolation import resize
from rdmc.models.rdmc import MixedUpsample, pad_to_multiple
from rdmc.registry import MODELS

RECRUITMENT_MODES = ("dynamic", "static", "none")
NORMS = ("bn", "none")
# The small size the shipped checkpoint has (1.04 M parameters).
SMALL = dict(widths=(8, 16, 24, 32, 32), dilations=(1, 2, 3), stages=3)


class ConvNormReLU(nn.Sequential):
    """conv3x3, then BatchNorm (``norm="bn"``, the paper's) or nothing (``"none"``), then ReLU."""

    def __init__(
        self, c_in: int, c_out: int, dilation: int = 1, stride: int = 1, norm: str = "bn"
    ) -> None:
        bn = norm == "bn"
        conv = nn.Conv2d(c_in, c_out, 3, stride, padding=dilation, dilation=dilation, bias=not bn)
        super().__init__(conv, *([nn.BatchNorm2d(c_out)] if bn else []), nn.ReLU(inplace=True))


class EncoderBranch(nn.Module):
    """One dilation's encoder: five levels of (pool), conv3x3, dilated conv3x3."""

    def __init__(self, c_in: int, widths: Sequence[int], dilation: int, norm: str) -> None:
        super().__init__()
        levels = []
        for i, width in enumerate(widths):
            levels.append(
                nn.Sequential(
                    nn.MaxPool2d(2) if i > 0 else nn.Identity(),
                    ConvNormReLU(c_in, width, norm=norm),
                    ConvNormReLU(width, width, dilation=dilation, norm=norm),
                )
            )
            c_in = width
        self.levels = nn.ModuleList(levels)

    def forward(self, x: torch.Tensor) -> list[torch.Tensor]:
        features = []
        for level in self.levels:
            x = level(x)
            features.append(x)
        return features


class MultiScaleEncoder(nn.Module):
    """Parallel branches with different dilations, concatenated level by level."""

    def __init__(
        self, c_in: int, widths: Sequence[int], dilations: Sequence[int], norm: str
    ) -> None:
        super().__init__()
        self.branches = nn.ModuleList(EncoderBranch(c_in, widths, d, norm) for d in dilations)

    def forward(self, x: torch.Tensor) -> list[torch.Tensor]:
        per_branch = [branch(x) for branch in self.branches]
        return [torch.cat(level, dim=1) for level in zip(*per_branch, strict=True)]


class CrossLevelRecruitment(nn.Module):
    """Level l's features plus gated paths recruited from levels l-1 (finer) and l+1 (coarser)."""

    def __init__(
        self,
        channels: int,
        finer: int | None,
        coarser: int | None,
        mode: str,
        norm: str = "bn",
        reduction: int = 4,
    ) -> None:
        super().__init__()
        if mode not in RECRUITMENT_MODES:
            raise ValueError(f"recruitment must be one of {RECRUITMENT_MODES}, got {mode!r}")
        self.mode = mode
        self.from_finer = (
            ConvNormReLU(finer, channels, stride=2, norm=norm) if finer and mode != "none" else None
        )
        self.from_coarser = (
            ConvNormReLU(coarser, channels, norm=norm) if coarser and mode != "none" else None
        )
        n_paths = int(self.from_finer is not None) + int(self.from_coarser is not None)
        self.n_paths = n_paths
        if mode == "dynamic" and n_paths:
            hidden = max(8, channels // reduction)
            self.gate_mlp = nn.Sequential(
                nn.Linear(channels * (1 + n_paths), hidden),
                nn.ReLU(inplace=True),
                nn.Linear(hidden, channels * n_paths),
            )
        elif mode == "static" and n_paths:
            self.gate_logits = nn.Parameter(torch.zeros(n_paths))

    def paths(
        self, finer: torch.Tensor | None, coarser: torch.Tensor | None, size: tuple[int, int]
    ) -> list[torch.Tensor]:
        paths = []
        if self.from_finer is not None:
            paths.append(self.from_finer(finer))
        if self.from_coarser is not None:
            up = resize(coarser, size, "bilinear", align_corners=False)
            paths.append(self.from_coarser(up))
        return paths

    def gates(self, own: torch.Tensor, paths: list[torch.Tensor]) -> torch.Tensor:
        """Gates of shape (B, n_paths, C, 1, 1) in (0, 1)."""
        b, c = own.shape[:2]
        if self.mode == "static":
            return torch.sigmoid(self.gate_logits).view(1, -1, 1, 1, 1).expand(b, -1, c, 1, 1)
        pooled = torch.cat([t.mean(dim=(2, 3)) for t in (own, *paths)], dim=1)
        return torch.sigmoid(self.gate_mlp(pooled)).view(b, self.n_paths, c, 1, 1)

    def forward(
        self, own: torch.Tensor, finer: torch.Tensor | None, coarser: torch.Tensor | None
    ) -> torch.Tensor:
        if self.mode == "none" or not self.n_paths:
            return own
        paths = self.paths(finer, coarser, own.shape[-2:])
        gates = self.gates(own, paths)
        return own + sum(gates[:, i] * path for i, path in enumerate(paths))


class DecoderLevel(nn.Module):
    def __init__(self, c_coarse: int, c_skip: int, c_out: int, norm: str) -> None:
        super().__init__()
        self.upsample = MixedUpsample(align_corners=False)  # one mix per level
        self.reduce = nn.Conv2d(c_coarse, c_out, 1)
        self.fuse = nn.Sequential(
            ConvNormReLU(c_out + c_skip, c_out, norm=norm), ConvNormReLU(c_out, c_out, norm=norm)
        )

    def forward(self, coarse: torch.Tensor, skip: torch.Tensor) -> torch.Tensor:
        # The 1x1 reduce and the interpolation are both linear and the interpolation weights
        # sum to 1, so reducing first gives the same output on fewer channels (4x fewer pixels).
        up = self.upsample(self.reduce(coarse), skip.shape[-2:])
        return self.fuse(torch.cat([up, skip], dim=1))


class RDMCStage(nn.Module):
    """The shared network of one stage: 6 channels in, a 3-channel residual out."""

    def __init__(
        self, widths: Sequence[int], dilations: Sequence[int], recruitment: str, norm: str
    ) -> None:
        super().__init__()
        channels = [w * len(dilations) for w in widths]
        self.encoder = MultiScaleEncoder(6, widths, dilations, norm)
        self.recruit = nn.ModuleList(
            CrossLevelRecruitment(
                c,
                channels[i - 1] if i > 0 else None,
                channels[i + 1] if i + 1 < len(channels) else None,
                recruitment,
                norm,
            )
            for i, c in enumerate(channels)
        )
        self.decoder = nn.ModuleList(
            DecoderLevel(channels[i + 1], channels[i], channels[i], norm)
            for i in range(len(channels) - 1)
        )
        self.head = nn.Conv2d(channels[0], 3, 3, padding=1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        enc = self.encoder(x)
        n = len(enc)
        skips = [
            self.recruit[i](
                enc[i], enc[i - 1] if i > 0 else None, enc[i + 1] if i + 1 < n else None
            )
            for i in range(n)
        ]
        y = skips[-1]
        for i in reversed(range(n - 1)):
            y = self.decoder[i](y, skips[i])
        return self.head(y)


@MODELS.register_module()
class RDMCSE(nn.Module):
    """RDMC-SE (see the module doc).

    Args:
        widths: per-branch channels of the five encoder levels.
        dilations: one encoder branch per dilation (ablation: ``(1,)`` = single scale).
        stages: recursive stages T (ablation: 1).
        recruitment: ``"dynamic"``, ``"static"`` or ``"none"``.
        norm: ``"bn"`` (BatchNorm after every conv, as the paper) or ``"none"``.
    """

    def __init__(
        self,
        widths: Sequence[int] = SMALL["widths"],
        dilations: Sequence[int] = (1, 2, 3),
        stages: int = 3,
        recruitment: str = "dynamic",
        norm: str = "bn",
    ) -> None:
        super().__init__()
        if norm not in NORMS:
            raise ValueError(f"norm must be one of {NORMS}, got {norm!r}")
        if len(widths) < 2:
            raise ValueError("RDMC-SE needs at least two encoder levels")
        if stages < 1:
            raise ValueError(f"stages must be >= 1, got {stages}")
        self.stages = stages
        self.multiple = 2 ** (len(widths) - 1)
        self.net = RDMCStage(widths, dilations, recruitment, norm)

    def forward(self, rainy: torch.Tensor) -> list[torch.Tensor]:
        """Every stage's estimate of the clean image, each the size of ``rainy``."""
        padded, (h, w) = pad_to_multiple(rainy, self.multiple)
        estimate, estimates = padded, []
        for _ in range(self.stages):
            estimate = padded + self.net(torch.cat([padded, estimate], dim=1))
            estimates.append(estimate[..., :h, :w])
        return estimates
