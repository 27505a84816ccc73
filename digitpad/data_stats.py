"""What the network learns from: class counts, average digits, the pixel histogram, examples.

The numbers behind the Data tab. Plain NumPy, no Qt and no TensorFlow. Images are
(N, 28, 28) or (N, 784) float32 in [0, 1]; labels are integers 0-9.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from digitpad.data import CLASSES, IMAGE_SIDE, PIXELS

if TYPE_CHECKING:
    from digitpad.data import Mnist

LEVELS = 256
"""MNIST's grey levels: the pixel histogram counts each of them."""


def class_counts(labels: np.ndarray) -> np.ndarray:
    """(10,) int64: how many images of each digit."""
    return np.bincount(np.asarray(labels, dtype=np.int64), minlength=CLASSES)[:CLASSES]


def average_digits(images: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """(10, 28, 28) float32: the pixel-wise mean image of each digit (zeros for an absent one)."""
    rows = _rows(images)
    labels = np.asarray(labels, dtype=np.int64)
    # One matrix product sums each class's rows: far faster than ten boolean selections.
    one_hot = np.zeros((CLASSES, len(labels)), dtype=np.float32)
    one_hot[labels, np.arange(len(labels))] = 1.0
    sums = one_hot @ rows
    counts = class_counts(labels).astype(np.float32)
    means = sums / np.maximum(counts, 1.0)[:, None]
    return means.reshape(CLASSES, IMAGE_SIDE, IMAGE_SIDE)


def pixel_histogram(images: np.ndarray, chunk: int = 4096) -> np.ndarray:
    """(256,) int64: how many pixels have each of MNIST's 256 grey levels (0 = background).

    Counted in chunks of images, so 43 million pixels need no 43-million-element temporary.
    """
    rows = _rows(images)
    counts = np.zeros(LEVELS, dtype=np.int64)
    for start in range(0, len(rows), chunk):
        levels = np.rint(rows[start : start + chunk] * (LEVELS - 1)).astype(np.uint8)
        counts += np.bincount(levels.ravel(), minlength=LEVELS)
    return counts


def examples_of(
    labels: np.ndarray, digit: int | None, count: int, rng: np.random.Generator
) -> np.ndarray:
    """Indices of ``count`` random images of ``digit`` (None: any digit), like the tutorial's
    ``show_pics(mnist, digit)``; fewer if there are not that many."""
    labels = np.asarray(labels)
    candidates = np.arange(len(labels)) if digit is None else np.flatnonzero(labels == digit)
    size = min(count, len(candidates))
    return rng.choice(candidates, size=size, replace=False).astype(np.int64)


@dataclass(frozen=True)
class DataStats:
    """What the Data tab shows about a data set, computed once.

    ``counts`` maps "train", "validation" and "test" to (10,) image counts; ``averages`` is the
    training set's (10, 28, 28) average digits; ``pixel_levels`` its (256,) grey-level counts.
    """

    counts: dict[str, np.ndarray]
    averages: np.ndarray
    pixel_levels: np.ndarray

    @property
    def background_share(self) -> float:
        """The share of training pixels that are pure background (level 0)."""
        total = int(self.pixel_levels.sum())
        return float(self.pixel_levels[0] / total) if total else math.nan


def stats_of(data: Mnist) -> DataStats:
    """Counts per split, average digits and the pixel histogram of ``data`` (~0.3 s for MNIST)."""
    return DataStats(
        counts={
            "train": class_counts(data.train.y),
            "validation": class_counts(data.val.y),
            "test": class_counts(data.test.y),
        },
        averages=average_digits(data.train.x, data.train.y),
        pixel_levels=pixel_histogram(data.train.x),
    )


def _rows(images: np.ndarray) -> np.ndarray:
    x = np.asarray(images, dtype=np.float32)
    if x.ndim == 3 and x.shape[1:] == (IMAGE_SIDE, IMAGE_SIDE):
        x = x.reshape(len(x), PIXELS)
    if x.ndim != 2 or x.shape[1] != PIXELS:
        raise ValueError(f"images must be (N, 28, 28) or (N, 784), not {np.shape(images)}")
    return x
