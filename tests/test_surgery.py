"""Breaking a network on purpose: edits on a copy, pruning, noise, and their accuracy."""

from __future__ import annotations

import numpy as np
import pytest

from digitpad.data import load_mnist
from digitpad.inference import Predictor, load_predictor
from digitpad.surgery import (
    Edits,
    accuracy,
    accuracy_steps,
    check_edits,
    edit_and_measure,
    edited,
    prune_smallest,
    pruning_curve,
    weights_kept,
)


@pytest.fixture(scope="module")
def default_model() -> Predictor:
    return load_predictor()


@pytest.fixture(scope="module")
def test_set():
    data = load_mnist()
    return data.test.x, data.test.y


def small_net(activation: str = "relu", seed: int = 0) -> Predictor:
    rng = np.random.default_rng(seed)
    return Predictor(
        [
            (
                rng.standard_normal((784, 20), dtype=np.float32),
                rng.standard_normal(20).astype("f4"),
            ),
            (rng.standard_normal((20, 15), dtype=np.float32), rng.standard_normal(15).astype("f4")),
            (rng.standard_normal((15, 10), dtype=np.float32), rng.standard_normal(10).astype("f4")),
        ],
        activation,
        "small",
    )


def test_pruning_0_percent_leaves_every_prediction_unchanged(default_model, test_set):
    images, _ = test_set
    copy = edited(default_model, Edits(prune_percent=0.0))
    before = default_model.logits(images).argmax(axis=1)
    after = copy.logits(images).argmax(axis=1)
    np.testing.assert_array_equal(after, before)
    assert all(
        k is not k0 for (k, _), (k0, _) in zip(copy.layers, default_model.layers, strict=True)
    )


def test_pruning_100_percent_leaves_chance_accuracy(default_model, test_set):
    images, labels = test_set
    gutted = edited(default_model, Edits(prune_percent=100.0))
    assert weights_kept(gutted) == 0.0
    predicted = gutted.logits(images).argmax(axis=1)
    # No weights: the output is the last biases alone, the same answer for every image, so
    # accuracy is that digit's share of the test set, about one in ten.
    assert len(np.unique(predicted)) == 1
    score = accuracy(gutted, images, labels)
    assert score == pytest.approx(np.mean(labels == predicted[0]))
    assert 0.08 <= score <= 0.12
    assert accuracy(default_model, images, labels) > 0.98


def test_noise_0_leaves_accuracy_unchanged_and_noise_lowers_it(default_model, test_set):
    images, labels = test_set
    trained = accuracy(default_model, images, labels)
    assert accuracy(edited(default_model, Edits(noise=0.0, seed=3)), images, labels) == trained
    noisy = accuracy(edited(default_model, Edits(noise=2.0, seed=3)), images, labels)
    assert noisy < trained - 0.05


def test_accuracy_matches_the_plain_forward_pass_on_uneven_chunks():
    net = small_net()
    rng = np.random.default_rng(1)
    images = rng.random((2501, 784), dtype=np.float32)
    labels = rng.integers(0, 10, 2501)
    expected = np.mean(net.predict_proba(images).argmax(axis=1) == labels)
    assert accuracy(net, images, labels, chunk=700) == pytest.approx(expected)
    with pytest.raises(ValueError):
        accuracy(net, images, labels[:-1])


def test_the_original_is_never_changed():
    net = small_net()
    saved = [(k.copy(), b.copy()) for k, b in net.layers]
    edits = Edits(
        units_off=frozenset({(0, 3), (1, 0)}),
        biases_off=frozenset({0, 2}),
        prune_percent=60,
        noise=0.5,
    )
    changed = edited(net, edits)
    for (k, b), (k0, b0) in zip(net.layers, saved, strict=True):
        np.testing.assert_array_equal(k, k0)
        np.testing.assert_array_equal(b, b0)
    assert changed.name == "small (edited)"
    assert not np.array_equal(changed.layers[0][0], net.layers[0][0])


def test_prune_removes_exactly_the_smallest_share():
    kernel = np.arange(1, 101, dtype=np.float32).reshape(10, 10) * np.where(
        np.arange(100).reshape(10, 10) % 2, -1, 1
    )
    pruned = prune_smallest(kernel, 30)
    assert np.count_nonzero(pruned == 0) == 30
    assert np.all(np.abs(kernel[pruned == 0]) <= 30)
    assert np.all(pruned[np.abs(kernel) > 30] == kernel[np.abs(kernel) > 30])
    assert np.count_nonzero(prune_smallest(kernel, 99.6)) == 0  # rounds to all 100


