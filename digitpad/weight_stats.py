"""What the network learned, as numbers: histograms of a layer's weights now and at the start.

Plain NumPy; the Inside view draws them and the run log records them.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from digitpad.colour_maps import symmetric_limit


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


def _counts(values: np.ndarray, limit: float, bins: int) -> np.ndarray:
    # Uniform bins: the bin index is one multiply and a cast (truncation; anything below the
    # range lands at or below 0 and is clipped there), several times faster than np.histogram.
    with np.errstate(invalid="ignore"):  # a NaN weight casts to some int and is clipped too
        index = ((values + np.float32(limit)) * np.float32(bins / (2 * limit))).astype(np.int32)
    np.clip(index, 0, bins - 1, out=index)
    return np.bincount(index, minlength=bins)
