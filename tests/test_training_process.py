"""Training in its own process: the same events as in-process, in order, none lost; control
goes over; the model is saved there. The GUI's side is in tests/gui/test_train_tab_process.py.

One process serves the whole module (it imports TensorFlow once, ~5 s).
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from process_support import tiny_data

from digitpad.config import TrainConfig
from digitpad.inference import load_predictor
from digitpad.training import (
    EpochEnd,
    Finished,
    LearningRateChanged,
    Progress,
    Snapshot,
    Started,
    Validated,
    train,
)
from digitpad.training.process import (
    ControlState,
    RemoteControl,
    RemoteModel,
    RunResult,
    TrainerProcess,
    death_message,
)
from digitpad.training.scratch import OWNER, PREFIX, sweep_scratch

TINY = TrainConfig(hidden=(16,), epochs=3, batch_size=50, validate_every=10, seed=3)
LONG = TrainConfig(hidden=(16,), epochs=500, batch_size=50, seed=3)
TIMEOUT = 120.0


@pytest.fixture(scope="module")
def trainer():
    process = TrainerProcess(tiny_data, nice=0)  # tests on a busy machine: no lower priority
    process.ensure_started(TINY)
    yield process
    process.close()
    assert not multiprocessing.active_children()


def collect(stream, until=lambda message: isinstance(message, RunResult), on=None):
    messages = []
    deadline = time.monotonic() + TIMEOUT
    while time.monotonic() < deadline:
        message = stream.next(timeout=0.1)
        if message is None:
            continue
        messages.append(message)
        if on is not None:
            on(message)
        if until(message):
            return messages
    raise AssertionError(f"no end within {TIMEOUT} s; got {len(messages)} messages")


def shape_of(event) -> tuple:
    """What must match between the two places a run can happen: kind, step, epoch."""
    step = getattr(event, "step", None)
    epoch = getattr(event, "epoch", None)
    return type(event).__name__, step, None if epoch is None else round(float(epoch), 6)


def test_the_process_sends_the_same_events_in_order_and_none_are_lost(trainer):
    messages = collect(trainer.start_run(TINY, RemoteControl()))
    *events, result = messages
    assert isinstance(result, RunResult)
    local = list(train(TINY, tiny_data()))
    assert isinstance(local[-1], Finished)

    assert [shape_of(e) for e in events] == [shape_of(e) for e in local[:-1]]
    assert isinstance(events[0], Started) and events[0].total_steps == 120
    steps = [e.step for e in events if isinstance(e, Progress)]
    assert steps == sorted(steps) and steps[-1] == 120  # nothing missing at the end
    assert [e.epoch for e in events if isinstance(e, EpochEnd)] == [1, 2, 3]
    finished = result.finished
    assert finished.ok and finished.steps == 120 and finished.model is None
    assert len(finished.history.val_loss) == len([e for e in events if isinstance(e, Validated)])
    # The weights come as NumPy pairs, with the meta the store writes.
    assert [k.shape for k, _ in result.layers] == [(784, 16), (16, 10)]
    assert all(isinstance(b, np.ndarray) and b.ndim == 1 for _, b in result.layers)
    assert result.meta["status"] == "completed" and result.meta["steps"] == 120
    assert result.meta["metrics"]["test_accuracy"] > 0.5
    assert result.data_sha256 == tiny_data().sha256


def test_pause_rate_step_snapshots_and_stop_reach_the_run(trainer):
    config = LONG.replace(validate_every=10)  # chunks of 10 steps, 4 to an epoch
    control = RemoteControl()
    control.snapshot_seconds = 0.0  # set before the start: goes with it
    stream = trainer.start_run(config, control)
    seen = collect(stream, until=lambda m: isinstance(m, Progress))
    control.pause()
    while (message := stream.next(timeout=0.5)) is not None:  # what was under way
        seen.append(message)
    held = max(m.step for m in seen if isinstance(m, Progress))
    assert stream.next(timeout=0.5) is None  # paused: nothing comes

    control.set_learning_rate(0.0123)
    control.step_epoch()  # to the end of this epoch, then paused again
    stepped = collect(stream, until=lambda m: isinstance(m, ControlState))
    control.apply(stepped[-1])
    stepped += collect(stream, until=lambda m: isinstance(m, EpochEnd))
    assert control.paused and not control.stepping
    assert stepped[-1].epoch * 40 == max(m.step for m in stepped if isinstance(m, Progress))
    assert max(m.step for m in stepped if isinstance(m, Progress)) > held
    rate = [m for m in stepped if isinstance(m, LearningRateChanged)]
    assert [m.learning_rate for m in rate] == [pytest.approx(0.0123)]
    snapshots = [m for m in seen + stepped if isinstance(m, Snapshot)]  # asked before Start
    assert len(snapshots) >= 2
    # The initial weights cross once; every snapshot has them, the same arrays.
    assert all(s.initial is snapshots[0].initial for s in snapshots)
    assert [k.shape for k, _ in snapshots[-1].initial] == [(784, 16), (16, 10)]
    assert not np.array_equal(snapshots[-1].layers[0][0], snapshots[-1].initial[0][0])
    assert stream.next(timeout=0.5) is None  # paused again after the step

    control.snapshot_seconds = None
    control.resume()
    more = collect(stream, until=lambda m: isinstance(m, Progress))
    assert more[-1].step > stepped[-1].epoch * 40
    assert more[-1].learning_rate == pytest.approx(0.0123)

    control.cancel()
    result = collect(stream)[-1]
    assert result.finished.status == "cancelled" and result.layers is not None
    assert 0 < result.finished.steps < config.epochs * 40


def test_start_and_stop_sent_during_a_warm_up_are_both_honoured(trainer):
    trainer.warm(TINY.replace(hidden=(24,)))  # another shape: a compile under way
    control = RemoteControl()
    stream = trainer.start_run(LONG, control)
    control.cancel()  # at once: it reaches the process while it still warms up
    result = collect(stream)[-1]
    assert result.finished.status == "cancelled"
    assert result.finished.steps < 40  # not one whole epoch of the 500


def test_a_model_trained_in_the_process_is_saved_there(trainer, user_store):
    result = collect(trainer.start_run(TINY, RemoteControl()))[-1]
    model = RemoteModel(TINY, result.layers, trainer)
    folder = model.save(user_store, "from-process", result.meta)

    assert (folder / "model.keras").is_file()
    saved = load_predictor("from-process", user_store)
    for (k1, b1), (k2, b2) in zip(saved.layers, result.layers, strict=True):
        np.testing.assert_array_equal(k1, k2)
        np.testing.assert_array_equal(b1, b2)
    with pytest.raises(Exception, match="already exists"):
        model.save(user_store, "from-process", result.meta)
    assert model.save(user_store, "from-process", result.meta, overwrite=True) == folder


def _rotated_drawings(per_digit: int = 5):
    """MNIST test digits turned a quarter turn, labelled: a hand the model cannot read."""
    from digitpad.data import load_mnist
    from digitpad.drawings import Drawing, DrawingSet

    test = load_mnist().test
    images, labels = [], []
    for digit in (2, 3):
        for i in np.flatnonzero(test.y == digit)[:per_digit]:
            images.append(np.rot90(test.images[i]))
            labels.append(digit)
    drawings = tuple(Drawing(Path(f"{d}/r{i}.png"), d) for i, d in enumerate(labels))
    return DrawingSet(np.stack(images).astype(np.float32), np.array(labels), drawings)


def test_teaching_runs_in_the_process_saves_there_and_can_be_stopped(trainer, user_store):
    from digitpad.errors import DigitpadError
    from digitpad.teach import TeachFinished, TeachProgress, TeachSettings, TeachStarted
    from digitpad.training.process import TeachRequest, TeachResult

    result = collect(trainer.start_run(TINY, RemoteControl()))[-1]
    RemoteModel(TINY, result.layers, trainer).save(user_store, "base", result.meta)
    settings = TeachSettings(steps=40, chunk_steps=10, pool_size=200, replay_size=500)
    request = TeachRequest(
        _rotated_drawings(), "base", str(user_store), str(user_store), "base-mine", False, settings
    )
    stream = trainer.start_teach(request)
    with pytest.raises(DigitpadError, match="busy"):  # one thing at a time
        trainer.start_run(TINY, RemoteControl())
    messages = collect(stream, until=lambda m: isinstance(m, TeachResult))
    assert isinstance(messages[0], TeachStarted)
    assert [m.step for m in messages if isinstance(m, TeachProgress)] == [10, 20, 30, 40]
    finished = messages[-1].finished
    assert isinstance(finished, TeachFinished) and finished.ok and finished.model is None
    taught = load_predictor(finished.path)
    assert taught.name == "base-mine" and taught.meta["taught"]["base"] == "base"

    # Stopped at its first progress: the process saves nothing, and trains again after.
    request = replace(request, name="never")
    stream = trainer.start_teach(request)
    messages = collect(
        stream,
        until=lambda m: isinstance(m, TeachResult),
        on=lambda m: isinstance(m, TeachProgress) and stream.cancel(),
    )
    assert messages[-1].finished.status == "cancelled"
    assert not (Path(user_store) / "never").exists()
    assert isinstance(collect(trainer.start_run(TINY, RemoteControl()))[-1], RunResult)


def test_a_dead_process_is_described_in_one_line():
    assert "killed (SIGKILL, perhaps for lack of memory)" in death_message(-9)
    assert "SIGABRT" in death_message(-6)
    assert "exit code 3" in death_message(3)
    assert all("\n" not in death_message(code) for code in (-9, -6, 1, None))


def test_every_shape_trains_on_all_cores_unless_told_otherwise(monkeypatch):
    from digitpad.config import PRESETS
    from digitpad.training.tuning import THREADS_ENV, threads_for

    monkeypatch.delenv(THREADS_ENV, raising=False)
    # Measured on an idle 2-core machine: two threads beat one for every preset's shape.
    assert {name: threads_for(config) for name, config in PRESETS.items()} == dict.fromkeys(
        PRESETS, 0
    )
    monkeypatch.setenv(THREADS_ENV, "1")
    assert threads_for(PRESETS["tutorial"]) == 1


APP_KILLED = """
import os, signal, time
from process_support import tiny_data
from digitpad.config import TrainConfig
from digitpad.training.process import TrainerProcess

