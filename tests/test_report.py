"""`rdmc report`: a self-contained page, checked in a real browser (Debian's chromium, headless)."""

from __future__ import annotations

import re
import shutil
import subprocess

import cv2
import numpy as np
import pytest
import yaml

from downstream.bench import run_bench
from rdmc.cli import main
from rdmc.data.samples import sample_image
from rdmc.imageio import write_image

CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync",
                  "--hide-scrollbars", "--enable-logging=stderr", "--v=0"]  # fmt: skip


@pytest.fixture(scope="module")
def results_dirs(tmp_path_factory):
    root = tmp_path_factory.mktemp("report")
    data = root / "images"
    for name in ("astronaut", "grace_hopper"):
        write_image(data / f"{name}.png", sample_image(name)[::2, ::2])
    suite = {"name": "report-test", "dataset": {"type": "folder", "root": str(data)},
             "rain": [{"preset": "heavy", "severities": [1, 3]}, {"preset": "light", "severities": [3]}],
             "derainers": ["identity"], "detectors": ["yolov3-tiny"], "segmenters": ["selfie-segmentation"]}  # fmt: skip
    (root / "suite.yaml").write_text(yaml.safe_dump(suite))
    first = run_bench(root / "suite.yaml", root / "run-a", progress=False, cache_dir=root / "cache")
    second = run_bench(
        root / "suite.yaml", root / "run-b", progress=False, cache_dir=root / "cache"
    )
    return first.parent, second.parent


def test_report_is_self_contained(results_dirs, tmp_path, capsys):
    out = tmp_path / "report.html"
    assert main(["report", str(results_dirs[0]), str(results_dirs[1]), "-o", str(out)]) == 0
    assert str(out.resolve()) in capsys.readouterr().out
    html = out.read_text()
    assert not re.search(r"""(src|href)\s*=\s*["'](https?:)?//""", html), "external resource"
    assert "<script" not in html
    assert html.count("data:image/png;base64,") >= 3  # severity curves, recovery, heatmap, PSNR
    assert (
        html.count("data:image/jpeg;base64,") == 2 * 2 * 3
    )  # runs x images x (clean, rainy, identity)
    for text in ("Summary", "Provenance", "pseudo", "git commit", "run-a", "run-b", "recovery"):
        assert text in html


def test_report_in_a_headless_browser(results_dirs, tmp_path):
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    assert chromium, "Debian's chromium is needed for this test (setup.sh installs it as root)"
    out = tmp_path / "report.html"
    assert main(["report", str(results_dirs[0]), "-o", str(out)]) == 0
    shot = tmp_path / "shot.png"
    done = subprocess.run(
        [chromium, *CHROMIUM_FLAGS, f"--user-data-dir={tmp_path / 'profile'}", "--window-size=1280,4500",
         f"--screenshot={shot}", out.as_uri()],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert shot.is_file(), done.stderr[-2000:]
    console = [line for line in done.stderr.splitlines() if "CONSOLE" in line or "Uncaught" in line]
    assert not console, console
    image = cv2.imread(str(shot))
    assert image.shape[:2] == (4500, 1280)
    # Plots are in the page: many strongly coloured pixels (seaborn lines, bars, heatmap cells).
    hsv = cv2.cvtColor(image, cv2.COLOR_BGR2HSV)
    colourful = (hsv[..., 1] > 80) & (hsv[..., 2] > 60)
    assert colourful.mean() > 0.01
    assert len(np.unique(image.reshape(-1, 3), axis=0)) > 1000


def test_report_embeds_only_files_inside_the_results_folder(results_dirs, tmp_path, capsys):
    import json

    secret = tmp_path / "secret.jpg"
    secret.write_bytes(b"\xff\xd8 private bytes")
    run = tmp_path / "run"
    run.mkdir()
    data = json.loads((results_dirs[0] / "results.json").read_text())
    escape = "../" * 12 + str(secret).lstrip("/")
    data["meta"]["gallery"] = [
        {"image": "x", "rain": "heavy/s3", "panels": [{"condition": "clean", "file": escape},
                                                     {"condition": "rainy", "file": str(secret)}]}
    ]  # fmt: skip
    (run / "results.json").write_text(json.dumps(data))
    (run / "link.jpg").symlink_to(secret)
    data["meta"]["gallery"][0]["panels"].append({"condition": "identity", "file": "link.jpg"})
    (run / "results.json").write_text(json.dumps(data))
    assert main(["report", str(run), "-o", str(tmp_path / "r.html")]) == 0
    page = (tmp_path / "r.html").read_text()
    import base64

    assert base64.b64encode(secret.read_bytes()).decode() not in page
    assert capsys.readouterr().err.count("not a file inside") == 3


def test_report_marks_an_incomplete_run(results_dirs, tmp_path):
    import json

    run = tmp_path / "partial"
    run.mkdir()
    data = json.loads((results_dirs[0] / "results.json").read_text())
    data["meta"]["complete"] = False
    (run / "results.json").write_text(json.dumps(data))
    assert main(["report", str(run), str(results_dirs[1]), "-o", str(tmp_path / "r.html")]) == 0
    page = (tmp_path / "r.html").read_text()
    assert page.count('<p class="warning"><strong>INCOMPLETE RUN') == 1  # the partial run only


def test_severity_curves_draw_the_interval_as_a_band():
    import matplotlib

    matplotlib.use("Agg")
    import pandas as pd
    import seaborn as sns
    from matplotlib.collections import PolyCollection

    from reports.html import _interval_bands

    rows = [{"condition": c, "run": "r", "preset": "heavy", "severity": s, "value": v,
             "ci95": [v - 1, v + 1]}
            for c, base in (("rainy", 10.0), ("rdmc-s", 14.0)) for s, v in ((1, base), (3, base - 2))]  # fmt: skip
    part = pd.DataFrame(rows)
    palette = {"rainy": (0, 0, 1), "rdmc-s": (1, 0, 0)}
    grid = sns.relplot(data=part, x="severity", y="value", hue="condition", col="preset",
                       kind="line", palette=palette, errorbar=None)  # fmt: skip
    _interval_bands(grid, part, palette)
    bands = [c for c in grid.axes_dict["heavy"].collections if isinstance(c, PolyCollection)]
    assert len(bands) == 2
    low, high = (
        bands[1].get_paths()[0].vertices[:, 1].min(),
        bands[1].get_paths()[0].vertices[:, 1].max(),
    )
    assert (low, high) == (11.0, 15.0)


def test_report_links_the_history_page_and_says_where_segmenters_are_scored(results_dirs, tmp_path):
    out = tmp_path / "report.html"
    assert main(["report", str(results_dirs[0]), "-o", str(out), "--history", "history.html"]) == 0
    html = out.read_text()
    assert '<a href="history.html">history</a>' in html
    # a folder of images says nothing of what each shows: the segmenter is scored on all
    assert "scored on (segmentation:selfie-segmentation)" in html and "every image" in html
    assert main(["report", str(results_dirs[0]), "-o", str(out)]) == 1  # exists: not replaced
    assert '<a href="history.html">' in out.read_text()
