"""The loss: the contrastive prior's gradient, feature extractors, SSIM loss, stage weighting."""

from __future__ import annotations

import cv2
import pytest
import torch

from rdmc.losses import (
    ContrastivePrior,
    DerainLoss,
    EfficientNetLite0Features,
    SSIMLoss,
    VGG19Features,
)
from rdmc.metrics import ssim_torch
from rdmc.models.efficientnet_lite import load_efficientnet_lite0
from rdmc.models.vgg import vgg19_features
from rdmc.weights import REGISTRY_WEIGHTS, WeightsError, resolve_weights


@pytest.fixture(scope="module")
def lite_features():
    return EfficientNetLite0Features()


@pytest.fixture
def triple():
    torch.manual_seed(0)
    clean = torch.rand(2, 3, 48, 48)
    rainy = (clean + 0.4 * (torch.rand_like(clean) > 0.9)).clamp(0, 1)
    out = (0.5 * clean + 0.5 * rainy).requires_grad_(True)
    return out, clean, rainy


def assert_cr_sends_gradient(prior: ContrastivePrior, out, clean, rainy) -> None:
    loss = prior(out, clean, rainy)
    loss.backward()
    assert out.grad is not None and out.grad.abs().sum() > 0, "CR sends no gradient to the output"


def test_contrastive_prior_gradient_reaches_the_output(lite_features, triple):
    assert_cr_sends_gradient(ContrastivePrior(lite_features), *triple)


def test_cr_gradient_false_is_the_released_detach(lite_features, triple):
    """The authors' code detaches the output inside the loss: the same value, no gradient."""
    out, clean, rainy = triple
    released = ContrastivePrior(lite_features, cr_gradient=False)
    assert released(out, clean, rainy).item() == pytest.approx(
        ContrastivePrior(lite_features)(out, clean, rainy).item(), rel=1e-6
    )
    assert not released(out, clean, rainy).requires_grad


def test_cr_formula(lite_features, triple):
    out, clean, rainy = triple
    prior = ContrastivePrior(lite_features, eps=1e-7)
    fo, fc, fr = lite_features(out), lite_features(clean), lite_features(rainy)
    w = lite_features.weights
    expected = sum(wi * (a - p).abs().mean() for wi, a, p in zip(w, fo, fc, strict=True)) / (
        sum(wi * (a - n).abs().mean() for wi, a, n in zip(w, fo, fr, strict=True)) + 1e-7
    )
    assert prior(out, clean, rainy).item() == pytest.approx(expected.item(), rel=1e-5)


def test_cr_is_lower_nearer_the_clean_image(lite_features, triple):
    _, clean, rainy = triple
    prior = ContrastivePrior(lite_features)
    near_clean = 0.9 * clean + 0.1 * rainy
    near_rainy = 0.1 * clean + 0.9 * rainy
    assert prior(near_clean, clean, rainy) < prior(near_rainy, clean, rainy)


def test_feature_extractor_is_frozen_and_stays_in_eval_mode(lite_features):
    lite_features.train()
    assert not lite_features.training and not any(
        p.requires_grad for p in lite_features.parameters()
    )
    shapes = [f.shape[1] for f in lite_features(torch.rand(1, 3, 64, 64))]
    assert shapes == [32, 16, 24, 40, 80]


def test_efficientnet_lite0_has_real_imagenet_weights(photos):
    """The registry weights classify the bundled photos: a cat and an espresso."""
    net = load_efficientnet_lite0()
    for name, classes in (("chelsea", {281, 282, 285}), ("coffee", {967, 968})):
        img = cv2.resize(photos[name], (224, 224), interpolation=cv2.INTER_AREA)
        x = torch.from_numpy(img).permute(2, 0, 1)[None].float() / 255
        with torch.no_grad():
            top = net(x).softmax(1)[0].topk(1)
        assert int(top.indices[0]) in classes and float(top.values[0]) > 0.5, name


