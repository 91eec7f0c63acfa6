"""RDMC: recursive dynamic multi-scale network (Jiang et al., arXiv 2305.18092).

The network of the authors' released code (Jzy2017/DRNet, ``P_3UNet_Darts.py``),
block for block; every difference from it is a named option (README's fidelity table).

One shared U-Net is applied ``stages`` times. Stage t sees the rainy image
concatenated with the previous estimate (6 channels; estimate 0 is the rainy
image) and predicts a residual: ``estimate_t = rainy + residual_t``. Every
stage's estimate is returned; the loss decides which it supervises.

- Multi-scale encoder: parallel branches with dilations (1, 2, 3), five levels
  each (max-pool, conv3x3+BN+ReLU, dilated conv3x3+BN+ReLU), concatenated per level.
- Decoder: at each level, upsample the coarser features (a softmax mix of bilinear
  and bicubic, ``align_corners=True``, one mix shared by all levels), concatenate
  the encoder's skip, double conv to half the skip's width; a 1x1 conv to 3 channels.
- Cross-level recruitment: 8 candidate paths into the decoder (named as the
  authors' genotypes: ``encK_decJ``): "down" paths from encoder level l-1 (stride-2
  reflection-padded conv + BN + LeakyReLU; the input via a 1x1 conv), "up" paths
  from encoder level l+1 (bilinear x2 + double conv; encoder level 0 straight into
  the output). ``recruitment`` chooses how a path is weighted:

  - ``"searched"`` (the authors'): one architecture scalar per path. While
    ``searching`` every path is on (DARTS, trained by a separate optimizer on
    held-out patches, see rdmc/search.py); :meth:`RDMC.select_paths` then fixes the
    mask, which the checkpoint keeps. A fresh model's mask is all off: the released
    default, 15,883,731 weights in use.
  - ``"dynamic"`` (ours): per-image gates on the same paths (global pooling, small
    MLP, sigmoid per channel).
  - ``"static"``: one sigmoid per path, trained jointly with the weights.
  - ``"none"``: no path is built.

- ``global_context`` (ours, off in both presets): a squeeze-and-excitation gate on
  the bottleneck, from the deepest features pooled over the whole image, so the
  decoder knows how veiled the image is as a whole (heavy rain's accumulation is a
  global haze; without it the network can see only its receptive field).

Inputs of any size are padded (reflection) to a multiple of 16 and cropped back.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
import torch.nn.functional as F
from torch import nn

from rdmc.models.interpolation import resize, scale_size
from rdmc.models.shared_gates import GlobalGate
from rdmc.registry import MODELS

RECRUITMENT_MODES = ("searched", "dynamic", "static", "none")
NORMS = ("bn", "none")
PRESETS = {
    # The authors' network: per-branch widths 32/64/128/256/256, three branches, three
    # stages, their searched recruitment (registered paths, all off until a search).
    "rdmc": dict(
        widths=(32, 64, 128, 256, 256), dilations=(1, 2, 3), stages=3, recruitment="searched"
    ),
    # The same structure at narrow widths (under 1.5 M weights), trainable on a 2-core CPU,
    # with our per-image gates on the 8 paths.
    "rdmc-s": dict(
        widths=(8, 16, 24, 32, 32), dilations=(1, 2, 3), stages=3, recruitment="dynamic"
    ),
}


def pad_to_multiple(x: torch.Tensor, multiple: int) -> tuple[torch.Tensor, tuple[int, int]]:
    """Pads H and W up to a multiple (reflection where possible) and returns the original size."""
    h, w = x.shape[-2:]
    ph, pw = (-h) % multiple, (-w) % multiple
    if ph or pw:
        mode = "reflect" if ph < h and pw < w else "replicate"
        x = F.pad(x, (0, pw, 0, ph), mode=mode)
    return x, (h, w)


def _norm(channels: int, norm: str) -> list[nn.Module]:
    return [nn.BatchNorm2d(channels)] if norm == "bn" else []


class DilatedConvBlock(nn.Sequential):
    """conv3x3 (+bias) + BN + ReLU, then dilated conv3x3 (no bias under BN) + BN + ReLU."""

    def __init__(self, c_in: int, c_out: int, dilation: int, norm: str) -> None:
        super().__init__(
            nn.Conv2d(c_in, c_out, 3, padding=1),
            *_norm(c_out, norm),
            nn.ReLU(inplace=True),
            nn.Conv2d(c_out, c_out, 3, padding=dilation, dilation=dilation, bias=norm != "bn"),
            *_norm(c_out, norm),
            nn.ReLU(inplace=True),
        )


class DoubleConv(nn.Sequential):
    """(conv3x3 + BN + ReLU) x 2, every conv with a bias, as the authors' ``double_conv``."""

    def __init__(self, c_in: int, c_out: int, norm: str) -> None:
        super().__init__(
            nn.Conv2d(c_in, c_out, 3, padding=1),
            *_norm(c_out, norm),
            nn.ReLU(inplace=True),
            nn.Conv2d(c_out, c_out, 3, padding=1),
            *_norm(c_out, norm),
            nn.ReLU(inplace=True),
        )


