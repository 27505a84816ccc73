"""TensorBoard logs: read back with TensorFlow's own event reader, equal to the run's events."""

from __future__ import annotations

import numpy as np
import pytest
from tensorboard_events import read_events

from digitpad.config import TrainConfig
from digitpad.data import load_mnist
from digitpad.errors import DigitpadError
from digitpad.tensorboard_log import LoggedControl, histogram_buckets, record, run_logdir
from digitpad.training import (
    EpochEnd,
    Finished,
    Progress,
    Snapshot,
    TrainControl,
    Validated,
    train,
)


@pytest.fixture(scope="module")
def logged_run(tmp_path_factory):
    data = load_mnist().subset(train=2_000, val=300)
    config = TrainConfig(hidden=(16,), epochs=2, seed=1, validate_every=10)
    logdir = run_logdir(tmp_path_factory.mktemp("tb"), "tiny run")
    control = TrainControl()
    events = list(record(train(config, data, control), logdir, control))
    return logdir, events


def test_scalars_equal_the_runs_events(logged_run):
    logdir, events = logged_run
    values, plugins = read_events(logdir)
    progress = [e for e in events if isinstance(e, Progress)]
    logged = values["train/loss"]
    assert [step for step, _ in logged] == [e.step for e in progress]
    np.testing.assert_allclose([float(v) for _, v in logged], [e.loss for e in progress], 1e-6)
    validated = [e for e in events if isinstance(e, Validated)]
    assert [s for s, _ in values["validation/accuracy"]] == [e.step for e in validated]
    np.testing.assert_allclose(
        [float(v) for _, v in values["validation/accuracy"]], [e.accuracy for e in validated]
    )
    epochs = [e for e in events if isinstance(e, EpochEnd)]
    assert [s for s, _ in values["epoch/learning_rate"]] == [1, 2]
    np.testing.assert_allclose(
        [float(v) for _, v in values["epoch/val_loss"]], [e.val_loss for e in epochs], 1e-6
    )
    assert plugins["train/loss"] == "scalars" and plugins["epoch/learning_rate"] == "scalars"


def test_weights_are_written_at_the_start_and_each_epochs_end(logged_run):
    logdir, events = logged_run
    values, plugins = read_events(logdir)
    finished = next(e for e in events if isinstance(e, Finished))
    kernel_hist = values["weights/layer1_kernel"]
    assert [step for step, _ in kernel_hist] == [0, 1, 2]
    # The last histogram counts every weight of the trained first layer.
    final = finished.model.get_weights()[0]
    last = kernel_hist[-1][1]
    assert last.shape[1] == 3 and last[:, 2].sum() == final.size
    assert np.isclose(last[0, 0], final.min(), atol=1e-6)
    assert plugins["weights/layer1_kernel"] == "histograms"
    image = values["weights/first_layer"]
    assert [step for step, _ in image] == [0, 1, 2] and plugins["weights/first_layer"] == "images"
    width, height, png = image[0][1]
    assert png.startswith(b"\x89PNG") and int(width) > 28 and int(height) >= 28


def test_one_subfolder_per_run_and_a_bad_folder_is_one_message(tmp_path):
    first = run_logdir(tmp_path, "tutorial/2026 run")
    second = run_logdir(tmp_path, "tutorial/2026 run")
    assert first.name == "tutorial-2026-run" and second.name == "tutorial-2026-run-2"
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(DigitpadError, match="cannot write"):
        run_logdir(blocker, "run")


def test_histogram_buckets_count_every_value():
    values = np.array([0.0, 1.0, 1.0, 2.0, np.nan])
    buckets = histogram_buckets(values, bins=4)
    assert buckets.shape == (4, 3) and buckets[:, 2].sum() == 4
    assert buckets[0, 0] == 0.0 and buckets[-1, 1] == 2.0
    assert histogram_buckets(np.ones(3))[0, 2] == 3


def test_a_watchers_wish_neither_stops_the_histograms_nor_gets_every_snapshot(tmp_path):
    # The app's Inside page sets snapshot_seconds: None when hidden, 0.5 s when shown. With
    # the log on, the run takes the weights every chunk anyway; the watcher gets what it asks.
    data = load_mnist().subset(train=2_000, val=300)
    config = TrainConfig(hidden=(16,), epochs=2, batch_size=50, seed=1, validate_every=10)
    control = LoggedControl(None)  # nobody watching at the start
    logdir = run_logdir(tmp_path, "watched")
    ends: list[int] = []
    passed: list[int] = []
    for event in record(train(config, data, control), logdir, control):
        if isinstance(event, Progress):
            ends.append(event.step)
            if len(ends) == 2:
                control.snapshot_seconds = 1e9  # watching, rarely: this chunk's, then none
            elif len(ends) == 5:
                control.snapshot_seconds = 0.0  # watching closely: every chunk from here
        elif isinstance(event, Snapshot):
            passed.append(event.step)
    assert control.snapshot_seconds == 0.0 and control.watch_seconds == 0.0
    assert len(ends) > 6 and passed == [ends[1], *ends[4:]]
    values, _ = read_events(logdir)
    assert [step for step, _ in values["weights/layer1_kernel"]] == [0, 1, 2]


def test_closing_the_record_closes_the_run_it_wraps(tmp_path):
    closed: list[bool] = []

    def run():
        try:
            yield from ("a", "b", "c")
        finally:
            closed.append(True)

    events = record(run(), tmp_path)
    assert next(events) == "a" and not closed
    events.close()
    assert closed == [True]
    assert list(tmp_path.glob("events.out.tfevents.*"))  # the file was written and closed
