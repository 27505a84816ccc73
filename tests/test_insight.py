"""The Data tab's statistics, the Inside views' arrays and the confidence threshold's curve,
each checked on small hand-made inputs whose answers are known."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from digitpad import insight
from digitpad.data import Mnist, Split


def test_class_counts_count_each_digit_and_ignore_none():
    labels = np.array([0, 3, 3, 9, 3, 0])
    np.testing.assert_array_equal(insight.class_counts(labels), [2, 0, 0, 3, 0, 0, 0, 0, 0, 1])
    assert insight.class_counts(np.zeros(0, dtype=np.int64)).tolist() == [0] * 10


def test_average_digits_are_per_class_means_and_zero_for_an_absent_class():
    rng = np.random.default_rng(0)
    images = rng.random((50, 28, 28), dtype=np.float32)
    labels = rng.integers(0, 9, size=50)  # never a 9
    averages = insight.average_digits(images, labels)
    assert averages.shape == (10, 28, 28) and averages.dtype == np.float32
    for digit in range(9):
        np.testing.assert_allclose(
            averages[digit], images[labels == digit].mean(axis=0), rtol=1e-5, atol=1e-6
        )
    assert not averages[9].any()
    # Rows of 784 are the same images.
    np.testing.assert_allclose(insight.average_digits(images.reshape(50, 784), labels), averages)


def test_pixel_histogram_counts_grey_levels_across_chunks():
    images = np.zeros((5, 28, 28), dtype=np.float32)
    images[0, 0, :3] = 1.0  # three white pixels
    images[3, 5, 5] = 128 / 255  # one mid-grey
    counts = insight.pixel_histogram(images, chunk=2)
    assert counts.shape == (256,) and counts.sum() == 5 * 784
    assert counts[255] == 3 and counts[128] == 1 and counts[0] == 5 * 784 - 4


def test_examples_of_a_digit_are_distinct_images_of_that_digit():
    labels = np.array([1, 2, 2, 7, 2, 1, 2])
    rng = np.random.default_rng(1)
    picked = insight.examples_of(labels, 2, 3, rng)
    assert len(set(picked.tolist())) == 3 and (labels[picked] == 2).all()
    assert sorted(insight.examples_of(labels, 7, 10, rng).tolist()) == [3]  # only one 7
    assert len(insight.examples_of(labels, None, 100, rng)) == 7  # any digit: all of them


def test_summarize_counts_every_split():
    def split(labels):
        labels = np.array(labels)
        return Split(np.zeros((len(labels), 784), np.float32), labels)

    data = Mnist(split([0, 1, 1]), split([2]), split([3, 3]), source=None, sha256="")
    summary = insight.summarize(data)
    assert summary.counts["train"][1] == 2 and summary.counts["validation"][2] == 1
    assert summary.counts["test"][3] == 2
    assert summary.background_share == 1.0  # all-black images


def test_tile_images_lays_tiles_out_with_nan_gaps():
    tiles = np.arange(5 * 2 * 3, dtype=np.float32).reshape(5, 2, 3)
    grid = insight.tile_images(tiles, columns=2, gap=1)
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
    grid = insight.unit_tiles(kernel)  # only the first 100 of 150
    assert grid.shape == (10 * 29 - 1, 10 * 29 - 1)
    assert grid[3, 4] == 1.0
    assert grid[29, 29] == -2.0
    assert insight.unit_tiles(kernel[:, :32]).shape == (6 * 29 - 1, 6 * 29 - 1)
    with pytest.raises(ValueError):
        insight.unit_tiles(np.zeros((10, 784)))


@pytest.mark.parametrize(("units", "shape"), [(800, (20, 40)), (200, (10, 20)), (1, (1, 2))])
def test_unit_grid_is_about_twice_as_wide_as_tall(units, shape):
    assert insight.grid_shape(units) == shape
    grid = insight.unit_grid(np.arange(units))
    assert grid.shape == shape
    assert grid.ravel()[units - 1] == units - 1 and np.isnan(grid.ravel()[units:]).all()


def test_diverging_colours_are_symmetric_around_white_zero():
    rgb = insight.diverging_rgb(np.array([-1.0, -0.5, 0.0, 0.5, 1.0, 5.0, np.nan]), 1.0, (1, 2, 3))
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
    rgb = insight.sequential_rgb(np.linspace(0, 2, 9), 2.0)
    brightness = rgb.astype(int).sum(axis=1)
    assert (np.diff(brightness) > 0).all() and brightness[0] < 30


def test_symmetric_limit_ignores_a_lone_outlier_and_is_never_zero():
    values = np.concatenate([np.linspace(-0.1, 0.1, 10_000), [50.0]])
    assert insight.symmetric_limit(values) == pytest.approx(0.1, rel=0.02)
    assert insight.symmetric_limit(np.zeros(10)) == 1.0
    assert insight.symmetric_limit(np.array([np.nan])) == 1.0


def test_saliency_colours_follow_the_sign():
    image = np.zeros((28, 28), np.float32)
    image[5, 5] = image[6, 6] = 1.0
    saliency = np.zeros((28, 28), np.float32)
    saliency[5, 5], saliency[6, 6] = 1.0, -0.5
    rgb = insight.saliency_rgb(image, saliency)
    assert tuple(rgb[5, 5]) == insight.SALIENCY_UP
    assert rgb[6, 6, 2] > rgb[6, 6, 0]  # blue: pushed the answer down
    assert not rgb[0, 0].any()  # no ink, no push: black


def test_weight_histograms_share_symmetric_bins_and_keep_every_weight():
    rng = np.random.default_rng(2)
    initial = rng.normal(0, 0.01, 5000).astype(np.float32)
    now = rng.normal(0, 0.1, 5000).astype(np.float32)
    now[0] = 99.0  # an outlier lands in the last bin rather than stretching the range
    histogram = insight.weight_histogram(now, initial, bins=41)
    edges = histogram.edges
    assert len(edges) == 42 and edges[0] == -edges[-1] and edges[-1] < 1.0
    assert histogram.now.sum() == 5000 and histogram.initial.sum() == 5000
    assert histogram.now[-1] >= 1
    # The initial weights are narrow: nearly all in the middle few bins.
    assert histogram.initial[17:24].sum() > 0.95 * 5000
    np.testing.assert_array_equal(histogram.now[1:-1], np.histogram(now, edges)[0][1:-1])
    assert insight.weight_histogram(now).initial is None


def test_dead_unit_share_counts_units_silent_on_every_input():
    activations = np.array([[0.0, 1.0, 0.0, 0.0], [0.0, 0.0, 2.0, 0.0], [0.0, 0.0, 0.0, 0.0]])
    assert insight.dead_unit_share(activations) == 0.5  # units 0 and 3 never fire
    assert insight.dead_unit_share(np.ones((1, 3))) == 0.0
    with pytest.raises(ValueError):
        insight.dead_unit_share(np.ones(3))


def test_coverage_at_a_threshold_counts_answered_and_right():
    confidence = np.array([0.3, 0.6, 0.9, 0.95, 0.99, 0.5])
    correct = np.array([False, True, False, True, True, False])
    curve = insight.coverage_curve(confidence, correct)
    everything = curve.at(0.0)
    assert (everything.answered, everything.right, everything.total) == (6, 3, 6)
    at_90 = curve.at(0.9)  # "at least": 0.9 itself is answered
    assert (at_90.answered, at_90.right) == (3, 2)
    assert at_90.coverage == 0.5 and at_90.accuracy == pytest.approx(2 / 3)
    assert at_90.withheld_mistakes == 2  # the 0.3 and 0.5 mistakes became "not sure"
    nothing = curve.at(1.0)
    assert nothing.answered == 0 and np.isnan(nothing.accuracy)
    # The sampled curve agrees with the exact one.
    assert curve.answered[90] == 3 and curve.right[90] == 2 and curve.answered[0] == 6
    assert curve.coverage[0] == 1.0 and curve.accuracy[0] == 0.5


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(st.floats(0.125, 1.0, allow_nan=False, width=32), st.booleans()), max_size=40
    ),
    st.floats(0.0, 1.0, allow_nan=False),
)
def test_coverage_matches_a_direct_count(pairs, threshold):
    confidence = np.array([c for c, _ in pairs], dtype=np.float32)
    correct = np.array([ok for _, ok in pairs], dtype=bool)
    result = insight.coverage_curve(confidence, correct).at(threshold)
    # The rule the grid greys by, image by image.
    answered = np.array([insight.meets_threshold(float(c), threshold) for c in confidence], bool)
    assert result.answered == int(answered.sum())
    assert result.right == int((answered & correct).sum())
    # Raising the threshold never answers more images.
    curve = insight.coverage_curve(confidence, correct)
    assert (np.diff(curve.answered) <= 0).all()


def test_grey_rgb_keeps_ink_white_and_gaps_in_the_background_colour():
    rgb = insight.grey_rgb(np.array([[0.0, 1.0, np.nan]]), background=(9, 8, 7))
    assert rgb.tolist() == [[[0, 0, 0], [255, 255, 255], [9, 8, 7]]]


def test_saturation_is_near_either_limit_of_tanh_and_sigmoid():
    tanh = np.array([[-0.99, -0.5, 0.0, 0.91, 0.89]])
    assert insight.saturated(tanh, "tanh").tolist() == [[True, False, False, True, False]]
    sigmoid = np.array([[0.01, 0.06, 0.5, 0.96]])
    assert insight.saturated(sigmoid, "sigmoid").tolist() == [[True, False, False, True]]
    with pytest.raises(ValueError):
        insight.saturated(tanh, "relu")


def test_pinned_units_are_saturated_on_nearly_every_input():
    # Unit 0 always saturated, unit 1 on 96 of 100 inputs, unit 2 on half, unit 3 never.
    outputs = np.zeros((100, 4))
    outputs[:, 0] = 0.99
    outputs[:96, 1] = -0.97
    outputs[:50, 2] = 0.95
    fraction = insight.saturated(outputs, "tanh").mean(axis=0)
    assert insight.pinned_unit_share(fraction) == 0.5
    with pytest.raises(ValueError):
        insight.pinned_unit_share(np.zeros((2, 2)))


def test_a_probability_shown_as_the_threshold_meets_it():
    # 0.94996 is shown as "95.0 %": at a 95.0 % threshold it is answered, not "?".
    assert insight.meets_threshold(0.94996, 0.95)
    assert insight.meets_threshold(0.95, 0.95)
    assert not insight.meets_threshold(0.9494, 0.95)  # shown as "94.9 %"
    assert insight.meets_threshold(0.0, 0.0)
    confidence = np.array([0.9494, 0.94996, 0.95, 0.97], dtype=np.float32)
    curve = insight.coverage_curve(confidence, np.array([True, False, True, True]))
    # The counts agree with the per-image rule.
    at = curve.at(0.95)
    assert at.answered == sum(insight.meets_threshold(float(c), 0.95) for c in confidence) == 3
    assert curve.at(0.0).answered == 4
