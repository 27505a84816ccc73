"""TrainControl beyond pause and stop: one epoch at a time, live learning rates, and weight
snapshots that cost nothing unless someone asks for them.

Each run compiles a new model (~1-2 s), so each test checks several things about one run.
"""

from __future__ import annotations

import threading
import time

import numpy as np
import pytest

from digitpad.config import TrainConfig
from digitpad.data import load_mnist
from digitpad.model import build_model
from digitpad.training import (
    DEAD_UNIT_IMAGES,
    EpochEnd,
    Finished,
    LearningRateChanged,
    Progress,
    Snapshot,
    TrainControl,
    train,
)
from digitpad.unit_health import dead_unit_share

# 10,000 images in batches of 100: 100 steps per epoch, run in two chunks of 50 (a chunk may
# not pass a validation).
SMALL = TrainConfig(hidden=(32,), epochs=3, seed=5, validate_every=50)


@pytest.fixture(scope="module")
def small_data():
    return load_mnist().subset(train=10_000, val=1_000)


def test_step_epoch_from_a_pause_mid_epoch_runs_to_its_end_then_pauses(small_data):
    control = TrainControl()
    events = []
    paused_after: list[bool] = []
    cancel = threading.Timer(0.3, control.cancel)
    for event in train(SMALL, small_data, control):
        events.append(event)
        if isinstance(event, Progress) and event.step == 50:
            assert event.epoch == pytest.approx(0.5)  # half-way through epoch 1
            control.pause()
            control.step_epoch()
            assert control.stepping and not control.paused
        if isinstance(event, EpochEnd):
            paused_after.append(control.paused)
            cancel.start()  # the run now waits for someone to resume or stop it
    cancel.join()
    finished = events[-1]
    assert isinstance(finished, Finished) and finished.status == "cancelled"
    # Exactly the first epoch ran: the step ended at its end and nothing after it.
    assert finished.steps == 100
    assert paused_after == [True] and not control.stepping
    assert not [e for e in events if isinstance(e, Snapshot)]  # nobody asked for any


def test_step_while_running_a_live_learning_rate_and_snapshots_asked_for_mid_run(small_data):
    control = TrainControl()
    control.step_epoch()  # before the first chunk: the run pauses when epoch 1 ends
    epochs, changes, snapshots, rates = [], [], [], []
    for event in train(SMALL.replace(epochs=2), small_data, control):
        if isinstance(event, Progress):
            rates.append(event.learning_rate)
            if event.step == 50:
                control.set_learning_rate(2.5e-4)
            if event.step == 100:
                control.snapshot_seconds = 0.0  # someone started watching: every chunk
        elif isinstance(event, LearningRateChanged):
            changes.append(event)
        elif isinstance(event, Snapshot):
            snapshots.append(event)
        elif isinstance(event, EpochEnd):
            epochs.append((event.epoch, control.paused))
            if event.epoch == 1:
                threading.Timer(0.05, control.resume).start()
    # Paused after epoch 1; the last epoch never pauses (the run simply ends).
    assert epochs == [(1, True), (2, False)]
    # The new rate is an event at the step it took effect, and every chunk after uses it.
    assert [(c.step, c.epoch, c.learning_rate) for c in changes] == [(50, 0.5, 2.5e-4)]
    assert rates[0] == pytest.approx(1e-3) and rates[1:] == [2.5e-4] * (len(rates) - 1)
    # Nobody watched before step 100: no snapshot until then, then one after every chunk.
    assert [s.step for s in snapshots] == [100, 150, 200]
    assert snapshots[0].initial[0][0].shape == (784, 32)


def test_resume_and_pause_cancel_a_pending_step():
    control = TrainControl()
    control.pause()
    control.step_epoch()
    assert control.stepping and not control.paused
    control.resume()
    assert not control.stepping and not control.paused
    control.step_epoch()
    control.pause()
    assert not control.stepping and control.paused
    assert not control.end_of_epoch()
    with pytest.raises(ValueError):
        TrainControl(snapshot_seconds=-1)


def test_snapshots_hold_copies_of_the_weights_now_and_at_initialisation(small_data):
    config = SMALL.replace(hidden=(32, 16), epochs=1)
    control = TrainControl(snapshot_seconds=0.0)  # 0: after every chunk
    events = []
    # Copies of the first snapshot's arrays taken when it arrives, before any step trains:
    # if training later wrote into those arrays in place, the snapshot would drift from them.
    first_seen: list[np.ndarray] | None = None
    for event in train(config, small_data, control):
        if isinstance(event, Snapshot) and first_seen is None:
            first_seen = [a.copy() for pair in (*event.layers, *event.initial) for a in pair]
        events.append(event)
    snapshots = [e for e in events if isinstance(e, Snapshot)]
    progress = [e for e in events if isinstance(e, Progress)]
    assert len(snapshots) == len(progress) + 1  # one at the start, one per chunk
    first, last = snapshots[0], snapshots[-1]
    assert first.step == 0 and last.step == progress[-1].step
    shapes = [(k.shape, b.shape) for k, b in last.layers]
    assert shapes == [((784, 32), (32,)), ((32, 16), (16,)), ((16, 10), (10,))]
    # At the start the weights are those a fresh model of this config and seed starts from,
    # and every snapshot shares that same initial.
    import keras

    keras.utils.set_random_seed(config.seed)
    fresh = build_model(config).get_weights()
    for (k, b), (k0, b0), (k1, b1) in zip(
        first.layers, first.initial, zip(fresh[0::2], fresh[1::2], strict=True), strict=True
    ):
        np.testing.assert_array_equal(k, k1)
        np.testing.assert_array_equal(b, b1)
        np.testing.assert_array_equal(k0, k1)
        np.testing.assert_array_equal(b0, b1)
    assert all(s.initial is first.initial for s in snapshots)
    # Training moved the weights, and never wrote into an earlier snapshot's arrays.
    assert not np.array_equal(last.layers[0][0], first.layers[0][0])
    final = events[-1].model.get_weights()
    np.testing.assert_array_equal(last.layers[-1][0], final[-2])
    assert first_seen is not None
    now = [a for pair in (*first.layers, *first.initial) for a in pair]
    for array, seen in zip(now, first_seen, strict=True):
        np.testing.assert_array_equal(array, seen)
    # Dead ReLU units, one share per hidden layer: those silent on the fixed validation images.
    x = small_data.val.x[:DEAD_UNIT_IMAGES]
    for snapshot in (first, last):
        (k1, b1), (k2, b2), _ = snapshot.layers
        h1 = np.maximum(x @ k1 + b1, 0)
        h2 = np.maximum(h1 @ k2 + b2, 0)
        expected = (dead_unit_share(h1), dead_unit_share(h2))
        assert snapshot.dead_share == pytest.approx(expected, abs=1e-9)


def test_snapshots_come_at_most_once_per_interval_and_tanh_has_no_dead_units(small_data):
    interval = 0.25
    control = TrainControl(snapshot_seconds=interval)
    config = SMALL.replace(epochs=6, hidden=(256,), activation="tanh")
    started = time.perf_counter()
    events = list(train(config, small_data, control))
    wall = time.perf_counter() - started
    snapshots = [e for e in events if isinstance(e, Snapshot)]
    chunks = len([e for e in events if isinstance(e, Progress)])
    assert snapshots[0].step == 0
    gaps = np.diff([s.seconds for s in snapshots])
    assert (gaps >= interval).all()
    assert len(snapshots) <= 1 + wall / interval
    assert len(snapshots) < chunks  # the chunks come faster than that: some were skipped
    assert all(s.dead_share is None for s in snapshots)  # tanh units cannot die
