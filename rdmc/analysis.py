"""Parameter and FLOP counts, by mmengine's counter."""

from __future__ import annotations

import logging
import math

import torch
from torch import nn


def complexity(net: nn.Module, size: int = 256, flops: bool = True) -> dict[str, float]:
    """``params`` and (if asked) ``gflops`` for one 3 x size x size image.

    mmengine's counter (fvcore's rules) counts one multiply-add as one FLOP and
    skips element-wise ops, as most papers' GFLOPs tables do.
    """
    stats = {"params": float(sum(p.numel() for p in net.parameters()))}
    if flops:
        from mmengine.analysis import FlopAnalyzer

        analyzer = FlopAnalyzer(net.eval(), inputs=(torch.rand(1, 3, size, size),))
        analyzer.unsupported_ops_warnings(False).uncalled_modules_warnings(False)
        logging.getLogger("mmengine").setLevel(logging.ERROR)
        stats["gflops"] = analyzer.total() / 1e9
    return stats


def conv_macs(conv: nn.Conv2d, output: torch.Tensor) -> int:
    """The multiply-adds of one call of ``conv`` that produced ``output``."""
    return output.numel() * conv.in_channels // conv.groups * math.prod(conv.kernel_size)