if __name__ == "__main__":
    trainer = TrainerProcess(tiny_data, nice=0)
    trainer.warm(TrainConfig(hidden=(16,), epochs=1, batch_size=50))
    while trainer.warmed is None:  # TensorFlow imported, the step compiled
        time.sleep(0.05)
    print(trainer.pid, trainer._generation.scratch, flush=True)
    os.kill(os.getpid(), signal.SIGKILL)  # the app crashes: no close, no atexit
"""


def running(pid: int) -> bool:
    """Whether ``pid`` runs (a zombie waiting for init to reap it has ended)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state not in ("Z", "X")


def test_the_training_process_ends_when_the_app_dies(tmp_path):
    script = tmp_path / "app.py"
    script.write_text(APP_KILLED)
    temporary = tmp_path / "tmp"
    temporary.mkdir()
    env = {"PYTHONPATH": str(Path(__file__).parent), "TMPDIR": str(temporary)}
    done = subprocess.run(
        [sys.executable, str(script)],
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        env={**os.environ, **env},
        check=False,
    )
    pid, scratch = done.stdout.split()[:2]
    deadline = time.monotonic() + 30
    while running(int(pid)) and time.monotonic() < deadline:
        time.sleep(0.05)  # a process outside this one: nothing to wait on but its state
    assert not running(int(pid)), "the training process outlived the app"
    # Its temporary folder outlived both; the next training process's start sweeps it.
    assert Path(scratch).parent == temporary and Path(scratch).is_dir()
    assert sweep_scratch(temporary) == 1
    assert not Path(scratch).exists()


