"""`identity`: no deraining at all, the rainy lower bound of every comparison."""

from __future__ import annotations

import torch
from torch import nn

from rdmc.registry import MODELS


@MODELS.register_module()
class Identity(nn.Module):
    def forward(self, rainy: torch.Tensor) -> torch.Tensor:
        return rainy
