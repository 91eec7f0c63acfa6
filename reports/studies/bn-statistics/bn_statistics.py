"""Does BatchNorm's running statistics fit both rain types? The shipped rdmc-se-s on the first test
photos at light and heavy rain (severity 3), PSNR-Y with BN as trained (running statistics) and
with each image's own statistics.

    python reports/studies/bn-statistics/bn_statistics.py [N_PHOTOS]
"""

from __future__ import annotations

import sys

import numpy as np
import torch

from rdmc.data.datasets import to_rgb_uint8
from rdmc.data.samples import sample_split
from rdmc.imageio import list_images, read_image
from rdmc.metrics import psnr
from rdmc.rain import add_rain, seed_for
from rdmc.zoo import checkpoint_path, load_checkpoint


def restore(net: torch.nn.Module, rainy: np.ndarray, own_statistics: bool) -> np.ndarray:
    net.eval()
    if own_statistics:
        for m in net.modules():
            if isinstance(m, torch.nn.BatchNorm2d):
                m.train()
                m.momentum = 0.0  # normalise with the batch's statistics, keep the running ones
    x = torch.from_numpy(rainy).permute(2, 0, 1)[None].float() / 255
    with torch.no_grad():
        y = net(x)[-1].clamp(0, 1)[0].permute(1, 2, 0).numpy()
    return (y * 255).round().astype(np.uint8)


def main(count: int = 3) -> None:
    net, _ = load_checkpoint(checkpoint_path("rdmc-se-s"))
    root = sample_split("test")
    for preset in ("light", "heavy"):
        scores: dict[str, list[float]] = {"rainy": [], "running": [], "per-image": []}
        for path in list_images(root)[:count]:
            clean = to_rgb_uint8(read_image(path))
            rainy = add_rain(clean, preset, 3, seed_for(path.name, 0)).rainy
            scores["rainy"].append(psnr(rainy, clean))
            scores["running"].append(psnr(restore(net, rainy, False), clean))
            scores["per-image"].append(psnr(restore(net, rainy, True), clean))
        print(preset, {k: round(float(np.mean(v)), 2) for k, v in scores.items()})


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 3)
