"""`restormer-lite`: a reduced Restormer (Zamir et al., CVPR 2022), written from the paper.

Chosen as the modern baseline because Restormer is the transformer most deraining
papers compare against, and its attention is *transposed* (across channels, not
pixels), so its cost grows linearly with the image size: it runs on a CPU at the
sizes this benchmark uses, where pixel-attention transformers do not. Reduced to
the size of rdmc-s (about 1 M parameters) by narrowing the widths and using fewer
blocks; the building blocks are the paper's:

- MDTA (multi-Dconv head transposed attention): q, k, v from a 1x1 then a 3x3
  depthwise convolution; per head, L2-normalised q and k give a C/h x C/h
  attention map scaled by a learned temperature;
- GDFN (gated-Dconv feed-forward): 1x1 expansion, 3x3 depthwise, GELU gate, 1x1;
- pre-norm residual blocks (LayerNorm over channels), a three-level U-shape with
  pixel-unshuffle downsampling and pixel-shuffle upsampling, skip connections
  concatenated and reduced by a 1x1 convolution, a refinement stage, and a
  global residual (the network predicts rainy -> clean as rainy + residual).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from rdmc.models.rdmc import pad_to_multiple
from rdmc.registry import MODELS


class ChannelLayerNorm(nn.Module):
    """LayerNorm over the channels of a B x C x H x W tensor, with bias."""

    def __init__(self, channels: int) -> None:
        super().__init__()
        self.norm = nn.LayerNorm(channels)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.norm(x.permute(0, 2, 3, 1)).permute(0, 3, 1, 2)


class MDTA(nn.Module):
    def __init__(self, channels: int, heads: int) -> None:
        super().__init__()
        self.heads = heads
        self.temperature = nn.Parameter(torch.ones(heads, 1, 1))
        self.qkv = nn.Conv2d(channels, 3 * channels, 1, bias=False)
        self.qkv_dw = nn.Conv2d(
            3 * channels, 3 * channels, 3, padding=1, groups=3 * channels, bias=False
        )
        self.project = nn.Conv2d(channels, channels, 1, bias=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b, c, h, w = x.shape
        q, k, v = self.qkv_dw(self.qkv(x)).chunk(3, dim=1)
        q, k, v = (t.reshape(b, self.heads, c // self.heads, h * w) for t in (q, k, v))
        q, k = F.normalize(q, dim=-1), F.normalize(k, dim=-1)
        attention = (q @ k.transpose(-2, -1) * self.temperature).softmax(dim=-1)
        return self.project((attention @ v).reshape(b, c, h, w))


class GDFN(nn.Module):
    def __init__(self, channels: int, expansion: float) -> None:
        super().__init__()
        hidden = int(channels * expansion)
        self.expand = nn.Conv2d(channels, 2 * hidden, 1, bias=False)
        self.dw = nn.Conv2d(2 * hidden, 2 * hidden, 3, padding=1, groups=2 * hidden, bias=False)
        self.project = nn.Conv2d(hidden, channels, 1, bias=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        gate, value = self.dw(self.expand(x)).chunk(2, dim=1)
        return self.project(F.gelu(gate) * value)


class TransformerBlock(nn.Module):
    def __init__(self, channels: int, heads: int, expansion: float) -> None:
        super().__init__()
        self.norm1, self.attention = ChannelLayerNorm(channels), MDTA(channels, heads)
        self.norm2, self.ffn = ChannelLayerNorm(channels), GDFN(channels, expansion)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x + self.attention(self.norm1(x))
        return x + self.ffn(self.norm2(x))


def _stage(channels: int, heads: int, blocks: int, expansion: float) -> nn.Sequential:
    return nn.Sequential(*[TransformerBlock(channels, heads, expansion) for _ in range(blocks)])


class Downsample(nn.Sequential):
    def __init__(self, channels: int) -> None:
        super().__init__(
            nn.Conv2d(channels, channels // 2, 3, padding=1, bias=False), nn.PixelUnshuffle(2)
        )


class Upsample(nn.Sequential):
    def __init__(self, channels: int) -> None:
        super().__init__(
            nn.Conv2d(channels, channels * 2, 3, padding=1, bias=False), nn.PixelShuffle(2)
        )


@MODELS.register_module()
class RestormerLite(nn.Module):
    """Args: width (channels of level 1; levels 2 and 3 have 2x and 4x), blocks per level
    (encoder 1, 2, latent 3, then decoder 2, 1 and refinement), heads per level, GDFN expansion."""

    def __init__(
        self,
        width: int = 32,
        blocks: tuple[int, int, int, int] = (1, 2, 2, 1),
        heads: tuple[int, int, int] = (1, 2, 4),
        expansion: float = 2.0,
    ) -> None:
        super().__init__()
        c1, c2, c3 = width, 2 * width, 4 * width
        self.embed = nn.Conv2d(3, c1, 3, padding=1, bias=False)
        self.encoder1 = _stage(c1, heads[0], blocks[0], expansion)
        self.down12 = Downsample(c1)
        self.encoder2 = _stage(c2, heads[1], blocks[1], expansion)
        self.down23 = Downsample(c2)
        self.latent = _stage(c3, heads[2], blocks[2], expansion)
        self.up32 = Upsample(c3)
        self.reduce2 = nn.Conv2d(2 * c2, c2, 1, bias=False)
        self.decoder2 = _stage(c2, heads[1], blocks[1], expansion)
        self.up21 = Upsample(c2)
        self.decoder1 = _stage(2 * c1, heads[0], blocks[0], expansion)
        self.refine = _stage(2 * c1, heads[0], blocks[3], expansion)
        self.output = nn.Conv2d(2 * c1, 3, 3, padding=1, bias=False)

    def forward(self, rainy: torch.Tensor) -> torch.Tensor:
        x, (h, w) = pad_to_multiple(rainy, 4)
        e1 = self.encoder1(self.embed(x))
        e2 = self.encoder2(self.down12(e1))
        latent = self.latent(self.down23(e2))
        d2 = self.decoder2(self.reduce2(torch.cat([self.up32(latent), e2], dim=1)))
        d1 = self.decoder1(torch.cat([self.up21(d2), e1], dim=1))
        out = x + self.output(self.refine(d1))
        return out[..., :h, :w]
