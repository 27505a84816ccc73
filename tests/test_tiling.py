"""Grids of tiles and units, and the way back from a pixel to its tile,
each checked on small hand-made inputs whose answers are known."""

from __future__ import annotations

import numpy as np
import pytest

from digitpad.tiling import (
    grid_shape,
    tile_at,
    tile_images,
    unit_at,
    unit_cell,
    unit_grid,
    unit_tile_at,
    unit_tiles,
)


def test_tile_images_lays_tiles_out_with_nan_gaps():
    tiles = np.arange(5 * 2 * 3, dtype=np.float32).reshape(5, 2, 3)
    grid = tile_images(tiles, columns=2, gap=1)
    assert grid.shape == (3 * 3 - 1, 2 * 4 - 1)
    np.testing.assert_array_equal(grid[0:2, 0:3], tiles[0])
    np.testing.assert_array_equal(grid[0:2, 4:7], tiles[1])
    np.testing.assert_array_equal(grid[6:8, 0:3], tiles[4])
    assert np.isnan(grid[2]).all() and np.isnan(grid[:, 3]).all()  # the gaps
    assert np.isnan(grid[6:8, 4:7]).all()  # the unused sixth cell


def test_unit_tiles_show_each_units_incoming_weights_as_its_image():
    kernel = np.zeros((784, 150), dtype=np.float32)
    kernel[28 * 3 + 4, 0] = 1.0  # unit 0 looks at pixel (3, 4)
    kernel[0, 11] = -2.0  # unit 11 (second row, second column of the 10-wide grid)
    grid = unit_tiles(kernel)  # only the first 100 of 150
    assert grid.shape == (10 * 29 - 1, 10 * 29 - 1)
    assert grid[3, 4] == 1.0
    assert grid[29, 29] == -2.0
    assert unit_tiles(kernel[:, :32]).shape == (6 * 29 - 1, 6 * 29 - 1)
    with pytest.raises(ValueError):
        unit_tiles(np.zeros((10, 784)))


@pytest.mark.parametrize(("units", "shape"), [(800, (20, 40)), (200, (10, 20)), (1, (1, 2))])
def test_unit_grid_is_about_twice_as_wide_as_tall(units, shape):
    assert grid_shape(units) == shape
    grid = unit_grid(np.arange(units))
    assert grid.shape == shape
    assert grid.ravel()[units - 1] == units - 1 and np.isnan(grid.ravel()[units:]).all()


@pytest.mark.parametrize(("count", "columns", "gap"), [(5, 2, 1), (7, 3, 2), (3, 10, 2), (1, 1, 0)])
def test_tile_at_finds_the_tile_that_tile_images_put_under_each_pixel(count, columns, gap):
    h, w = 3, 4
    tiles = np.repeat(np.arange(count, dtype=np.float32), h * w).reshape(count, h, w)
    grid = tile_images(tiles, columns, gap)
    # Every pixel of the grid, plus a margin outside it: the inverse agrees with the layout.
    for row in range(-1, grid.shape[0] + 2):
        for column in range(-1, grid.shape[1] + 2):
            inside = 0 <= row < grid.shape[0] and 0 <= column < grid.shape[1]
            value = grid[row, column] if inside else np.nan
            expected = None if np.isnan(value) else int(value)
            assert tile_at(row, column, count, (h, w), columns, gap) == expected, (row, column)


@pytest.mark.parametrize("units", [1, 10, 32, 150])
def test_unit_tile_at_finds_each_units_weight_tile(units):
    kernel = np.tile(np.arange(units, dtype=np.float32), (784, 1))  # unit u's weights are all u
    grid = unit_tiles(kernel)
    for row in range(grid.shape[0]):
        for column in range(grid.shape[1]):
            value = grid[row, column]
            expected = None if np.isnan(value) else int(value)
            assert unit_tile_at(row, column, units) == expected, (row, column)
    assert unit_tile_at(grid.shape[0] + 5, 0, units) is None


@pytest.mark.parametrize("units", [1, 7, 200, 800])
def test_unit_at_and_unit_cell_invert_the_unit_grid(units):
    grid = unit_grid(np.arange(units))
    for row in range(grid.shape[0]):
        for column in range(grid.shape[1]):
            expected = None if np.isnan(grid[row, column]) else int(grid[row, column])
            assert unit_at(row, column, units) == expected
    for unit in (0, units // 2, units - 1):
        assert grid[unit_cell(unit, units)] == unit
