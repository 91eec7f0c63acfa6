"""RDMC: recursive dynamic multi-scale deraining with a contrastive prior, and its benchmark."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from rdmc.inference import Derainer

__version__ = "0.1.0"


def load_derainer(name_or_path: str, device: str = "cpu", **kwargs) -> Derainer:
    """A derainer from a zoo name or a checkpoint file; call it on uint8/uint16 numpy images.

    Keyword arguments: ``tile`` ("auto", None or pixels), ``tile_overlap``, ``precision``
    ("fp32", "bf16", "fp16" on CUDA, or "auto").
    """
    from rdmc.zoo import load_derainer as _load

    return _load(name_or_path, device=device, **kwargs)
