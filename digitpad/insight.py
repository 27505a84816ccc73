"""Looking inside: what the network learns from, what it learned, and how sure it is.

The numbers behind the Data tab (class counts, average digits, pixel histogram, example
grids), the Inside views (weight tiles, weight histograms, dead ReLU units, activation grids)
and the confidence threshold (coverage against accuracy). Plain NumPy, no Qt and no
TensorFlow: each is tested on its own, and the views only turn the arrays into pixels.

Images are (N, 28, 28) or (N, 784) float32 in [0, 1]; labels are integers 0-9.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from digitpad.data import Mnist

CLASSES = 10
SIDE = 28
PIXELS = SIDE * SIDE
LEVELS = 256
"""MNIST's grey levels: the pixel histogram counts each of them."""
MAX_UNITS_SHOWN = 100
"""The weight grid shows at most this many hidden units: wider layers show their first 100."""

# ColorBrewer's RdBu, blue for negative and red for positive, white at zero: a diverging map
# that stays readable for red-green colour-blind people.
_DIVERGING = np.array(
    [
        (5, 48, 97),
        (33, 102, 172),
        (67, 147, 195),
        (146, 197, 222),
        (209, 229, 240),
        (247, 247, 247),
        (253, 219, 199),
        (244, 165, 130),
        (214, 96, 77),
        (178, 24, 43),
        (103, 0, 31),
    ],
    dtype=np.float64,
)
# A dark-to-bright ramp (close to matplotlib's "inferno"): a unit that fires "lights up".
_SEQUENTIAL = np.array(
    [
        (0, 0, 4),
        (40, 11, 84),
        (101, 21, 110),
        (159, 42, 99),
        (212, 72, 66),
        (245, 125, 21),
        (250, 193, 39),
        (252, 255, 164),
    ],
    dtype=np.float64,
)
# Saliency over the dimmed digit: warm where a pixel pushed the answer up, blue where down.
SALIENCY_UP = (255, 96, 48)
SALIENCY_DOWN = (60, 150, 255)


def _lut(anchors: np.ndarray) -> np.ndarray:
    """A 256-entry uint8 RGB table interpolated through ``anchors`` (evenly spaced)."""
    where = np.linspace(0.0, 1.0, len(anchors))
    t = np.linspace(0.0, 1.0, LEVELS)
    table = np.stack([np.interp(t, where, anchors[:, c]) for c in range(3)], axis=1)
    return np.rint(table).astype(np.uint8)


DIVERGING_LUT = _lut(_DIVERGING)
SEQUENTIAL_LUT = _lut(_SEQUENTIAL)


# --- the data ---------------------------------------------------------------------------------


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
    return means.reshape(CLASSES, SIDE, SIDE)


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
class DataSummary:
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


def summarize(data: Mnist) -> DataSummary:
    """Counts per split, average digits and the pixel histogram of ``data`` (~0.3 s for MNIST)."""
    return DataSummary(
        counts={
            "train": class_counts(data.train.y),
            "validation": class_counts(data.val.y),
            "test": class_counts(data.test.y),
        },
        averages=average_digits(data.train.x, data.train.y),
        pixel_levels=pixel_histogram(data.train.x),
    )


# --- grids of small images --------------------------------------------------------------------


def tile_images(tiles: np.ndarray, columns: int, gap: int = 1) -> np.ndarray:
    """(n, h, w) tiles laid out ``columns`` wide with ``gap`` pixels between them.

    Returns one float32 (rows·(h+gap)−gap, columns·(w+gap)−gap) array; gaps and the unused
    cells of the last row are NaN, so a colour map can give them the background colour.
    """
    tiles = np.asarray(tiles, dtype=np.float32)
    n, h, w = tiles.shape
    columns = max(1, min(columns, n)) if n else 1
    rows = max(1, math.ceil(n / columns))
    padded = np.full((rows * columns, h + gap, w + gap), np.nan, dtype=np.float32)
    padded[:n, :h, :w] = tiles
    grid: np.ndarray = padded.reshape(rows, columns, h + gap, w + gap).transpose(0, 2, 1, 3)
    grid = grid.reshape(rows * (h + gap), columns * (w + gap))
    return grid[: grid.shape[0] - gap, : grid.shape[1] - gap] if gap else grid


