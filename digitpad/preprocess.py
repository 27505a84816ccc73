"""Turn a drawing canvas into a 28x28 image made the way MNIST digits were made.

MNIST's recipe (LeCun et al.): crop the ink's bounding box, scale it with anti-aliasing so the
longer side is 20 px (aspect ratio kept), then paste it into a 28x28 field so that the ink's centre
of mass sits on pixel (14, 14). `to_mnist` repeats that recipe on a canvas of any size, dtype and
polarity, so a model trained on MNIST sees a drawing the way it saw its training data.
`naive_resize` is the shortcut many hobby apps take (squash the whole canvas to 28x28), kept as a
baseline to show why the recipe matters.

A drawing's pen is normalised too: strokes much thinner or bolder than MNIST's are grown or
eroded into MNIST's range (see STROKE_RANGE), and a dot stays a dot (see MAX_STROKE_PX).

Pure NumPy. Resampling is exact area integration (a box filter) written as two small matrix
products, which keeps a 280x280 canvas well under a millisecond.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

from digitpad.data import IMAGE_SIDE

"""Side of the output image."""

BOX_PX = 20
"""Longer side of the ink's bounding box after scaling, as in MNIST."""

CENTRE_PX = 14.0
"""Row and column (pixel-index coordinates) where the ink's centre of mass lands. Measured on
MNIST: its centres of mass are spread uniformly over 14 +/- 0.5, because MNIST moved digits by
whole pixels. We do the same, so a real MNIST digit passes through unchanged."""

INK_THRESHOLD = 0.05
"""Pixels fainter than this fraction of the ink's peak do not count when finding the ink's
bounding box, so anti-aliasing fringe and light noise neither widen it nor survive the crop.
Faint pixels inside the box are kept: they are the digit's own anti-aliasing."""

MIN_CONTRAST = 0.05
"""Smallest ink-to-background difference (on a 0-1 intensity scale) that counts as a drawing;
anything flatter is a blank canvas."""

MAX_STROKE_PX = 12.0
"""Mean stroke width (output px) above which a mark counts as a blob rather than a digit.
Scaling the bounding box to 20 px would blow a dot up into a 20 px disc, so past this width the
scale drops steeply with the excess (see BLOB_SHRINK_POWER): the more a mark is all stroke, the
smaller it stays (a round dot ends up about 7 px across). A digit drawn with a bold pen stays
below this even when its loops fill in (an 8 made of two filled discs measures about 8 px), and
is handled by STROKE_RANGE instead; no MNIST digit is this bold.
"""

BLOB_SHRINK_POWER = 4
"""A blob is scaled by (MAX_STROKE_PX / stroke width) to this power on top of the 20 px fit."""

STROKE_LEVEL = 0.5
"""Fraction of the peak at which strokes are measured (their half-maximum outline), so the width
does not depend on how soft the anti-aliased edges are."""

STROKE_RANGE = (2.0, 6.5)
"""Stroke widths (output px, measured like MAX_STROKE_PX) that are left alone. A drawing made
with a thinner or bolder pen has its strokes grown or eroded to the nearer end of the range, so
the network sees strokes like the ones it learnt from: 90% of MNIST's are 2.2-5.6 px wide, and
98% of MNIST digits pass through unchanged. A hairline pen (under a pixel once the digit is
20 px tall) would otherwise arrive as faint grey threads, and a marker as a fat blob: on pen
drawings 0.2-0.6 px wide this lifts the bundled model from 95.6% to 98.8%, and 6-8 px wide from
81% to 88% (benchmarks/drawn_digits.py, pen strokes). Eroding further, toward MNIST's median
3.5 px, costs accuracy: erosion also rounds off corners and shortens stroke ends."""

FINE = 4
"""Fine pixels per output pixel at which strokes are measured and grown or eroded."""

_FLOAT_SLACK = 1e-6
"""How far outside [0, 1] a float canvas may stray before it is rejected."""

_MARGIN = 1
"""Extra output pixels rendered on each side so the centring step can move the digit by a whole
pixel without re-rendering."""


class EmptyCanvasError(ValueError):
    """The canvas holds no ink: every pixel is (nearly) the same value."""


