"""A writer's style, measured on drawings and applied to MNIST digits: the estimate recovers a
slant, width or pen applied to MNIST digits, and the redrawn digits keep their labels."""

from __future__ import annotations

import numpy as np
import pytest

from digitpad.handwriting_style import (
    MAX_SLANT,
    MIN_DRAWINGS,
    Style,
    estimate_style,
    measures,
    mnist_reference,
    render_in_style,
)
from digitpad.inference import load_predictor


@pytest.fixture(scope="module")
def reference(mnist):
    return mnist_reference(mnist.train)


@pytest.fixture(scope="module")
def sample(mnist):
    """300 validation digits (30 of each): a 'writer' with MNIST's own habits."""
    picks = np.concatenate([np.flatnonzero(mnist.val.y == d)[:30] for d in range(10)])
    return mnist.val.rows(picks), mnist.val.y[picks]


def test_slant_measure_reads_a_leaning_bar_as_leaning_right():
    image = np.zeros((28, 28), np.float32)
    for row in range(4, 24):
        column = 14 + round(0.4 * (14 - row))  # higher rows further right
        image[row, column - 1 : column + 2] = 1.0
    slant, width, stroke = measures(image[None])[0]
    assert slant == pytest.approx(0.4, abs=0.05)
    assert width < -1.0  # a bar is far narrower than tall
    assert 2.0 <= stroke <= 4.0  # three pixels wide


def test_mnist_digits_have_about_mnist_style(sample, reference):
    style = estimate_style(*sample, reference)
    assert abs(style.slant) < 0.12 and abs(style.width) < 0.1 and abs(style.stroke) < 0.5


@pytest.mark.parametrize(
    "applied",
    [Style(slant=0.35), Style(slant=-0.3), Style(width=0.25), Style(width=-0.25, slant=0.2)],
    ids=["right", "left", "wide", "narrow-right"],
)
def test_the_estimate_recovers_a_slant_and_width_applied_to_mnist(sample, reference, applied):
    images, labels = sample
    plain = estimate_style(images, labels, reference)
    rng = np.random.default_rng(0)
    styled = estimate_style(render_in_style(images, applied, rng, vary=False), labels, reference)
    assert styled.slant - plain.slant == pytest.approx(applied.slant, abs=0.08)
    assert styled.width - plain.width == pytest.approx(applied.width, abs=0.08)


def test_the_estimate_recovers_a_bolder_pen(sample, reference):
    images, labels = sample
    rng = np.random.default_rng(0)
    thin = estimate_style(render_in_style(images, Style(), rng, vary=False), labels, reference)
    bold = Style(stroke=1.5)
    thick = estimate_style(render_in_style(images, bold, rng, vary=False), labels, reference)
    assert thick.stroke - thin.stroke > 0.8


def test_few_drawings_give_the_plain_style_and_extremes_are_clipped(sample, reference):
    images, labels = sample
    assert estimate_style(
        images[: MIN_DRAWINGS - 1], labels[: MIN_DRAWINGS - 1], reference
    ).is_plain
    rng = np.random.default_rng(1)
    wild = render_in_style(images[:40], Style(slant=1.6), rng, vary=False)
    assert estimate_style(wild, labels[:40], reference).slant <= MAX_SLANT


def test_redrawn_digits_keep_their_labels_and_mnist_framing(mnist, sample):
    images, labels = sample
    rng = np.random.default_rng(2)
    styled = render_in_style(
        images, Style(slant=0.3, width=-0.15, stroke=0.8, slant_spread=0.1), rng
    )
    assert styled.shape == (len(images), 784) and styled.dtype == np.float32
    assert styled.min() >= 0.0 and styled.max() <= 1.0
    assert not np.allclose(styled, images, atol=0.1)
    # Framed as to_mnist frames a drawing: centre of mass within a pixel of the middle.
    mass = styled.reshape(-1, 28, 28)
    centre_y = (mass.sum(axis=2) @ np.arange(28)) / mass.sum(axis=(1, 2))
    assert np.all(np.abs(centre_y - 14) <= 1.0)
    # A moderate style leaves the digit what it was: the bundled model still reads it.
    model = load_predictor()
    assert np.mean(model.predict_proba(styled).argmax(axis=1) == labels) >= 0.9