class EncoderBranch(nn.Module):
    """One dilation's encoder: five levels of (max-pool), :class:`DilatedConvBlock`."""

    def __init__(self, c_in: int, widths: Sequence[int], dilation: int, norm: str) -> None:
        super().__init__()
        levels = []
        for i, width in enumerate(widths):
            pool = [nn.MaxPool2d(2)] if i > 0 else []
            levels.append(nn.Sequential(*pool, DilatedConvBlock(c_in, width, dilation, norm)))
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


class MixedUpsample(nn.Module):
    """Upsampling as a softmax mix of bilinear and bicubic whose two logits are learned; in
    RDMC one mix (``align_corners=True``) is shared by every decoder level, an architecture
    parameter."""

    def __init__(self, align_corners: bool = True) -> None:
        super().__init__()
        self.logits = nn.Parameter(torch.zeros(2))
        self.align_corners = align_corners

    def forward(self, x: torch.Tensor, size: tuple[int, int]) -> torch.Tensor:
        w = torch.softmax(self.logits, dim=0)
        corners = self.align_corners
        bilinear = resize(x, size, "bilinear", corners)
        bicubic = resize(x, size, "bicubic", corners)
        return w[0] * bilinear + w[1] * bicubic


class DownPath(nn.Sequential):
    """A "down" candidate path: reflection pad, conv3x3 stride 2, BN, LeakyReLU(0.2); from
    the 6-channel input (same resolution) a 1x1 conv, BN, LeakyReLU(0.2)."""

    def __init__(self, c_in: int, c_out: int, norm: str, from_input: bool) -> None:
        conv = (
            [nn.Conv2d(c_in, c_out, 1)]
            if from_input
            else [nn.ReflectionPad2d(1), nn.Conv2d(c_in, c_out, 3, stride=2)]
        )
        super().__init__(*conv, *_norm(c_out, norm), nn.LeakyReLU(0.2, inplace=True))


class UpPath(nn.Module):
    """An "up" candidate path: bilinear x2 (``align_corners=True``), then a double conv;
    into the output (``to_output``) the double conv alone."""

    def __init__(self, c_in: int, c_out: int, norm: str, to_output: bool) -> None:
        super().__init__()
        self.upsample = not to_output
        self.conv = DoubleConv(c_in, c_out, norm)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.upsample:
            x = resize(x, scale_size(x, 2), "bilinear", align_corners=True)
        return self.conv(x)


