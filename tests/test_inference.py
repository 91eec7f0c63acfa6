"""Inference: tiling agrees with whole-image runs, any size / bit depth / channels, the CLI."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from rdmc import load_derainer
from rdmc.cli import main
from rdmc.imageio import read_image, write_image
from rdmc.inference import Derainer, tile_grid, tiled_apply
from rdmc.metrics import psnr
from rdmc.models.rdmc import build_rdmc
from rdmc.zoo import ZooError


@pytest.fixture(scope="module")
def rdmc_s_untrained():
    torch.manual_seed(0)
    return build_rdmc("rdmc-s").eval()


def test_tiled_and_untiled_agree(rdmc_s_untrained, photos):
    img = photos["astronaut"][:512, :512]
    whole = Derainer(rdmc_s_untrained, tile=None)(img)
    tiled = Derainer(rdmc_s_untrained, tile=256, tile_overlap=32)(img)
    assert whole.shape == tiled.shape == img.shape
    assert psnr(tiled, whole) > 50.0


@settings(max_examples=300, deadline=None)
@given(
    length=st.integers(1, 5000),
    tile=st.integers(40, 900),
    overlap=st.integers(0, 19),
    multiple=st.sampled_from([1, 16]),
)
def test_tile_grid_covers_with_the_fewest_equal_tiles(length, tile, overlap, multiple):
    size, starts = tile_grid(length, tile, overlap, multiple)
    assert starts[0] == 0 and starts[-1] + size == length  # covers, never past the edge
    assert size <= tile + multiple or len(starts) == 1 and size == length
    assert size % multiple == 0 or size == length  # no tile needs padding the whole has not
    assert all(size - (b - a) >= overlap for a, b in zip(starts, starts[1:], strict=False))
    fewest = 1 if length <= tile else math.ceil((length - overlap) / (tile - overlap))
    assert len(starts) == fewest


def test_auto_tiles_a_1024_image_in_four_equal_tiles():
    """The old fixed step cut 1024 into 512-pixel tiles at 0, 480, 512 (9 tiles, 2.25x the
    pixels); auto now takes 2 x 2 tiles of 528 (1.06x)."""
    assert tile_grid(1024, 512 + 32, 32) == (528, [0, 496])
    assert tile_grid(1024, 512, 32) == (363, [0, 330, 661])


def test_tiles_are_multiples_of_the_networks_size_step():
    """rdmc-se-s pads to a multiple of 16: a tile that is not one gets padding the whole image
    does not (512 in tiles of 256 with 64 overlap was 3 tiles of 214, off by up to 98 levels
    from the whole image at the last tile's edge; tiles of 224 stay within a few)."""
    from rdmc.data.samples import sample_image
    from rdmc.rain import add_rain

    rainy = add_rain(sample_image("astronaut"), "heavy", 3, 0).rainy
    whole = load_derainer("rdmc-se-s", tile=None)(rainy).astype(int)
    tiled = load_derainer("rdmc-se-s", tile=256, tile_overlap=64)(rainy).astype(int)
    assert tile_grid(512, 256, 64, multiple=16) == (224, [0, 144, 288])
    diff = np.abs(tiled - whole)
    assert diff.max() <= 12 and (diff > 1).mean() < 0.02


def test_the_overlap_is_what_the_network_needs(rdmc_s_untrained):
    """rdmc's receptive field reaches far past 32 pixels: its tiles overlap by 192 unless
    told otherwise, at most a quarter of an explicit tile; other networks by 32."""
    from rdmc.zoo import build_architecture

    assert Derainer(rdmc_s_untrained).tile_overlap == 192
    assert Derainer(rdmc_s_untrained, tile=256).tile_overlap == 64
    assert Derainer(rdmc_s_untrained, tile_overlap=16).tile_overlap == 16
    assert Derainer(build_architecture("rdmc-se-s")).tile_overlap == 32


def test_auto_tiles_of_rdmc_s_stay_close_to_the_whole_image(monkeypatch):
    """Just over a megapixel, rdmc-s's auto tiles (2 x 2, 624 x 608, overlap 192) stay within
    about one grey level of the whole image on average (measured 0.92 at 1025x1025; 2.19
    with the former overlap of 32), and large tiles make no extra pass for the gates."""
    import cv2

    from rdmc import inference
    from rdmc.data.samples import sample_image
    from rdmc.rain import add_rain

    photo = cv2.resize(sample_image("astronaut"), (1040, 1024), interpolation=cv2.INTER_CUBIC)
    rainy = add_rain(photo, "heavy", 3, 0).rainy
    whole = load_derainer("rdmc-s", tile=None)(rainy).astype(int)

    def no_gate_pass(net):
        raise AssertionError("auto tiles recorded the whole image's gates")

    monkeypatch.setattr(inference, "recording", no_gate_pass)
    diff = np.abs(load_derainer("rdmc-s")(rainy).astype(int) - whole)
    assert diff.mean() < 1.2 and diff.max() <= 20, (diff.mean(), diff.max())


def test_tiles_share_the_gates_of_the_whole_image(monkeypatch):
    """rdmc-s's dynamic gates pool over the whole input: tiles under 512 pixels reuse the gates
    of the whole image (one pass, shrunk only beyond 1 MP) instead of their own. On this
    photo with the shipped rdmc-s that brings tiled inference closer to the whole image
    (2.61 against 3.76 grey levels; the rest is seams: its receptive field is wider than the
    32-pixel overlap)."""
    from rdmc import inference
    from rdmc.data.samples import sample_image
    from rdmc.rain import add_rain

    rainy = add_rain(sample_image("astronaut"), "heavy", 3, 0).rainy
    whole = load_derainer("rdmc-s", tile=None)(rainy).astype(int)
    tiled = load_derainer("rdmc-s", tile=256, tile_overlap=32)
    shared = np.abs(tiled(rainy).astype(int) - whole)
    monkeypatch.setattr(inference, "has_global_gates", lambda net: False)
    own = np.abs(tiled(rainy).astype(int) - whole)
    assert shared.mean() < 3.0 and (shared > 1).mean() < 0.55, (shared.mean(), (shared > 1).mean())
    assert own.mean() > 1.3 * shared.mean()


def test_replayed_gates_are_the_recorded_ones_in_order(rdmc_s_untrained):
    """A replayed pass uses the recorded gates, not its input's: on the recorded input it
    gives the same output, on another input the output of the recorded gates."""
    from rdmc.models.shared_gates import recording, replaying

    torch.manual_seed(1)
    a, b = torch.rand(1, 3, 64, 64), torch.rand(1, 3, 64, 64) * 0.5
    with torch.inference_mode():
        plain_a, plain_b = rdmc_s_untrained(a)[-1], rdmc_s_untrained(b)[-1]
        with recording(rdmc_s_untrained) as tape:
            rdmc_s_untrained(a)
        assert sum(len(gates) for gates in tape.gates.values()) == 8 * 3  # 8 paths x 3 stages
        with replaying(rdmc_s_untrained, tape):
            again_a = rdmc_s_untrained(a)[-1]
            b_with_a_gates = rdmc_s_untrained(b)[-1]
        assert torch.equal(again_a, plain_a)
        assert not torch.allclose(b_with_a_gates, plain_b, atol=1e-4)
        assert torch.equal(rdmc_s_untrained(b)[-1], plain_b)  # the tape is gone afterwards


def test_tiling_an_identity_function_is_exact():
    x = torch.rand(1, 3, 100, 70)
    assert torch.allclose(tiled_apply(lambda t: t, x, tile=32, overlap=8), x, atol=1e-6)
    with pytest.raises(ValueError, match="twice the overlap"):
        tiled_apply(lambda t: t, x, tile=16, overlap=8)


@pytest.mark.parametrize(
    "make",
    [
        lambda p: p[:37, :53],  # odd size, RGB
        lambda p: p[:41, :29, 1],  # grayscale
        lambda p: np.dstack([p[:30, :40], np.arange(1200, dtype=np.uint8).reshape(30, 40)]),  # RGBA
        lambda p: p[:33, :45].astype(np.uint16) * 257,  # 16 bit
    ],
    ids=["odd-rgb", "gray", "rgba", "16bit"],
)
def test_derainer_keeps_shape_dtype_and_alpha(tiny_checkpoint, photos, make):
    img = make(photos["coffee"])
    out = load_derainer(str(tiny_checkpoint))(img)
    assert out.shape == img.shape and out.dtype == img.dtype
    if img.ndim == 3 and img.shape[2] == 4:
        assert np.array_equal(out[..., 3], img[..., 3])


def test_load_derainer_errors(tmp_path):
    with pytest.raises(ZooError, match="neither a zoo model"):
        load_derainer("no-such-model")
    with pytest.raises(ZooError, match="no trained checkpoint"):
        load_derainer("rdmc")
    broken = tmp_path / "broken.pth"
    broken.write_bytes(b"garbage")
    with pytest.raises(ZooError, match="not a readable checkpoint"):
        load_derainer(str(broken))
    torch.save({"state_dict": {}}, tmp_path / "foreign.pth")
    with pytest.raises(ZooError, match="not an rdmc checkpoint"):
        load_derainer(str(tmp_path / "foreign.pth"))


def test_cli_derain_mixed_folder(tmp_path, tiny_checkpoint, photos, capsys):
    src = tmp_path / "in"
    coffee = photos["coffee"]
    files = {
        "odd.png": coffee[:37, :53],
        "gray.png": coffee[:40, :30, 0],
        "rgba.png": np.dstack([coffee[:30, :40], np.full((30, 40), 77, np.uint8)]),
        "deep.png": coffee[:20, :24].astype(np.uint16) * 257,
        "photo.jpg": coffee[:48, :64],
    }
    for name, img in files.items():
        write_image(src / name, img)
    (src / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\n truncated")
    code = main(["derain", str(src), "-o", str(tmp_path / "out"), "--model", str(tiny_checkpoint)])
    captured = capsys.readouterr()
    assert code == 1
    assert "broken.png" in captured.err and "Traceback" not in captured.err
    assert "wrote 5 derained image(s)" in captured.out
    for name, img in files.items():
        out = read_image(tmp_path / "out" / name)
        assert out.shape == img.shape and out.dtype == img.dtype, name
    assert (read_image(tmp_path / "out" / "rgba.png")[..., 3] == 77).all()


def test_cli_derain_tiles_and_globs(tmp_path, tiny_checkpoint, photos):
    write_image(tmp_path / "a.png", photos["chelsea"][:100, :130])
    code = main(["derain", str(tmp_path / "*.png"), "-o", str(tmp_path / "o"),
                 "--model", str(tiny_checkpoint), "--tile", "64", "--tile-overlap", "16"])  # fmt: skip
    assert code == 0 and read_image(tmp_path / "o" / "a.png").shape == (100, 130, 3)


def test_cli_derain_unknown_model_is_one_line(tmp_path, capsys):
    write_image(tmp_path / "a.png", np.zeros((8, 8, 3), np.uint8))
    assert (
        main(["derain", str(tmp_path / "a.png"), "-o", str(tmp_path / "o"), "--model", "nope"]) == 1
    )
    err = capsys.readouterr().err.strip()
    assert err.startswith("error:") and "\n" not in err


@pytest.mark.slow
def test_a_12_megapixel_photo_derains_in_bounded_memory(tmp_path, photos):
    """4000x3000 with rdmc-s: auto tiling keeps the peak resident memory modest."""
    import resource

    import cv2

    img = cv2.resize(photos["astronaut"], (4000, 3000), interpolation=cv2.INTER_CUBIC)
    torch.manual_seed(0)
    derainer = Derainer(build_rdmc("rdmc-s").eval())
    out = derainer(img)
    assert out.shape == img.shape
    peak_gib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20
    assert peak_gib < 8, f"peak RSS {peak_gib:.1f} GiB"


@pytest.fixture(scope="module")
def rainy_test_split():
    """(rainy, clean) pairs of 8 photos of the embedded test split (the 5 of the former split
    and 3 more; all 28 take minutes per path on 2 cores) at light and heavy rain, severity 3."""
    from rdmc.data.datasets import to_rgb_uint8
    from rdmc.data.samples import sample_split
    from rdmc.imageio import list_images, read_image
    from rdmc.rain import add_rain, seed_for

    pairs = []
    from rdmc.fidelity import PHOTOS

    for path in [p for p in list_images(sample_split("test")) if p.stem in PHOTOS]:
        clean = to_rgb_uint8(read_image(path))
        for preset in ("light", "heavy"):
            pairs.append((add_rain(clean, preset, 3, seed_for(path.name, 0)).rainy, clean))
    return pairs


@pytest.fixture(scope="module")
def fp32_psnr(rainy_test_split):
    derainer = load_derainer("rdmc-s", precision="fp32")
    return np.mean([psnr(derainer(rainy), clean) for rainy, clean in rainy_test_split])


@pytest.mark.parametrize("precision", ["bf16", "auto", "auto-without-bf16"])
def test_every_precision_path_keeps_psnr_within_0_05_db_of_fp32(
    rainy_test_split, fp32_psnr, monkeypatch, precision
):
    """The shipped rdmc-s on the test split (light and heavy rain): bf16 + channels-last,
    auto on this CPU, and auto on a CPU without bf16 (fp32 + channels-last)."""
    if precision == "auto-without-bf16":
        monkeypatch.setattr("rdmc.inference.cpu_has_bf16", lambda: False)
        precision = "auto"
    derainer = load_derainer("rdmc-s", precision=precision)
    assert derainer.channels_last
    value = np.mean([psnr(derainer(rainy), clean) for rainy, clean in rainy_test_split])
    assert abs(value - fp32_psnr) <= 0.05, (derainer.precision, value, fp32_psnr)


def test_the_compiled_path_keeps_the_output_and_falls_back_cleanly(monkeypatch, capsys):
    """torch.compile (inductor, here with the system's C++ compiler) keeps the output
    within 0.05 dB, compiling with frozen weights; where compiling fails the derainer warns
    once and runs eagerly."""
    import shutil

    import torch._inductor.config

    from rdmc.data.samples import sample_image
    from rdmc.rain import add_rain

    clean = sample_image("astronaut")[:256, :256]
    rainy = add_rain(clean, "heavy", 3, 0).rainy
    eager = load_derainer("rdmc-s")(rainy)
    compiled = load_derainer("rdmc-s", compile=True)
    assert compiled.precision == "fp32+compiled"
    out = compiled(rainy)
    assert shutil.which("g++") is None or compiled.compiled is not None, "compiling failed"
    assert abs(psnr(out, clean) - psnr(eager, clean)) <= 0.05

    def cannot_compile(*args, **kwargs):
        raise RuntimeError("InductorError: no working C++ compiler found\nmore detail")

    frozen = []  # inductor freezes the weights while the compiled network is called
    recording = load_derainer("rdmc-s", compile=True)
    monkeypatch.setattr(
        recording, "compiled", lambda x: frozen.append(torch._inductor.config.freezing) or [x]
    )
    recording(rainy)
    assert frozen == [True] and torch._inductor.config.freezing is False

    failing = load_derainer("rdmc-s", compile=True)
    monkeypatch.setattr(failing, "compiled", cannot_compile)
    assert np.array_equal(failing(rainy), eager)
    assert failing.compiled is None and failing.precision == "fp32"
    err = capsys.readouterr().err
    assert "torch.compile failed (InductorError: no working C++ compiler found)" in err
    failing(rainy)
    assert "torch.compile" not in capsys.readouterr().err  # warned once


def test_precision_choices(monkeypatch):
    from rdmc.inference import resolve_precision

    assert resolve_precision("fp32", "cpu") == (torch.float32, False)
    assert resolve_precision("auto", "cuda") == (torch.float16, True)
    monkeypatch.setattr("rdmc.inference.cpu_has_bf16", lambda: True)
    assert resolve_precision("auto", "cpu") == (torch.bfloat16, True)
    with pytest.raises(ValueError, match="fp16 needs a CUDA device"):
        resolve_precision("fp16", "cpu")
    with pytest.raises(ValueError, match="precision must be one of"):
        resolve_precision("fp64", "cpu")


class _NaNNet(torch.nn.Module):
    """Stands for a wrong path (e.g. a compiled graph that computes NaN everywhere)."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x * float("nan")


def test_a_non_finite_output_is_an_error_never_an_image(tmp_path, photos, capsys):
    from rdmc.inference import NonFiniteOutput

    derainer = Derainer(_NaNNet(), name="broken")
    with pytest.raises(NonFiniteOutput, match=r"broken \(fp32\) gave NaN or infinite pixels"):
        derainer(photos["coffee"][:64, :64])

    # A compiled graph that returns NaN falls back to the eager network, with one warning.
    good = Derainer(torch.nn.Identity(), compile=False)
    good.compiled = _NaNNet()
    img = photos["coffee"][:64, :64]
    assert np.array_equal(good(img), img)
    assert good.compiled is None
    assert "torch.compile failed (its output is not finite); running eagerly" in (
        capsys.readouterr().err
    )


def test_cli_derain_names_an_image_whose_output_is_not_finite(
    tmp_path, photos, capsys, monkeypatch
):
    import rdmc.zoo

    write_image(tmp_path / "in" / "a.png", photos["coffee"][:64, :64])
    monkeypatch.setattr(rdmc.zoo, "load_derainer", lambda *a, **k: Derainer(_NaNNet()))
    assert main(["derain", str(tmp_path / "in"), "-o", str(tmp_path / "out")]) == 1
    assert "gave NaN or infinite pixels" in capsys.readouterr().err
    assert not (tmp_path / "out" / "a.png").exists()