def test_a_killed_process_leaves_no_temporary_files():
    trainer = TrainerProcess(tiny_data, nice=0)
    try:
        trainer.warm(TINY)
        deadline = time.monotonic() + TIMEOUT
        while trainer.warmed is None and time.monotonic() < deadline:
            time.sleep(0.05)
        scratch = trainer._generation.scratch
        # TensorFlow's autograph wrote its converted functions there, not in the shared /tmp.
        assert list(scratch.glob("__autograph_generated_file*.py"))
        os.kill(trainer.pid, signal.SIGKILL)
        while trainer.alive and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not trainer.alive
        assert not scratch.exists()
    finally:
        trainer.close()


def test_the_sweep_removes_only_folders_whose_app_has_ended(tmp_path):
    ended = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        capture_output=True,
        text=True,
        check=True,
    )
    folders = {name: tmp_path / f"{PREFIX}{name}" for name in ("ended", "alive", "unmarked")}
    for folder in folders.values():
        folder.mkdir()
        (folder / "__autograph_generated_file1.py").write_text("")
    (folders["ended"] / OWNER).write_text(ended.stdout.strip())
    (folders["alive"] / OWNER).write_text(str(os.getppid()))
    other = tmp_path / "someone-elses"
    other.mkdir()
    assert sweep_scratch(tmp_path) == 1
    assert not folders["ended"].exists()
    assert folders["alive"].exists() and folders["unmarked"].exists() and other.exists()


def test_no_writable_temporary_folder_means_no_folder_of_its_own(monkeypatch):
    import tempfile

    from digitpad.training import scratch

    def refuse(**_kwargs):
        raise PermissionError("read-only")

    monkeypatch.setattr(tempfile, "mkdtemp", refuse)
    assert scratch.make_scratch() is None
    before = tempfile.tempdir
    scratch.use_scratch(None)  # the training process then keeps the system's
    assert tempfile.tempdir == before
    scratch.remove_scratch(None)
