"""Random distortions of MNIST digits, made fresh every training epoch.

Each image gets its own small affine change (shift, rotation, scale, shear) plus an elastic
wobble, then is resampled bilinearly with zero outside the image. A random subset also gets
bolder or thinner strokes, because mouse drawings vary in pen width far more than MNIST does.
Rotation, shear and the elastic wobble are the usual ranges for MNIST (Simard et al. 2003 and
later work): strong enough to stop an MLP memorising pixel positions, mild enough that every
digit stays readable. Position and size vary only as much as they do in MNIST itself, because
the model is only ever shown digits framed the MNIST way: the test set, and drawings through
`digitpad.preprocess.to_mnist` (longer side 20 px, centre of mass within half a pixel of the
middle). The shifts of 2 px and size changes of 15% common in MNIST recipes spend the network
on framings it never sees: with them the `best` preset scored 99.03% on the test set here, with
these ranges 99.25% (one seed each, before the bolder strokes below).

Pure NumPy and vectorised over the batch: sampling coordinates come from elementwise products
and sums in a fixed order, and the bilinear lookups are `np.take` on flat arrays, processed in
chunks that fit in cache with reused buffers (fresh large arrays cost page faults that dominate
otherwise). No BLAS: a matrix product's rounding depends on how many threads OpenBLAS uses (the
app runs with one, the command line with all cores), and a coordinate that rounds differently
can move a pixel, so the same seed would train a different model in the app and the CLI.
"""

from __future__ import annotations

import numpy as np

from digitpad.data import IMAGE_SIDE, PIXELS

MAX_SHIFT_PX = 0.5
"""Largest translation along each axis, in pixels: MNIST's own spread of the centre of mass."""

MAX_ROTATION_DEG = 12.0
"""Largest rotation either way, in degrees."""

MAX_SCALE_CHANGE = 0.05
"""Scale factor is drawn from [1 - this, 1 + this]; MNIST's boxes are all 20 px, so this stays
small (rotation and shear change the box too)."""

MAX_SHEAR = 0.15
"""Largest horizontal shear (x moves by shear * y), about 8.5 degrees of slant."""

ELASTIC_GRID = 4
"""Control points per side of the coarse elastic displacement grid."""

ELASTIC_STD_PX = 1.2
"""Standard deviation of each control point's displacement, in pixels."""

THICKEN_FRACTION = 0.4
"""Share of images whose strokes are made bolder. Bold strokes are what a model trained on MNIST
reads worst: on digits redrawn with a pen 4.4-6 px wide (at MNIST scale), the `best` preset
reads 95.6-95.8% with 25% of images thickened by up to one step, 97.4% with this and
MAX_THICKENING (benchmarks/drawn_digits.py, pen strokes), at the same MNIST test accuracy.
Thinner pens need no such help: `to_mnist` grows their strokes."""

THIN_FRACTION = 0.15
"""Share of images whose strokes are made thinner."""

MAX_THICKENING = 2.0
"""Largest stroke growth, in dilation steps of about a pixel per side each: up to MNIST's usual
3 px strokes made 7 px wide, about the boldest that `to_mnist` lets through."""

MAX_THINNING = 0.5
"""Largest blend toward the eroded image: a full erosion would erase MNIST's thinnest strokes."""

BOX_PX = 20.0
"""Longer side of an MNIST digit's box, which thickened digits are shrunk to keep."""

MAX_STRENGTH = 2.0
"""Largest accepted `strength`. Beyond it digits stop looking like handwriting, and the scale
range would eventually reach zero."""

_CENTRE = 14.0  # MNIST's centre of mass: rotating about it keeps the digit in place.
_PAD = 2  # zero border wide enough that clipped coordinates only ever read zeros
_PADDED = IMAGE_SIDE + 2 * _PAD
_CHUNK = 256  # images per pass: working buffers stay cache-sized


