"""Find the digits of a number written on one canvas and read them left to right.

A digit is often several separate pieces of ink (a 5's flag, a 4 written in two strokes, a
crossed 7, MNIST's broken strokes, a dot left where the pen touched down early), and two digits
never share a column for long: so pieces are grouped by where they sit along the x axis, with
sizes measured against the writing's own digit height, not by whether their ink happens to
touch. Specks far smaller than the digits belong to no digit.

Two kinds of pieces feed the same grouping (`segment_pieces`):

- canvas strokes, whose boxes and order the app knows (each pen-down to pen-up is a piece);
- for image files, connected pieces of ink found on a coarse grid (`segment`).

Each digit is then made exactly as `to_mnist` makes a single digit, from the ink of its own
pieces only. A canvas holding one digit gives `to_mnist(canvas)` itself.

Whether a mark is a digit at all is decided here too (`mark_problem`): a dot, a mark too small
for the canvas, or a blot that fills its box is said to be so, instead of being read with a
confident answer.

Pure NumPy: labelling works on runs of ink per row, merged with vectorised union-find, so a
six-digit canvas segments and renders in a few milliseconds.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from digitpad.preprocess import (
    MAX_STROKE_PX,
    EmptyCanvasError,
    InkMeasures,
    _checked,
    _ink,
    _polarity,
    measured_mnist,
)

MIN_MARK_FRACTION = 0.06
"""A mark whose longer side is under this fraction of the canvas's height is a speck, too small
to be a digit (17 px on the app's 280 px canvas; MNIST's own digits are 0.71 of theirs)."""

NOISE_FRACTION = 0.3
"""Pieces whose longer side is under this fraction of the writing's digit height are not
digits of their own: they join the digit they sit on (a dot, a flag) or are dropped."""

JOIN_OVERLAP = 0.25
"""Two pieces belong to one digit when their x ranges overlap by at least this fraction of the
narrower one. Neighbouring digits hardly overlap, even when slanted; a digit's own pieces
(a 5's flag over its body, a 4's second stroke, a 7's cross) overlap far more."""

FRAGMENT_HEIGHT = 0.45
"""A piece or group shorter than this fraction of the digit height is part of a digit (a 5's
flag, a 7's bar, a broken-off foot), never a digit of its own when a neighbour is near: it joins
a neighbour it overlaps at all along x, or..."""

FRAGMENT_GAP = 0.25
"""...the nearer neighbour, when it is closer than this fraction of the digit height (MNIST
has 5s whose flag floats a fifth of the digit's height from the body)."""

APART_HEIGHT = 0.75
"""Pieces standing side by side (see `group_pieces`'s `apart`) are kept apart as two digits
only when both are at least this fraction of the digit height tall."""

MAX_DIGIT_WIDTH = 1.5
"""No digit is wider than this many digit heights; pieces are never merged past it. MNIST's
widest 5s and 7s, flag or bar included, reach about 1.4."""

MAX_PART_WIDTH = 2.5
"""A short part (see FRAGMENT_HEIGHT) joins a digit up to this many digit heights wide: a 5's
flag can be drawn far longer than its body is wide."""

SPECK_FRACTION = 0.08
"""Pieces whose longer side is under this fraction of the digit height are noise wherever they
are (a pen's dot is about as wide as its strokes, and strokes are wider than this)."""

ATTACH_REACH = 0.3
"""A small piece joins a digit when it lies within this fraction of the digit height of the
digit's box (horizontally its centre must be over the digit: a decimal point in the gap joins
nothing); further away it is a speck of noise."""

BLOT_FILL = 0.9
"""A mark whose ink (at half strength, scaled to MNIST's 20 px) fills more than this fraction of
its box is a blot or a scribble, not a digit. Drawn digits fill 40% of theirs (median), the
boldest 1 in 1,000 about 80% and the boldest seen 85%."""

BLOT_MIN_ASPECT = 0.4
"""...unless the box is thin (narrower than this fraction of its length): a "1" or a "-" fills
its box."""

COARSE_ROWS = 140
"""Image path: ink is labelled on a grid about this many cells tall (a 280 px canvas is labelled
at 2 px per cell); gaps between digits are several cells wide at any canvas size."""

PIECE_LEVEL = 0.25
"""Image path: fraction of the ink's peak that counts as ink when finding pieces, so faint
anti-aliasing and light noise neither bridge close digits nor become pieces."""


@dataclass(frozen=True)
class FoundDigit:
    """One digit of a number: its (28, 28) float32 image as `to_mnist` makes it, and its box
    (x, y, width, height) in canvas pixels."""

    image: np.ndarray
    box: tuple[int, int, int, int]


@dataclass(frozen=True)
class Segmentation:
    """The digits found, left to right, and, when there is ink but no digit, why (a sentence
    such as "A dot or a blob, not a digit-sized mark"); None when the canvas is blank or digits were
    found."""

    digits: list[FoundDigit]
    problem: str | None = None


def split_digits(canvas: np.ndarray) -> list[np.ndarray]:
    """The digits on a canvas, left to right, as (28, 28) float32 images.

    Takes a canvas as `to_mnist` does (any size, dtype, polarity). Each digit is made exactly as
    `to_mnist` makes a single digit, from that digit's ink alone; one digit alone on the canvas
    gives `to_mnist(canvas)`. A blank canvas, or one with no digit-sized mark, gives [].
    Raises ValueError for input `to_mnist` cannot read. Boxes: see `segment`.
    """
    return [digit.image for digit in segment(canvas).digits]


def segment(canvas: np.ndarray) -> Segmentation:
    """The digits on an image (the image-file path), with their boxes in canvas pixels."""
    try:
        gray, full_scale = _checked(canvas)
        background, gain = _polarity(gray, full_scale)
    except EmptyCanvasError:
        return Segmentation([])
    height, width = gray.shape
    cell = max(1, math.ceil(height / COARSE_ROWS))
    labels, boxes, mass = _pieces(gray, background, gain, cell)
    boxes = np.minimum(boxes * cell, [width, height, width, height])

    groups = group_pieces(boxes, mass, height, _apart_on_grid(labels, len(boxes)))
    claimed = {i for group in groups for i in group}

    def render(group: Sequence[int], everything: bool) -> np.ndarray:
        if everything:
            return canvas  # one digit: exactly what to_mnist would be given
        # Other digits' ink stays out; specks that belong to no digit stay in if they are in
        # this digit's box: there they are more likely a broken-off bit of it than noise.
        others = sorted(claimed.difference(group))
        return _group_ink(gray, background, gain, labels, boxes, group, others, cell)

    return segment_pieces(boxes, mass, (height, width), render, groups)


def segment_pieces(
    boxes: np.ndarray,
    mass: np.ndarray,
    canvas_shape: tuple[int, int],
    render: Callable[[Sequence[int], bool], np.ndarray],
    groups: list[list[int]] | None = None,
    apart: Callable[[int, int], bool] | None = None,
) -> Segmentation:
    """Group pieces of ink into digits and make each digit's image (both paths use this).

    Takes each piece's box as (x0, y0, x1, y1) in canvas pixels (ends exclusive), its amount of
    ink (any unit), the canvas's (height, width), and `render(indices, everything)` which draws
    the given pieces alone on a canvas of their own (any polarity, any margin) and returns it;
    `everything` is True when the indices are all the pieces, so a single digit can be drawn
    exactly as the whole canvas. `groups`: the pieces' grouping if already made
    (`group_pieces`); `apart`: see `group_pieces`. Returns the Segmentation, digits left to
    right.
    """
    boxes = np.asarray(boxes, dtype=np.float64).reshape(-1, 4)
    mass = np.asarray(mass, dtype=np.float64).reshape(-1)
    if len(boxes) == 0:
        return Segmentation([])
    if groups is None:
        groups = group_pieces(boxes, mass, canvas_shape[0], apart)
    if not groups:
        return Segmentation([], "Only dots or specks, too small to be digits")
    digits: list[FoundDigit] = []
    problems: list[str] = []
    for group in groups:
        everything = len(groups) == 1 and len(group) == len(boxes)
        try:
            image, measures = measured_mnist(render(group, everything))
        except EmptyCanvasError:
            continue
        problem = mark_problem(measures, canvas_shape[0])
        if problem:
            problems.append(problem)
            continue
        x0, y0 = np.floor(boxes[group, :2].min(axis=0)).astype(int)
        x1, y1 = np.ceil(boxes[group, 2:].max(axis=0)).astype(int)
        digits.append(FoundDigit(image, (int(x0), int(y0), int(x1 - x0), int(y1 - y0))))
    if digits or not problems:
        return Segmentation(digits)
    return Segmentation([], problems[0] if len(problems) == 1 else "; ".join(problems))


def mark_problem(measures: InkMeasures, canvas_height: int) -> str | None:
    """Why one mark is not a digit, or None if it may be one.

    Takes what `measured_mnist` measured on the mark alone and the height of the canvas it was
    written on. The rules: a mark whose longer side is under MIN_MARK_FRACTION of the canvas
    height is too small; one whose strokes are wider than MAX_STROKE_PX once it is scaled to
    MNIST's 20 px is a dot or a blob; one whose ink fills more than BLOT_FILL of its box is a
    blot or a scribble (a bold "8" fills well under that, a "1" is a thin stroke: see there).
    """
    height, width = measures.ink_shape
    if max(height, width) < MIN_MARK_FRACTION * canvas_height:
        return "A mark too small to be a digit"
    if measures.stroke > MAX_STROKE_PX:
        return "A dot or a blob, not a digit-sized mark"
    if measures.fill > BLOT_FILL and min(height, width) >= BLOT_MIN_ASPECT * max(height, width):
        return "A blot or a scribble, not a digit"
    return None


# --- grouping ---------------------------------------------------------------------------------


def group_pieces(
    boxes: np.ndarray,
    mass: np.ndarray,
    canvas_height: float,
    apart: Callable[[int, int], bool] | None = None,
) -> list[list[int]]:
    """Which pieces make each digit: lists of piece indices, digits left to right.

    Takes pieces' boxes (x0, y0, x1, y1) and ink amounts, the canvas height, and optionally
    `apart(i, j)`: whether pieces i and j stand side by side, one wholly left of the other in
    every row where both have ink (two slanted 1s, whose boxes overlap much, are apart; a 4's
    bar and the upright it crosses are not). Pieces in no list are specks. Steps: the digit
    height is the ink-weighted median height of the pieces that are not specks; pieces of a
    sizeable fraction of it are grouped by overlap along x; short groups broken off a
    neighbour join it; small pieces join the digit they sit on.
    """
    boxes = np.asarray(boxes, dtype=np.float64).reshape(-1, 4)
    mass = np.asarray(mass, dtype=np.float64).reshape(-1)
    widths = boxes[:, 2] - boxes[:, 0]
    heights = boxes[:, 3] - boxes[:, 1]
    sizes = np.maximum(widths, heights)
    sizeable = sizes >= MIN_MARK_FRACTION * canvas_height
    if not sizeable.any():
        return []
    digit_height = _digit_height(boxes[sizeable], mass[sizeable])
    main = sizeable & (sizes >= NOISE_FRACTION * digit_height)
    groups = _overlap_groups(boxes, np.flatnonzero(main), digit_height, apart)
    groups = _merge_fragments(boxes, groups, digit_height)
    _attach_small(boxes, np.flatnonzero(~main), groups, digit_height)
    return [sorted(group) for group in groups]


def _digit_height(boxes: np.ndarray, mass: np.ndarray) -> float:
    """The writing's digit height: the ink-weighted median height of columns of pieces that
    overlap along x by half the narrower one (so a digit broken across its middle still counts
    whole)."""
    order = np.argsort(boxes[:, 0], kind="stable")
    columns: list[list[float]] = []  # x0, y0, x1, y1, mass
    for i in order:
        x0, y0, x1, y1 = boxes[i]
        if columns:
            c = columns[-1]
            overlap = min(x1, c[2]) - max(x0, c[0])
            if overlap >= 0.5 * min(x1 - x0, c[2] - c[0]):
                columns[-1] = [min(x0, c[0]), min(y0, c[1]), max(x1, c[2]), max(y1, c[3])]
                columns[-1].append(c[4] + mass[i])
                continue
        columns.append([x0, y0, x1, y1, mass[i]])
    table = np.array(columns)
    return _weighted_median(table[:, 3] - table[:, 1], table[:, 4])


def _weighted_median(values: np.ndarray, weights: np.ndarray) -> float:
    order = np.argsort(values)
    cumulative = np.cumsum(weights[order])
    return float(values[order][np.searchsorted(cumulative, cumulative[-1] / 2)])


def _extent(boxes: np.ndarray, group: Sequence[int]) -> np.ndarray:
    """(x0, y0, x1, y1) of a group of pieces."""
    part = boxes[list(group)]
    return np.concatenate([part[:, :2].min(axis=0), part[:, 2:].max(axis=0)])


def _overlap_groups(
    boxes: np.ndarray,
    pieces: np.ndarray,
    digit_height: float,
    apart: Callable[[int, int], bool] | None = None,
) -> list[list[int]]:
    """Pieces, left to right, joined while their x ranges overlap enough.

    Two full-height pieces join when they overlap by JOIN_OVERLAP of the narrower one and stay
    within MAX_DIGIT_WIDTH; a short one (a flag, a bar: under FRAGMENT_HEIGHT) joins whatever it
    overlaps at all, within MAX_PART_WIDTH.
    """
    groups: list[list[int]] = []
    extents: list[np.ndarray] = []
    for i in pieces[np.argsort(boxes[pieces, 0], kind="stable")]:
        x0, y0, x1, y1 = boxes[i]
        best, best_overlap = -1, 0.0
        for g, extent in enumerate(extents):
            overlap = min(x1, extent[2]) - max(x0, extent[0])
            if overlap <= 0:
                continue
            narrower = max(min(x1 - x0, extent[2] - extent[0]), 1e-9)
            merged_width = max(x1, extent[2]) - min(x0, extent[0])
            shorter = min(y1 - y0, extent[3] - extent[1])
            if shorter < FRAGMENT_HEIGHT * digit_height:
                joins = merged_width <= MAX_PART_WIDTH * digit_height
            else:
                joins = (
                    overlap >= JOIN_OVERLAP * narrower
                    and merged_width <= MAX_DIGIT_WIDTH * digit_height
                    # Two pieces as tall as digits, side by side, are two digits however
                    # their boxes overlap (slanted writing). Shorter parts (a 9's loop beside
                    # its stem, MNIST's broken strokes) may stand side by side in one digit.
                    and not (
                        apart is not None
                        and all(_tall(boxes, m, digit_height) and apart(i, m) for m in groups[g])
                        and _tall(boxes, i, digit_height)
                    )
                )
            if joins and overlap / narrower > best_overlap:
                best, best_overlap = g, overlap / narrower
        if best < 0:
            groups.append([int(i)])
            extents.append(boxes[i].copy())
        else:
            groups[best].append(int(i))
            extents[best] = _extent(boxes, groups[best])
    order = np.argsort([extent[0] + extent[2] for extent in extents], kind="stable")
    return [groups[k] for k in order]


def _tall(boxes: np.ndarray, piece: int, digit_height: float) -> bool:
    """Whether a piece is as tall as a whole digit (see APART_HEIGHT)."""
    return boxes[piece, 3] - boxes[piece, 1] >= APART_HEIGHT * digit_height


def _merge_fragments(
    boxes: np.ndarray, groups: list[list[int]], digit_height: float
) -> list[list[int]]:
    """Join short groups to a neighbour they nearly touch, if the result is digit-wide."""
    merged = True
    while merged and len(groups) > 1:
        merged = False
        extents = [_extent(boxes, g) for g in groups]
        for k, extent in enumerate(extents):
            if extent[3] - extent[1] >= FRAGMENT_HEIGHT * digit_height:
                continue
            candidates = []
            for n in (k - 1, k + 1):
                if 0 <= n < len(groups):
                    other = extents[n]
                    gap = max(other[0] - extent[2], extent[0] - other[2], 0.0)
                    width = max(other[2], extent[2]) - min(other[0], extent[0])
                    if gap <= FRAGMENT_GAP * digit_height and width <= (
                        MAX_PART_WIDTH * digit_height
                    ):
                        candidates.append((gap, n))
            if candidates:
                _, n = min(candidates)
                groups[n] = groups[n] + groups[k]
                del groups[k]
                merged = True
                break
    return groups


def _attach_small(
    boxes: np.ndarray, small: np.ndarray, groups: list[list[int]], digit_height: float
) -> None:
    """Add each small piece to the digit it sits on or beside, if one is near enough."""
    if not groups:
        return
    extents = np.array([_extent(boxes, g) for g in groups])
    reach = ATTACH_REACH * digit_height
    for i in small:
        x0, y0, x1, y1 = boxes[i]
        if max(x1 - x0, y1 - y0) < SPECK_FRACTION * digit_height:
            continue
        centre = (x0 + x1) / 2
        # Over the digit, not beside it: a decimal point in the gap is no part of a digit.
        over = (extents[:, 0] <= centre) & (centre <= extents[:, 2])
        vertical = np.maximum.reduce(
            [extents[:, 1] - y1, y0 - extents[:, 3], np.zeros(len(extents))]
        )
        near = over & (vertical <= reach)
        if near.any():
            groups[int(np.argmin(np.where(near, vertical, np.inf)))].append(int(i))


# --- the image path ---------------------------------------------------------------------------


def _pieces(
    gray: np.ndarray, background: float, gain: float, cell: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Connected pieces of ink on a grid of `cell`-pixel squares (8-connected).

    Returns the grid's label image (-1 where there is no ink), each piece's box (x0, y0, x1, y1)
    in grid cells (ends exclusive), and its ink cells.
    """
    level = background + PIECE_LEVEL / gain
    inked = gray >= level if gain > 0 else gray <= level
    height, width = inked.shape
    rows, cols = -(-height // cell), -(-width // cell)
    if cell > 1:
        padded = np.zeros((rows * cell, cols * cell), bool)
        padded[:height, :width] = inked
        # OR-ing strided slices is many times faster than any() over a reshaped block axis.
        inked = np.logical_or.reduce([padded[k::cell] for k in range(cell)])
        inked = np.logical_or.reduce([inked[:, k::cell] for k in range(cell)])
    # Runs of ink along each row: starts and (exclusive) ends.
    edges = np.diff(np.pad(inked, ((0, 0), (1, 1))).astype(np.int8), axis=1)
    run_row, run_start = np.nonzero(edges == 1)
    _, run_end = np.nonzero(edges == -1)
    count = run_row.size
    labels = np.full((rows, cols), -1, np.int64)
    if count == 0:
        return labels, np.zeros((0, 4)), np.zeros(0)
    # Runs on the next row that touch a run (8-connectivity: ranges that meet diagonally too).
    # Runs are sorted by row, then by start (and so by end), so two binary searches find them.
    key_start = run_row * (cols + 2) + run_start
    key_end = run_row * (cols + 2) + run_end
    below = (run_row + 1) * (cols + 2)
    first = np.searchsorted(key_end, below + run_start, side="left")
    last = np.searchsorted(key_start, below + run_end, side="right")
    touching = np.maximum(last - first, 0)
    a = np.repeat(np.arange(count), touching)
    b = np.arange(touching.sum()) - np.repeat(np.cumsum(touching) - touching, touching)
    b += np.repeat(first, touching)
    root = _union(count, a, b)
    piece_ids, run_piece = np.unique(root, return_inverse=True)
    pieces = piece_ids.size
    boxes = np.empty((pieces, 4))
    boxes[:, 0] = np.full(pieces, np.inf)
    np.minimum.at(boxes[:, 0], run_piece, run_start)
    boxes[:, 1] = np.full(pieces, np.inf)
    np.minimum.at(boxes[:, 1], run_piece, run_row)
    boxes[:, 2] = 0
    np.maximum.at(boxes[:, 2], run_piece, run_end)
    boxes[:, 3] = 0
    np.maximum.at(boxes[:, 3], run_piece, run_row + 1)
    mass = np.bincount(run_piece, weights=run_end - run_start, minlength=pieces)
    lengths = run_end - run_start
    cells_row = np.repeat(run_row, lengths)
    cells_col = np.arange(lengths.sum()) - np.repeat(np.cumsum(lengths) - lengths, lengths)
    cells_col += np.repeat(run_start, lengths)
    labels[cells_row, cells_col] = np.repeat(run_piece, lengths)
    return labels, boxes, mass


def _apart_on_grid(labels: np.ndarray, count: int) -> Callable[[int, int], bool]:
    """`apart` for pieces labelled on a grid (see `group_pieces`), from each piece's leftmost
    and rightmost cell in each row."""
    rows, cols = np.nonzero(labels >= 0)
    ids = labels[rows, cols]
    left = np.full((count, labels.shape[0]), np.inf)
    right = np.full((count, labels.shape[0]), -np.inf)
    np.minimum.at(left, (ids, rows), cols)
    np.maximum.at(right, (ids, rows), cols)
    return lambda i, j: rows_apart(left[i], right[i], left[j], right[j])


def rows_apart(
    left_a: np.ndarray, right_a: np.ndarray, left_b: np.ndarray, right_b: np.ndarray
) -> bool:
    """Whether two pieces, given their leftmost and rightmost ink in each row (inf and -inf
    where a row has none), are one wholly left of the other in every row both have ink in.
    False when they share under half of the shorter one's rows (stacked parts of one digit,
    like a 9's loop and the stem below it)."""
    shared = np.isfinite(left_a) & np.isfinite(left_b)
    shorter = min(int(np.isfinite(left_a).sum()), int(np.isfinite(left_b).sum()))
    if not shared.any() or shared.sum() < 0.5 * shorter:
        return False
    a_first = bool(np.all(right_a[shared] < left_b[shared]))
    return a_first or bool(np.all(right_b[shared] < left_a[shared]))


def _union(count: int, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Root (smallest member) of each of `count` nodes joined by edges a-b, all at once."""
    parent = np.arange(count)
    while True:
        pa, pb = parent[a], parent[b]
        low, high = np.minimum(pa, pb), np.maximum(pa, pb)
        differ = low != high
        if not differ.any():
            return parent
        np.minimum.at(parent, high[differ], low[differ])
        while True:  # pointer jumping: every node points at its root again
            grand = parent[parent]
            if np.array_equal(grand, parent):
                break
            parent = grand


def _group_ink(
    gray: np.ndarray,
    background: float,
    gain: float,
    labels: np.ndarray,
    boxes: np.ndarray,
    group: Sequence[int],
    others: Sequence[int],
    cell: int,
) -> np.ndarray:
    """The ink of a group's pieces alone, cropped to them, as float light-on-dark ink.

    Everything in the group's box counts except the cells of `others` (other digits' pieces)
    grown by one cell (their faint anti-aliased edge): so the faint ink between a digit's
    broken strokes stays with it.
    """
    height, width = gray.shape
    x0, y0 = np.floor(boxes[list(group), :2].min(axis=0)).astype(int)
    x1, y1 = np.ceil(boxes[list(group), 2:].max(axis=0)).astype(int)
    # One cell of margin for the digit's own faint edge.
    cx0, cy0 = max(x0 // cell - 1, 0), max(y0 // cell - 1, 0)
    cx1, cy1 = min(-(-x1 // cell) + 1, labels.shape[1]), min(-(-y1 // cell) + 1, labels.shape[0])
    window = labels[cy0:cy1, cx0:cx1]
    mine = np.isin(window, np.asarray(group))
    theirs = np.pad(np.isin(window, np.asarray(others, dtype=np.int64)), 1)
    grown = (
        theirs[1:-1, 1:-1]
        | theirs[:-2, 1:-1]
        | theirs[2:, 1:-1]
        | theirs[1:-1, :-2]
        | theirs[1:-1, 2:]
        | theirs[:-2, :-2]
        | theirs[:-2, 2:]
        | theirs[2:, :-2]
        | theirs[2:, 2:]
    )
    keep = mine | ~grown
    if cell > 1:
        keep = np.repeat(np.repeat(keep, cell, axis=0), cell, axis=1)
    top, left = cy0 * cell, cx0 * cell
    bottom, right = min(cy1 * cell, height), min(cx1 * cell, width)
    ink = _ink(gray[top:bottom, left:right], background, gain)
    ink *= keep[: bottom - top, : right - left]
    # A blank border makes the crop's own background unmistakable to to_mnist.
    return np.pad(np.minimum(ink, 1.0), 1)
