"""The mmengine model that trains and validates any deraining architecture.

Batches are the dicts the datasets yield, collated: ``rainy`` and ``clean``
(B x 3 x H x W in [0, 1]), ``name`` and, from synthetic rain, ``rain`` (the preset, which
validation reports PSNR / SSIM by). An architecture returns one tensor or
the list of its stage outputs (the last is the result).
"""

from __future__ import annotations

import torch
from mmengine.model import BaseModel
from mmengine.optim import OptimWrapperDict

import rdmc.losses  # noqa: F401 - registers the losses a config names
from rdmc.models.outputs import stage_outputs
from rdmc.registry import MODELS, build_model


@MODELS.register_module()
class DerainModel(BaseModel):
    """Args:
    arch: config of the network (e.g. ``dict(type="RDMC", ...)``).
    loss: config of the loss (e.g. ``dict(type="DerainLoss", ...)``); needed for training.
    """

    def __init__(self, arch: dict, loss: dict | None = None, data_preprocessor: dict | None = None):
        super().__init__(data_preprocessor=data_preprocessor or dict(type="BaseDataPreprocessor"))
        self.arch_cfg = dict(arch)
        self.arch = build_model(arch)
        self.loss = build_model(loss) if loss else None

    def train_step(self, data: dict, optim_wrapper) -> dict[str, torch.Tensor]:
        """One step; with a search's two optimizers (rdmc.search), first the architecture on
        the held-out sample while the search lasts, then the weights."""
        if not isinstance(optim_wrapper, OptimWrapperDict):
            data = {k: v for k, v in data.items() if not k.startswith("search_")}
            return super().train_step(data, optim_wrapper)
        data = self.data_preprocessor(data, True)
        search = {"rainy": data.pop("search_rainy"), "clean": data.pop("search_clean")}
        log: dict[str, torch.Tensor] = {}
        if self.arch.recruitment.searching:
            architecture = optim_wrapper["architecture"]
            architecture.zero_grad()
            with architecture.optim_context(self):
                arch_loss, arch_log = self.parse_losses(self(**search, mode="loss"))
            architecture.update_params(arch_loss)
            log = {f"arch_{k}": v for k, v in arch_log.items()}
        weights = optim_wrapper["weights"]
        weights.zero_grad()  # the architecture step's gradient trains no weight
        with weights.optim_context(self):
            loss, weight_log = self.parse_losses(self(**data, mode="loss"))
        weights.update_params(loss)
        return {**weight_log, **log}

    def forward(
        self,
        rainy: torch.Tensor,
        clean: torch.Tensor | None = None,
        name: list[str] | None = None,
        rain: list[str] | None = None,
        mode: str = "tensor",
    ):
        outputs = stage_outputs(self.arch, rainy)
        if mode == "loss":
            if self.loss is None or clean is None:
                raise ValueError("training needs a loss config and clean targets")
            # Under mixed precision (BF16OptimWrapper) the network runs in bf16 and the loss,
            # SSIM's Gaussian windows and the contrastive features included, in float32.
            with torch.autocast(rainy.device.type, enabled=False):
                return self.loss([o.float() for o in outputs], clean.float(), rainy.float())
        if mode == "predict":
            final = outputs[-1].detach().clamp(0, 1)
            names = name or [str(i) for i in range(len(final))]
            return [
                {
                    "pred_img": final[i],
                    "gt_img": clean[i] if clean is not None else None,
                    "name": names[i],
                    **({"rain": rain[i]} if rain is not None else {}),
                }
                for i in range(len(final))
            ]
        if mode == "tensor":
            return outputs[-1]
        raise ValueError(f"unknown mode {mode!r}")