def augment_batch(
    images: np.ndarray,
    rng: np.random.Generator,
    *,
    strength: float = 1.0,
    out: np.ndarray | None = None,
) -> np.ndarray:
    """Return a randomly distorted copy of a batch of MNIST images.

    Takes float images in [0, 1], shaped (N, 28, 28) or (N, 784), a NumPy Generator (the only
    source of randomness, so a seeded generator gives repeatable output), and `strength`, which
    scales every range above (0 returns the images unchanged, 1 is the documented ranges, at
    most MAX_STRENGTH). Returns an array of the same shape and dtype, values in [0, 1]; the
    input is not modified. Labels are unaffected. Raises ValueError for bad arguments.

    ``out``, a C-contiguous float32 array of N*784 values (any shape), receives the result and is
    returned in the input's shape: a training loop reuses one buffer for every epoch instead
    of a new array each time. The values are the same as without it.
    """
    images = np.asarray(images)
    flat = _validated(images, strength)
    count = len(flat)
    thickness = _thickness_amounts(count, rng, strength)
    # Each step of thickening widens the digit's box by about a pixel per side. Shrinking the
    # digit as much keeps the box near MNIST's 20 px, which is what `to_mnist` makes of a drawing
    # in a bold pen: the model learns bold digits at the size it will be shown them.
    fit = BOX_PX / (BOX_PX + 2.0 * np.maximum(thickness, 0.0))
    coefficients = _sampling_coefficients(count, rng, strength, fit)
    if out is None:
        result = np.empty((count, IMAGE_SIDE * IMAGE_SIDE), np.float32)
    else:
        if out.dtype != np.float32 or out.size != count * PIXELS or not out.flags.c_contiguous:
            raise ValueError("out must be a C-contiguous float32 array with the images' size")
        result = out.reshape(count, IMAGE_SIDE * IMAGE_SIDE)
    sampler = _Sampler(min(count, _CHUNK))
    for start in range(0, count, _CHUNK):
        chunk = slice(start, min(start + _CHUNK, count))
        padded = _padded(flat[chunk])
        _vary_thickness(padded, thickness[chunk])
        sampler.warp(padded, coefficients[:, chunk], result[chunk])
    if out is not None:
        return result.reshape(images.shape)
    return result.reshape(images.shape).astype(images.dtype, copy=False)


def _validated(images: np.ndarray, strength: float) -> np.ndarray:
    """Check the arguments; return the images as (N, 784) float32."""
    if images.shape[1:] not in ((IMAGE_SIDE, IMAGE_SIDE), (IMAGE_SIDE * IMAGE_SIDE,)):
        raise ValueError(f"images must be (N, 28, 28) or (N, 784), got shape {images.shape}")
    if not np.issubdtype(images.dtype, np.floating):
        raise ValueError(f"images must be float in [0, 1], got dtype {images.dtype}")
    if not 0.0 <= strength <= MAX_STRENGTH:
        raise ValueError(f"strength must be between 0 and {MAX_STRENGTH}, got {strength}")
    return images.reshape(len(images), IMAGE_SIDE * IMAGE_SIDE).astype(np.float32, copy=False)


def _sampling_coefficients(
    count: int, rng: np.random.Generator, strength: float, fit: np.ndarray
) -> np.ndarray:
    """Draw each image's distortion as coefficients over `_BASIS`; `fit` (count,) multiplies
    each image's scale.

    Returns (2, count, 19) float32: row 0 gives source x, row 1 source y, for every output
    pixel once combined by `_coordinates`, in the padded image's coordinates.
    """
    angle = np.deg2rad(MAX_ROTATION_DEG) * strength * rng.uniform(-1.0, 1.0, count)
    scale = fit * (1.0 + MAX_SCALE_CHANGE * strength * rng.uniform(-1.0, 1.0, count))
    shear = MAX_SHEAR * strength * rng.uniform(-1.0, 1.0, count)
    shift = MAX_SHIFT_PX * strength * rng.uniform(-1.0, 1.0, (count, 2))
    elastic = ELASTIC_STD_PX * strength * rng.standard_normal((2, count, ELASTIC_GRID**2))

    cos, sin = np.cos(angle), np.sin(angle)
    forward = np.empty((count, 2, 2))
    forward[:, 0, 0], forward[:, 0, 1] = cos, cos * shear - sin
    forward[:, 1, 0], forward[:, 1, 1] = sin, sin * shear + cos
    forward *= scale[:, None, None]
    # Sampling runs backwards: each output pixel asks where it came from.
    inverse = np.linalg.inv(forward)  # per 2x2 matrix: no threading, no BLAS
    offset = (
        _CENTRE
        + _PAD
        - (inverse[:, :, 0] * shift[:, 0, None] + inverse[:, :, 1] * shift[:, 1, None])
    )

    coefficients = np.empty((2, count, 3 + ELASTIC_GRID**2), np.float32)
    coefficients[:, :, :2] = inverse.transpose(1, 0, 2)
    coefficients[:, :, 2] = offset.T
    coefficients[:, :, 3:] = elastic
    return coefficients


