"""PReNet: progressive recurrent network (Ren et al., "Progressive Image Deraining
Networks: A Better and Simpler Baseline", CVPR 2019), written from the paper.

Stage t (of T = 6) sees the rainy image y concatenated with the previous
estimate x_{t-1} (x_0 = y) and computes

    x_t = y + f_out(f_res(f_recurrent(f_in(y, x_{t-1}), h_{t-1})))

with f_in a 3x3 convolution + ReLU (6 -> 32 channels), f_recurrent a
convolutional LSTM whose state h carries across stages, f_res five residual
blocks of two 3x3 convolutions + ReLU, and f_out a 3x3 convolution to 3
channels. All stages share their weights (about 0.17 M parameters). Every
stage's estimate is returned, like RDMC, so the loss can supervise all of them.
"""

from __future__ import annotations

import torch
from torch import nn

from rdmc.registry import MODELS


class ConvLSTMCell(nn.Module):
    """LSTM gates computed by one 3x3 convolution over [input, hidden]."""

    def __init__(self, channels: int) -> None:
        super().__init__()
        self.gates = nn.Conv2d(2 * channels, 4 * channels, 3, padding=1)

    def forward(
        self, x: torch.Tensor, state: tuple[torch.Tensor, torch.Tensor]
    ) -> tuple[torch.Tensor, torch.Tensor]:
        h, c = state
        i, f, g, o = self.gates(torch.cat([x, h], dim=1)).chunk(4, dim=1)
        c = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(g)
        h = torch.sigmoid(o) * torch.tanh(c)
        return h, c


class ResBlock(nn.Module):
    def __init__(self, channels: int) -> None:
        super().__init__()
        self.body = nn.Sequential(
            nn.Conv2d(channels, channels, 3, padding=1),
            nn.ReLU(inplace=True),
            nn.Conv2d(channels, channels, 3, padding=1),
            nn.ReLU(inplace=True),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.relu(x + self.body(x))


@MODELS.register_module()
class PReNet(nn.Module):
    """Args: stages (T, 6 in the paper), channels (32), res_blocks (5)."""

    def __init__(self, stages: int = 6, channels: int = 32, res_blocks: int = 5) -> None:
        super().__init__()
        if stages < 1:
            raise ValueError(f"stages must be >= 1, got {stages}")
        self.stages, self.channels = stages, channels
        self.f_in = nn.Sequential(nn.Conv2d(6, channels, 3, padding=1), nn.ReLU(inplace=True))
        self.f_recurrent = ConvLSTMCell(channels)
        self.f_res = nn.Sequential(*[ResBlock(channels) for _ in range(res_blocks)])
        self.f_out = nn.Conv2d(channels, 3, 3, padding=1)

    def forward(self, rainy: torch.Tensor) -> list[torch.Tensor]:
        b, _, h, w = rainy.shape
        state = (rainy.new_zeros(b, self.channels, h, w), rainy.new_zeros(b, self.channels, h, w))
        estimate, estimates = rainy, []
        for _ in range(self.stages):
            features = self.f_in(torch.cat([rainy, estimate], dim=1))
            state = self.f_recurrent(features, state)
            estimate = rainy + self.f_out(self.f_res(state[0]))
            estimates.append(estimate)
        return estimates
