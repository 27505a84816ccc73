"""Colour maps and the symmetric colour-scale limit,
each checked on small hand-made inputs whose answers are known."""

from __future__ import annotations

import numpy as np
import pytest

from digitpad.colour_maps import (
    SALIENCY_UP,
    diverging_rgb,
    grey_rgb,
    saliency_rgb,
    sequential_rgb,
    symmetric_limit,
)


def test_diverging_colours_are_symmetric_around_white_zero():
    rgb = diverging_rgb(np.array([-1.0, -0.5, 0.0, 0.5, 1.0, 5.0, np.nan]), 1.0, (1, 2, 3))
    white, red, blue = rgb[2], rgb[4], rgb[0]
    assert white.min() > 240
    assert red[0] > red[2] and blue[2] > blue[0]  # red above zero, blue below
    np.testing.assert_array_equal(rgb[5], rgb[4])  # saturates beyond the limit
    np.testing.assert_array_equal(rgb[6], [1, 2, 3])  # NaN: the background colour
    # Equal magnitudes are equally far from white.
    assert abs(int(rgb[1].sum()) - int(white.sum())) == pytest.approx(
        abs(int(rgb[3].sum()) - int(white.sum())), abs=60
    )


def test_sequential_colours_brighten_with_the_value():
    rgb = sequential_rgb(np.linspace(0, 2, 9), 2.0)
    brightness = rgb.astype(int).sum(axis=1)
    assert (np.diff(brightness) > 0).all() and brightness[0] < 30


def test_symmetric_limit_ignores_a_lone_outlier_and_is_never_zero():
    values = np.concatenate([np.linspace(-0.1, 0.1, 10_000), [50.0]])
    assert symmetric_limit(values) == pytest.approx(0.1, rel=0.02)
    assert symmetric_limit(np.zeros(10)) == 1.0
    assert symmetric_limit(np.array([np.nan])) == 1.0


def test_saliency_colours_follow_the_sign():
    image = np.zeros((28, 28), np.float32)
    image[5, 5] = image[6, 6] = 1.0
    saliency = np.zeros((28, 28), np.float32)
    saliency[5, 5], saliency[6, 6] = 1.0, -0.5
    rgb = saliency_rgb(image, saliency)
    assert tuple(rgb[5, 5]) == SALIENCY_UP
    assert rgb[6, 6, 2] > rgb[6, 6, 0]  # blue: pushed the answer down
    assert not rgb[0, 0].any()  # no ink, no push: black


def test_grey_rgb_keeps_ink_white_and_gaps_in_the_background_colour():
    rgb = grey_rgb(np.array([[0.0, 1.0, np.nan]]), background=(9, 8, 7))
    assert rgb.tolist() == [[[0, 0, 0], [255, 255, 255], [9, 8, 7]]]
