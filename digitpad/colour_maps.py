"""Values as colours: grey images, a diverging map for signed values, a dark-to-bright ramp,
saliency over a dimmed digit, and the symmetric limit a signed colour scale saturates at.

Each returns (…, 3) uint8 RGB; NaN cells (a grid's gaps) get a background colour.
"""

from __future__ import annotations

import numpy as np

from digitpad.data import IMAGE_SIDE

LEVELS = 256
"""Entries in each colour table (one per 8-bit level)."""

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
    image = np.asarray(image, dtype=np.float32).reshape(IMAGE_SIDE, IMAGE_SIDE)
    saliency = np.asarray(saliency, dtype=np.float32).reshape(IMAGE_SIDE, IMAGE_SIDE)
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


def _sample(values: np.ndarray, size: int) -> np.ndarray:
    """An evenly strided subset of a flat array (a view, no copy), at most about ``size`` long."""
    return values[:: max(1, -(-len(values) // size))]
