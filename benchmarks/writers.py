"""Synthetic writers with hands MNIST rarely shows, for benchmarks/teach.py.

Each writer redraws MNIST *test* digits (which no model here trained on) with a round pen along
the digit's skeleton, as benchmarks/drawn_digits.py's pen strokes do, and adds their own
consistent habits:

- a continental 1: a long up-stroke (flag) into the top, sometimes a foot;
- a crossed 7, and a 7 whose bar starts with a downward tick;
- a 4 closed at the top (its arm joined to its stem), which MNIST models read as 9;
- a slashed zero;
- a strong slant either way, wide or narrow digits, a hairline or a bold pen.

Every drawing varies a little around the writer's habits (slant, rotation, flag length), and
is put at a random size and place on a canvas of random shape and polarity.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from drawn_digits import CANVASES, SIZE_RANGE, finish, place, skeletons, stamp_discs  # noqa: E402


@dataclass(frozen=True)
class Writer:
    name: str
    slant: float = 0.0
    """Horizontal shift per unit of height (0.4 is about 22 degrees), top to the right."""
    aspect: float = 1.0
    """Width multiplier."""
    pen: tuple[float, float] = (0.06, 0.16)
    """Pen width as a fraction of the drawing's height."""
    one_flag: float = 0.0
    """Length of the 1's flag as a fraction of its height (0: none)."""
    one_foot: bool = False
    seven_bar: bool = False
    seven_tick: bool = False
    closed_four: bool = False
    slashed_zero: bool = False
    shaky: float = 0.0
    """Amplitude of a slow wobble along the line, in MNIST pixels (a shaky hand)."""

    def traits(self) -> str:
        names = []
        if self.one_flag:
            names.append(f"continental 1 (flag {self.one_flag:.0%})")
        if self.one_foot:
            names.append("1 with a foot")
        if self.seven_bar:
            names.append("crossed 7")
        if self.seven_tick:
            names.append("7 with a tick")
        if self.closed_four:
            names.append("closed-top 4")
        if self.slashed_zero:
            names.append("slashed 0")
        if self.shaky:
            names.append(f"shaky line ({self.shaky:g} px)")
        if self.slant:
            names.append(f"slant {self.slant:+.2f}")
        if self.aspect != 1.0:
            names.append(f"width x{self.aspect:g}")
        names.append(f"pen {self.pen[0]:.2f}-{self.pen[1]:.2f}")
        return ", ".join(names)


WRITERS = (
    Writer("continental", slant=0.3, one_flag=0.45, seven_bar=True),
    Writer("closed-fours", slant=-0.25, aspect=1.25, closed_four=True, slashed_zero=True),
    Writer(
        "engineer",
        slant=0.5,
        one_flag=0.35,
        one_foot=True,
        seven_bar=True,
        seven_tick=True,
        closed_four=True,
        pen=(0.03, 0.07),
    ),
    Writer("bold-narrow", slant=0.4, aspect=0.75, closed_four=True, one_flag=0.3, pen=(0.14, 0.22)),
)


NEW_WRITERS = (
    Writer("felt-lefty", slant=-0.45, aspect=1.3, pen=(0.17, 0.25), seven_bar=True),
    Writer(
        "shaky-leaner",
        slant=0.65,
        aspect=0.85,
        pen=(0.04, 0.09),
        shaky=1.2,
        one_flag=0.25,
        slashed_zero=True,
    ),
)
"""Writers added after the teaching method was chosen on WRITERS: benchmarks/teach.py
reports them apart, as hands it was not tuned on."""


def segment(start: np.ndarray, end: np.ndarray) -> np.ndarray:
    """Points every half fine pixel from ``start`` to ``end`` (each (y, x))."""
    count = max(2, int(np.hypot(*(end - start)) * 2) + 1)
    t = np.linspace(0.0, 1.0, count)[:, None]
    return start + t * (end - start)


