"""BRISQUE (Mittal, Moorthy and Bovik 2012), as LIVE's MATLAB release computes it.

``brisquescore.m``: rgb2gray, 36 features (a GGD fit of the MSCN coefficients and an
AGGD fit of each of their four neighbour products, with zero borders as ``filter2``,
at full and half size), written with ``%f``, scaled to [-1, 1] by ``svm-scale`` with
LIVE's ranges (``allrange``, printed with ``%g``), and scored by ``svm-predict`` with
LIVE's epsilon-SVR (``allmodel``: RBF kernel). Lower is better; the score is not
clipped, so it can leave 0..100.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
from scipy.special import gamma

from rdmc.iqa.matlab import imresize, rgb2gray
from rdmc.iqa.nss import IqaError, aggd_fit, ggd_fit, mscn, neighbour_products

FEATURES = 36


@dataclass(frozen=True)
class SvrModel:
    """A libsvm epsilon-SVR with an RBF kernel, and the feature ranges of its scaling."""

    support_vectors: np.ndarray  # (n, 36)
    coefficients: np.ndarray  # (n,)
    gamma: float
    rho: float
    ranges: np.ndarray  # (36, 2): min, max of each feature

    def predict(self, features: np.ndarray) -> float:
        low, high = self.ranges[:, 0], self.ranges[:, 1]
        scaled = -1 + 2 * (features - low) / (high - low)
        scaled = np.array([float(f"{v:g}") for v in scaled])  # svm-scale prints %g
        distances = np.sum((self.support_vectors - scaled) ** 2, axis=1)
        return float(self.coefficients @ np.exp(-self.gamma * distances) - self.rho)


def read_libsvm_model(path: Path, ranges: np.ndarray) -> SvrModel:
    """Parses a libsvm text model (epsilon_svr, rbf) such as LIVE's ``allmodel``."""
    header: dict[str, str] = {}
    vectors, coefficients = [], []
    lines = path.read_text().splitlines()
    for number, line in enumerate(lines):
        if line.strip() == "SV":
            body = lines[number + 1 :]
            break
        key, _, value = line.partition(" ")
        header[key] = value
    else:
        raise IqaError(f"{path}: not a libsvm model (no SV section)")
    if header.get("svm_type") != "epsilon_svr" or header.get("kernel_type") != "rbf":
        raise IqaError(f"{path}: expected an epsilon_svr with an rbf kernel")
    for line in body:
        if not line.strip():
            continue
        coefficient, *pairs = line.split()
        vector = np.zeros(FEATURES)
        for pair in pairs:
            index, value = pair.split(":")
            vector[int(index) - 1] = float(value)
        vectors.append(vector)
        coefficients.append(float(coefficient))
    return SvrModel(
        support_vectors=np.array(vectors),
        coefficients=np.array(coefficients),
        gamma=float(header["gamma"]),
        rho=float(header["rho"]),
        ranges=np.asarray(ranges, dtype=np.float64),
    )


def brisque_features(gray: np.ndarray) -> np.ndarray:
    """brisque_feature.m: 18 numbers at full size, 18 at half size."""
    features: list[float] = []
    for _ in range(2):
        coefficients, _ = mscn(gray, "zero")
        shape, sigma = ggd_fit(coefficients.ravel())
        features += [shape, sigma**2]
        for pair in neighbour_products(coefficients):
            shape, left, right = aggd_fit(pair.ravel())
            to_scale = np.sqrt(gamma(1 / shape)) / np.sqrt(gamma(3 / shape))
            mean = (right - left) * gamma(2 / shape) / gamma(1 / shape) * to_scale
            features += [shape, mean, left**2, right**2]
        gray = imresize(gray, 0.5)
    return np.array(features)


def brisque(img: np.ndarray, model: SvrModel) -> float:
    """BRISQUE of an RGB or gray image (uint8 scale)."""
    gray = rgb2gray(img)
    if min(gray.shape) < 14:
        raise IqaError(f"BRISQUE needs at least 14x14 pixels, got {gray.shape[1]}x{gray.shape[0]}")
    features = np.round(brisque_features(gray), 6)  # brisquescore.m writes them with %f
    return model.predict(features)