def unit_tiles(kernel: np.ndarray, max_units: int = MAX_UNITS_SHOWN, gap: int = 1) -> np.ndarray:
    """The first layer's weights as one image: each hidden unit's 784 incoming weights as a
    28×28 tile, for the first ``max_units`` units, in a square-ish grid (NaN gaps)."""
    kernel = np.asarray(kernel)
    if kernel.ndim != 2 or kernel.shape[0] != PIXELS:
        raise ValueError(f"a first-layer kernel is (784, units), not {kernel.shape}")
    n = min(kernel.shape[1], max_units)
    tiles = kernel[:, :n].T.reshape(n, SIDE, SIDE)
    return tile_images(tiles, math.ceil(math.sqrt(n)), gap)


def grid_shape(units: int, aspect: float = 2.0) -> tuple[int, int]:
    """(rows, columns) for ``units`` cells about ``aspect`` times wider than tall (800: 20×40)."""
    columns = max(1, math.ceil(math.sqrt(units * aspect)))
    return max(1, math.ceil(units / columns)), columns


def unit_grid(values: np.ndarray, aspect: float = 2.0) -> np.ndarray:
    """A layer's (units,) values as a (rows, columns) grid, NaN after the last unit."""
    values = np.asarray(values, dtype=np.float32).ravel()
    rows, columns = grid_shape(len(values), aspect)
    grid = np.full(rows * columns, np.nan, dtype=np.float32)
    grid[: len(values)] = values
    return grid.reshape(rows, columns)


# --- colour maps ------------------------------------------------------------------------------


def symmetric_limit(values: np.ndarray, quantile: float = 0.995) -> float:
    """A colour-scale limit symmetric around 0: the ``quantile`` of |values| (not the maximum,
    so one outlier does not wash out everything else). Never 0.

    Estimated from an even sample of at most 16,384 values: a colour scale needs two digits,
    and the GUI asks twice a second about up to 640,000 weights.
    """
    magnitudes = np.abs(_sample(np.asarray(values, dtype=np.float32).ravel(), 16_384))
    magnitudes = magnitudes[np.isfinite(magnitudes)]
    if magnitudes.size == 0:
        return 1.0
    limit = float(np.quantile(magnitudes, quantile))
    return limit if limit > 0 else float(magnitudes.max()) or 1.0


def grey_rgb(values: np.ndarray, background: tuple[int, int, int] = (128, 128, 128)) -> np.ndarray:
    """(…, 3) uint8: values in [0, 1] as grey (1 = white ink), NaN cells as ``background``."""
    values = np.asarray(values, dtype=np.float32)
    finite = np.isfinite(values)
    level = np.clip(np.rint(np.where(finite, values, 0.0) * 255), 0, 255).astype(np.uint8)
    rgb = np.repeat(level[..., None], 3, axis=-1)
    rgb[~finite] = background
    return rgb


def diverging_rgb(
    values: np.ndarray, limit: float, background: tuple[int, int, int] = (128, 128, 128)
) -> np.ndarray:
    """(…, 3) uint8: blue below 0, white at 0, red above, saturating at ±``limit``; NaN cells
    get ``background``."""
    values = np.asarray(values, dtype=np.float32)
    scaled = (values / np.float32(limit) + 1.0) * 0.5 * (LEVELS - 1)
    return _apply_lut(scaled, DIVERGING_LUT, background)


def sequential_rgb(
    values: np.ndarray, limit: float, background: tuple[int, int, int] = (128, 128, 128)
) -> np.ndarray:
    """(…, 3) uint8: dark at 0, bright at ``limit`` and above; NaN cells get ``background``."""
    values = np.asarray(values, dtype=np.float32)
    scaled = values / np.float32(limit if limit > 0 else 1.0) * (LEVELS - 1)
    return _apply_lut(scaled, SEQUENTIAL_LUT, background)


def _apply_lut(
    scaled: np.ndarray, table: np.ndarray, background: tuple[int, int, int]
) -> np.ndarray:
    finite = np.isfinite(scaled)
    index = np.clip(np.rint(np.where(finite, scaled, 0.0)), 0, LEVELS - 1).astype(np.uint8)
    rgb = table[index]
    rgb[~finite] = background
    return rgb