def _thickness_amounts(count: int, rng: np.random.Generator, strength: float) -> np.ndarray:
    """Per-image stroke change: > 0 thickens, < 0 thins, 0 leaves alone. Returns (count,)."""
    kind = rng.random(count)
    amount = strength * rng.random(count)
    thicken = kind < THICKEN_FRACTION
    thin = ~thicken & (kind < THICKEN_FRACTION + THIN_FRACTION)
    grow = np.where(thicken, MAX_THICKENING * amount, 0.0)
    return grow - np.where(thin, MAX_THINNING * amount, 0.0)


def _padded(flat: np.ndarray) -> np.ndarray:
    """(n, 784) images -> (n, 32, 32) float32 copies with a zero border."""
    padded = np.zeros((len(flat), _PADDED, _PADDED), np.float32)
    _frame(padded, 0, 0)[...] = flat.reshape(-1, IMAGE_SIDE, IMAGE_SIDE)
    return padded


def _vary_thickness(padded: np.ndarray, amount: np.ndarray) -> None:
    """Grow (amount > 0) or shrink (amount < 0) each image's strokes by |amount| steps, in place.

    A step is a grey dilation or erosion by the 3x3 cross, then the 3x3 square, alternately, so
    repeated steps grow a rounded (octagonal) outline the way a wider round pen would. The last,
    fractional step is a blend toward it, so the change in stroke width is continuous rather
    than a whole pixel per side. Only the 28x28 frame is written: the padding must stay zero for
    the sampler.
    """
    for sign, combine in ((1.0, np.maximum), (-1.0, np.minimum)):
        pick = sign * amount > 0
        if not pick.any():
            continue
        images = padded[pick]
        size = (sign * amount[pick]).astype(np.float32)
        steps = np.ceil(size).astype(int)
        for step in range(1, int(steps.max()) + 1):
            active = steps >= step
            group = images[active]
            centre = _frame(group, 0, 0)
            changed = _morphology_step(group, combine, square=step % 2 == 0)
            weight = np.minimum(size[active] - (step - 1), 1.0)[:, None, None]
            centre += weight * (changed - centre)
            images[active] = group
        padded[pick] = images


def _morphology_step(padded: np.ndarray, combine: np.ufunc, *, square: bool) -> np.ndarray:
    """Grey dilation (np.maximum) or erosion (np.minimum) of the frames by a 3x3 cross or
    square. Returns new (n, 28, 28) arrays."""
    changed = combine(_frame(padded, 0, 0), _frame(padded, -1, 0))
    neighbours = [(1, 0), (0, -1), (0, 1)]
    if square:
        neighbours += [(-1, -1), (-1, 1), (1, -1), (1, 1)]
    for dy, dx in neighbours:
        combine(changed, _frame(padded, dy, dx), out=changed)
    return changed


def _frame(padded: np.ndarray, dy: int, dx: int) -> np.ndarray:
    """View of the 28x28 image frame inside padded images, moved by (dy, dx) pixels."""
    rows = slice(_PAD + dy, _PAD + dy + IMAGE_SIDE)
    cols = slice(_PAD + dx, _PAD + dx + IMAGE_SIDE)
    return padded[:, rows, cols]


