"""Numbers drawn as a person draws them: each digit a few strokes (a 4 in two, a 5 with its flag
added after, a crossed 7), for the canvas (as mouse drags) and for image files (with QPainter).

Strokes are polylines in a unit box (x right, y down, 0 to 1); `number_strokes` places them.
"""

from __future__ import annotations

import math

import numpy as np

Stroke = list[tuple[float, float]]


def _arc(cx: float, cy: float, rx: float, ry: float, start: float, end: float, n: int = 16):
    """Points on an ellipse from angle `start` to `end` (degrees, clockwise on screen)."""
    return [
        (cx + rx * math.cos(math.radians(a)), cy + ry * math.sin(math.radians(a)))
        for a in (start + (end - start) * k / (n - 1) for k in range(n))
    ]


DIGITS: dict[str, list[Stroke]] = {
    "0": [_arc(0.5, 0.5, 0.42, 0.5, -90, 270, 28)],
    "1": [[(0.35, 0.15), (0.55, 0.0), (0.55, 1.0)]],
    "2": [_arc(0.5, 0.28, 0.42, 0.28, 190, 360, 12) + [(0.85, 0.45), (0.08, 1.0), (0.95, 1.0)]],
    "3": [_arc(0.48, 0.25, 0.4, 0.25, 200, 450, 14) + _arc(0.48, 0.74, 0.44, 0.26, 270, 520, 14)],
    # Two strokes: the open angle, then the upright.
    "4": [[(0.62, 0.0), (0.05, 0.68), (0.98, 0.68)], [(0.72, 0.22), (0.72, 1.0)]],
    # The body first, the flag added after, as most people write a 5.
    "5": [
        [(0.2, 0.02), (0.14, 0.45)] + _arc(0.5, 0.7, 0.4, 0.3, 220, 500, 16)[1:],
        [(0.2, 0.02), (0.9, 0.02)],
    ],
    "6": [[(0.8, 0.02), (0.45, 0.2), (0.15, 0.55)] + _arc(0.5, 0.72, 0.36, 0.28, 180, 540, 20)],
    # A crossed 7: the bar and stem, then the cross.
    "7": [[(0.05, 0.0), (0.95, 0.0), (0.4, 1.0)], [(0.38, 0.5), (0.85, 0.5)]],
    "8": [_arc(0.5, 0.25, 0.32, 0.25, 90, -270, 20) + _arc(0.5, 0.73, 0.4, 0.27, -90, 270, 22)],
    "9": [_arc(0.45, 0.3, 0.38, 0.3, 0, 360, 22), [(0.83, 0.3), (0.78, 1.0)]],
}


def number_strokes(
    text: str,
    *,
    height: float = 180.0,
    width: float = 110.0,
    top: float = 50.0,
    left: float = 30.0,
    gap: float = 40.0,
    slope: float = 0.0,
    sizes: list[float] | None = None,
) -> list[Stroke]:
    """The strokes of `text` (digits, and "." for a dot of ink), left to right, in canvas units.

    Each digit is `height` x `width` (times its entry in `sizes`), `gap` after the one before,
    standing on a baseline that rises by `slope` per unit to the right. A "." is a single-point
    stroke (a tap) just above the previous digit's top right: a pen touched down early.
    """
    strokes: list[Stroke] = []
    x = left
    baseline = top + height
    previous: tuple[float, float, float] | None = None  # right, top of the digit before
    for index, char in enumerate(text):
        if char == ".":
            if previous is not None:
                right, digit_top, size = previous
                strokes.append([(right - 0.2 * size, digit_top - 0.12 * size)])
            continue
        scale = (sizes[index] if sizes else 1.0) if sizes is None or index < len(sizes) else 1.0
        h, w = height * scale, width * scale
        bottom = baseline - slope * (x - left)
        for stroke in DIGITS[char]:
            strokes.append([(x + px * w, bottom - h + py * h) for px, py in stroke])
        previous = (x + w, bottom - h, h)
        x += w + gap
    return strokes


def paint_strokes(painter, strokes: list[Stroke], scale: float = 1.0) -> None:
    """Draw strokes with a QPainter whose pen is already set (a tap becomes a dot)."""
    from PySide6.QtCore import QPointF

    for stroke in strokes:
        points = [QPointF(x * scale, y * scale) for x, y in stroke]
        if len(points) == 1:
            points.append(points[0] + QPointF(0.01, 0))
        painter.drawPolyline(points)


def raster(
    strokes: list[Stroke], shape: tuple[int, int], pen: float = 14.0, dark_on_light: bool = False
) -> np.ndarray:
    """Strokes drawn with a round anti-aliased pen on a uint8 canvas of `shape`, in NumPy."""
    ink = np.zeros(shape, np.float32)
    for stroke in strokes:
        ink = np.maximum(ink, _stroke_ink(stroke, shape, pen))
    canvas = np.round(ink * 255).astype(np.uint8)
    return 255 - canvas if dark_on_light else canvas


def _stroke_ink(stroke: Stroke, shape: tuple[int, int], pen: float) -> np.ndarray:
    points = np.array(stroke, dtype=np.float64)
    if len(points) == 1:
        points = np.vstack([points, points])
    out = np.zeros(shape, np.float32)
    x0, y0 = np.floor(points.min(axis=0) - pen).astype(int)
    x1, y1 = np.ceil(points.max(axis=0) + pen).astype(int)
    x0, y0, x1, y1 = max(x0, 0), max(y0, 0), min(x1, shape[1]), min(y1, shape[0])
    if x1 <= x0 or y1 <= y0:
        return out
    ys, xs = np.mgrid[y0:y1, x0:x1] + 0.5
    distance = np.full(ys.shape, np.inf)
    for (ax, ay), (bx, by) in zip(points[:-1], points[1:], strict=True):
        dx, dy = bx - ax, by - ay
        t = np.clip(((xs - ax) * dx + (ys - ay) * dy) / max(dx * dx + dy * dy, 1e-9), 0.0, 1.0)
        np.minimum(distance, np.hypot(xs - (ax + t * dx), ys - (ay + t * dy)), out=distance)
    out[y0:y1, x0:x1] = np.clip(pen / 2 + 0.5 - distance, 0.0, 1.0)
    return out
