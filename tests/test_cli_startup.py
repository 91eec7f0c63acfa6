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