class _Sampler:
    """Bilinear sampling of padded images at given coordinates, with reusable buffers."""

    def __init__(self, capacity: int) -> None:
        shape = (capacity, IMAGE_SIDE * IMAGE_SIDE)
        self._coords = np.empty((2, *shape), np.float32)
        self._whole = np.empty((2, *shape), np.float32)
        self._index = np.empty(shape, np.intp)
        self._corners = np.empty((4, *shape), np.float32)
        # Flat offset of each image in a chunk, so one index array addresses all of them.
        self._image_offset = (np.arange(capacity, dtype=np.float32) * _PADDED**2)[:, None]

    def warp(self, padded: np.ndarray, coefficients: np.ndarray, out: np.ndarray) -> None:
        """Write into `out` (n, 784) the n padded images sampled where `coefficients` say.

        Takes (n, 32, 32) padded images and their (2, n, 19) coefficients from
        `_sampling_coefficients`.
        """
        n = len(padded)
        coords, whole = self._coords[:, :n], self._whole[:, :n]
        index, corners = self._index[:n], self._corners[:, :n]
        _coordinates(coefficients, coords, whole)
        # Past the last image pixel both neighbours are padding, so clipping keeps the value 0.
        np.clip(coords, 0.0, _PADDED - 2, out=coords)
        np.floor(coords, out=whole)
        coords -= whole  # now the fractional parts

        # Float arithmetic is exact here (values < 2**24) and saves integer casts.
        x0, y0 = whole
        np.multiply(y0, _PADDED, out=y0)
        y0 += x0
        y0 += self._image_offset[:n]
        np.copyto(index, y0, casting="unsafe")

        source = padded.reshape(-1)
        for corner, shift in zip(corners, (0, 1, _PADDED, _PADDED + 1), strict=True):
            # Shifted views stand in for index + shift without another index array.
            source[shift:].take(index, out=corner)
        _blend(corners, coords[0], coords[1], out)


def _blend(corners: np.ndarray, fx: np.ndarray, fy: np.ndarray, out: np.ndarray) -> None:
    """Bilinear blend of the four corner values into `out`, clipped to [0, 1]; reuses corners."""
    top_left, top_right, bottom_left, bottom_right = corners
    top_right -= top_left
    top_right *= fx
    top_left += top_right
    bottom_right -= bottom_left
    bottom_right *= fx
    bottom_left += bottom_right
    np.subtract(bottom_left, top_left, out=out)
    out *= fy
    out += top_left
    # Rounding can overshoot [0, 1] by an ulp.
    np.clip(out, 0.0, 1.0, out=out)


def _coordinates(coefficients: np.ndarray, out: np.ndarray, scratch: np.ndarray) -> None:
    """Write into ``out`` (2, n, 784) the source coordinates of every output pixel.

    ``coefficients`` (2, n, 19) are those of `_sampling_coefficients`: per image and axis, the
    inverse affine map's two factors and offset, then the 4x4 elastic grid's displacements.
    Elementwise NumPy only, each sum in a fixed order, so the result is bit-identical whatever
    the BLAS threading (``scratch`` has out's shape).
    """
    n = out.shape[1]
    grid = ELASTIC_GRID
    image = out.reshape(2, n, IMAGE_SIDE, IMAGE_SIDE)
    np.multiply(coefficients[:, :, 0, None], _CENTRED_X, out=out)
    np.multiply(coefficients[:, :, 1, None], _CENTRED_Y, out=scratch)
    out += scratch
    out += coefficients[:, :, 2, None]
    # The elastic grid upsampled bilinearly, separably: along x to (2, n, 4, 28), then along y.
    elastic = coefficients[:, :, 3:].reshape(2, n, grid, grid, 1)
    along_x = elastic[:, :, :, 0] * _HATS[0]
    for gx in range(1, grid):
        along_x += elastic[:, :, :, gx] * _HATS[gx]
    term = scratch.reshape(2, n, IMAGE_SIDE, IMAGE_SIDE)
    for gy in range(grid):
        np.multiply(along_x[:, :, gy, None, :], _HATS[gy][:, None], out=term)
        image += term


def _hats() -> np.ndarray:
    """Bilinear weights from the coarse elastic grid to pixel positions: (grid, 28) float32."""
    grid_position = np.arange(IMAGE_SIDE) * (ELASTIC_GRID - 1) / (IMAGE_SIDE - 1)
    hats = np.maximum(0.0, 1.0 - np.abs(grid_position[:, None] - np.arange(ELASTIC_GRID)))
    return hats.T.astype(np.float32)


_HATS = _hats()
_CENTRED_X = np.tile(np.arange(IMAGE_SIDE) - _CENTRE, IMAGE_SIDE).astype(np.float32)
_CENTRED_Y = np.repeat(np.arange(IMAGE_SIDE) - _CENTRE, IMAGE_SIDE).astype(np.float32)