@pytest.mark.parametrize("activation", ["relu", "tanh", "sigmoid"])
def test_a_unit_switched_off_contributes_nothing(activation):
    net = small_net(activation)
    images = np.random.default_rng(2).random((50, 784), dtype=np.float32)
    off = edited(net, Edits(units_off=frozenset({(0, 4)})))
    # The same as removing the unit: the next layer never hears from it.
    removed = Predictor(
        [
            (np.delete(net.layers[0][0], 4, axis=1), np.delete(net.layers[0][1], 4)),
            (np.delete(net.layers[1][0], 4, axis=0), net.layers[1][1]),
            net.layers[2],
        ],
        activation,
    )
    np.testing.assert_allclose(off.logits(images), removed.logits(images), rtol=1e-5, atol=1e-5)
    assert not np.allclose(off.logits(images), net.logits(images))


def test_biases_off_sets_that_layer_s_biases_to_zero():
    net = small_net()
    changed = edited(net, Edits().with_biases_off(1))
    assert not changed.layers[1][1].any()
    np.testing.assert_array_equal(changed.layers[0][1], net.layers[0][1])
    assert Edits().with_biases_off(1).with_biases_off(1, off=False).empty


def test_noise_is_repeatable_per_seed_and_scaled_to_each_layer():
    net = small_net()
    a = edited(net, Edits(noise=0.1, seed=7))
    b = edited(net, Edits(noise=0.1, seed=7))
    c = edited(net, Edits(noise=0.1, seed=8))
    np.testing.assert_array_equal(a.layers[1][0], b.layers[1][0])
    assert not np.array_equal(a.layers[1][0], c.layers[1][0])
    change = a.layers[0][0] - net.layers[0][0]
    assert change.std() == pytest.approx(0.1 * net.layers[0][0].std(), rel=0.1)


def test_toggling_a_unit_twice_restores_it_and_describe_says_what_changed():
    edits = Edits().toggled_unit(0, 5)
    assert edits.units_off == {(0, 5)}
    assert edits.toggled_unit(0, 5).empty
    assert Edits().describe() == "as trained"
    text = Edits(units_off=frozenset({(0, 1), (0, 2)}), prune_percent=50).describe()
    assert text == "2 units off, 50% pruned"


@pytest.mark.parametrize(
    "edits",
    [
        Edits(units_off=frozenset({(2, 0)})),  # the output layer is not a hidden layer
        Edits(units_off=frozenset({(0, 20)})),
        Edits(biases_off=frozenset({3})),
        Edits(prune_percent=101),
        Edits(noise=-1),
        Edits(noise=float("nan")),
    ],
)
def test_impossible_edits_are_refused_with_a_reason(edits):
    with pytest.raises(ValueError):
        check_edits(small_net(), edits)


def test_pruning_curve_starts_at_the_trained_accuracy_and_keeps_less(default_model, test_set):
    images, labels = test_set
    images, labels = images[:1000], labels[:1000]
    points = list(pruning_curve(default_model, images, labels, percents=(0, 50, 90, 100)))
    assert [p.done for p in points] == [1, 2, 3, 4] and points[-1].total == 4
    assert points[0].accuracy == accuracy(default_model, images, labels)
    assert [round(p.kept, 2) for p in points] == [1.0, 0.5, 0.1, 0.0]
    assert points[-1].accuracy < 0.2


def test_accuracy_steps_count_every_image_once_and_end_with_the_accuracy():
    net = small_net()
    rng = np.random.default_rng(3)
    images = rng.random((4500, 784), dtype=np.float32)
    labels = net.logits(images).argmax(axis=1)
    labels[::3] = (labels[::3] + 1) % 10  # a third wrong
    steps = list(accuracy_steps(net, images, labels, chunk=2000))
    assert [s.done for s in steps] == [2000, 4000, 4500]
    assert all(s.total == 4500 for s in steps)
    assert steps[-1].right == 3000 and steps[-1].accuracy == pytest.approx(2 / 3)
    assert accuracy(net, images[:0], labels[:0]) != accuracy(net, images[:0], labels[:0])  # NaN


def test_edit_and_measure_gives_the_network_first_then_its_accuracy(default_model, test_set):
    images, labels = test_set
    items = list(edit_and_measure(default_model, Edits(prune_percent=90), images, labels))
    network, *steps = items
    assert isinstance(network, Predictor) and network.name == "default (edited)"
    assert [s.done for s in steps] == [2000, 4000, 6000, 8000, 10000]
    assert steps[-1].accuracy == accuracy(network, images, labels)
    assert steps[-1].accuracy < accuracy(default_model, images, labels)
