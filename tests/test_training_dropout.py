"""Dropout masks from the counter-based hash: the right share dropped, fresh each step."""

from __future__ import annotations

import numpy as np
import pytest

from digitpad.config import TrainConfig
from digitpad.data import load_mnist
from digitpad.training import train_to_end
from digitpad.training.engine import mask_hash


def _keep(rate: float, key: tuple[int, int, int], shape=(128, 800)) -> np.ndarray:
    import tensorflow as tf

    bits = np.asarray(mask_hash(tf.constant(shape), tf.constant(key, tf.int32)))
    return bits >= np.uint32(min(int(rate * 2**32), 2**32 - 1))


@pytest.mark.parametrize("rate", [0.1, 0.5, 0.8])
def test_the_mask_drops_the_rate_asked_for(rate):
    keep = _keep(rate, (3, 0, 17))
    assert keep.mean() == pytest.approx(1 - rate, abs=0.01)
    # No structure along units or images: the shares kept per unit and per image spread as
    # independent coin flips would (a repeated row or column pattern would widen them).
    for axis in (0, 1):
        shares = keep.mean(axis=axis)
        expected = np.sqrt(rate * (1 - rate) / keep.shape[axis])
        assert shares.std() == pytest.approx(expected, rel=0.2), axis


def test_masks_differ_between_steps_layers_and_seeds_but_repeat_for_the_same_key():
    base = _keep(0.5, (3, 0, 17))
    np.testing.assert_array_equal(base, _keep(0.5, (3, 0, 17)))
    for other in [(3, 0, 18), (3, 1, 17), (4, 0, 17), (3, 0, 17 + 128 * 800)]:
        # Independent masks agree on about half the elements, never on nearly all.
        agreement = (base == _keep(0.5, other)).mean()
        assert agreement == pytest.approx(0.5, abs=0.02), other


def test_dropout_run_learns_and_repeats_with_its_seed():
    data = load_mnist().subset(train=5_000, val=500)
    config = TrainConfig(hidden=(64,), dropout=0.5, epochs=2, seed=5)
    first = train_to_end(config, data)
    again = train_to_end(config, data)
    other = train_to_end(config.replace(seed=6), data)
    assert first.evaluation.accuracy > 0.8  # Keras's own Dropout reaches 0.835 here
    assert first.history.loss == again.history.loss
    assert first.history.loss != other.history.loss
