"""The Data tab's statistics,
each checked on small hand-made inputs whose answers are known."""

from __future__ import annotations

import numpy as np

from digitpad.data import Mnist, Split
from digitpad.data_stats import (
    average_digits,
    class_counts,
    examples_of,
    pixel_histogram,
    stats_of,
)


def test_class_counts_count_each_digit_and_ignore_none():
    labels = np.array([0, 3, 3, 9, 3, 0])
    np.testing.assert_array_equal(class_counts(labels), [2, 0, 0, 3, 0, 0, 0, 0, 0, 1])
    assert class_counts(np.zeros(0, dtype=np.int64)).tolist() == [0] * 10


def test_average_digits_are_per_class_means_and_zero_for_an_absent_class():
    rng = np.random.default_rng(0)
    images = rng.random((50, 28, 28), dtype=np.float32)
    labels = rng.integers(0, 9, size=50)  # never a 9
    averages = average_digits(images, labels)
    assert averages.shape == (10, 28, 28) and averages.dtype == np.float32
    for digit in range(9):
        np.testing.assert_allclose(
            averages[digit], images[labels == digit].mean(axis=0), rtol=1e-5, atol=1e-6
        )
    assert not averages[9].any()
    # Rows of 784 are the same images.
    np.testing.assert_allclose(average_digits(images.reshape(50, 784), labels), averages)


def test_pixel_histogram_counts_grey_levels_across_chunks():
    images = np.zeros((5, 28, 28), dtype=np.float32)
    images[0, 0, :3] = 1.0  # three white pixels
    images[3, 5, 5] = 128 / 255  # one mid-grey
    counts = pixel_histogram(images, chunk=2)
    assert counts.shape == (256,) and counts.sum() == 5 * 784
    assert counts[255] == 3 and counts[128] == 1 and counts[0] == 5 * 784 - 4


def test_examples_of_a_digit_are_distinct_images_of_that_digit():
    labels = np.array([1, 2, 2, 7, 2, 1, 2])
    rng = np.random.default_rng(1)
    picked = examples_of(labels, 2, 3, rng)
    assert len(set(picked.tolist())) == 3 and (labels[picked] == 2).all()
    assert sorted(examples_of(labels, 7, 10, rng).tolist()) == [3]  # only one 7
    assert len(examples_of(labels, None, 100, rng)) == 7  # any digit: all of them


def test_stats_of_counts_every_split():
    def split(labels):
        labels = np.array(labels)
        return Split(np.zeros((len(labels), 784), np.float32), labels)

    data = Mnist(split([0, 1, 1]), split([2]), split([3, 3]), source=None, sha256="")
    stats = stats_of(data)
    assert stats.counts["train"][1] == 2 and stats.counts["validation"][2] == 1
    assert stats.counts["test"][3] == 2
    assert stats.background_share == 1.0  # all-black images
