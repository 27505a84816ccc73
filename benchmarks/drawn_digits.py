"""How well does digitpad read drawn digits? A seeded, self-contained fidelity benchmark.

A drawing is not an MNIST image: it is bigger or smaller, off-centre, bolder or thinner, on a
canvas that may not be square, and sometimes dark on light. This benchmark makes such drawings
from MNIST *test* images (which no model here trained on), so the true digit is known, in two
ways:

(a) re-rendered: the digit scaled to a random height (a quarter to nine tenths of the canvas
    height), put at a random place, its strokes made bolder or thinner;
(b) pen strokes: the digit's skeleton redrawn with a round pen of random width, the way a mouse
    draws, so only the digit's path survives, not MNIST's own stroke profile.

Both use 280x280, 280x400 and 400x280 canvases and both polarities. Each drawing is read four
ways: the whole canvas squashed to 28x28 (`naive_resize`) or `to_mnist`, each with the plain
`tutorial` model (trained here in a few seconds, or loaded with --tutorial-model) and with the
default model. The default model's accuracy on the same MNIST images untouched is the ceiling to
compare with. The run prints one table, PASS or FAIL for each target, and exits 1 if any fails.

    .venv/bin/python benchmarks/drawn_digits.py                 # 2,000 digits per source
    .venv/bin/python benchmarks/drawn_digits.py --count 500 --sheet /tmp/failures.png
    .venv/bin/python benchmarks/drawn_digits.py --pens          # also (b) per pen width

Rendering is NumPy only: resampling with separable tent-filter matrices, Zhang-Suen thinning
vectorised over the batch, and pen discs stamped with `np.maximum.at`.
"""

from __future__ import annotations

import argparse
import json
import os
import struct
import sys
import time
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

# The resampling here and in to_mnist is many small matrix products, which a multithreaded
# BLAS makes many times slower when the other core is busy (for instance while training).
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import numpy as np  # noqa: E402

from digitpad.data import Mnist, load_mnist  # noqa: E402
from digitpad.inference import Predictor, load_predictor  # noqa: E402
from digitpad.preprocess import naive_resize, to_mnist  # noqa: E402

CANVASES = ((280, 280), (280, 400), (400, 280))
"""(height, width) of the canvases drawings are made on: the app's square and two others."""

SIZE_RANGE = (0.25, 0.90)
"""Height of the drawing as a fraction of the canvas height."""

FINE = 4
"""Working resolution for re-rendering and thinning, in fine pixels per MNIST pixel."""

THICKNESS_RANGE = (-0.5, 1.0)
"""(a): stroke change per side, in MNIST pixels (< 0 thinner, > 0 bolder). MNIST's strokes are
mostly 2-5.5 px wide (median 3.5), so this takes a typical one from about 2.5 to 5.5 px."""

PEN_RANGE = (0.05, 0.22)
"""(b): pen width as a fraction of the drawing's height: 1 to 4.4 px once scaled to MNIST's
20 px box, where MNIST's own strokes are mostly 2-5.5 px."""

PEN_BANDS = ((0.01, 0.03), (0.03, 0.05), PEN_RANGE, (0.22, 0.30), (0.30, 0.40))
"""--pens: (b) redrawn with pens from hairline (0.2 px once scaled to MNIST's box) to marker
(8 px, where loops fill in and digits become blobs). The app's pens (4-48 px on a 280 px
canvas) reach both ends, depending on how big the digit is drawn."""

SKELETON_LEVEL = 0.5
"""(b): fraction of a digit's peak that counts as ink when it is thinned to its skeleton."""

TARGETS = {"a": 0.985, "b": 0.975}
"""Accuracy that `to_mnist` with the default model must reach on each source."""

MAX_GAP = 0.005
"""How far below the default model's accuracy on the untouched images (a) may fall: it keeps
all of a digit's shape, so it should read nearly as well as MNIST itself. (b) keeps only the
path, and is held to its own target."""

SOURCES = {"a": "(a) re-rendered", "b": "(b) pen strokes"}

ROWS = (
    "naive resize + tutorial",
    "naive resize + default",
    "to_mnist + tutorial",
    "to_mnist + default",
    "default, MNIST untouched",
)
"""Preprocessing + model combinations compared; the last row is the same digits as MNIST has
them, the ceiling."""


@dataclass(frozen=True)
class Drawings:
    """One source's canvases (uint8, various shapes) and the digits they show."""

    canvases: list[np.ndarray]
    labels: np.ndarray


