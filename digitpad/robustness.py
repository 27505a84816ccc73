"""Robustness curves: test accuracy as each kind of damage to the digits grows.

Six kinds of damage, each at a range of levels: Gaussian pixel noise, rotation (up to ±45°),
shift (up to 8 px), scale, thinner or bolder strokes, and occlusion by a random bar. They are
measured on a fixed subset of the test set (:data:`ROBUSTNESS_IMAGES` images drawn with
:data:`ROBUSTNESS_SEED`), and every random choice (each image's rotation sign, shift direction,
bar position, noise) is drawn from a seed, so two models are judged on exactly the same damaged
images and a model's curves are computed once and cached under the checksum of its weights.

Warping and stroke changes reuse :mod:`digitpad.augment`'s bilinear sampler and grey
morphology. Plain NumPy, no Qt and no TensorFlow; the work is a generator of
:class:`~digitpad.progress.Progress` so the GUI can show it and stop it between steps.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import numpy as np

from digitpad import augment
from digitpad.data import IMAGE_SIDE
from digitpad.inference import Predictor
from digitpad.progress import Progress
from digitpad.surgery import accuracy

ROBUSTNESS_IMAGES = 2000
"""Test images the curves are measured on: enough for a point's accuracy to be within about a
point of the whole test set's (binomial standard error ≤ 1.1%), quick enough to redo."""
ROBUSTNESS_SEED = 0

_BAR_CENTRE_RANGE = (7.0, 21.0)  # a bar's centre falls within the digit's 20 px box


@dataclass(frozen=True)
class Damage:
    """One kind of damage: its ``levels`` (``intact`` is the level that changes nothing) and
    how to label them."""

    name: str
    title: str
    axis: str
    levels: tuple[float, ...]
    intact: float


DAMAGES: dict[str, Damage] = {
    d.name: d
    for d in (
        Damage("noise", "Pixel noise", "noise σ", (0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.8, 1.0), 0),
        Damage("rotation", "Rotation", "degrees (either way)", tuple(range(0, 50, 5)), 0),
        Damage("shift", "Shift", "pixels (any direction)", tuple(range(0, 9)), 0),
        Damage(
            "scale",
            "Scale",
            "size factor",
            (0.5, 0.6, 0.7, 0.8, 0.9, 1.0, 1.1, 1.2, 1.3, 1.4, 1.5),
            1.0,
        ),
        Damage(
            "stroke",
            "Stroke width",
            "thinner (−) or bolder (+), px per side",
            (-1.0, -0.5, 0.0, 0.5, 1.0, 1.5, 2.0, 2.5, 3.0),
            0.0,
        ),
        Damage("occlusion", "Occlusion", "bar width, px", (0, 2, 4, 6, 8, 10, 12), 0),
    )
}


def damaged(kind: str, images: np.ndarray, level: float, seed: int = ROBUSTNESS_SEED) -> np.ndarray:
    """A damaged copy of (N, 784) or (N, 28, 28) float images in [0, 1], as (N, 784) float32.

    The per-image random choices depend only on ``seed``, ``kind`` and the number of images,
    not on ``level``: each image keeps its rotation sign, shift direction or bar position as
    the level grows, so a curve shows one change growing rather than new dice at each point.
    """
    if kind not in DAMAGES:
        raise ValueError(f"unknown damage {kind!r} (known: {', '.join(DAMAGES)})")
    flat = np.asarray(images, dtype=np.float32).reshape(len(images), IMAGE_SIDE * IMAGE_SIDE)
    rng = np.random.default_rng([seed, list(DAMAGES).index(kind)])
    count = len(flat)
    level = float(level)
    if kind == "noise":
        noise = rng.standard_normal(flat.shape, dtype=np.float32)
        return np.clip(flat + np.float32(level) * noise, 0.0, 1.0)
    if kind == "rotation":
        signs = rng.choice([-1.0, 1.0], size=count)
        return _affine(flat, angle=np.deg2rad(level) * signs)
    if kind == "shift":
        direction = rng.uniform(0.0, 2.0 * np.pi, count)
        shift = level * np.stack([np.cos(direction), np.sin(direction)], axis=1)
        return _affine(flat, shift=shift)
    if kind == "scale":
        if level <= 0:
            raise ValueError(f"scale must be above 0, not {level}")
        return _affine(flat, scale=np.full(count, level))
    if kind == "stroke":
        padded = augment._padded(flat)
        augment._vary_thickness(padded, np.full(count, level))
        return augment._frame(padded, 0, 0).reshape(count, IMAGE_SIDE * IMAGE_SIDE).copy()
    return _occluded(flat, int(round(level)), rng)