class PathGate(GlobalGate):
    """``dynamic`` recruitment: per-image, per-channel gates in (0, 1) from the path's
    globally pooled output (squeeze-and-excitation); tiles share the whole image's."""

    def __init__(self, channels: int, reduction: int = 4) -> None:
        super().__init__()
        hidden = max(8, channels // reduction)
        self.mlp = nn.Sequential(
            nn.Linear(channels, hidden), nn.ReLU(inplace=True), nn.Linear(hidden, channels)
        )

    def forward(self, path: torch.Tensor) -> torch.Tensor:
        gate = self.shared(lambda: torch.sigmoid(self.mlp(path.mean(dim=(2, 3)))))
        return gate[:, :, None, None] * path


def path_names(levels: int) -> list[str]:
    """The candidate paths in the authors' genotype order: the "down" paths
    (``enc3_dec4 ... enc0_dec1``), then the "up" paths (``enc4_dec3 ... enc1_dec0``).

    Numbering as theirs: ``enc0`` is the input, ``encK`` encoder level K-1; ``decJ`` the
    decoder at level J-1 and ``dec0`` the output.
    """
    down = [f"enc{j}_dec{j + 1}" for j in reversed(range(levels - 1))]
    up = [f"enc{j + 2}_dec{j + 1}" for j in reversed(range(levels - 2))] + ["enc1_dec0"]
    return down + up


class Recruitment(nn.Module):
    """The candidate paths of one network and how each is weighted (see the module doc)."""

    def __init__(
        self,
        channels: Sequence[int],
        decoder: Sequence[int],
        mode: str,
        norm: str,
        mask: Sequence[bool] | None,
    ) -> None:
        super().__init__()
        if mode not in RECRUITMENT_MODES:
            raise ValueError(f"recruitment must be one of {RECRUITMENT_MODES}, got {mode!r}")
        self.mode = mode
        self.names = path_names(len(channels))
        # (source encK, target decJ) of every path, from its name
        self.ends = [tuple(int(part[3:]) for part in name.split("_")) for name in self.names]
        self.searching = False
        if mask is not None and len(mask) != len(self.names):
            raise ValueError(f"mask needs {len(self.names)} entries ({', '.join(self.names)})")
        default = mode in ("dynamic", "static")  # searched: the released default, all off
        initial = [bool(m) for m in mask] if mask is not None else [default] * len(self.names)
        if mode == "none":
            initial = [False] * len(self.names)
        self.register_buffer("mask", torch.tensor(initial))
        self.paths = nn.ModuleDict()
        if mode == "none":
            return
        if mode == "dynamic":
            self.gates = nn.ModuleDict()
        for name, (source, target) in zip(self.names, self.ends, strict=True):
            out = decoder[target - 1] if target > 0 else 3
            if target > source:  # down: from the input or encoder level source - 1
                c_in = 6 if source == 0 else channels[source - 1]
                self.paths[name] = DownPath(c_in, out, norm, from_input=source == 0)
            else:
                self.paths[name] = UpPath(channels[source - 1], out, norm, to_output=target == 0)
            if mode == "dynamic":
                self.gates[name] = PathGate(out)
        if mode == "searched":
            self.alphas = nn.Parameter(torch.full((len(self.names),), 1e-3))
        elif mode == "static":
            self.gate_logits = nn.Parameter(torch.zeros(len(self.names)))

    def active(self) -> list[int]:
        if self.mode == "none":
            return []
        if self.mode == "searched" and self.searching:
            return list(range(len(self.names)))
        return [i for i, on in enumerate(self.mask.tolist()) if on]

    def into(self, target: int, sources: list[torch.Tensor], active: list[int]) -> list:
        """The weighted paths that end in ``dec{target}``; ``sources[K]`` is ``encK``."""
        out = []
        for i in active:
            name, (source, dest) = self.names[i], self.ends[i]
            if dest != target:
                continue
            path = self.paths[name](sources[source])
            if self.mode == "searched":
                out.append(self.alphas[i] * path)
            elif self.mode == "static":
                out.append(torch.sigmoid(self.gate_logits[i]) * path)
            else:
                out.append(self.gates[name](path))
        return out

    def select(self, keep_down: int, keep_up: int) -> list[str]:
        """Fixes the mask to the paths with the largest architecture scalars, per group."""
        if self.mode != "searched":
            raise ValueError(f"only searched recruitment selects paths (this is {self.mode!r})")
        half = len(self.names) // 2
        alphas = self.alphas.detach()
        keep = [
            *alphas[:half].argsort(descending=True)[:keep_down].tolist(),
            *(half + alphas[half:].argsort(descending=True)[:keep_up]).tolist(),
        ]
        self.mask.copy_(torch.tensor([i in keep for i in range(len(self.names))]))
        self.searching = False
        return [self.names[i] for i in sorted(keep)]


class RDMCStage(nn.Module):
    """The shared U-Net of one stage: 6 channels in, a 3-channel residual out."""

    def __init__(
        self,
        widths: Sequence[int],
        dilations: Sequence[int],
        recruitment: str,
        norm: str,
        mask: Sequence[bool] | None,
        global_context: bool = False,
    ) -> None:
        super().__init__()
        channels = [w * len(dilations) for w in widths]
        decoder = [c // 2 for c in channels[:-1]]
        coarser = [*decoder[1:], channels[-1]]
        self.encoder = MultiScaleEncoder(6, widths, dilations, norm)
        self.upsample = MixedUpsample()
        self.decoder = nn.ModuleList(
            DoubleConv(channels[j] + coarser[j], decoder[j], norm) for j in range(len(decoder))
        )
        self.head = nn.Conv2d(decoder[0], 3, 1)
        self.recruit = Recruitment(channels, decoder, recruitment, norm, mask)
        self.context = PathGate(channels[-1]) if global_context else None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        enc = self.encoder(x)
        sources = [x, *enc]
        active = self.recruit.active()
        y = enc[-1] if self.context is None else self.context(enc[-1])
        for j in reversed(range(len(self.decoder))):
            up = self.upsample(y, enc[j].shape[-2:])
            y = self.decoder[j](torch.cat([enc[j], up], dim=1))
            y = sum(self.recruit.into(j + 1, sources, active), y)
        return sum(self.recruit.into(0, sources, active), self.head(y))


@MODELS.register_module()
class RDMC(nn.Module):
    """Recursive dynamic multi-scale deraining network.

    Args:
        widths: per-branch channels of the encoder levels.
        dilations: one encoder branch per dilation (ablation: ``(1,)`` = single scale).
        stages: recursive stages T (ablation: 1).
        recruitment: ``"searched"``, ``"dynamic"``, ``"static"`` or ``"none"``.
        norm: ``"bn"`` (BatchNorm as the authors) or ``"none"``.
        mask: which of the 8 candidate paths are on, in :func:`path_names` order (the
            authors' ``skip_index``); default all on, or all off for ``searched``.
        global_context: gate the bottleneck by its globally pooled features (ours).
    """

    # The overlap its tiles need: the receptive field reaches far past 32 pixels. Tiles of
    # the shipped rdmc-s on a 1200x1200 photo with heavy rain were 3.06 grey levels off the
    # whole image on average (max 66) at overlap 32, 1.55 at 160, 0.85 (max 19) at 192, in
    # 1.08-1.14x the whole image's time on a 2-core CPU (160: 1.01x).
    tile_overlap = 192

    def __init__(
        self,
        widths: Sequence[int] = PRESETS["rdmc"]["widths"],
        dilations: Sequence[int] = (1, 2, 3),
        stages: int = 3,
        recruitment: str = "searched",
        norm: str = "bn",
        mask: Sequence[bool] | None = None,
        global_context: bool = False,
    ) -> None:
        super().__init__()
        if norm not in NORMS:
            raise ValueError(f"norm must be one of {NORMS}, got {norm!r}")
        if len(widths) < 3:
            raise ValueError("RDMC needs at least three encoder levels")
        if stages < 1:
            raise ValueError(f"stages must be >= 1, got {stages}")
        self.stages = stages
        self.multiple = 2 ** (len(widths) - 1)
        self.net = RDMCStage(widths, dilations, recruitment, norm, mask, global_context)

    @property
    def recruitment(self) -> Recruitment:
        return self.net.recruit

    def architecture_parameters(self) -> list[nn.Parameter]:
        """The upsampling mix and the searched path scalars: what a search optimizes."""
        params = [self.net.upsample.logits]
        if self.recruitment.mode == "searched":
            params.append(self.recruitment.alphas)
        return params

    def weight_parameters(self) -> list[nn.Parameter]:
        arch = {id(p) for p in self.architecture_parameters()}
        return [p for p in self.parameters() if id(p) not in arch]

    def select_paths(self, keep_down: int = 2, keep_up: int = 2) -> list[str]:
        """Ends a search: keeps the strongest paths as a fixed mask (saved in the checkpoint)."""
        return self.recruitment.select(keep_down, keep_up)

    def forward(self, rainy: torch.Tensor) -> list[torch.Tensor]:
        """Every stage's estimate of the clean image, each the size of ``rainy``."""
        padded, (h, w) = pad_to_multiple(rainy, self.multiple)
        estimate, estimates = padded, []
        for _ in range(self.stages):
            estimate = padded + self.net(torch.cat([padded, estimate], dim=1))
            estimates.append(estimate[..., :h, :w])
        return estimates


def build_rdmc(preset: str = "rdmc", **overrides) -> RDMC:
    """A preset (``rdmc`` or ``rdmc-s``) with optional ablation overrides."""
    if preset not in PRESETS:
        raise ValueError(f"unknown RDMC preset {preset!r}; choose one of {', '.join(PRESETS)}")
    return RDMC(**{**PRESETS[preset], **overrides})