def to_mnist(canvas: np.ndarray) -> np.ndarray:
    """Convert a drawing into an MNIST-style digit.

    Takes a 2-D grayscale canvas of any size: uint8 (0-255), other integer types (read as 0-255
    when they fit, otherwise on their dtype's full range), bool, or float in [0, 1]. Dark ink on a
    light background and light ink on a dark background both work (see `_polarity`).

    Returns a (28, 28) float32 array in [0, 1], white digit on black: the ink cropped, scaled so
    its longer side is 20 px (a "1" stays thin), anti-aliased by area averaging, and placed so
    its centre of mass is within half a pixel of (14, 14). Ink that falls outside the field is
    clipped. Strokes from a pen much thinner or bolder than MNIST's are grown or eroded to the
    nearer end of STROKE_RANGE. Marks too small to be a digit (a dot) stay small instead of
    filling 20 px.

    Raises EmptyCanvasError for a canvas without ink, ValueError for input it cannot read.
    """
    return measured_mnist(canvas)[0]


@dataclass(frozen=True)
class InkMeasures:
    """What `to_mnist` measured on a drawing, for judging whether it is a digit at all."""

    stroke: float
    """Mean stroke width of the plain 20 px rendering, output px (see MAX_STROKE_PX)."""
    fill: float
    """Fraction of that rendering's ink box filled at half strength or more."""
    ink_shape: tuple[int, int]
    """(height, width) of the ink's bounding box, canvas px."""


def measured_mnist(canvas: np.ndarray) -> tuple[np.ndarray, InkMeasures]:
    """`to_mnist`, with what it measured on the way: the (28, 28) image and its InkMeasures.

    Raises like `to_mnist`.
    """
    gray, full_scale = _checked(canvas)
    background, gain = _polarity(gray, full_scale)
    # Cropping before converting to float keeps the per-pixel work on the drawing, not the
    # whole canvas.
    rows, cols = _ink_bounds(gray, background, gain)
    ink = _ink(gray[rows, cols], background, gain)
    scale = BOX_PX / max(ink.shape)
    image = _render(ink, scale)
    # Measuring strokes on the rendered image puts them in MNIST pixels, where the limits are
    # defined; a second render is needed only for blobs and unusual pens.
    stroke = _stroke_width(image)
    measures = InkMeasures(stroke, _fill(image), ink.shape)
    if stroke > MAX_STROKE_PX:
        image = _render(ink, scale * (MAX_STROKE_PX / stroke) ** BLOB_SHRINK_POWER)
    elif not STROKE_RANGE[0] <= stroke <= STROKE_RANGE[1]:
        image = _with_stroke_width(ink, scale, image)
    return image, measures


def to_mnist_batch(canvases: Iterable[np.ndarray]) -> np.ndarray:
    """Apply `to_mnist` to each canvas; returns an (N, 28, 28) float32 array."""
    images = [to_mnist(canvas) for canvas in canvases]
    if not images:
        return np.zeros((0, IMAGE_SIDE, IMAGE_SIDE), np.float32)
    return np.stack(images)


def naive_resize(canvas: np.ndarray) -> np.ndarray:
    """Squash the whole canvas to 28x28 without cropping or centring (the hobby-app baseline).

    Takes the same input as `to_mnist` and fixes polarity the same way. Returns a (28, 28)
    float32 array in [0, 1], white on black, area-averaged; non-square canvases get distorted.
    Raises EmptyCanvasError / ValueError like `to_mnist`.
    """
    gray, full_scale = _checked(canvas)
    ink = _ink(gray, *_polarity(gray, full_scale))
    height, width = ink.shape
    rows = _area_weights(height, IMAGE_SIDE, 0.0, height / IMAGE_SIDE)
    cols = _area_weights(width, IMAGE_SIDE, 0.0, width / IMAGE_SIDE)
    return np.clip(rows @ ink @ cols.T, 0.0, 1.0)


