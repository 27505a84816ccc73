"""Dead and pinned hidden units,
each checked on small hand-made inputs whose answers are known."""

from __future__ import annotations

import numpy as np
import pytest

from digitpad.unit_health import dead_unit_share, pinned_unit_share, saturated


def test_dead_unit_share_counts_units_silent_on_every_input():
    activations = np.array([[0.0, 1.0, 0.0, 0.0], [0.0, 0.0, 2.0, 0.0], [0.0, 0.0, 0.0, 0.0]])
    assert dead_unit_share(activations) == 0.5  # units 0 and 3 never fire
    assert dead_unit_share(np.ones((1, 3))) == 0.0
    with pytest.raises(ValueError):
        dead_unit_share(np.ones(3))


def test_saturation_is_near_either_limit_of_tanh_and_sigmoid():
    tanh = np.array([[-0.99, -0.5, 0.0, 0.91, 0.89]])
    assert saturated(tanh, "tanh").tolist() == [[True, False, False, True, False]]
    sigmoid = np.array([[0.01, 0.06, 0.5, 0.96]])
    assert saturated(sigmoid, "sigmoid").tolist() == [[True, False, False, True]]
    with pytest.raises(ValueError):
        saturated(tanh, "relu")


def test_pinned_units_are_saturated_on_nearly_every_input():
    # Unit 0 always saturated, unit 1 on 96 of 100 inputs, unit 2 on half, unit 3 never.
    outputs = np.zeros((100, 4))
    outputs[:, 0] = 0.99
    outputs[:96, 1] = -0.97
    outputs[:50, 2] = 0.95
    fraction = saturated(outputs, "tanh").mean(axis=0)
    assert pinned_unit_share(fraction) == 0.5
    with pytest.raises(ValueError):
        pinned_unit_share(np.zeros((2, 2)))