def test_vgg19_from_a_torchvision_format_file(tmp_path):
    torch.manual_seed(0)
    reference = vgg19_features(36)  # the whole torchvision vgg19.features
    state = {f"features.{k}": v for k, v in reference.state_dict().items()}
    state["classifier.0.weight"] = torch.zeros(4, 4)  # present in real files, ignored
    path = tmp_path / "vgg19-dcbb9e9d.pth"
    torch.save(state, path)
    features = VGG19Features(str(path))
    assert torch.equal(features.features[0].weight, reference[0].weight)
    x = torch.rand(1, 3, 32, 32)
    outs = features(x)
    assert [o.shape[1:] for o in outs] == [
        (64, 32, 32),
        (64, 32, 32),
        (64, 16, 16),
        (128, 16, 16),
        (256, 8, 8),
    ]
    # The authors' taps: features[0] and [2] after their in-place ReLU, no normalisation.
    assert torch.allclose(outs[0], torch.relu(reference[0](x)), atol=1e-6)
    assert torch.allclose(outs[4], reference[:13](x), atol=1e-5)  # conv3_2, before its ReLU
    normalized = VGG19Features(str(path), normalize=True)(x)[0]
    assert torch.allclose(normalized, torch.relu(reference[0]((x - features.mean) / features.std)),
                          atol=1e-6)  # fmt: skip
    prior = ContrastivePrior("vgg19", weights_path=str(path))
    out = torch.rand(1, 3, 32, 32, requires_grad=True)
    assert_cr_sends_gradient(prior, out, torch.rand(1, 3, 32, 32), torch.rand(1, 3, 32, 32))


def test_vgg19_needs_a_file(tmp_path):
    with pytest.raises(ValueError, match="weights_path"):
        ContrastivePrior("vgg19")
    with pytest.raises(FileNotFoundError, match="no such VGG19"):
        VGG19Features(str(tmp_path / "missing.pth"))


def test_ssim_loss_matches_the_metric_on_rgb():
    torch.manual_seed(1)
    a, b = torch.rand(2, 3, 40, 40), torch.rand(2, 3, 40, 40)
    expected = 1 - ssim_torch(a, b, test_y_channel=False).mean()
    assert SSIMLoss()(a, b).item() == pytest.approx(expected.item(), abs=1e-5)
    assert SSIMLoss()(a, a).item() == pytest.approx(0.0, abs=1e-6)


def test_total_loss_on_the_last_stage_or_summed_over_stages(triple):
    out, clean, rainy = triple
    stages = [out, (out + clean) / 2]
    last = DerainLoss(contrastive=None)(stages, clean, rainy)  # the authors' default
    assert last["loss_mse"].item() == pytest.approx(
        0.1 * torch.nn.functional.mse_loss(stages[1], clean).item(), rel=1e-6
    )
    loss = DerainLoss(mse_weight=0.1, ssim_weight=1.0, cr_weight=0.1, contrastive={},
                      supervise="all")  # fmt: skip
    parts = loss(stages, clean, rainy)
    assert set(parts) == {"loss_mse", "loss_ssim", "loss_cr"}
    mse = sum(0.1 * torch.nn.functional.mse_loss(s, clean) for s in stages)
    assert parts["loss_mse"].item() == pytest.approx(mse.item(), rel=1e-6)
    weighted = DerainLoss(supervise="all", stage_weights=[0.0, 1.0], contrastive=None)(
        stages, clean, rainy
    )
    assert set(weighted) == {"loss_mse", "loss_ssim"}
    assert weighted["loss_mse"].item() == pytest.approx(
        0.1 * torch.nn.functional.mse_loss(stages[1], clean).item(), rel=1e-6
    )
    with pytest.raises(ValueError, match="stage weights"):
        DerainLoss(supervise="all", stage_weights=[1.0], contrastive=None)(stages, clean, rainy)
    with pytest.raises(ValueError, match="supervise"):
        DerainLoss(supervise="first")
    with pytest.raises(ValueError, match="needs supervise='all'"):
        DerainLoss(stage_weights=[1.0, 1.0])


def test_weights_are_checksummed(tmp_path):
    entry = REGISTRY_WEIGHTS["efficientnet-lite0"]
    path = resolve_weights("efficientnet-lite0")
    assert path.name == entry.filename and path.is_file()
    bad = tmp_path / "bad.pth"
    bad.write_bytes(b"not the weights")
    from rdmc.weights import _copy_verified

    with pytest.raises(WeightsError, match="does not match"):
        _copy_verified(bad, entry, tmp_path / "out.pth")
    assert resolve_weights("efficientnet-lite0", bad) == bad  # an explicit local path is trusted
    with pytest.raises(WeightsError, match="no such weights file"):
        resolve_weights("efficientnet-lite0", tmp_path / "missing.pth")


def test_corrupted_cache_is_replaced(isolated_cache):
    cached = resolve_weights("efficientnet-lite0")
    cached.write_bytes(b"corrupted")
    again = resolve_weights("efficientnet-lite0")
    assert again == cached and again.stat().st_size > 1_000_000
