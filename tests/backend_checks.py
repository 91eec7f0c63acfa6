"""`--backend openvino`, `onnxruntime` and `auto` (run by tests/test_backend.py in a process
of its own):
the same images as torch (fp32 exact to a grey level, bf16 within 0.05 dB), the converted
graph cached and reused, the probe's choice, and one-line errors."""

from __future__ import annotations

import sys

import numpy as np
import pytest
import torch

import rdmc.zoo
from rdmc.cli import main
from rdmc.data.samples import default_cache_dir, sample_image
from rdmc.imageio import write_image
from rdmc.inference import Derainer, NonFiniteOutput, cpu_has_bf16
from rdmc.metrics import psnr
from rdmc.rain import add_rain
from rdmc.zoo import load_checkpoint, load_derainer


@pytest.fixture(scope="module")
def rainy_pair():
    clean = sample_image("astronaut")[:256, :256]
    return add_rain(clean, "heavy", 3, 0).rainy, clean


def test_openvino_gives_torchs_image_and_caches_the_graph(tiny_checkpoint, rainy_pair, monkeypatch):
    import openvino

    rainy, _ = rainy_pair
    net, _ = load_checkpoint(tiny_checkpoint)
    reference = Derainer(net, precision="fp32")(rainy)
    derainer = Derainer(load_checkpoint(tiny_checkpoint)[0], precision="fp32", backend="openvino")
    assert derainer.precision == "openvino-f32"
    out = derainer(rainy)
    assert np.abs(out.astype(int) - reference.astype(int)).max() <= 1
    graphs = sorted((default_cache_dir() / "exported").glob("openvino-*-256x256.xml"))
    assert graphs and graphs[0].with_suffix(".bin").is_file()

    def must_not_convert(*args, **kwargs):
        raise AssertionError("the cached graph was converted again")

    monkeypatch.setattr(openvino, "convert_model", must_not_convert)
    again = Derainer(load_checkpoint(tiny_checkpoint)[0], precision="fp32", backend="openvino")
    assert np.array_equal(again(rainy), out)


@pytest.mark.parametrize("precision", ["fp32", "bf16"])
def test_shipped_rdmc_s_keeps_its_psnr_through_openvino(rainy_pair, precision):
    if precision == "bf16" and not cpu_has_bf16():
        pytest.skip("bf16 needs AVX512-BF16 or AMX; this CPU would run f32")
    rainy, clean = rainy_pair
    reference = psnr(load_derainer("rdmc-s", precision="fp32")(rainy), clean)
    derainer = load_derainer("rdmc-s", precision=precision, backend="openvino")
    assert derainer.precision == f"openvino-{'f32' if precision == 'fp32' else 'bf16'}"
    assert abs(psnr(derainer(rainy), clean) - reference) <= 0.05