# --- resampling -------------------------------------------------------------------------------


def tent_weights(n_src: int, n_out: int, start: float, step: float) -> np.ndarray:
    """Resampling matrix (n_out, n_src): output pixel k reads the source around
    start + (k + 0.5) * step with a tent filter (linear interpolation when enlarging, an
    anti-aliasing average when shrinking). Source pixel j covers [j, j + 1]; weights are
    normalised over the pixels inside the source, so callers keep a zero margin around ink."""
    centre = start + (np.arange(n_out) + 0.5) * step
    width = max(1.0, step)
    weights = np.maximum(0.0, 1.0 - np.abs(np.arange(n_src) + 0.5 - centre[:, None]) / width)
    total = weights.sum(axis=1, keepdims=True)
    return np.divide(weights, total, out=np.zeros_like(weights), where=total > 0)


def upsample(digits: np.ndarray, factor: int) -> np.ndarray:
    """(N, 28, 28) -> (N, 28*factor, 28*factor) by linear interpolation."""
    side = digits.shape[1]
    weights = tent_weights(side, side * factor, 0.0, 1.0 / factor).astype(np.float32)
    return np.einsum("ij,njk,lk->nil", weights, digits, weights, optimize=True)


def ink_box(image: np.ndarray, level: float) -> tuple[int, int, int, int]:
    """(top, bottom, left, right), exclusive ends, of pixels above `level` (image not empty)."""
    rows = np.flatnonzero((image > level).any(axis=1))
    cols = np.flatnonzero((image > level).any(axis=0))
    return int(rows[0]), int(rows[-1]) + 1, int(cols[0]), int(cols[-1]) + 1


def place(
    rng: np.random.Generator, canvas: tuple[int, int], size: tuple[float, float]
) -> tuple[float, float]:
    """A random top-left corner (canvas px) for a drawing of `size` (height, width)."""
    return (
        rng.uniform(0.0, max(canvas[0] - size[0], 0.0)),
        rng.uniform(0.0, max(canvas[1] - size[1], 0.0)),
    )


def drawing_scale(
    rng: np.random.Generator, canvas: tuple[int, int], box: tuple[float, float]
) -> float:
    """Canvas px per source px that gives the drawing a random height; it must fit the width."""
    height = rng.uniform(*SIZE_RANGE) * canvas[0]
    return min(height / box[0], 0.95 * canvas[1] / box[1])


def to_canvas(
    image: np.ndarray, scale: float, top: float, left: float, shape: tuple[int, int]
) -> np.ndarray:
    """Render `image` (float, zero border) on a black canvas of `shape`: its pixel (0, 0)'s
    corner at (top, left), `scale` canvas px per image px. Returns float32 ink in [0, 1]."""
    rows = tent_weights(image.shape[0], shape[0], -top / scale, 1.0 / scale)
    cols = tent_weights(image.shape[1], shape[1], -left / scale, 1.0 / scale)
    return np.clip(rows @ image @ cols.T, 0.0, 1.0).astype(np.float32)


def finish(rng: np.random.Generator, ink: np.ndarray) -> np.ndarray:
    """Quantise ink to uint8 and flip half the drawings to dark ink on light paper."""
    canvas = np.round(ink * 255).astype(np.uint8)
    return 255 - canvas if rng.random() < 0.5 else canvas


# --- (a) re-rendered --------------------------------------------------------------------------


def grey_morphology(images: np.ndarray, radius: int, combine: np.ufunc) -> np.ndarray:
    """Grey dilation (np.maximum) or erosion (np.minimum) of (N, H, W) images by a disc."""
    if radius == 0:
        return images
    padded = np.pad(images, ((0, 0), (radius, radius), (radius, radius)))
    out = images.copy()
    height, width = images.shape[1:]
    for dy in range(-radius, radius + 1):
        for dx in range(-radius, radius + 1):
            # The slack of radius // 2 rounds the small digital discs (radius 2 gets its
            # knight's-move pixels), as a round pen would.
            if dy * dy + dx * dx <= radius * radius + radius // 2:
                rows = slice(radius + dy, radius + dy + height)
                cols = slice(radius + dx, radius + dx + width)
                combine(out, padded[:, rows, cols], out=out)
    return out


