"""Grids of small images, and the way back: which tile or unit is under a pixel of a grid.

The Data tab's example and average grids, the Inside view's weight tiles and the grids of
hidden units are all laid out here, so a view's tooltip or click finds its tile by the same
arithmetic that placed it (:func:`tile_at`, :func:`unit_tile_at`, :func:`unit_at`).
"""

from __future__ import annotations

import math

import numpy as np

from digitpad.data import IMAGE_SIDE, PIXELS

MAX_UNITS_SHOWN = 100
"""The weight grid shows at most this many hidden units: wider layers show their first 100."""


def tile_images(tiles: np.ndarray, columns: int, gap: int = 1) -> np.ndarray:
    """(n, h, w) tiles laid out ``columns`` wide with ``gap`` pixels between them.

    Returns one float32 (rows·(h+gap)−gap, columns·(w+gap)−gap) array; gaps and the unused
    cells of the last row are NaN, so a colour map can give them the background colour.
    """
    tiles = np.asarray(tiles, dtype=np.float32)
    n, h, w = tiles.shape
    columns = max(1, min(columns, n)) if n else 1
    rows = max(1, math.ceil(n / columns))
    padded = np.full((rows * columns, h + gap, w + gap), np.nan, dtype=np.float32)
    padded[:n, :h, :w] = tiles
    grid: np.ndarray = padded.reshape(rows, columns, h + gap, w + gap).transpose(0, 2, 1, 3)
    grid = grid.reshape(rows * (h + gap), columns * (w + gap))
    return grid[: grid.shape[0] - gap, : grid.shape[1] - gap] if gap else grid


def unit_tiles(kernel: np.ndarray, max_units: int = MAX_UNITS_SHOWN, gap: int = 1) -> np.ndarray:
    """The first layer's weights as one image: each hidden unit's 784 incoming weights as a
    28×28 tile, for the first ``max_units`` units, in a square-ish grid (NaN gaps)."""
    kernel = np.asarray(kernel)
    if kernel.ndim != 2 or kernel.shape[0] != PIXELS:
        raise ValueError(f"a first-layer kernel is (784, units), not {kernel.shape}")
    n = min(kernel.shape[1], max_units)
    tiles = kernel[:, :n].T.reshape(n, IMAGE_SIDE, IMAGE_SIDE)
    return tile_images(tiles, _square_columns(n), gap)


def grid_shape(units: int, aspect: float = 2.0) -> tuple[int, int]:
    """(rows, columns) for ``units`` cells about ``aspect`` times wider than tall (800: 20×40)."""
    columns = max(1, math.ceil(math.sqrt(units * aspect)))
    return max(1, math.ceil(units / columns)), columns


def unit_grid(values: np.ndarray, aspect: float = 2.0) -> np.ndarray:
    """A layer's (units,) values as a (rows, columns) grid, NaN after the last unit."""
    values = np.asarray(values, dtype=np.float32).ravel()
    rows, columns = grid_shape(len(values), aspect)
    grid = np.full(rows * columns, np.nan, dtype=np.float32)
    grid[: len(values)] = values
    return grid.reshape(rows, columns)


# --- the way back: which tile is under a pixel --------------------------------------------------


def tile_at(
    row: int, column: int, count: int, tile_shape: tuple[int, int], columns: int, gap: int = 1
) -> int | None:
    """The index of the tile under pixel (``row``, ``column``) of :func:`tile_images` of
    ``count`` tiles of ``tile_shape`` laid out ``columns`` wide; None on a gap, outside the
    grid or on an unused cell of the last row."""
    h, w = tile_shape
    columns = max(1, min(columns, count)) if count else 1
    if row < 0 or column < 0:
        return None
    tile_row, y = divmod(row, h + gap)
    tile_column, x = divmod(column, w + gap)
    if y >= h or x >= w or tile_column >= columns:
        return None
    index = tile_row * columns + tile_column
    return index if index < count else None


def unit_tile_at(
    row: int, column: int, units: int, max_units: int = MAX_UNITS_SHOWN, gap: int = 1
) -> int | None:
    """The hidden unit whose weight tile is under pixel (``row``, ``column``) of
    :func:`unit_tiles` for a layer of ``units`` units (None on a gap or past the last tile)."""
    n = min(units, max_units)
    return tile_at(row, column, n, (IMAGE_SIDE, IMAGE_SIDE), _square_columns(n), gap)


def unit_at(row: int, column: int, units: int, aspect: float = 2.0) -> int | None:
    """The unit in cell (``row``, ``column``) of :func:`unit_grid` for ``units`` units (None
    past the last one)."""
    return tile_at(row, column, units, (1, 1), grid_shape(units, aspect)[1], gap=0)


def unit_cell(unit: int, units: int, aspect: float = 2.0) -> tuple[int, int]:
    """(row, column) of ``unit``'s cell in :func:`unit_grid` for ``units`` units."""
    return divmod(unit, grid_shape(units, aspect)[1])


def _square_columns(n: int) -> int:
    """Columns of a square-ish grid of ``n`` tiles."""
    return math.ceil(math.sqrt(n))
