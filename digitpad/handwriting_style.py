"""A writer's global habits, measured on their drawings, and MNIST digits redrawn with them.

Some of what makes a hand unusual belongs to one digit (a continental 1, a closed 4); the rest
is global: the writing leans, runs wide or narrow, or uses a bold or fine pen. The global part
can be measured from a few drawings of any digits, by comparing each drawing with MNIST's
typical digit of the same class, and then *applied to MNIST's own training images*: a slanted
writer who only taught their 4s still gets slanted 9s shown to the network, with their true
labels. That is what ``digitpad.teach`` replays besides plain MNIST.

Measures, on a 28x28 image framed the MNIST way (``digitpad.preprocess.to_mnist``), from the
ink's second moments (pixel intensities as mass, y downward):

- slant: ``-cov(x, y) / var(y)``, the horizontal shift per unit of height, top to the right
  positive (the line that least-squares fits the ink);
- width: ``log(sd_x / sd_y)`` with ``sd_x`` measured after removing the slant (so leaning
  does not count as width);
- stroke: ink mass over the length of its half-maximum outline's runs, in pixels (about the
  pen's width).

A writer's style is the median, over their drawings, of each measure minus MNIST's mean for
that drawing's digit (medians: a flagged 1 or a crossed 7 must not decide the slant of all).

Pure NumPy (no TensorFlow): a test can check that the estimate recovers a shear applied to
MNIST digits, and the rendered digits go through ``to_mnist`` exactly as drawings do.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from digitpad.data import CLASSES, IMAGE_SIDE, Split
from digitpad.preprocess import EmptyCanvasError, neighbourhood, to_mnist

MIN_DRAWINGS = 3
"""Fewer drawings than this give no style (a median of one or two is one drawing's whim)."""

MAX_SLANT = 0.8
"""Largest slant change applied (about 39 degrees); estimates beyond are clipped."""

MAX_WIDTH = 0.5
"""Largest change of log width (x1.65 either way)."""

MAX_STROKE = 2.0
"""Largest stroke change in output pixels either way."""

REFERENCE_IMAGES = 100
"""MNIST training images per digit measured for its typical style (the means' standard error,
about 0.02 in slant, is well below the differences between writers; more only costs time)."""

_UPSAMPLE = 2  # rendered at twice MNIST's resolution, so shear and pen changes stay smooth
_FIELD = 28 * _UPSAMPLE + 24  # room for a wide, slanted digit before to_mnist crops it


@dataclass(frozen=True)
class Style:
    """Changes from MNIST's typical digit: slant (shift per unit height, top right positive),
    width (log of the width ratio), stroke (pen width, output px) and their spread among the
    writer's drawings (used to vary the rendered digits as much as the writer varies)."""

    slant: float = 0.0
    width: float = 0.0
    stroke: float = 0.0
    slant_spread: float = 0.0
    width_spread: float = 0.0
    stroke_spread: float = 0.0
    drawings: int = 0

    @property
    def is_plain(self) -> bool:
        return self.slant == 0.0 and self.width == 0.0 and self.stroke == 0.0

    def describe(self) -> str:
        if self.is_plain:
            return "like MNIST's"
        lean = "right" if self.slant > 0 else "left"
        return (
            f"leans {lean} {abs(np.degrees(np.arctan(self.slant))):.0f}°, "
            f"{np.exp(self.width):.2f}x MNIST's width, pen {self.stroke:+.1f} px"
        )

    def as_dict(self) -> dict[str, float | int]:
        return {
            "slant": round(self.slant, 4),
            "width": round(self.width, 4),
            "stroke": round(self.stroke, 4),
            "drawings": self.drawings,
        }


def measures(images: np.ndarray) -> np.ndarray:
    """(N, 3) slant, log width ratio and stroke width of MNIST-framed images (N, 784 or 28x28)."""
    flat = np.asarray(images, dtype=np.float64).reshape(len(images), -1)
    mass = flat.reshape(-1, IMAGE_SIDE, IMAGE_SIDE)
    total = np.maximum(flat.sum(axis=1), 1e-9)
    ys, xs = np.mgrid[0:IMAGE_SIDE, 0:IMAGE_SIDE].reshape(2, -1).astype(np.float64)
    my = flat @ ys / total
    mx = flat @ xs / total
    vy = flat @ (ys**2) / total - my**2
    vx = flat @ (xs**2) / total - mx**2
    cxy = flat @ (xs * ys) / total - mx * my
    vy = np.maximum(vy, 1e-6)
    slant = -cxy / vy
    upright_vx = np.maximum(vx - cxy**2 / vy, 1e-6)
    width = 0.5 * np.log(upright_vx / vy)
    peak = np.maximum(mass.max(axis=(1, 2), keepdims=True), 1e-9)
    inside = mass >= 0.5 * peak
    row_runs = np.count_nonzero(inside[:, :, 1:] & ~inside[:, :, :-1], axis=(1, 2))
    row_runs = row_runs + inside[:, :, 0].sum(axis=1)
    col_runs = np.count_nonzero(inside[:, 1:] & ~inside[:, :-1], axis=(1, 2))
    col_runs = col_runs + inside[:, 0].sum(axis=1)
    stroke = inside.sum(axis=(1, 2)) / np.maximum(np.maximum(row_runs, col_runs), 1)
    return np.stack([slant, width, stroke], axis=1)


def mnist_reference(train: Split, seed: int = 0) -> np.ndarray:
    """(10, 3) mean measures of MNIST's training digits, per class (a sample of each), each
    digit redrawn by :func:`render_in_style` with no change: resampling softens strokes a
    little, and a reference made the same way keeps that out of the estimated pen."""
    rng = np.random.default_rng([seed, 17])
    reference = np.zeros((CLASSES, 3))
    for digit in range(CLASSES):
        members = np.flatnonzero(train.y == digit)
        if len(members) == 0:
            continue
        chosen = rng.choice(members, min(REFERENCE_IMAGES, len(members)), replace=False)
        plain = render_in_style(train.rows(np.sort(chosen)), Style(), rng, vary=False)
        reference[digit] = measures(plain).mean(axis=0)
    return reference


def estimate_style(images: np.ndarray, labels: np.ndarray, reference: np.ndarray) -> Style:
    """The writer's style from their MNIST-framed drawings and labels, against ``reference``
    (:func:`mnist_reference`). Fewer than MIN_DRAWINGS drawings give the plain style."""
    labels = np.asarray(labels, dtype=np.int64)
    if len(labels) < MIN_DRAWINGS:
        return Style(drawings=len(labels))
    offsets = measures(images) - reference[labels]
    centre = np.median(offsets, axis=0)
    # The median absolute deviation, scaled to a standard deviation for a normal spread.
    spread = 1.4826 * np.median(np.abs(offsets - centre), axis=0)
    limits = np.array([MAX_SLANT, MAX_WIDTH, MAX_STROKE])
    centre = np.clip(centre, -limits, limits)
    spread = np.minimum(spread, limits / 2)
    return Style(
        slant=float(centre[0]),
        width=float(centre[1]),
        stroke=float(centre[2]),
        slant_spread=float(spread[0]),
        width_spread=float(spread[1]),
        stroke_spread=float(spread[2]),
        drawings=len(labels),
    )


def render_in_style(
    images: np.ndarray,
    style: Style,
    rng: np.random.Generator,
    *,
    vary: bool = True,
) -> np.ndarray:
    """MNIST-framed images (N, 784) redrawn with ``style``'s slant, width and pen, framed again
    by ``to_mnist`` (as the writer's drawings are). Each image keeps its own slant and shape
    and gets the style's *changes* on top; with ``vary`` each also gets a random share of the
    writer's spread, so the set varies as the writer does. Labels are unchanged."""
    flat = np.asarray(images, dtype=np.float32).reshape(len(images), -1)
    count = len(flat)
    slants = np.full(count, style.slant)
    widths = np.full(count, style.width)
    strokes = np.full(count, style.stroke)
    if vary:
        slants += rng.normal(0.0, 0.5, count) * style.slant_spread
        widths += rng.normal(0.0, 0.5, count) * style.width_spread
        strokes += rng.normal(0.0, 0.5, count) * style.stroke_spread
    out = np.empty((count, IMAGE_SIDE * IMAGE_SIDE), np.float32)
    for i in range(count):
        field = _warped(flat[i].reshape(IMAGE_SIDE, IMAGE_SIDE), slants[i], np.exp(widths[i]))
        field = _with_pen(field, strokes[i] * _UPSAMPLE)
        try:
            out[i] = to_mnist(field).reshape(-1)
        except EmptyCanvasError:  # an erosion ate a faint digit: keep the original
            out[i] = flat[i]
    return out


def _warped(image: np.ndarray, slant: float, width: float) -> np.ndarray:
    """``image`` sheared by ``slant`` and stretched by ``width`` about its centre of mass,
    bilinearly resampled into a larger field at _UPSAMPLE times the resolution."""
    mass = image.sum()
    side = image.shape[0]
    cy = float((image.sum(axis=1) @ np.arange(side)) / mass) if mass else side / 2
    cx = float((image.sum(axis=0) @ np.arange(side)) / mass) if mass else side / 2
    out_y, out_x = np.mgrid[0:_FIELD, 0:_FIELD].astype(np.float64)
    # Output coordinates relative to the field's middle, in source pixels.
    dy = (out_y - _FIELD / 2) / _UPSAMPLE
    dx = (out_x - _FIELD / 2) / _UPSAMPLE
    # Inverse of x' = width * (x - slant * y): top to the right for a positive slant (y down).
    src_y = cy + dy
    src_x = cx + dx / width + slant * dy
    return _bilinear(image, src_y, src_x)


def _bilinear(image: np.ndarray, y: np.ndarray, x: np.ndarray) -> np.ndarray:
    padded = np.pad(image, 1)
    y = np.clip(y + 1, 0, padded.shape[0] - 1.001)
    x = np.clip(x + 1, 0, padded.shape[1] - 1.001)
    y0, x0 = np.floor(y).astype(np.int64), np.floor(x).astype(np.int64)
    fy, fx = y - y0, x - x0
    top = padded[y0, x0] * (1 - fx) + padded[y0, x0 + 1] * fx
    bottom = padded[y0 + 1, x0] * (1 - fx) + padded[y0 + 1, x0 + 1] * fx
    return (top * (1 - fy) + bottom * fy).astype(np.float32)


def _with_pen(field: np.ndarray, change: float) -> np.ndarray:
    """The field's strokes grown (positive) or thinned by about ``change`` fine pixels in
    width: whole dilation or erosion steps (each a pixel per side) and a blend for the rest."""
    steps = abs(change) / 2
    if steps < 0.05:
        return field
    combine = np.maximum if change > 0 else np.minimum
    whole = int(steps)
    for step in range(whole):
        field = neighbourhood(field, combine, square=step % 2 == 1)
    rest = steps - whole
    if rest > 0:
        field = (1 - rest) * field + rest * neighbourhood(field, combine, square=whole % 2 == 1)
    return field