def _affine(
    flat: np.ndarray,
    *,
    angle: np.ndarray | None = None,
    scale: np.ndarray | None = None,
    shift: np.ndarray | None = None,
) -> np.ndarray:
    """Rotate (radians), scale and shift (pixels, (N, 2) as x, y) each image about MNIST's
    centre, resampled bilinearly with augment's sampler (zero outside the image)."""
    count = len(flat)
    angle = np.zeros(count) if angle is None else angle
    scale = np.ones(count) if scale is None else scale
    shift = np.zeros((count, 2)) if shift is None else shift
    cos, sin = np.cos(angle), np.sin(angle)
    forward = np.empty((count, 2, 2))
    forward[:, 0, 0], forward[:, 0, 1] = cos, -sin
    forward[:, 1, 0], forward[:, 1, 1] = sin, cos
    forward *= scale[:, None, None]
    inverse = np.linalg.inv(forward)
    # Same layout as augment._sampling_coefficients, with no elastic part.
    coefficients = np.zeros((2, count, 3 + augment.ELASTIC_GRID**2), np.float32)
    coefficients[:, :, :2] = inverse.transpose(1, 0, 2)
    coefficients[:, :, 2] = (
        augment._CENTRE + augment._PAD - np.einsum("nij,nj->ni", inverse, shift)
    ).T
    out = np.empty((count, IMAGE_SIDE * IMAGE_SIDE), np.float32)
    chunk = augment._CHUNK
    sampler = augment._Sampler(min(max(count, 1), chunk))
    for start in range(0, count, chunk):
        part = slice(start, min(start + chunk, count))
        sampler.warp(augment._padded(flat[part]), coefficients[:, part], out[part])
    return out


def _occluded(flat: np.ndarray, width: int, rng: np.random.Generator) -> np.ndarray:
    """Erase a bar ``width`` px wide across each image, horizontal or vertical at random, its
    centre somewhere across the digit."""
    count = len(flat)
    vertical = rng.random(count) < 0.5
    centre = rng.uniform(*_BAR_CENTRE_RANGE, count)
    out = flat.reshape(count, IMAGE_SIDE, IMAGE_SIDE).copy()
    if width <= 0:
        return out.reshape(count, -1)
    start = np.clip(np.round(centre - width / 2.0).astype(int), 0, IMAGE_SIDE)
    position = np.arange(IMAGE_SIDE)
    inside = (position >= start[:, None]) & (position < start[:, None] + width)  # (N, 28)
    mask = np.where(vertical[:, None, None], inside[:, None, :], inside[:, :, None])
    out[mask] = 0.0
    return out.reshape(count, -1)


def robustness_subset(
    labels: np.ndarray, count: int = ROBUSTNESS_IMAGES, seed: int = ROBUSTNESS_SEED
) -> np.ndarray:
    """The fixed test-set positions the curves use, in order."""
    count = min(int(count), len(labels))
    return np.sort(np.random.default_rng(seed).choice(len(labels), size=count, replace=False))


@dataclass(frozen=True)
class RobustnessCurve:
    """Accuracy at each level of one kind of damage."""

    kind: str
    levels: np.ndarray
    accuracy: np.ndarray

    def at(self, level: float) -> float:
        """The accuracy measured at ``level`` (KeyError if it was not measured)."""
        match = np.flatnonzero(np.isclose(self.levels, level))
        if not len(match):
            raise KeyError(level)
        return float(self.accuracy[match[0]])