class _NaNNet(torch.nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x * float("nan")


def test_a_non_finite_openvino_output_is_an_error(rainy_pair):
    derainer = Derainer(_NaNNet(), precision="fp32", backend="openvino", name="nan")
    with pytest.raises(NonFiniteOutput, match=r"nan \(openvino-f32\) gave NaN"):
        derainer(rainy_pair[0][:64, :64])


def test_backend_errors_are_one_line(tmp_path, capsys, monkeypatch):
    write_image(tmp_path / "in" / "a.png", sample_image("coffee")[:64, :64])
    with pytest.raises(ValueError, match="--compile is torch's"):
        load_derainer("guided-filter", backend="openvino", compile=True)
    monkeypatch.setitem(sys.modules, "openvino", None)  # as if it were not installed
    argv = ["derain", str(tmp_path / "in"), "-o", str(tmp_path / "out"), "--backend", "openvino"]
    assert main(argv) == 1
    err = capsys.readouterr().err.strip()
    assert err == (
        "error: --backend openvino needs the openvino package: pip install 'rdmc[fast]' "
        "(bash setup.sh installs it)"
    )


def test_bench_and_scoreboard_take_the_backend_into_meta_and_keys(
    tmp_path, tiny_checkpoint, monkeypatch
):
    import json

    from test_bench import make_suite

    from downstream.bench import run_bench
    from downstream.scoreboard.runner import Entry, run_scoreboard

    suite = make_suite(tmp_path, derainers=(str(tiny_checkpoint),), images=("astronaut",))
    runs = {}
    for backend in ("torch", "openvino"):
        out = run_bench(suite, tmp_path / backend, progress=False, cache_dir=tmp_path / "c",
                        backend=backend)  # fmt: skip
        runs[backend] = json.loads(out.read_text())
    meta = runs["openvino"]["meta"]
    assert meta["derainer_precision"] == {str(tiny_checkpoint): "openvino-f32"}
    assert meta["timings"]["cells_from_cache"] < meta["timings"]["cells"]  # other keys

    def psnr_of(data):
        return {r["rain"]: r["value"] for r in data["records"]
                if r["metric"] == "PSNR" and r["condition"] == str(tiny_checkpoint)}  # fmt: skip

    for rain, value in psnr_of(runs["torch"]).items():
        assert psnr_of(runs["openvino"])[rain] == pytest.approx(value, abs=0.01)

    # The scoreboard loads each derainer on the backend asked for and records it.
    asked = []

    def loading(spec, **kwargs):
        asked.append(kwargs["backend"])
        return Derainer(load_checkpoint(spec)[0])

    monkeypatch.setattr(rdmc.zoo, "load_derainer", loading)
    out = tmp_path / "scores.json"
    run_scoreboard([Entry("tiny", str(tiny_checkpoint))], out, [("light", 3)], split="val",
                   latency_repeats=1, quality=[], backend="openvino")  # fmt: skip
    assert asked == ["openvino"] and json.loads(out.read_text())["meta"]["backend"] == "openvino"


class _Fake:
    """A derainer stand-in for the probe: a path name and what it does to the image."""

    def __init__(self, path: str, noise: float) -> None:
        self.precision, self.noise = path, noise

    def __call__(self, img: np.ndarray) -> np.ndarray:
        rng = np.random.default_rng(0)
        return np.clip(img + rng.normal(0, self.noise, img.shape), 0, 255).astype(np.uint8)


def test_auto_takes_the_fastest_faithful_path_and_caches_the_probe(tmp_path, monkeypatch):
    from rdmc import backend

    noise = {("torch", "fp32"): 0.0, ("torch", "bf16"): 0.0, ("openvino", "bf16"): 0.0,
             ("onnxruntime", "fp32"): 0.0}  # fmt: skip
    speed = {"torch-bf16": 5.0, "openvino-bf16": 2.0, "onnxruntime-fp32": 8.0}
    monkeypatch.setattr(backend, "_median_ms", lambda d, rainy: speed[d.precision])

    def make(name, precision):
        return _Fake(f"{name}-{precision}", noise[(name, precision)])

    net = torch.nn.Conv2d(3, 3, 1)
    choice = backend.choose_backend(make, net, "bf16", cache_dir=tmp_path)
    assert (choice["backend"], choice["precision"]) == ("openvino", "bf16")
    assert "openvino-bf16 2 ms" in choice["why"]
    speed["openvino-bf16"] = 9.0  # the cached probe answers: nothing is timed again
    assert backend.choose_backend(make, net, "bf16", cache_dir=tmp_path)["backend"] == "openvino"

    noise[("openvino", "bf16")] = 20.0  # far from fp32's image: refused, however fast
    speed["openvino-bf16"] = 1.0
    other = torch.nn.Conv2d(3, 3, 1)  # other weights: another probe
    assert backend.choose_backend(make, other, "bf16", cache_dir=tmp_path)["backend"] == "torch"
    noise[("torch", "bf16")] = 20.0  # none faithful: torch fp32
    noise[("onnxruntime", "fp32")] = 20.0
    third = torch.nn.Conv2d(3, 3, 1)
    choice = backend.choose_backend(make, third, "bf16", cache_dir=tmp_path)
    assert (choice["backend"], choice["precision"]) == ("torch", "fp32")


def test_derain_auto_says_what_it_picked(tmp_path, tiny_checkpoint, capsys):
    write_image(tmp_path / "in" / "a.png", sample_image("coffee")[:64, :64])
    argv = ["derain", str(tmp_path / "in"), "-o", str(tmp_path / "out"), "--backend", "auto",
            "--model", str(tiny_checkpoint)]  # fmt: skip
    assert main(argv) == 0
    err = capsys.readouterr().err
    assert "backend auto: " in err and "probe at 256x256" in err
    assert (tmp_path / "out" / "a.png").is_file()


def test_onnxruntime_gives_torchs_image_and_caches_the_graph(
    tiny_checkpoint, rainy_pair, monkeypatch
):
    rainy, clean = rainy_pair
    reference = Derainer(load_checkpoint(tiny_checkpoint)[0], precision="fp32")(rainy)
    tiny = load_checkpoint(tiny_checkpoint)[0]
    derainer = Derainer(tiny, precision="auto", backend="onnxruntime")
    assert derainer.precision == "onnxruntime-fp32"  # auto: the best this backend has
    out = derainer(rainy)
    assert np.abs(out.astype(int) - reference.astype(int)).max() <= 1
    assert sorted((default_cache_dir() / "exported").glob("onnxruntime-*-256x256.onnx"))

    def must_not_export(*args, **kwargs):
        raise AssertionError("the cached graph was exported again")

    monkeypatch.setattr(torch.onnx, "export", must_not_export)
    again = Derainer(load_checkpoint(tiny_checkpoint)[0], backend="onnxruntime", precision="fp32")
    assert np.array_equal(again(rainy), out)
    with pytest.raises(ValueError, match="onnxruntime runs fp32 only, not bf16"):
        Derainer(load_checkpoint(tiny_checkpoint)[0], backend="onnxruntime", precision="bf16")
    monkeypatch.undo()
    shipped = load_derainer("rdmc-s", precision="fp32", backend="onnxruntime")
    torch_psnr = psnr(load_derainer("rdmc-s", precision="fp32")(rainy), clean)
    assert abs(psnr(shipped(rainy), clean) - torch_psnr) <= 0.05
