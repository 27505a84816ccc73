"""The hidden map: PCA of a layer's representation, and where a drawn digit lands on it."""

from __future__ import annotations

import numpy as np
import pytest

from digitpad.data import load_mnist
from digitpad.hidden_map import (
    build_map,
    layer_names,
    map_sample,
    map_steps,
    principal_axes,
    representation,
)
from digitpad.inference import load_predictor
from digitpad.preprocess import to_mnist
from digitpad.progress import Progress


@pytest.fixture(scope="module")
def model():
    return load_predictor()


@pytest.fixture(scope="module")
def test_set():
    data = load_mnist()
    return data.test.x, data.test.y


def drawn(digit: int) -> np.ndarray:
    """A digit drawn on a 280×280 canvas as a person would, through to_mnist."""
    canvas = np.zeros((280, 280), np.float32)
    rows, cols = np.mgrid[:280, :280]
    if digit == 0:
        ring = np.hypot((cols - 140) / 60, (rows - 140) / 95)
        canvas[(ring > 0.85) & (ring < 1.1)] = 1.0
    elif digit == 1:
        canvas[40:240, 130:150] = 1.0
    elif digit == 7:
        canvas[50:70, 70:210] = 1.0
        for r in range(70, 240):  # the slanted stroke down from the bar's right end
            c = int(210 - (r - 70) * 0.45)
            canvas[r, c - 10 : c + 10] = 1.0
    return to_mnist(canvas)


@pytest.mark.parametrize("digit", [0, 1, 7])
def test_the_map_places_a_drawn_digit_nearest_to_test_images_of_its_class(model, test_set, digit):
    images, labels = test_set
    image = drawn(digit)
    assert model.predict_proba(image[None]).argmax() == digit  # the drawing reads as meant
    for layer in range(len(layer_names(model))):
        hidden_map = build_map(model, images, labels, layer)
        placement = hidden_map.place(image, neighbours=10)
        neighbours = hidden_map.labels[placement.nearest]
        assert np.mean(neighbours == digit) >= 0.7, (layer, neighbours)
        assert np.all(np.diff(placement.distances) >= 0)  # closest first
    # On the logits' map the drawing also lands nearest to the centre of its digit's cloud.
    centres = np.array([hidden_map.points[hidden_map.labels == d].mean(axis=0) for d in range(10)])
    assert np.linalg.norm(centres - placement.point, axis=1).argmin() == digit


def test_a_test_image_lands_on_its_own_dot_with_distance_zero(model, test_set):
    images, labels = test_set
    hidden_map = build_map(model, images, labels, 2, indices=np.arange(500))
    placement = hidden_map.place(images[123].reshape(28, 28), neighbours=3)
    assert placement.nearest[0] == 123
    assert placement.distances[0] == pytest.approx(0.0, abs=1e-2)
    np.testing.assert_allclose(placement.point, hidden_map.points[123], atol=1e-3)


def test_the_map_marks_mistakes_and_digits_pull_apart_by_the_last_layer(model, test_set):
    images, labels = test_set
    first = build_map(model, images, labels, 0)
    last = build_map(model, images, labels, 3)
    predicted = model.logits(images[first.indices]).argmax(axis=1)
    np.testing.assert_array_equal(first.mistakes, predicted != labels[first.indices])
    assert first.points.shape == (3000, 2) and first.features.shape == (3000, 784)

    def separation(hidden_map):
        # Between-class spread over within-class spread on the 2-D map.
        centres = np.array([hidden_map.points[hidden_map.labels == d].mean(0) for d in range(10)])
        within = np.mean(
            [hidden_map.points[hidden_map.labels == d].std(0).sum() for d in range(10)]
        )
        return centres.std(0).sum() / within

    assert separation(last) > 1.5 * separation(first)


def test_principal_axes_finds_the_direction_of_greatest_spread():
    rng = np.random.default_rng(0)
    along = rng.standard_normal(2000) * 5.0
    across = rng.standard_normal(2000) * 0.5
    direction = np.array([3.0, 4.0]) / 5.0
    normal = np.array([-4.0, 3.0]) / 5.0
    points = along[:, None] * direction + across[:, None] * normal + np.array([10.0, -2.0])
    mean, components, explained = principal_axes(points)
    np.testing.assert_allclose(mean, [10.0, -2.0], atol=0.3)
    assert abs(components[:, 0] @ direction) == pytest.approx(1.0, abs=1e-3)
    assert explained[0] == pytest.approx(25 / 25.25, abs=0.01)
    assert explained.sum() == pytest.approx(1.0, abs=1e-6)
    # The sign is fixed: the same data never comes out mirrored.
    _, again, _ = principal_axes(points[::-1])
    np.testing.assert_allclose(again, components, atol=1e-5)


def test_map_steps_report_progress_then_the_map(model, test_set):
    images, labels = test_set
    items = list(map_steps(model, images, labels, 1, indices=np.arange(2500)))
    progress = [i for i in items if isinstance(i, Progress)]
    assert [p.done for p in progress] == [1, 2, 3, 4] and progress[-1].total == 4
    assert items[-1].layer_name == "hidden 1 (800)"


def test_layers_and_bad_requests(model, test_set):
    images, labels = test_set
    assert layer_names(model) == [
        "input pixels (784)",
        "hidden 1 (800)",
        "hidden 2 (800)",
        "logits (10)",
    ]
    assert representation(model, images[:3], 0).shape == (3, 784)
    assert representation(model, images[:3], 3).shape == (3, 10)
    with pytest.raises(ValueError):
        representation(model, images[:3], 4)
    with pytest.raises(ValueError):
        build_map(model, images, labels, 1, indices=np.arange(2))
    sample = map_sample(labels, 100, seed=1)
    assert len(np.unique(sample)) == 100 and np.all(np.diff(sample) > 0)
    np.testing.assert_array_equal(sample, map_sample(labels, 100, seed=1))
