"""What the curves hold: per-chunk values with no reset at epoch boundaries, a comparable
training measurement at each validation, the learning rate as used, and diverged runs."""

from __future__ import annotations

import pickle

import numpy as np
import pytest

from digitpad.config import TrainConfig
from digitpad.curves import learning_rate_text, smooth
from digitpad.data import load_mnist
from digitpad.training import (
    EpochEnd,
    Finished,
    Outcome,
    Progress,
    TrainControl,
    Validated,
    train,
)

SMALL = TrainConfig(epochs=2, seed=3)


@pytest.fixture(scope="module")
def small_data():
    return load_mnist().subset(train=10_000, val=1_000)


@pytest.fixture(scope="module")
def two_epochs(small_data):
    return list(train(SMALL.replace(validate_every=20), small_data))


def test_the_curve_is_per_chunk_with_no_jump_at_the_epoch_boundary(two_epochs):
    progress = [e for e in two_epochs if isinstance(e, Progress)]
    history = two_epochs[-1].history
    assert history.loss == [p.loss for p in progress]
    assert history.accuracy == [p.accuracy for p in progress]
    boundary = next(i for i, p in enumerate(progress) if p.epoch > 1.0)
    # A running mean restarts at the boundary: the epoch-1 value drags all of epoch 1's early
    # losses along, and the next point is one chunk alone. Per-chunk values move at the
    # boundary no more than between any two chunks late in epoch 1.
    late = np.abs(np.diff(history.loss[boundary // 2 : boundary]))
    assert abs(history.loss[boundary] - history.loss[boundary - 1]) <= late.max() * 1.5
    # And the running means (for the CLI's progress line) do reset, as documented.
    assert progress[boundary].loss_avg == pytest.approx(progress[boundary].loss)


def test_each_validation_also_measures_the_training_subset_the_same_way(two_epochs):
    validated = [e for e in two_epochs if isinstance(e, Validated)]
    history = two_epochs[-1].history
    assert len(validated) >= 8
    assert history.train_eval_loss == [v.train_loss for v in validated]
    assert history.train_eval_accuracy == [v.train_accuracy for v in validated]
    assert all(0.5 < v.train_accuracy <= 1.0 for v in validated[2:])
    # Measured the same way, the two curves are close on a model that has not overfitted.
    assert abs(validated[-1].train_accuracy - validated[-1].accuracy) < 0.05


def test_events_and_history_pickle(two_epochs):
    for event in two_epochs:
        if isinstance(event, Finished):
            event = event.history
        assert pickle.loads(pickle.dumps(event)) == event


def test_the_epoch_log_shows_the_learning_rate_used(small_data):
    control = TrainControl()
    events = []
    for event in train(SMALL.replace(batch_size=50, validate_every=40), small_data, control):
        events.append(event)
        if isinstance(event, Progress) and event.step >= 150 and event.learning_rate == 1e-3:
            control.set_learning_rate(0.01)
    ends = [e for e in events if isinstance(e, EpochEnd)]
    first, second = ends
    assert first.learning_rate_start == pytest.approx(1e-3)
    assert first.learning_rate == pytest.approx(0.01)
    change = next(e for e in events if type(e).__name__ == "LearningRateChanged")
    share_at_old = change.step / 200
    expected_mean = share_at_old * 1e-3 + (1 - share_at_old) * 0.01
    assert first.learning_rate_mean == pytest.approx(expected_mean)
    assert first.learning_rate_text.startswith("0.001→0.01 (mean ")
    assert second.learning_rate_text == "0.01"


def test_learning_rate_text():
    assert learning_rate_text(1e-3, 1e-3, 1e-3) == "0.001"
    assert learning_rate_text(1e-3, 1e-2, 2.2e-3) == "0.001→0.01 (mean 0.0022)"
    assert learning_rate_text(float("nan"), 0.5, float("nan")) == "0.5"


def test_smoothing_is_tensorboards_debiased_ema():
    values = [1.0, 0.0, 1.0, 0.0]
    got = smooth(values, 0.5)
    # By hand: ema 0.5, 0.25, 0.625, 0.3125 divided by 1 - 0.5**n.
    assert got == pytest.approx([1.0, 0.25 / 0.75, 0.625 / 0.875, 0.3125 / 0.9375])
    assert smooth(values, 0.0) == pytest.approx(values)
    # Debiased: a constant stays constant from the first point (no pull towards zero).
    assert smooth([2.0] * 5, 0.9) == pytest.approx([2.0] * 5)
    with_nan = smooth([1.0, float("nan"), 3.0], 0.5)
    assert np.isnan(with_nan[1]) and with_nan[2] == pytest.approx((0.25 + 1.5) / 0.75)
    with pytest.raises(ValueError):
        smooth(values, 1.0)


def test_a_run_diverging_in_its_first_chunk_keeps_its_curve_and_says_what_to_try(small_data):
    config = TrainConfig(optimizer="sgd", learning_rate=50.0, init="he", epochs=1, seed=1)
    events = list(train(config, small_data))
    finished = events[-1]
    assert finished.status is Outcome.DIVERGED
    progress = [e for e in events if isinstance(e, Progress)]
    # Every step with a finite loss is on the curve, one point per step.
    assert len(progress) >= 1
    assert finished.steps == len(progress) == len(finished.history.loss)
    assert [p.step for p in progress] == list(range(1, len(progress) + 1))
    assert np.isfinite(finished.history.loss).all()
    assert finished.suggested_learning_rate == pytest.approx(5.0)
    assert "try 5" in finished.message
    # It diverged inside its first chunk: the weights kept are the initial ones.
    assert not finished.weights_trained and "no step trained" in finished.message
    np.testing.assert_array_equal(finished.model.get_weights()[0], finished.initial[0][0])


def test_a_run_diverging_later_keeps_trained_weights(small_data):
    control = TrainControl()
    events = []
    config = TrainConfig(optimizer="sgd", learning_rate=0.1, epochs=1, validate_every=20)
    for event in train(config, small_data, control):
        events.append(event)
        if isinstance(event, Progress) and event.step == 40:
            control.set_learning_rate(90.0)
    finished = events[-1]
    assert finished.status is Outcome.DIVERGED
    assert finished.weights_trained and finished.steps >= 40
    assert "kept the weights of step 40" in finished.message
    assert finished.suggested_learning_rate == pytest.approx(9.0)


def test_a_completed_run_has_trained_weights_and_no_suggestion(small_data):
    completed = list(train(SMALL.replace(epochs=1), small_data.subset(train=2_000)))[-1]
    assert completed.weights_trained and completed.suggested_learning_rate is None
