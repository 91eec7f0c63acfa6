"""The conditions of a run (clean, rainy per rain setting, derained per derainer and rain
setting) and the cached images of each."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from downstream.cache import Cache
from downstream.datasets import Dataset, Image
from downstream.errors import BenchError
from downstream.suite import Suite
from rdmc.choices import RainSetting
from rdmc.code_digest import code_digest, content_hash
from rdmc.rain import add_rain, seed_for

# The code behind each kind of cached image, besides its own inputs (see ConditionImages.key):
# the modules it runs, whose import closure (and the libraries it imports) code_digest hashes.
# Rain is added to images the dataset loaders read; derainers are built by the zoo.
RAIN_CODE = ("rdmc.rain", "downstream.datasets")
DERAIN_CODE = ("rdmc.zoo", "rdmc.inference")


def _installed_version(package: str) -> str:
    import importlib.metadata

    try:
        return importlib.metadata.version(package)
    except importlib.metadata.PackageNotFoundError:
        return "not installed"


@dataclass(frozen=True)
class Condition:
    name: str  # "clean", "rainy", or the derainer's name
    derainer: str | None
    preset: str | None  # a rain preset, or one of the dataset's own rain settings
    severity: int | None  # None for a dataset's own rain

    @property
    def rain(self) -> str:
        if self.preset is None:
            return "none"
        return (
            self.preset if self.severity is None else str(RainSetting(self.preset, self.severity))
        )

    @property
    def label(self) -> str:
        return self.name if self.preset is None else f"{self.name}@{self.rain}"


CLEAN = Condition("clean", None, None, None)


def conditions_of(suite: Suite, dataset: Dataset) -> list[Condition]:
    """Clean (where the dataset has clean images), then per rain setting (the dataset's own,
    else the suite's) rainy and every derainer."""
    conditions = [CLEAN] if dataset.has_clean else []
    settings = [(rain, None) for rain in dataset.rain] or suite.rain_settings()
    for preset, severity in settings:
        conditions.append(Condition("rainy", None, preset, severity))
        conditions += [Condition(d, d, preset, severity) for d in suite.derainers]
    return conditions


class ConditionImages:
    """Makes (and caches) each condition's copy of every image."""

    def __init__(
        self,
        suite: Suite,
        cache: Cache,
        device: str,
        precision: str = "fp32",
        compile: bool = False,
        backend: str = "torch",
    ) -> None:
        from rdmc.inference import resolve_precision
        from rdmc.zoo import derainer_fingerprint

        self.suite, self.cache, self.device, self.precision = suite, cache, device, precision
        self.compile, self.backend = compile, backend
        self.rain_code = code_digest(RAIN_CODE)
        path = [str(v) for v in resolve_precision(precision, device.split(":")[0])]
        path += ["compiled"] if compile else []
        if backend != "torch":  # the backend and its version: its kernels make the pixels
            path += [backend, _installed_version(backend)]
        self.derain_code = content_hash(code_digest(DERAIN_CODE), device, path)
        self.fingerprints = {}
        self._derainers: dict = {}
        self._outputs: dict[tuple[str, str, str], tuple[Path, str]] = {}
        for d in suite.derainers:
            if d in suite.outputs:
                continue  # matched to the dataset by attach_outputs
            try:
                self.fingerprints[d] = derainer_fingerprint(suite.derainer_spec(d))
                self.derainer(d)  # a checkpoint that does not load stops the run up front
            except ValueError as e:
                raise BenchError(f"{suite.source}: derainer {e}") from e

    def attach_outputs(self, dataset: Dataset, conditions: list[Condition]) -> None:
        """Matches each method run elsewhere (``{name, outputs: DIR}``) to the rainy inputs of
        every rain setting, by file name as ``rdmc eval`` does; DIR may hold ``{dataset}`` and
        ``{rain}``. A missing folder or output is one BenchError before anything runs."""
        from downstream.scoreboard.cases import match_outputs
        from rdmc.digests import sha256_of

        names = [im.name for im in dataset.images]
        for name, pattern in self.suite.outputs.items():
            where, digests = f"{self.suite.source}: derainer {name}", []
            for rain in dict.fromkeys(c.rain for c in conditions if c.derainer == name):
                folder = Path(pattern.replace("{dataset}", dataset.name).replace("{rain}", rain))
                if not folder.is_dir():
                    raise BenchError(f"{where}: {folder}: no such outputs folder (for {rain})")
                try:
                    files = match_outputs(folder, names)
                except ValueError as e:
                    raise BenchError(f"{where}: {e}") from e
                for im, file in zip(dataset.images, files, strict=True):
                    self._outputs[(name, rain, im.name)] = (file, sha256_of(file))
                    digests.append(f"{rain} {im.name} {self._outputs[(name, rain, im.name)][1]}")
            self.fingerprints[name] = "outputs:" + content_hash(digests)

    def key(self, image: Image, c: Condition) -> str:
        """The clean image's bytes; for a rainy copy also the rain's setting, seed and code
        (or the dataset's rainy file); for a derained copy also the derainer's weights, the
        inference code and device."""
        if c.preset is None:
            return image.key
        if c.derainer in self.suite.outputs:
            rainy = self.key(image, Condition("rainy", None, c.preset, c.severity))
            return content_hash(
                rainy, ("outputs", self._outputs[(c.derainer, c.rain, image.name)][1])
            )
        own = image.rainy.get(c.preset) if c.severity is None else None
        if own is not None:
            rainy = content_hash("rainy file", own.key, self.rain_code)
            if c.derainer is None:
                return rainy
            return content_hash(rainy, self._derain_key(c.derainer))
        rain = ("rain", c.preset, c.severity, seed_for(image.name, self.suite.seed))
        if c.derainer is None:
            return content_hash(image.key, rain, self.rain_code)
        return content_hash(image.key, rain, self.rain_code, self._derain_key(c.derainer))

    def _derain_key(self, name: str) -> tuple:
        """The derainer's weights, the inference code and device, and the path it runs
        (with --backend auto, the one the probe chose)."""
        return ("derain", self.fingerprints[name], self.derain_code, self.derainer(name).precision)

    def get(self, image: Image, c: Condition) -> np.ndarray:
        if c.preset is None:
            return image.read_clean()
        if c.derainer is None and c.severity is None:
            return image.read_rainy(c.preset)
        if c.derainer in self.suite.outputs:
            return self._read_output(image, c)

        def make() -> dict[str, np.ndarray]:
            if c.derainer is None:
                seed = seed_for(image.name, self.suite.seed)
                return {"rgb": add_rain(image.read_clean(), c.preset, c.severity, seed).rainy}
            rainy = self.get(image, Condition("rainy", None, c.preset, c.severity))
            return {"rgb": self.derainer(c.derainer)(rainy)}

        return self.cache.arrays("images", self.key(image, c), ("rgb",), make)["rgb"]

    def _read_output(self, image: Image, c: Condition) -> np.ndarray:
        from downstream.scoreboard.cases import read_output

        try:
            return read_output(
                self._outputs[(c.derainer, c.rain, image.name)][0], image.name, image.shape
            )
        except ValueError as e:
            raise BenchError(str(e)) from e

    def model_ids(self) -> dict[str, str]:
        """Each derainer's id (rdmc.zoo.model_id): named by its training run where its
        checkpoint says, else by its name in the suite."""
        from rdmc.zoo import model_id

        ids = {}
        for name, fingerprint in self.fingerprints.items():
            trained = {} if name in self.suite.outputs else self.derainer(name).meta
            ids[name] = model_id(fingerprint, trained.get("name", Path(name).stem))
        return ids

    def derainer(self, name: str):
        from rdmc.zoo import load_derainer

        if name not in self._derainers:
            self._derainers[name] = load_derainer(
                self.suite.derainer_spec(name),
                self.device,
                precision=self.precision,
                compile=self.compile,
                backend=self.backend,
            )
        return self._derainers[name]
