"""What the training curves show: smoothing like TensorBoard's, and the learning rate as used.

Qt-free, so the charts, the log and the tests share one definition.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

DEFAULT_SMOOTHING = 0.3
"""Lighter than TensorBoard's 0.6: each point here is already the mean of a chunk of ~100
steps, and a run has only ~5 of them per epoch, so 0.6 lags visibly behind the values."""


class Ema:
    """TensorBoard's smoothing, one value at a time (for a live curve): see :func:`smooth`."""

    def __init__(self, weight: float) -> None:
        if not 0.0 <= weight < 1.0:
            raise ValueError(f"smoothing weight must be in [0, 1), got {weight}")
        self.weight = weight
        self._last = 0.0
        self._count = 0

    def add(self, value: float) -> float:
        """The smoothed value after ``value``; a non-finite value passes through unsmoothed."""
        if not math.isfinite(value):
            return value
        self._last = self._last * self.weight + (1.0 - self.weight) * value
        self._count += 1
        return self._last / (1.0 - self.weight**self._count)


def smooth(values: Sequence[float], weight: float) -> np.ndarray:
    """TensorBoard's smoothing: an exponential moving average, debiased at the start.

    ``weight`` in [0, 1): 0 returns the values as they are, larger smooths more. The debiasing
    divides by ``1 - weight**n`` so the first points are not pulled towards zero. Non-finite
    values (a NaN loss) are passed through and leave the average untouched.
    """
    ema = Ema(weight)
    return np.array([ema.add(value) for value in values], dtype=float)


def learning_rate_text(start: float, end: float, mean: float) -> str:
    """The learning rate an epoch used: ``0.001`` if it held, else ``0.001→0.01 (mean 0.0022)``."""
    if not (math.isfinite(start) and math.isfinite(mean)) or start == end:
        return f"{end:.3g}"
    return f"{start:.3g}→{end:.3g} (mean {mean:.3g})"