def saliency_rgb(image: np.ndarray, saliency: np.ndarray, limit: float | None = None) -> np.ndarray:
    """(28, 28, 3) uint8: the digit dimmed to grey, tinted warm where a pixel pushed the answer
    up and blue where it pushed it down, the stronger the push the more colour."""
    image = np.asarray(image, dtype=np.float32).reshape(SIDE, SIDE)
    saliency = np.asarray(saliency, dtype=np.float32).reshape(SIDE, SIDE)
    if limit is None:
        limit = float(np.abs(saliency).max())
    alpha = np.clip(np.abs(saliency) / np.float32(limit or 1.0), 0.0, 1.0)[..., None]
    base = np.repeat((image * 0.35 * 255)[..., None], 3, axis=2)
    colour = np.where(
        (saliency >= 0)[..., None],
        np.array(SALIENCY_UP, dtype=np.float32),
        np.array(SALIENCY_DOWN, dtype=np.float32),
    )
    return np.rint(base * (1.0 - alpha) + colour * alpha).astype(np.uint8)


# --- weights and units ------------------------------------------------------------------------


@dataclass(frozen=True)
class WeightHistogram:
    """Two histograms of one layer's weights over the same bins: ``now`` and ``initial``
    (None when the weights at initialisation are unknown)."""

    edges: np.ndarray
    now: np.ndarray
    initial: np.ndarray | None


def weight_histogram(
    now: np.ndarray, initial: np.ndarray | None = None, bins: int = 61
) -> WeightHistogram:
    """Histograms of ``now`` and ``initial`` weights over shared bins, symmetric around 0.

    The range covers nearly all weights of both (see :func:`symmetric_limit`); the few
    beyond it are counted in the outermost bins rather than dropped.
    """
    now = np.asarray(now, dtype=np.float32).ravel()
    limit = symmetric_limit(now, 0.999)
    if initial is not None:
        initial = np.asarray(initial, dtype=np.float32).ravel()
        limit = max(limit, symmetric_limit(initial, 0.999))
    edges = np.linspace(-limit, limit, bins + 1, dtype=np.float32)
    return WeightHistogram(
        edges, _counts(now, limit, bins), None if initial is None else _counts(initial, limit, bins)
    )