def rerendered(digits: np.ndarray, rng: np.random.Generator) -> list[np.ndarray]:
    """Source (a): each digit at a random size, place and stroke width, either polarity."""
    fine = upsample(digits, FINE)
    # Bolder or thinner by a disc of a whole number of fine pixels (a quarter MNIST px each).
    radii = np.round(rng.uniform(*THICKNESS_RANGE, len(digits)) * FINE).astype(int)
    for radius in np.unique(radii):
        pick = radii == radius
        combine = np.maximum if radius > 0 else np.minimum
        fine[pick] = grey_morphology(fine[pick], abs(int(radius)), combine)
    canvases = []
    for image in fine:
        shape = CANVASES[rng.integers(len(CANVASES))]
        top, bottom, left, right = ink_box(image, 0.05)
        margin = 2
        crop = np.pad(image[top:bottom, left:right], margin)
        box = (bottom - top, right - left)
        scale = drawing_scale(rng, shape, box)
        y, x = place(rng, shape, (box[0] * scale, box[1] * scale))
        ink = to_canvas(crop, scale, y - margin * scale, x - margin * scale, shape)
        canvases.append(finish(rng, ink))
    return canvases


# --- (b) pen strokes --------------------------------------------------------------------------


def zhang_suen(binary: np.ndarray) -> np.ndarray:
    """One-pixel-wide skeletons of (N, H, W) bool images (Zhang & Suen 1984), all at once."""
    image = np.pad(binary, ((0, 0), (1, 1), (1, 1))).astype(np.uint8)
    height, width = binary.shape[1:]

    def at(dy: int, dx: int) -> np.ndarray:
        return image[:, 1 + dy : 1 + dy + height, 1 + dx : 1 + dx + width]

    # P2..P9 clockwise from north, as in the paper.
    ring = [(-1, 0), (-1, 1), (0, 1), (1, 1), (1, 0), (1, -1), (0, -1), (-1, -1)]
    while True:
        changed = False
        for first in (True, False):
            p = [at(dy, dx) for dy, dx in ring]
            p2, _, p4, _, p6, _, p8, _ = p
            neighbours = sum(q.astype(np.int8) for q in p)
            transitions = sum(
                ((p[i] == 0) & (p[(i + 1) % 8] == 1)).astype(np.int8) for i in range(8)
            )
            # Step one peels south-east boundaries and north-west corners, step two the rest.
            side = (p4 & p6 & (p2 | p8)) if first else (p2 & p8 & (p4 | p6))
            delete = (
                (at(0, 0) == 1)
                & (neighbours >= 2)
                & (neighbours <= 6)
                & (transitions == 1)
                & (side == 0)
            )
            if delete.any():
                at(0, 0)[delete] = 0
                changed = True
        if not changed:
            return image[:, 1:-1, 1:-1].astype(bool)


def skeletons(digits: np.ndarray) -> np.ndarray:
    """(N, 112, 112) bool one-pixel-wide skeletons of the digits, at FINE resolution."""
    fine = upsample(digits, FINE)
    peaks = fine.max(axis=(1, 2), keepdims=True)
    return zhang_suen(fine >= SKELETON_LEVEL * peaks)


def pen_strokes(
    digits: np.ndarray,
    rng: np.random.Generator,
    pens: tuple[float, float] = PEN_RANGE,
    paths: np.ndarray | None = None,
) -> list[np.ndarray]:
    """Source (b): each digit's skeleton drawn with a round pen, random size, place, width
    (`pens`: range of the pen's width as a fraction of the drawing's height). `paths`: the
    digits' `skeletons`, if already made."""
    canvases = []
    for skeleton in skeletons(digits) if paths is None else paths:
        shape = CANVASES[rng.integers(len(CANVASES))]
        points = np.argwhere(skeleton).astype(np.float64) + 0.5  # fine-pixel centres
        low, high = points.min(axis=0), points.max(axis=0)
        extent = high - low
        # The drawing's height is its path plus the pen, so solve for the scale with the pen's
        # width set as a fraction of that height.
        pen_fraction = rng.uniform(*pens)
        height = rng.uniform(*SIZE_RANGE) * shape[0]
        scale = height * (1 - pen_fraction) / max(extent[0], 1.0)
        pen = pen_fraction * height
        width = extent[1] * scale + pen
        if width > 0.95 * shape[1]:  # a wide digit on a narrow canvas: shrink to fit
            shrink = 0.95 * shape[1] / width
            scale, pen = scale * shrink, pen * shrink
        size = (extent[0] * scale + pen, extent[1] * scale + pen)
        y, x = place(rng, shape, size)
        centres = (points - low) * scale + np.array([y, x]) + pen / 2
        canvases.append(finish(rng, stamp_discs(centres, pen, shape)))
    return canvases


