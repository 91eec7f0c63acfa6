"""VGG19 feature layers in torchvision's module layout, loaded from a local weights file.

No VGG weights exist in the package registries, so the file is the user's own
(torchvision's ``vgg19-dcbb9e9d.pth`` or any state dict with ``features.N.weight``
keys). torchvision itself is never imported.
"""

from __future__ import annotations

from pathlib import Path

import torch
from torch import nn

# torchvision's vgg19 configuration ("E"): channels, "M" = max-pool
VGG19_CONFIG = (
    64,
    64,
    "M",
    128,
    128,
    "M",
    256,
    256,
    256,
    256,
    "M",
    512,
    512,
    512,
    512,
    "M",
    512,
    512,
    512,
    512,
    "M",
)

# Names of the modules of vgg19.features by index, as the deraining literature uses them.
VGG19_LAYER_INDEX = {
    "conv1_1": 0,
    "relu1_1": 1,
    "conv1_2": 2,
    "relu1_2": 3,
    "pool1": 4,
    "conv2_1": 5,
    "relu2_1": 6,
    "conv2_2": 7,
    "relu2_2": 8,
    "pool2": 9,
    "conv3_1": 10,
    "relu3_1": 11,
    "conv3_2": 12,
    "relu3_2": 13,
}


def vgg19_features(last_index: int) -> nn.Sequential:
    """``torchvision.models.vgg19().features[: last_index + 1]``, built without torchvision."""
    layers: list[nn.Module] = []
    c_in = 3
    for item in VGG19_CONFIG:
        if item == "M":
            layers.append(nn.MaxPool2d(2, 2))
        else:
            layers += [nn.Conv2d(c_in, int(item), 3, padding=1), nn.ReLU(inplace=False)]
            c_in = int(item)
        if len(layers) > last_index:
            break
    return nn.Sequential(*layers[: last_index + 1])


def load_vgg19_features(path: str | Path, last_index: int) -> nn.Sequential:
    """The first ``last_index + 1`` modules of VGG19's features with weights from ``path``."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such VGG19 weights file")
    state = torch.load(path, map_location="cpu", weights_only=True)
    state = state.get("state_dict", state)
    features = vgg19_features(last_index)
    wanted = {
        key.removeprefix("features."): value
        for key, value in state.items()
        if key.startswith("features.") and int(key.split(".")[1]) <= last_index
    }
    missing = set(features.state_dict()) - set(wanted)
    if missing:
        raise ValueError(
            f"{path}: not a torchvision VGG19 state dict (missing {sorted(missing)[:3]})"
        )
    features.load_state_dict(wanted)
    return features.eval()