@dataclass(frozen=True)
class RobustnessReport:
    """One model's curves, measured on ``images`` images chosen with ``seed``."""

    model_key: str
    model_name: str
    images: int
    seed: int
    curves: dict[str, RobustnessCurve]


def model_key(predictor: Predictor) -> str:
    """A checksum of the model's weights and activation: the same network gets the same key
    whatever its name, an edited or retrained one another."""
    digest = hashlib.sha256(predictor.activation.encode())
    for kernel, bias in predictor.layers:
        for array in (kernel, bias):
            array = np.ascontiguousarray(array, dtype=np.float32)
            digest.update(str(array.shape).encode())
            digest.update(array.tobytes())
    return digest.hexdigest()


class RobustnessCache:
    """Reports by (model key, images, seed); safe to share between threads."""

    def __init__(self) -> None:
        self._reports: dict[tuple[str, int, int], RobustnessReport] = {}
        self._lock = threading.Lock()

    def get(self, key: str, images: int, seed: int) -> RobustnessReport | None:
        with self._lock:
            return self._reports.get((key, images, seed))

    def put(self, report: RobustnessReport) -> None:
        with self._lock:
            self._reports[(report.model_key, report.images, report.seed)] = report

    def __len__(self) -> int:
        with self._lock:
            return len(self._reports)


def robustness_steps(
    predictors: Sequence[Predictor],
    images: np.ndarray,
    labels: np.ndarray,
    *,
    count: int = ROBUSTNESS_IMAGES,
    seed: int = ROBUSTNESS_SEED,
    kinds: Sequence[str] | None = None,
    cache: RobustnessCache | None = None,
) -> Iterator[Progress | list[RobustnessReport]]:
    """Measure every model's curves on the same damaged images, yielding :class:`Progress`
    after each damage level and, last, one :class:`RobustnessReport` per model, in order.

    ``images``/``labels`` are the whole test set; the fixed subset of ``count`` is taken here.
    A model found in ``cache`` is not measured again; new reports are added to it (only
    complete reports: one stopped half-way is not kept).
    """
    kinds = list(DAMAGES) if kinds is None else list(kinds)
    for kind in kinds:
        if kind not in DAMAGES:
            raise ValueError(f"unknown damage {kind!r} (known: {', '.join(DAMAGES)})")
    labels = np.asarray(labels, dtype=np.int64)
    chosen = robustness_subset(labels, count, seed)
    subset = np.asarray(images, dtype=np.float32).reshape(len(images), -1)[chosen]
    subset_labels = labels[chosen]
    keys = [model_key(p) for p in predictors]
    known = {key: cache.get(key, len(chosen), seed) if cache is not None else None for key in keys}
    todo = [
        (i, p) for i, (p, key) in enumerate(zip(predictors, keys, strict=True)) if not known[key]
    ]
    measured: dict[int, dict[str, list[float]]] = {i: {} for i, _ in todo}
    total = sum(len(DAMAGES[k].levels) for k in kinds) if todo else 0
    done = 0
    for kind in kinds if todo else []:
        for level in DAMAGES[kind].levels:
            broken = damaged(kind, subset, level, seed)
            for i, predictor in todo:
                measured[i].setdefault(kind, []).append(accuracy(predictor, broken, subset_labels))
            done += 1
            yield Progress(done, total, f"{DAMAGES[kind].title}: {level:g}")
    reports = []
    for i, (predictor, key) in enumerate(zip(predictors, keys, strict=True)):
        report = known[key]
        if report is None:
            curves = {
                kind: RobustnessCurve(
                    kind, np.array(DAMAGES[kind].levels, dtype=np.float64), np.array(values)
                )
                for kind, values in measured[i].items()
            }
            report = RobustnessReport(key, predictor.name, len(chosen), seed, curves)
            if cache is not None and set(curves) == set(DAMAGES):
                cache.put(report)
        reports.append(report)
    yield reports
