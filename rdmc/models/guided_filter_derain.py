"""`guided-filter`: a classical, non-learned deraining baseline.

Following the guidance-image idea of Xu et al. ("Removing rain and snow in a
single image using guided filter", CSAE 2012): rain streaks are thin and
brighter than what lies behind them, so a coarse rain-free image can be made
without learning, and the guided filter (He et al., TPAMI 2013) then transfers
the input's colours and smooth content onto that coarse image's structure:

1. guidance G: a grey-scale morphological opening (erosion then dilation over a
   small window) of each channel removes structures thinner than the window,
   i.e. the streaks, and keeps larger edges;
2. output O = guided_filter(guide=G, input=I, radius, eps) per channel.

It has no weights; its parameters (window, radius, eps) are arguments.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from rdmc.registry import MODELS


def box_filter(x: torch.Tensor, radius: int) -> torch.Tensor:
    """Mean over a (2r+1)^2 window, windows clipped at the border (as He et al.'s O(1) filter)."""
    size = 2 * radius + 1
    ones = torch.ones_like(x[:, :1])
    total = F.avg_pool2d(F.pad(x, [radius] * 4), size, stride=1, divisor_override=1)
    count = F.avg_pool2d(F.pad(ones, [radius] * 4), size, stride=1, divisor_override=1)
    return total / count


def guided_filter(guide: torch.Tensor, src: torch.Tensor, radius: int, eps: float) -> torch.Tensor:
    """He et al.'s guided filter, channel by channel (guide and src have the same channels)."""
    mean_g, mean_s = box_filter(guide, radius), box_filter(src, radius)
    var_g = box_filter(guide * guide, radius) - mean_g * mean_g
    cov_gs = box_filter(guide * src, radius) - mean_g * mean_s
    a = cov_gs / (var_g + eps)
    b = mean_s - a * mean_g
    return box_filter(a, radius) * guide + box_filter(b, radius)


def grey_opening(x: torch.Tensor, window: int) -> torch.Tensor:
    pad = window // 2
    eroded = -F.max_pool2d(F.pad(-x, [pad] * 4, mode="replicate"), window, stride=1)
    return F.max_pool2d(F.pad(eroded, [pad] * 4, mode="replicate"), window, stride=1)


@MODELS.register_module()
class GuidedFilterDerain(nn.Module):
    def __init__(self, window: int = 3, radius: int = 2, eps: float = 1e-3) -> None:
        super().__init__()
        if window < 3 or window % 2 == 0:
            raise ValueError(f"window must be odd and >= 3, got {window}")
        self.window, self.radius, self.eps = window, radius, eps

    def forward(self, rainy: torch.Tensor) -> torch.Tensor:
        guide = grey_opening(rainy, self.window)
        return guided_filter(guide, rainy, self.radius, self.eps).clamp(0, 1)