def _checked(canvas: np.ndarray) -> tuple[np.ndarray, float]:
    """Validate a canvas.

    Returns it as an array in its own units (bool as uint8) and the value of full intensity in
    those units: 255 for 8-bit levels, the dtype's maximum for wider integers, 1 for float.
    """
    canvas = np.asarray(canvas)
    if canvas.ndim != 2:
        raise ValueError(f"canvas must be a 2-D grayscale array, got shape {canvas.shape}")
    if canvas.size == 0:
        raise EmptyCanvasError(f"canvas has no pixels (shape {canvas.shape})")
    if canvas.dtype == np.bool_:
        return canvas.view(np.uint8), 1.0
    if np.issubdtype(canvas.dtype, np.integer):
        return canvas, _integer_full_scale(canvas)
    if np.issubdtype(canvas.dtype, np.floating):
        _check_float_range(canvas)
        return canvas, 1.0
    raise ValueError(f"canvas dtype {canvas.dtype} is not supported; use uint8, bool or float")


def _integer_full_scale(canvas: np.ndarray) -> float:
    """Full intensity of an integer canvas: 255 when its values fit in 8 bits."""
    lo, hi = int(canvas.min()), int(canvas.max())
    if lo < 0:
        raise ValueError(f"integer canvas has negative values (min {lo}); expected 0-255")
    # int64 arrays built from Python lists hold 0-255 levels; wider values (16-bit scans)
    # are read on their dtype's full range.
    return 255.0 if hi <= 255 else float(np.iinfo(canvas.dtype).max)


def _check_float_range(canvas: np.ndarray) -> None:
    """Reject float canvases holding NaN, infinities or values outside [0, 1]."""
    lo, hi = float(canvas.min()), float(canvas.max())
    # min/max propagate NaN, so this one check also catches infinities and NaN.
    if not (math.isfinite(lo) and math.isfinite(hi)):
        raise ValueError("float canvas contains NaN or infinite values")
    # Arithmetic meant to land in [0, 1] can overshoot by a few ulps; that is not an error.
    if lo < -_FLOAT_SLACK or hi > 1.0 + _FLOAT_SLACK:
        raise ValueError(
            f"float canvas must be in [0, 1], got [{lo:g}, {hi:g}] (divide 0-255 data by 255)"
        )


def _polarity(gray: np.ndarray, full_scale: float) -> tuple[float, float]:
    """Find the background and which way the ink goes.

    The background is the median of the border pixels (a drawing rarely covers half the border,
    even one touching it), and the ink is whichever direction from that background reaches
    further, brighter or darker. Ties go to light ink, MNIST's polarity. This also reads a grey
    background. Returns (background, gain) such that ink = (gray - background) * gain peaks at
    1. Raises EmptyCanvasError when the contrast is below MIN_CONTRAST.
    """
    background = float(np.median(_border(gray)))
    lo, hi = float(gray.min()), float(gray.max())
    if hi - background >= background - lo:
        contrast, sign = hi - background, 1.0
    else:
        contrast, sign = background - lo, -1.0
    if contrast < MIN_CONTRAST * full_scale:
        raise EmptyCanvasError(
            f"canvas is blank: no pixel differs from the background "
            f"({background / full_scale:.3g}) by at least {MIN_CONTRAST} on a 0-1 scale"
        )
    # Normalising the peak to 1 makes a grey pen, an 8-bit or a float canvas all look alike.
    return background, sign / contrast


def _ink_bounds(gray: np.ndarray, background: float, gain: float) -> tuple[slice, slice]:
    """Row and column slices of the bounding box of pixels with ink >= INK_THRESHOLD."""
    level = background + INK_THRESHOLD / gain
    if np.issubdtype(gray.dtype, np.integer):
        # A whole-number level keeps the comparison in the canvas's own (narrow) dtype.
        level = math.ceil(level) if gain > 0 else math.floor(level)
    inked = gray >= level if gain > 0 else gray <= level
    rows = np.flatnonzero(inked.any(axis=1))
    cols = np.flatnonzero(inked.any(axis=0))
    return slice(rows[0], rows[-1] + 1), slice(cols[0], cols[-1] + 1)


