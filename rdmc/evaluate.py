"""`rdmc eval`: PSNR/SSIM of restored images against ground truth, matched by name.

Pairing accepts the names the common deraining datasets use: identical stems
(``001.png`` / ``001.jpg``), Rain100/Rain200 style ``rain-001`` / ``norain-001``,
and suffix styles such as ``001_rain`` / ``001_clean`` or SPA-Data's ``001gt``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from rdmc.imageio import ImageError, list_images, read_image
from rdmc.metrics import convention, psnr, ssim
from rdmc.naming import match_by_name, pairing_key


@dataclass
class Pairing:
    pairs: list[tuple[Path, Path]] = field(default_factory=list)
    unmatched_pred: list[Path] = field(default_factory=list)
    unmatched_gt: list[Path] = field(default_factory=list)


def _as_image_list(path: Path) -> list[Path]:
    if path.is_dir():
        return list_images(path)
    if path.is_file():
        return [path]
    raise FileNotFoundError(f"{path}: no such file or folder")


# Layouts whose ground truth is a file of its own (side-by-side layouts are not).
_SEPARATE_GT_LAYOUTS = ("rain100", "rain1400", "rain12", "spa", "paired")


def dataset_ground_truth(gt: Path) -> dict[str, Path] | None:
    """For a deraining dataset folder in a known layout (Rain100's ``rain-N`` / ``norain-N``
    side by side, Rain1400, Rain12, SPA-Data, ``input/`` + ``target/``): every name an output
    may carry (the rainy file's and the clean file's stem and pairing key) -> the *clean*
    file. None for a plain folder of ground-truth images."""
    from rdmc.data.layouts import LayoutError, find_pairs

    try:
        found = find_pairs(gt)
    except LayoutError:
        return None
    if found.layout not in _SEPARATE_GT_LAYOUTS:
        return None
    names: dict[str, Path] = {}
    for pair in found.pairs:  # exact stems first, so they win over pairing keys
        names.setdefault(pair.rainy.stem, pair.clean)
        names.setdefault(pair.clean.stem, pair.clean)
    for pair in found.pairs:
        names.setdefault(pairing_key(pair.rainy), pair.clean)
        names.setdefault(pairing_key(pair.clean), pair.clean)
    return names


def pair_images(pred: Path, gt: Path) -> Pairing:
    """Matches predictions to ground truth: exact stem first, then by :func:`pairing_key`.

    When ``gt`` is a dataset in a known layout, only its clean images are ground truth
    (an output is never scored against a rainy input); several outputs may share one
    clean image (Rain1400's 14 rain types)."""
    preds = _as_image_list(Path(pred))
    if Path(pred).is_file() and Path(gt).is_file():
        return Pairing(pairs=[(preds[0], Path(gt))])
    dataset = dataset_ground_truth(Path(gt)) if Path(gt).is_dir() else None
    if dataset is not None:
        result = Pairing()
        for p in preds:
            match = dataset.get(p.stem) or dataset.get(pairing_key(p))
            if match is None:
                result.unmatched_pred.append(p)
            else:
                result.pairs.append((p, match))
        used = {g for _, g in result.pairs}
        result.unmatched_gt = sorted({g for g in dataset.values() if g not in used})
        return result
    gts = _as_image_list(Path(gt))
    result = Pairing()
    for p, match in zip(preds, match_by_name(preds, gts), strict=True):
        if match is None:
            result.unmatched_pred.append(p)
        else:
            result.pairs.append((p, match))
    used = {g for _, g in result.pairs}
    result.unmatched_gt = [g for g in gts if g not in used]
    return result


def _to_rgb_or_gray(img: np.ndarray) -> np.ndarray:
    """Drops an alpha channel: the metrics score colour only."""
    return img[..., :3] if img.ndim == 3 and img.shape[2] == 4 else img


@dataclass
class EvalReport:
    per_image: list[dict]
    failures: list[str]
    unmatched_pred: list[Path]
    unmatched_gt: list[Path]
    test_y_channel: bool
    crop_border: int

    @property
    def n(self) -> int:
        return len(self.per_image)

    def mean(self, key: str) -> float:
        return float(np.mean([r[key] for r in self.per_image])) if self.per_image else math.nan

    @property
    def gt_total(self) -> int:
        """Ground-truth images that had a prediction, plus those that had none."""
        return len({r["gt"] for r in self.per_image}) + len(self.unmatched_gt)

    def to_json(self) -> dict:
        """JSON-safe: a non-finite mean or PSNR (no pair, identical images) is null."""
        return {
            "psnr": _finite(self.mean("psnr")),
            "ssim": _finite(self.mean("ssim")),
            "n": self.n,
            "convention": convention(self.test_y_channel),
            "crop_border": self.crop_border,
            "per_image": [{k: _finite(v) for k, v in r.items()} for r in self.per_image],
            "failures": self.failures,
            "unmatched_pred": [str(p) for p in self.unmatched_pred],
            "unmatched_gt": [str(p) for p in self.unmatched_gt],
        }


def _finite(value):
    return None if isinstance(value, float) and not math.isfinite(value) else value


def evaluate_folder(
    pred: Path, gt: Path, crop_border: int = 0, test_y_channel: bool = True
) -> EvalReport:
    """Scores every matched pair; unreadable or mismatched pairs are recorded, not raised."""
    pairing = pair_images(pred, gt)
    per_image, failures = [], []
    for p, g in pairing.pairs:
        try:
            a, b = _to_rgb_or_gray(read_image(p)), _to_rgb_or_gray(read_image(g))
            if a.shape != b.shape or a.dtype != b.dtype:
                raise ImageError(
                    f"{p}: shape/dtype {a.shape} {a.dtype} differs from {g} ({b.shape} {b.dtype})"
                )
            per_image.append(
                {
                    "pred": str(p),
                    "gt": str(g),
                    "psnr": psnr(a, b, crop_border, test_y_channel),
                    "ssim": ssim(a, b, crop_border, test_y_channel),
                }
            )
        except (ImageError, ValueError) as e:
            failures.append(str(e) if str(p) in str(e) else f"{p}: {e}")
    return EvalReport(
        per_image,
        failures,
        pairing.unmatched_pred,
        pairing.unmatched_gt,
        test_y_channel,
        crop_border,
    )


def format_table(report: EvalReport) -> str:
    """Per-image rows and the mean, as a plain-text table."""
    rows = [
        (Path(r["pred"]).name, Path(r["gt"]).name, r["psnr"], r["ssim"]) for r in report.per_image
    ]
    w_pred = max([len("prediction"), *(len(r[0]) for r in rows)])
    w_gt = max([len("ground truth"), *(len(r[1]) for r in rows)])
    lines = [f"{'prediction':<{w_pred}}  {'ground truth':<{w_gt}}  {'PSNR (dB)':>9}  {'SSIM':>6}"]
    lines.append("-" * len(lines[0]))
    for name, gname, p, s in rows:
        lines.append(f"{name:<{w_pred}}  {gname:<{w_gt}}  {p:>9.4f}  {s:>6.4f}")
    lines.append("-" * len(lines[0]))
    mean_label = f"mean of {report.n}"
    mean_psnr, mean_ssim = report.mean("psnr"), report.mean("ssim")
    lines.append(f"{mean_label:<{w_pred}}  {'':<{w_gt}}  {mean_psnr:>9.4f}  {mean_ssim:>6.4f}")
    lines.append(
        f"convention: {convention(report.test_y_channel)}, crop_border={report.crop_border}"
    )
    return "\n".join(lines)