def stamp_discs(centres: np.ndarray, diameter: float, shape: tuple[int, int]) -> np.ndarray:
    """Anti-aliased round-pen discs at `centres` (k, 2) on a black canvas: the pen's trace."""
    reach = int(np.ceil(diameter / 2 + 1))
    offsets = np.arange(-reach, reach + 1)
    base = np.floor(centres).astype(int)
    rows = base[:, 0, None, None] + offsets[None, :, None]  # (k, S, 1)
    cols = base[:, 1, None, None] + offsets[None, None, :]  # (k, 1, S)
    distance = np.hypot(
        rows + 0.5 - centres[:, 0, None, None], cols + 0.5 - centres[:, 1, None, None]
    )
    coverage = np.clip(diameter / 2 + 0.5 - distance, 0.0, 1.0)
    rows, cols = np.broadcast_arrays(rows, cols)
    inside = (rows >= 0) & (rows < shape[0]) & (cols >= 0) & (cols < shape[1])
    ink = np.zeros(shape[0] * shape[1])
    np.maximum.at(ink, rows[inside] * shape[1] + cols[inside], coverage[inside])
    return ink.reshape(shape).astype(np.float32)


# --- reading ----------------------------------------------------------------------------------


def accuracy(
    predictor: Predictor, images: np.ndarray, labels: np.ndarray
) -> tuple[float, np.ndarray]:
    """Accuracy and the (N,) predicted digits."""
    predicted = predictor.predict_proba(images).argmax(axis=1)
    return float(np.mean(predicted == labels)), predicted


def tutorial_predictor(path: str | None, data: Mnist) -> Predictor:
    """The `tutorial` preset's model: loaded from `path`, or trained now (a few seconds)."""
    if path:
        return load_predictor(path)
    from digitpad.config import preset
    from digitpad.inference import predictor_from_model
    from digitpad.training import train_to_end

    finished = train_to_end(preset("tutorial"), data)
    return predictor_from_model(finished.model, "tutorial")


def contact_sheet(
    path: Path, canvases: Sequence[np.ndarray], images: np.ndarray, notes: Sequence[str]
) -> None:
    """A PNG of each drawing (shrunk) beside what the network saw (28x28, enlarged)."""
    cell = 112
    sheet_rows = []
    for canvas, image in zip(canvases, images, strict=True):
        ink = canvas.astype(np.float32) / 255
        small = to_canvas(ink, cell / max(ink.shape), 0.0, 0.0, (cell, cell))
        seen = np.kron(image, np.ones((4, 4), np.float32))
        sheet_rows.append(np.concatenate([small, np.full((cell, 4), 0.5), seen], axis=1))
    columns = 6
    while len(sheet_rows) % columns:
        sheet_rows.append(np.zeros_like(sheet_rows[0]))
    grid = [
        np.concatenate([np.pad(c, 4, constant_values=0.25) for c in sheet_rows[i : i + columns]], 1)
        for i in range(0, len(sheet_rows), columns)
    ]
    write_png(path, np.concatenate(grid, axis=0))
    path.with_suffix(".txt").write_text("\n".join(notes) + "\n")


def write_png(path: Path, image: np.ndarray) -> None:
    """Save a float [0, 1] grey image as an 8-bit PNG with nothing but zlib."""
    pixels = np.round(np.clip(image, 0, 1) * 255).astype(np.uint8)
    raw = b"".join(b"\x00" + row.tobytes() for row in pixels)

    def chunk(kind: bytes, body: bytes) -> bytes:
        return (
            struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
        )

    header = struct.pack(">IIBBBBB", pixels.shape[1], pixels.shape[0], 8, 0, 0, 0, 0)
    png = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw))
    path.write_bytes(png + chunk(b"IEND", b""))