def _ink(gray: np.ndarray, background: float, gain: float) -> np.ndarray:
    """Return (part of) a canvas as ink: float32, light on dark, background 0, peak 1."""
    ink = gray.astype(np.float32)  # always a copy, so the in-place steps spare the caller's array
    ink -= np.float32(background)
    ink *= np.float32(gain)
    # Pixels on the far side of the background from the ink are background too.
    return np.maximum(ink, 0.0, out=ink)


def _border(image: np.ndarray) -> np.ndarray:
    """Return the outermost ring of pixels as a 1-D array."""
    return np.concatenate([image[0], image[-1], image[1:-1, 0], image[1:-1, -1]])


def _render(ink: np.ndarray, scale: float) -> np.ndarray:
    """Scale cropped ink by `scale` into a 28x28 field with its centre of mass near (14, 14).

    Takes the ink cropped to its bounding box and the scale (output px per canvas px).
    Returns the (28, 28) float32 image in [0, 1].
    """
    size = IMAGE_SIDE + 2 * _MARGIN
    rows = _axis_weights(ink.sum(axis=1), scale, size)
    cols = _axis_weights(ink.sum(axis=0), scale, size)
    field = rows @ ink @ cols.T
    # The placement was predicted from the crop, but area averaging lumps each output pixel's
    # ink at its centre, which can nudge the centre of mass past half a pixel: check it on the
    # rendered field and move a whole pixel if needed.
    dy = _whole_pixel_offset(field.sum(axis=1))
    dx = _whole_pixel_offset(field.sum(axis=0))
    image = field[
        _MARGIN + dy : _MARGIN + dy + IMAGE_SIDE, _MARGIN + dx : _MARGIN + dx + IMAGE_SIDE
    ]
    return np.clip(image, 0.0, 1.0)


def _axis_weights(mass: np.ndarray, scale: float, size: int) -> np.ndarray:
    """Resampling matrix for one axis of `_render`'s field (including its margin).

    Takes the cropped ink's profile along the axis (n sums), the scale and the field size.
    Returns a (size, n) float32 matrix.
    """
    centre = float(np.dot(np.arange(mass.size) + 0.5, mass) / mass.sum())
    # Like MNIST's 20x20 box, the crop's first edge sits on a pixel boundary (so a digit already
    # at MNIST size is copied, not blurred), and the whole-pixel offset puts the centre of mass
    # nearest the target. Coordinates here are pixel edges, so pixel 14's centre is 14.5.
    offset = round(CENTRE_PX + 0.5 + _MARGIN - scale * centre)
    return _area_weights(mass.size, size, -offset / scale, 1.0 / scale)


def _area_weights(n_src: int, n_out: int, start: float, step: float) -> np.ndarray:
    """Box-filter resampling matrix from `n_src` pixels to `n_out` pixels.

    Output pixel k averages the source interval [start + k*step, start + (k+1)*step] (source
    pixel j covers [j, j+1]; outside the source counts as zero). Returns (n_out, n_src) float32.
    """
    edges = start + step * np.arange(n_out + 1)
    # Coverage of each source pixel left of each edge; its differences are exact overlaps.
    covered = np.clip(edges[:, None] - np.arange(n_src), 0.0, 1.0)
    return (np.diff(covered, axis=0) / step).astype(np.float32)


def _whole_pixel_offset(mass: np.ndarray) -> int:
    """Whole-pixel move (within the margin) that brings a field profile's centre nearest 14."""
    centre = float(np.dot(np.arange(mass.size), mass) / mass.sum())
    offset = round(centre - _MARGIN - CENTRE_PX)
    return min(max(offset, -_MARGIN), _MARGIN)


def _stroke_width(image: np.ndarray) -> float:
    """Mean stroke width of a rendered image, in pixels.

    Measured as the mean run length of the half-maximum outline along rows and along columns,
    taking the shorter: for a bar that is its width, for a disc about 0.8 of its diameter.
    """
    inside = image >= STROKE_LEVEL * image.max()
    area = int(inside.sum())
    row_runs = int(np.count_nonzero(inside[:, 1:] & ~inside[:, :-1]) + inside[:, 0].sum())
    col_runs = int(np.count_nonzero(inside[1:] & ~inside[:-1]) + inside[0].sum())
    return area / max(row_runs, col_runs, 1)


