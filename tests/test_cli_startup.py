"""The CLI starts at once: building the parser and every command's --help import none of the
heavy libraries (checked by module name in a fresh interpreter, not by time)."""

from __future__ import annotations

import json
import subprocess
import sys

HEAVY = ("torch", "mmengine", "mmdet", "mmseg", "mmcv", "cv2", "numpy", "scipy", "PIL",
         "yaml", "pandas", "matplotlib", "seaborn", "jinja2", "pycocotools")  # fmt: skip

PROBE = """
import contextlib, io, json, sys
from rdmc.cli import build_parser, main

def helps(parser, prefix):
    for action in parser._actions:
        for name, sub in getattr(action, "choices", None).items() if hasattr(action, "_name_parser_map") else []:
            yield prefix + [name]
            yield from helps(sub, prefix + [name])

heavy = set(sys.argv[1].split(","))
loaded = {}
for argv in [[]] + list(helps(build_parser(), [])):
    with contextlib.redirect_stdout(io.StringIO()):
        try:
            main(argv + ["--help"])
        except SystemExit:
            pass
    loaded[" ".join(argv) or "rdmc"] = sorted({m.split(".")[0] for m in sys.modules} & heavy)
print(json.dumps(loaded))
"""


def test_every_help_imports_no_heavy_library():
    done = subprocess.run(
        [sys.executable, "-c", PROBE, ",".join(HEAVY)], capture_output=True, text=True, check=True
    )
    loaded = json.loads(done.stdout)
    assert {"rdmc", "derain", "bench", "data prepare", "history add", "iqa"} <= set(loaded)
    assert {cmd: mods for cmd, mods in loaded.items() if mods} == {}


DERAIN_PROBE = """
import sys
from rdmc.cli import main

code = main(["derain", sys.argv[1], "-o", sys.argv[2], "--model", "rdmc-s"])
training = ("mmengine.model", "mmengine.optim", "mmengine.runner", "mmdet", "mmseg", "mmcv",
            "rdmc.data", "rdmc.train", "skimage", "scipy", "pandas", "matplotlib")
print(code, sorted(m for m in sys.modules if m.startswith(training)))
"""


def test_derain_imports_only_what_inference_needs(tmp_path):
    """`rdmc derain` costs import torch + loading the model + the forward pass: not
    mmengine's training stack (0.9 s), the data package, mmdet/mmseg or plotting."""
    import numpy as np

    from rdmc.imageio import write_image

    write_image(tmp_path / "in" / "a.png", np.full((64, 64, 3), 128, np.uint8))
    done = subprocess.run(
        [sys.executable, "-c", DERAIN_PROBE, str(tmp_path / "in"), str(tmp_path / "out")],
        capture_output=True,
        text=True,
        check=True,
    )
    assert done.stdout.strip().splitlines()[-1] == "0 []", done.stdout + done.stderr[-2000:]