# --- main -------------------------------------------------------------------------------------


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--count", type=int, default=2000, help="MNIST test digits per source")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--model", help="model to test (default: the bundled default)")
    parser.add_argument("--store", help="model store folder for --model")
    parser.add_argument("--tutorial-model", help="folder of a trained tutorial model")
    parser.add_argument("--sheet", help="save the default model's misreadings here (PNG)")
    parser.add_argument("--pens", action="store_true", help="also (b) for pens of each width")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args(argv)

    started = time.perf_counter()
    data = load_mnist()
    rng = np.random.default_rng(args.seed)
    count = min(args.count, len(data.test))
    indices = np.sort(rng.choice(len(data.test), count, replace=False))
    digits, labels = data.test.images[indices], data.test.y[indices]
    sources = {
        "a": Drawings(rerendered(digits, np.random.default_rng([args.seed, 1])), labels),
        "b": Drawings(pen_strokes(digits, np.random.default_rng([args.seed, 2])), labels),
    }
    made = time.perf_counter()

    default = load_predictor(args.model, args.store)
    tutorial = tutorial_predictor(args.tutorial_model, data)
    untouched, _ = accuracy(default, digits, labels)
    rows: dict[str, dict[str, float]] = {name: {} for name in ROWS}
    misread: list[tuple[np.ndarray, np.ndarray, str]] = []
    for key, source in sources.items():
        naive = np.stack([naive_resize(c) for c in source.canvases])
        fitted = np.stack([to_mnist(c) for c in source.canvases])
        rows["naive resize + tutorial"][key] = accuracy(tutorial, naive, labels)[0]
        rows["naive resize + default"][key] = accuracy(default, naive, labels)[0]
        rows["to_mnist + tutorial"][key] = accuracy(tutorial, fitted, labels)[0]
        rows["to_mnist + default"][key], predicted = accuracy(default, fitted, labels)
        rows["default, MNIST untouched"][key] = untouched
        for i in np.flatnonzero(predicted != labels):
            note = f"{key} test #{indices[i]}: true {labels[i]}, read {predicted[i]}"
            misread.append((source.canvases[i], fitted[i], note))
    got = rows["to_mnist + default"]
    checks = {
        f"(a) >= {TARGETS['a']:.1%}": got["a"] >= TARGETS["a"],
        f"(b) >= {TARGETS['b']:.1%}": got["b"] >= TARGETS["b"],
        # The slack keeps a gap of exactly MAX_GAP (a whole number of digits) from failing on
        # floating-point rounding.
        f"(a) at most {MAX_GAP:.1%} below untouched": got["a"] >= untouched - MAX_GAP - 1e-9,
    }
    pen_rows: dict[str, dict[str, float]] = {}
    if args.pens:
        paths = skeletons(digits)
        for band in PEN_BANDS:
            drawn = pen_strokes(digits, np.random.default_rng([args.seed, 3]), band, paths)
            fitted = np.stack([to_mnist(c) for c in drawn])
            pen_rows[f"{20 * band[0]:.1f}-{20 * band[1]:.1f} px"] = {
                "to_mnist + tutorial": accuracy(tutorial, fitted, labels)[0],
                "to_mnist + default": accuracy(default, fitted, labels)[0],
            }
    if args.sheet and misread:
        canvases, images, notes = zip(*misread, strict=True)
        contact_sheet(Path(args.sheet), canvases, np.stack(images), notes)

    seconds = {"drawing": made - started, "total": time.perf_counter() - started}
    if args.json:
        result = {"count": count, "seed": args.seed, "accuracy": rows, "checks": checks}
        result["pens"] = pen_rows
        print(json.dumps({**result, "seconds": seconds}))
    else:
        print(
            f"{count} MNIST test digits per source, seed {args.seed}, default model "
            f"{default.name!r}; drawings made in {seconds['drawing']:.1f} s, "
            f"{seconds['total']:.1f} s in all"
        )
        print(f"{'':26}{SOURCES['a']:>17}{SOURCES['b']:>17}")
        for name, values in rows.items():
            print(f"{name:26}" + "".join(f"{values[k]:>17.2%}" for k in sources))
        gaps = "  ".join(f"{SOURCES[k]} {100 * (untouched - got[k]):.2f}" for k in sources)
        print(f"points below untouched, to_mnist + default: {gaps}")
        for name, ok in checks.items():
            print(f"{'PASS' if ok else 'FAIL'}  to_mnist + default: {name}")
        if pen_rows:
            print("(b) by pen width, in px once the digit is scaled to MNIST's 20 px box:")
            print(f"{'pen':14}{'to_mnist + tutorial':>22}{'to_mnist + default':>22}")
            for band, values in pen_rows.items():
                print(f"{band:14}" + "".join(f"{v:>22.2%}" for v in values.values()))
        if args.sheet and misread:
            print(f"{len(misread)} misreadings saved to {args.sheet}")
    return 0 if all(checks.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
