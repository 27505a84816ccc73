"""Robustness curves: damage that grows, the same for every model, cached per model."""

from __future__ import annotations

import numpy as np
import pytest

from digitpad.data import load_mnist
from digitpad.inference import Predictor, load_predictor
from digitpad.progress import Progress, run_to_end
from digitpad.robustness import (
    DAMAGES,
    RobustnessCache,
    damaged,
    model_key,
    robustness_steps,
    robustness_subset,
)
from digitpad.surgery import Edits, accuracy, edited


@pytest.fixture(scope="module")
def test_set():
    data = load_mnist()
    return data.test.x, data.test.y


def centre_of_mass(images: np.ndarray) -> np.ndarray:
    images = images.reshape(-1, 28, 28)
    rows, cols = np.mgrid[:28, :28]
    mass = images.sum(axis=(1, 2))
    return np.stack(
        [(images * cols).sum(axis=(1, 2)) / mass, (images * rows).sum(axis=(1, 2)) / mass], 1
    )


@pytest.mark.parametrize("kind", list(DAMAGES))
def test_the_intact_level_changes_nothing_and_others_change_something(test_set, kind):
    images = test_set[0][:20]
    damage = DAMAGES[kind]
    np.testing.assert_allclose(damaged(kind, images, damage.intact), images, atol=1e-6)
    strongest = max(damage.levels, key=lambda level: abs(level - damage.intact))
    changed = damaged(kind, images, strongest)
    assert changed.shape == (20, 784) and changed.dtype == np.float32
    assert changed.min() >= 0.0 and changed.max() <= 1.0
    assert np.abs(changed - images).mean() > 0.01


def test_shift_moves_the_ink_by_the_level(test_set):
    images = test_set[0][:50]
    moved = damaged("shift", images, 3.0)
    distance = np.linalg.norm(centre_of_mass(moved) - centre_of_mass(images), axis=1)
    assert np.median(distance) == pytest.approx(3.0, abs=0.3)


def test_scale_shrinks_the_ink_and_stroke_levels_order_the_ink(test_set):
    images = test_set[0][:50]
    ink = lambda x: x.sum(axis=1).mean()  # noqa: E731
    assert ink(damaged("scale", images, 0.5)) < 0.4 * ink(images)
    assert ink(damaged("stroke", images, -1.0)) < ink(images) < ink(damaged("stroke", images, 2))


def test_occlusion_erases_one_bar(test_set):
    images = test_set[0][:30]
    covered = damaged("occlusion", images, 4).reshape(-1, 28, 28)
    for image in covered:
        blank_rows = np.flatnonzero(image.sum(axis=1) == 0)
        blank_cols = np.flatnonzero(image.sum(axis=0) == 0)
        # A 4-px bar inside the middle band: at least 4 blank rows or columns there.
        assert (
            np.sum((blank_rows >= 5) & (blank_rows <= 23)) >= 4
            or np.sum((blank_cols >= 5) & (blank_cols <= 23)) >= 4
        )


def test_rotation_keeps_the_same_sign_per_image_as_the_angle_grows(test_set):
    images = test_set[0][:10]
    small, large = damaged("rotation", images, 10), damaged("rotation", images, 40)
    np.testing.assert_array_equal(damaged("rotation", images, 10), small)  # seeded
    assert not np.array_equal(small, large)
    assert not np.array_equal(damaged("rotation", images, 10, seed=1), small)


def test_curves_for_two_models_side_by_side_are_cached_per_model(test_set):
    images, labels = test_set
    model = load_predictor()
    broken = edited(model, Edits(prune_percent=95))
    cache = RobustnessCache()
    items = list(robustness_steps([model, broken], images, labels, count=300, cache=cache))
    progress = [i for i in items if isinstance(i, Progress)]
    total = sum(len(d.levels) for d in DAMAGES.values())
    assert [p.done for p in progress] == list(range(1, total + 1))
    first, second = items[-1]
    assert first.model_key == model_key(model) != second.model_key
    assert first.images == 300 and len(cache) == 2
    subset = robustness_subset(labels, 300)
    trained = accuracy(model, images[subset], labels[subset])
    for kind, damage in DAMAGES.items():
        curve = first.curves[kind]
        assert curve.at(damage.intact) == trained
        assert len(curve.accuracy) == len(damage.levels)
    assert first.curves["shift"].at(8) < first.curves["shift"].at(0) - 0.5
    assert first.curves["noise"].at(0) > second.curves["noise"].at(0)
    # Asked again: no step is measured, the same reports come back.
    again = list(robustness_steps([broken, model], images, labels, count=300, cache=cache))
    assert len(again) == 1 and again[0] == [second, first]


def test_a_stopped_run_leaves_nothing_in_the_cache(test_set):
    images, labels = test_set
    cache = RobustnessCache()
    steps = robustness_steps([load_predictor()], images, labels, count=100, cache=cache)
    next(steps)
    steps.close()
    assert len(cache) == 0


def test_model_key_follows_the_weights_not_the_name():
    rng = np.random.default_rng(0)
    layers = [(rng.standard_normal((784, 10), dtype=np.float32), np.zeros(10, np.float32))]
    a = Predictor(layers, "relu", "a")
    b = Predictor([(k.copy(), v.copy()) for k, v in layers], "relu", "b")
    assert model_key(a) == model_key(b)
    assert model_key(a) != model_key(Predictor(layers, "tanh", "a"))
    assert model_key(a) != model_key(edited(a, Edits(prune_percent=10)))


def test_unknown_damage_is_refused(test_set):
    with pytest.raises(ValueError):
        damaged("melting", test_set[0][:2], 1)
    with pytest.raises(ValueError):
        run_to_end(robustness_steps([load_predictor()], *test_set, kinds=["melting"]))