def _fill(image: np.ndarray) -> float:
    """Fraction of an image's half-maximum ink box that is at half maximum or more."""
    inside = image >= STROKE_LEVEL * image.max()
    rows = np.flatnonzero(inside.any(axis=1))
    cols = np.flatnonzero(inside.any(axis=0))
    box = (rows[-1] + 1 - rows[0]) * (cols[-1] + 1 - cols[0])
    return float(inside.sum()) / box


def _with_stroke_width(ink: np.ndarray, scale: float, image: np.ndarray) -> np.ndarray:
    """Render cropped ink with its strokes made as wide as the nearer end of STROKE_RANGE.

    Takes the cropped ink, its scale and its plain rendering `image` (returned as is when the
    strokes turn out to need no change). The strokes are measured and changed at FINE times the
    output resolution, where a pen much thinner than an output pixel still has a width.
    """
    fine_scale = scale * FINE
    # Strokes only grow up to the lower end of the range, by half of it on each side.
    margin = math.ceil(FINE * STROKE_RANGE[0] / 2) + 1
    fine = _scaled(ink, fine_scale, margin)
    stroke = _stroke_width(fine)
    target = min(max(stroke, FINE * STROKE_RANGE[0]), FINE * STROKE_RANGE[1])
    steps = round(abs(target - stroke) / 2)  # each step moves both edges by a fine pixel
    if steps == 0:
        return image
    combine = np.maximum if target > stroke else np.minimum
    for step in range(steps):
        # Alternating the cross and the square grows an octagon, close to a round pen.
        fine = neighbourhood(fine, combine, square=step % 2 == 1)
    # A pen thinner than a fine pixel leaves faint ink even once grown: a pen's ink is full
    # strength, so scale the peak back to 1.
    fine /= fine.max()
    fine = fine[_ink_bounds(fine, 0.0, 1.0)]
    # Growing or eroding changed the box, so fit it to 20 px again.
    return _render(fine, BOX_PX / max(fine.shape))


def _scaled(ink: np.ndarray, scale: float, margin: int) -> np.ndarray:
    """Area-resample ink by `scale`, keeping `margin` empty pixels around it."""
    size = [math.ceil(n * scale) + 2 * margin for n in ink.shape]
    rows = _area_weights(ink.shape[0], size[0], -margin / scale, 1 / scale)
    cols = _area_weights(ink.shape[1], size[1], -margin / scale, 1 / scale)
    return rows @ ink @ cols.T


def neighbourhood(image: np.ndarray, combine: np.ufunc, *, square: bool) -> np.ndarray:
    """Grey dilation (np.maximum) or erosion (np.minimum) by a 3x3 cross or square; steps
    alternating the two grow or thin a stroke as a round pen would (also used to redraw MNIST
    in a writer's pen, ``digitpad.handwriting_style``)."""
    padded = np.pad(image, 1)
    h, w = image.shape
    out = image.copy()
    shifts = [(-1, 0), (1, 0), (0, -1), (0, 1)]
    if square:
        shifts += [(-1, -1), (-1, 1), (1, -1), (1, 1)]
    for dy, dx in shifts:
        combine(out, padded[1 + dy : 1 + dy + h, 1 + dx : 1 + dx + w], out=out)
    return out


# --- numbers: several digits on one canvas (the work is in digitpad.segment, which builds on
# this module, so it is imported when first used) ----------------------------------------------


def split_digits(canvas: np.ndarray) -> list[np.ndarray]:
    """The digits on a canvas, left to right, as (28, 28) float32 images, each made exactly as
    `to_mnist` makes a single digit; [] for a blank canvas or one without a digit-sized mark.
    See `digitpad.segment.split_digits`; `segment` also gives each digit's box."""
    from digitpad.segment import split_digits as split

    return split(canvas)


def segment(canvas: np.ndarray):  # -> digitpad.segment.Segmentation
    """The digits on a canvas with their boxes (x, y, width, height in canvas pixels), and why
    there are none when the ink is no digit. See `digitpad.segment.segment`."""
    from digitpad.segment import segment as find

    return find(canvas)
