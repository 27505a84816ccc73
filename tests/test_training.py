import threading
import time

import numpy as np
import pytest

from digitpad.config import TrainConfig
from digitpad.data import load_mnist
from digitpad.errors import ConfigError
from digitpad.training import (
    EpochEnd,
    Finished,
    Outcome,
    Progress,
    Started,
    TrainControl,
    Validated,
    chunk_steps,
    train,
    train_to_end,
)

SMALL = TrainConfig(epochs=1, seed=3)


@pytest.fixture(scope="module")
def small_data():
    return load_mnist().subset(train=10_000, val=1_000)


def test_two_epochs_on_10k_images_learn(small_data):
    events = list(train(SMALL.replace(epochs=2), small_data))
    assert isinstance(events[0], Started) and isinstance(events[-1], Finished)
    finished = events[-1]
    assert finished.ok and finished.status == "completed"
    # Held-out: the 10,000 test images were never trained on.
    assert finished.evaluation.accuracy >= 0.90
    assert finished.evaluation.confusion.sum() == 10_000
    progress = [e for e in events if isinstance(e, Progress)]
    assert progress[-1].step == progress[-1].total_steps == 200
    assert progress[-1].epoch == pytest.approx(2.0)
    assert all(p.samples_per_second > 0 and p.eta_seconds >= 0 for p in progress)
    epoch_end = [e for e in events if isinstance(e, EpochEnd)]
    assert len(epoch_end) == 2 and epoch_end[-1].val_accuracy > 0.9
    assert finished.history.val_accuracy == [e.val_accuracy for e in epoch_end]
    assert len(finished.history.loss) == len(progress)


def test_same_seed_same_result(small_data):
    config = SMALL.replace(hidden=(32,), dropout=0.1)
    first = train_to_end(config, small_data)
    second = train_to_end(config, small_data)
    assert first.history.loss == second.history.loss
    np.testing.assert_array_equal(first.evaluation.predicted, second.evaluation.predicted)


def test_validate_every_n_steps(small_data):
    events = list(train(SMALL.replace(validate_every=20, batch_size=50), small_data))
    validated = [e for e in events if isinstance(e, Validated)]
    assert len(validated) >= 4
    assert validated[-1].epoch == 1.0


def test_cancel_from_another_thread_stops_promptly(small_data):
    control = TrainControl()
    events = []
    for event in train(SMALL.replace(epochs=50), small_data, control):
        events.append(event)
        if isinstance(event, Progress) and event.step >= 10:
            threading.Thread(target=control.cancel).start()
    finished = events[-1]
    assert finished.status == "cancelled"
    assert finished.steps < 50 * 100
    assert finished.evaluation is not None  # the partly trained model is still evaluated


def test_pause_blocks_until_resume(small_data):
    control = TrainControl()
    paused_at = resumed_after = None
    timer = threading.Timer(0.3, control.resume)
    for event in train(SMALL.replace(epochs=3), small_data, control):
        if not isinstance(event, Progress):
            continue
        if paused_at is None:
            control.pause()
            paused_at = time.perf_counter()
            timer.start()
        elif resumed_after is None:
            resumed_after = time.perf_counter() - paused_at
    timer.join()
    # No step ran until the other thread resumed (a lower bound: slowness cannot break it).
    assert resumed_after is not None and resumed_after >= 0.25


def test_cancel_while_paused(small_data):
    control = TrainControl()
    control.pause()
    threading.Timer(0.2, control.cancel).start()
    finished = train_to_end(SMALL, small_data, control)
    assert finished.status == "cancelled" and finished.steps == 0 and finished.model is None


def test_divergence_stops_with_a_clear_message_and_keeps_good_weights(small_data):
    config = SMALL.replace(optimizer="sgd", learning_rate=90.0, init="he", epochs=3)
    finished = train_to_end(config, small_data)
    assert finished.status is Outcome.DIVERGED and finished.status == "diverged"
    assert "loss reached" in finished.message and "lower the learning rate" in finished.message
    weights = finished.model.get_weights()
    assert all(np.isfinite(w).all() for w in weights)
    assert finished.history.loss == [] or np.isfinite(finished.history.loss).all()


def test_learning_rate_change_and_decay(small_data):
    control = TrainControl()
    control.set_learning_rate(5e-4)
    events = list(train(SMALL.replace(epochs=2, lr_decay=0.5), small_data, control))
    rates = [e.learning_rate for e in events if isinstance(e, EpochEnd)]
    assert rates == pytest.approx([5e-4, 2.5e-4])
    with pytest.raises(ValueError):
        control.set_learning_rate(-1)


@pytest.mark.parametrize(
    "changes",
    [
        {"activation": "tanh", "loss": "mse", "optimizer": "momentum", "learning_rate": 0.1},
        {"activation": "sigmoid", "init": "glorot", "l2": 1e-4, "hidden": (50, 30)},
    ],
)
def test_tutorial_variants_train(small_data, changes):
    finished = train_to_end(SMALL.replace(**changes), small_data)
    assert finished.ok and finished.evaluation.accuracy > 0.5  # chance is 0.1


def test_batch_larger_than_data_is_a_config_error(small_data):
    with pytest.raises(ConfigError, match="batch_size"):
        list(train(SMALL.replace(batch_size=20_000), small_data))


def test_a_second_run_reuses_the_compiled_engine_and_keeps_the_first_model(small_data):
    first = train_to_end(SMALL, small_data)
    weights = [w.copy() for w in first.model.get_weights()]
    second = train_to_end(SMALL.replace(seed=4), small_data)
    # The engine's model was retrained; the one handed out with the first result was not.
    for kept, now in zip(weights, first.model.get_weights(), strict=True):
        np.testing.assert_array_equal(kept, now)
    assert second.model is not first.model
    assert second.history.loss != first.history.loss


def test_chunks_divide_the_epoch():
    steps = chunk_steps(TrainConfig(), 550)
    assert 550 % steps == 0 and steps > 1


def test_the_result_keeps_the_initial_weights_for_a_before_after_view(small_data):
    finished = train_to_end(SMALL, small_data)
    assert finished.initial is not None
    (kernel, bias), *_ = finished.initial
    assert kernel.shape == (784, 200) and bias.shape == (200,)
    # Truncated normal, stddev 0.01, as the tutorial; the trained weights have moved away.
    assert abs(float(kernel.std()) - 0.0088) < 0.002
    assert not np.allclose(kernel, finished.model.get_weights()[0])