def _sample(values: np.ndarray, size: int) -> np.ndarray:
    """An evenly strided subset of a flat array (a view, no copy), at most about ``size`` long."""
    return values[:: max(1, -(-len(values) // size))]


def _counts(values: np.ndarray, limit: float, bins: int) -> np.ndarray:
    # Uniform bins: the bin index is one multiply and a cast (truncation; anything below the
    # range lands at or below 0 and is clipped there), several times faster than np.histogram.
    with np.errstate(invalid="ignore"):  # a NaN weight casts to some int and is clipped too
        index = ((values + np.float32(limit)) * np.float32(bins / (2 * limit))).astype(np.int32)
    np.clip(index, 0, bins - 1, out=index)
    return np.bincount(index, minlength=bins)


def dead_unit_share(activations: np.ndarray) -> float:
    """The share of units (columns of (N, units) activations) that never fire (> 0) on any of
    the N inputs: a ReLU unit like that gets no gradient and has stopped learning."""
    activations = np.asarray(activations)
    if activations.ndim != 2 or activations.shape[1] == 0:
        raise ValueError(f"activations must be (N, units), not {activations.shape}")
    return float(np.mean(~(activations > 0).any(axis=0)))


SATURATION_MARGIN = 0.05
"""A tanh or sigmoid output within this share of its range from a limit is saturated: its
slope there is under a tenth of its largest, so it passes back almost no gradient."""

PINNED_SHARE = 0.95
"""A unit saturated on at least this share of the images counts as pinned."""

_LIMITS = {"tanh": (-1.0, 1.0), "sigmoid": (0.0, 1.0)}


def saturated(activations: np.ndarray, activation: str) -> np.ndarray:
    """Boolean, where a tanh or sigmoid output is within SATURATION_MARGIN of either limit."""
    if activation not in _LIMITS:
        raise ValueError(f"saturation applies to tanh and sigmoid, not {activation!r}")
    low, high = _LIMITS[activation]
    margin = SATURATION_MARGIN * (high - low)
    activations = np.asarray(activations)
    return (activations <= low + margin) | (activations >= high - margin)


def pinned_unit_share(saturated_fraction: np.ndarray) -> float:
    """The share of units whose output is saturated on at least PINNED_SHARE of the inputs,
    from each unit's fraction of saturated outputs (shape (units,)): units like these barely
    learn, as a dead ReLU unit does not at all."""
    saturated_fraction = np.asarray(saturated_fraction)
    if saturated_fraction.ndim != 1 or saturated_fraction.size == 0:
        raise ValueError(f"need one fraction per unit, not shape {saturated_fraction.shape}")
    return float(np.mean(saturated_fraction >= PINNED_SHARE))


# --- how sure -------------------------------------------------------------------------------


def shown_tenths(probability: float | np.ndarray) -> float | np.ndarray:
    """A probability in tenths of a percent, rounded as shown ("95.0 %" is 950); exact halves
    round up. Monotone, so a threshold on it is a threshold on the probability."""
    return np.floor(np.asarray(probability, dtype=np.float64) * 1000.0 + 0.5)


def meets_threshold(probability: float, threshold: float) -> bool:
    """Whether a top probability is sure enough to answer at ``threshold``, compared as the
    app shows both (to 0.1 %): a mistake labelled "95.0 %" is answered at a 95.0 % threshold
    even when its probability is 0.94996. A threshold of 0 (or less) answers everything."""
    if threshold <= 0:
        return True
    return bool(shown_tenths(probability) >= shown_tenths(threshold))


@dataclass(frozen=True)
class Coverage:
    """At one confidence threshold: how many of ``total`` images get an answer, and how many of
    those answers are right; ``mistakes`` is how many the model gets wrong with no threshold."""

    threshold: float
    answered: int
    right: int
    total: int
    mistakes: int

    @property
    def coverage(self) -> float:
        return self.answered / self.total if self.total else math.nan

    @property
    def accuracy(self) -> float:
        """Accuracy among the answered images (NaN when none is answered)."""
        return self.right / self.answered if self.answered else math.nan

    @property
    def withheld_mistakes(self) -> int:
        """Mistakes the threshold turns into "not sure" instead of a wrong answer."""
        return self.mistakes - (self.answered - self.right)


@dataclass(frozen=True)
class CoverageCurve:
    """Coverage and accuracy of a classifier that answers only when its confidence is at least
    a threshold. ``thresholds``, ``answered`` and ``right`` sample the curve for plotting;
    :meth:`at` gives the exact figures for any threshold."""

    thresholds: np.ndarray
    answered: np.ndarray
    right: np.ndarray
    total: int
    mistakes: int
    _sorted: np.ndarray
    _right_from: np.ndarray

    @property
    def coverage(self) -> np.ndarray:
        return self.answered / max(self.total, 1)

    @property
    def accuracy(self) -> np.ndarray:
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(self.answered > 0, self.right / np.maximum(self.answered, 1), np.nan)

    def at(self, threshold: float) -> Coverage:
        """Exact counts for images whose confidence meets ``threshold`` as the app shows both
        (:func:`meets_threshold`)."""
        if threshold <= 0:
            first = 0
        else:
            tenths = shown_tenths(self._sorted)
            first = int(np.searchsorted(tenths, shown_tenths(threshold), side="left"))
        answered = self.total - first
        return Coverage(
            float(threshold), answered, int(self._right_from[first]), self.total, self.mistakes
        )


def coverage_curve(
    confidence: np.ndarray, correct: np.ndarray, thresholds: np.ndarray | None = None
) -> CoverageCurve:
    """The coverage/accuracy trade-off for (N,) top-class ``confidence`` and (N,) bool
    ``correct``; sampled at ``thresholds`` (default 0, 0.01, …, 1)."""
    confidence = np.asarray(confidence, dtype=np.float32).ravel()
    correct = np.asarray(correct, dtype=bool).ravel()
    if confidence.shape != correct.shape:
        raise ValueError(f"{confidence.shape} confidences but {correct.shape} outcomes")
    order = np.argsort(confidence, kind="stable")
    ordered = confidence[order]
    # right_from[i]: right answers among the images from sorted position i up (the confident end).
    right_from = np.zeros(len(ordered) + 1, dtype=np.int64)
    right_from[:-1] = np.cumsum(correct[order][::-1])[::-1]
    if thresholds is None:
        thresholds = np.linspace(0.0, 1.0, 101)
    thresholds = np.asarray(thresholds, dtype=np.float64)
    first = np.searchsorted(ordered, thresholds.astype(np.float32), side="left")
    return CoverageCurve(
        thresholds=thresholds,
        answered=len(ordered) - first,
        right=right_from[first],
        total=len(ordered),
        mistakes=int(len(ordered) - correct.sum()),
        _sorted=ordered,
        _right_from=right_from,
    )


def _rows(images: np.ndarray) -> np.ndarray:
    x = np.asarray(images, dtype=np.float32)
    if x.ndim == 3 and x.shape[1:] == (SIDE, SIDE):
        x = x.reshape(len(x), PIXELS)
    if x.ndim != 2 or x.shape[1] != PIXELS:
        raise ValueError(f"images must be (N, 28, 28) or (N, 784), not {np.shape(images)}")
    return x