def habits(points: np.ndarray, digit: int, writer: Writer, rng: np.random.Generator) -> np.ndarray:
    """The skeleton's points (k, 2) with the writer's extra strokes for ``digit``."""
    top, bottom = points[:, 0].min(), points[:, 0].max()
    height = max(bottom - top, 1.0)
    left, right = points[:, 1].min(), points[:, 1].max()
    centre_x = points[:, 1].mean()
    extra = []
    if digit == 1 and writer.one_flag:
        apex = points[points[:, 0] <= top + 0.03 * height].mean(axis=0)
        length = writer.one_flag * height * rng.uniform(0.85, 1.15)
        angle = np.deg2rad(rng.uniform(30, 45))
        extra.append(segment(apex + length * np.array([np.sin(angle), -np.cos(angle)]), apex))
    if digit == 1 and writer.one_foot:
        foot = points[points[:, 0] >= bottom - 0.03 * height].mean(axis=0)
        half = 0.2 * height
        extra.append(segment(foot - [0, half], foot + [0, half]))
    if digit == 7 and writer.seven_bar:
        level = top + rng.uniform(0.5, 0.6) * height
        near = points[np.abs(points[:, 0] - level) < 0.04 * height]
        stem_x = near[:, 1].mean() if len(near) else centre_x
        half = 0.22 * height * rng.uniform(0.9, 1.1)
        extra.append(segment(np.array([level, stem_x - half]), np.array([level, stem_x + half])))
    if digit == 7 and writer.seven_tick:
        bar = points[points[:, 0] <= top + 0.15 * height]
        start = bar[np.argmin(bar[:, 1])]
        extra.append(segment(start, start + [0.18 * height, 0.0]))
    if digit == 4 and writer.closed_four:
        upper = points[points[:, 0] <= top + 0.5 * height]
        arm = upper[upper[:, 1] < centre_x]
        stem = upper[upper[:, 1] >= centre_x]
        if len(arm) and len(stem):
            extra.append(segment(arm[np.argmin(arm[:, 0])], stem[np.argmin(stem[:, 0])]))
        # A closed 4 is told from a 9 by its crossbar running through the stem; many MNIST 4s
        # stop it at the stem, and closing those draws a 9 (a person reads it as 9 too).
        middle = points[(points[:, 0] > top + 0.3 * height) & (points[:, 0] < top + 0.8 * height)]
        left_part = middle[middle[:, 1] < centre_x - 0.05 * (right - left)]
        if len(left_part):
            corner = left_part[np.argmax(left_part[:, 0])]
            level = points[np.abs(points[:, 0] - corner[0]) < 0.05 * height]
            end_x = max(level[:, 1].max(), centre_x) + 0.15 * height
            extra.append(segment(corner, np.array([corner[0], end_x])))
    if digit == 0 and writer.slashed_zero:
        width = right - left
        extra.append(
            segment(
                np.array([bottom - 0.1 * height, centre_x - 0.35 * width]),
                np.array([top + 0.1 * height, centre_x + 0.35 * width]),
            )
        )
    return np.concatenate([points, *extra]) if extra else points


def slanted(points: np.ndarray, writer: Writer, rng: np.random.Generator) -> np.ndarray:
    """Points sheared by the writer's slant, scaled by their aspect, slightly rotated, and
    wobbled if the writer's hand is shaky."""
    centre = points.mean(axis=0)
    y, x = (points - centre).T
    if writer.shaky:
        # A smooth wobble: each axis moves with a sine of the other, random phase and period.
        period = rng.uniform(5.0, 9.0, 2)
        phase = rng.uniform(0, 2 * np.pi, 2)
        y, x = (
            y + writer.shaky * np.sin(2 * np.pi * x / period[0] + phase[0]),
            x + writer.shaky * np.sin(2 * np.pi * y / period[1] + phase[1]),
        )
    slant = writer.slant + rng.uniform(-0.06, 0.06)
    x = (x - slant * y) * writer.aspect
    angle = np.deg2rad(rng.uniform(-4, 4))
    cos, sin = np.cos(angle), np.sin(angle)
    return np.stack([cos * y + sin * x, -sin * y + cos * x], axis=1) + centre


def draw(
    digits: np.ndarray, labels: np.ndarray, writer: Writer, rng: np.random.Generator
) -> list[np.ndarray]:
    """The writer's canvases (uint8, various shapes and polarities) of MNIST ``digits``."""
    canvases = []
    for skeleton, digit in zip(skeletons(digits), labels, strict=True):
        points = np.argwhere(skeleton).astype(np.float64) + 0.5
        points = slanted(habits(points, int(digit), writer, rng), writer, rng)
        shape = CANVASES[rng.integers(len(CANVASES))]
        low, high = points.min(axis=0), points.max(axis=0)
        extent = high - low
        pen_fraction = rng.uniform(*writer.pen)
        height = rng.uniform(*SIZE_RANGE) * shape[0]
        scale = height * (1 - pen_fraction) / max(extent[0], 1.0)
        pen = pen_fraction * height
        width = extent[1] * scale + pen
        if width > 0.95 * shape[1]:
            shrink = 0.95 * shape[1] / width
            scale, pen = scale * shrink, pen * shrink
        size = (extent[0] * scale + pen, extent[1] * scale + pen)
        y, x = place(rng, shape, size)
        centres = (points - low) * scale + np.array([y, x]) + pen / 2
        canvases.append(finish(rng, stamp_discs(centres, pen, shape)))
    return canvases


def pick(labels: np.ndarray, per_digit: int, rng: np.random.Generator, exclude=()) -> np.ndarray:
    """Indices of ``per_digit`` images of each digit, not in ``exclude``, sorted."""
    excluded = set(np.asarray(exclude).tolist())
    chosen = []
    for digit in range(10):
        members = [i for i in np.flatnonzero(labels == digit) if i not in excluded]
        chosen.extend(rng.choice(members, per_digit, replace=False).tolist())
    return np.sort(np.array(chosen, dtype=np.int64))
