"""``train(config, data)``: a generator of progress events, the one training loop.

One engine, two front ends: the CLI loops over the events and draws a progress bar, the GUI's
worker forwards them as signals. Pause, resume, cancel and learning-rate changes come in
through a thread-safe :class:`TrainControl` and act between chunks of steps. Progress is
reported per chunk, about every 0.1-0.2 s, which is also how soon a cancel takes effect.
"""

from __future__ import annotations

import math
import time
from collections.abc import Generator
from concurrent.futures import Future, ThreadPoolExecutor

import numpy as np

from digitpad.config import TrainConfig
from digitpad.data import Mnist, Split
from digitpad.training.control import TrainControl
from digitpad.training.engine import Engine, aligned_rows, engine_for
from digitpad.training.events import (
    EpochEnd,
    Event,
    Finished,
    History,
    LearningRateChanged,
    Outcome,
    Progress,
    Snapshot,
    Started,
    Validated,
)

# Roughly 0.1 s of work per compiled call at the rate measured here (about 200 GFLOP/s for
# the tutorial's shapes): short enough for a responsive Stop and smooth curves, long enough
# that the ~0.6 ms of Python per call does not show.
CHUNK_SECONDS = 0.1
ASSUMED_FLOPS = 200e9
DIVERGED_LOSS = 100.0
AUGMENT_ROWS = 8192
"""An augmented epoch is made this many images at a time (a 25 MB float temporary)."""


def chunk_steps(config: TrainConfig, steps_per_epoch: int) -> int:
    """Steps per compiled call: about CHUNK_SECONDS of work, dividing the epoch if possible."""
    widths = (784, *config.hidden, 10)
    flops_per_sample = 6 * sum(a * b for a, b in zip(widths, widths[1:], strict=False))
    target = ASSUMED_FLOPS * CHUNK_SECONDS / (flops_per_sample * config.batch_size)
    target = int(min(max(1, target), steps_per_epoch))
    if config.validate_every:
        # Validation happens between chunks, so a chunk may not be longer than its interval.
        target = min(target, config.validate_every)
    # One compiled shape per run when a divisor is near; else one more for the remainder.
    for k in range(target, max(1, target // 2) - 1, -1):
        if steps_per_epoch % k == 0:
            return k
    return target


def train(
    config: TrainConfig, data: Mnist, control: TrainControl | None = None
) -> Generator[Event, None, None]:
    """Train a new model; yield :class:`Started`, then :class:`Progress` per chunk,
    :class:`Validated` and :class:`EpochEnd`, and finally one :class:`Finished`.

    Deterministic for a given ``config.seed``. Raises :class:`ConfigError` for a bad config.
    """
    config.validate()
    control = control or TrainControl()
    clock = _Clock()
    n = len(data.train)
    steps_per_epoch = n // config.batch_size
    if steps_per_epoch == 0:
        from digitpad.errors import ConfigError

        raise ConfigError("batch_size", f"{config.batch_size} is larger than the {n} images")
    total_steps = steps_per_epoch * config.epochs
    yield Started(config, total_steps, steps_per_epoch, n)

    engine = engine_for(config, data)
    history = History()
    rng = np.random.default_rng(config.seed)
    per_chunk = chunk_steps(config, steps_per_epoch)
    augmenter = _EpochAugmenter(engine.training_split(), config, rng) if config.augment else None
    lr = config.learning_rate
    step = 0
    kept_steps: int | None = None  # set when a run diverges: the steps its weights have had
    rate = _Rate()
    last_validation_step = 0
    last_snapshot = -math.inf
    loss_sum = correct_sum = 0.0  # reset each epoch; bound before progress_of's nonlocal

    def snapshot_due() -> bool:
        interval = control.snapshot_seconds
        return interval is not None and clock.elapsed() - last_snapshot >= interval

    def take_snapshot(epoch: float) -> Snapshot:
        nonlocal last_snapshot
        last_snapshot = clock.elapsed()
        return engine.snapshot(step, epoch, last_snapshot)

    def finish(status: Outcome, message: str, suggested_lr: float | None = None) -> Finished:
        if augmenter:
            augmenter.close()
        # A run cancelled before its first step has no model worth showing.
        trained = step > 0 or status is Outcome.DIVERGED
        evaluation = engine.evaluate_test() if trained else None
        model = engine.detached_model() if trained else None
        initial = engine.initial if trained else None
        dead, saturated = engine.unit_shares() if trained else (None, None)
        return Finished(
            status,
            message,
            config,
            model,
            history,
            evaluation,
            clock.elapsed(),
            step,
            initial,
            weights_trained=(step if kept_steps is None else kept_steps) > 0,
            suggested_learning_rate=suggested_lr,
            dead_share=dead,
            saturated_share=saturated,
        )

    def progress_of(steps: int, loss: float, correct: float, epoch: int, done: int) -> Progress:
        """Record a chunk of ``steps`` that ended ``done`` steps into ``epoch``."""
        nonlocal loss_sum, correct_sum
        samples = steps * config.batch_size
        loss_sum += loss
        correct_sum += correct
        epoch_pos = epoch + done / steps_per_epoch
        history.epoch.append(epoch_pos)
        history.loss.append(loss / steps)
        history.accuracy.append(correct / samples)
        return Progress(
            step=step,
            total_steps=total_steps,
            epoch=epoch_pos,
            loss=loss / steps,
            accuracy=correct / samples,
            loss_avg=loss_sum / done,
            accuracy_avg=correct_sum / (done * config.batch_size),
            samples_per_second=rate.per_second(),
            eta_seconds=(total_steps - step) * config.batch_size / rate.per_second(),
            learning_rate=lr,
        )

    try:
        if snapshot_due():
            yield take_snapshot(0.0)
        for epoch in range(config.epochs):
            epoch_start = clock.elapsed()
            engine.set_learning_rate(lr)
            history.lr_epoch.append(float(epoch))
            history.learning_rate.append(lr)
            lr_start, lr_steps = lr, 0.0
            # An augmented epoch's tensor shares its buffer, rewritten two epochs later.
            x_epoch = engine.wrap(augmenter.next_epoch()) if augmenter else engine.x_train
            order = rng.permutation(n)[: steps_per_epoch * config.batch_size]
            batches = order.reshape(steps_per_epoch, config.batch_size).astype(np.int32)
            loss_sum = correct_sum = 0.0
            for start in range(0, steps_per_epoch, per_chunk):
                clock.pause_for(control.wait_while_paused())
                if control.cancelled:
                    yield finish(Outcome.CANCELLED, f"at step {step} of {total_steps}")
                    return
                new_lr = control.take_learning_rate()
                if new_lr is not None:
                    lr = new_lr
                    engine.set_learning_rate(lr)
                    history.lr_epoch.append(step / steps_per_epoch)
                    history.learning_rate.append(lr)
                    yield LearningRateChanged(step, step / steps_per_epoch, lr)
                chunk = batches[start : start + per_chunk]
                chunk_start = clock.elapsed()
                losses, hits = engine.run_chunk(x_epoch, chunk, step)
                bad = [i for i, value in enumerate(losses) if _diverged(value)]
                if bad:
                    # The weights at the chunk's start are the last known good (the first step's
                    # loss was measured on them); the curve keeps the steps before the bad one.
                    engine.restore_last_good()
                    kept_steps = step
                    for i in range(bad[0]):
                        step += 1
                        yield progress_of(1, float(losses[i]), float(hits[i]), epoch, start + i + 1)
                    yield finish(
                        Outcome.DIVERGED,
                        _divergence_message(float(losses[bad[0]]), step, kept_steps, lr),
                        suggested_lr=lr / 10,
                    )
                    return
                engine.remember_good()
                step += len(chunk)
                rate.add(len(chunk) * config.batch_size, clock.elapsed() - chunk_start)
                loss, correct = float(losses.sum()), float(hits.sum())
                yield progress_of(len(chunk), loss, correct, epoch, start + len(chunk))
                lr_steps += lr * len(chunk)
                done_in_epoch = start + len(chunk)
                epoch_pos = epoch + done_in_epoch / steps_per_epoch
                if snapshot_due():
                    yield take_snapshot(epoch_pos)
                due = config.validate_every and step - last_validation_step >= config.validate_every
                if due and done_in_epoch < steps_per_epoch:
                    last_validation_step = step
                    yield _validated(engine, history, step, epoch_pos)
            last_validation_step = step
            val = _validated(engine, history, step, float(epoch + 1))
            if epoch + 1 < config.epochs:
                # Before the events go out, so whoever sees this EpochEnd sees the pause too.
                control.end_of_epoch()
            yield val
            yield EpochEnd(
                epoch=epoch + 1,
                loss=loss_sum / steps_per_epoch,
                accuracy=correct_sum / (steps_per_epoch * config.batch_size),
                val_loss=val.loss,
                val_accuracy=val.accuracy,
                learning_rate=lr,
                seconds=clock.elapsed() - epoch_start,
                learning_rate_start=lr_start,
                learning_rate_mean=lr_steps / steps_per_epoch,
            )
            lr *= config.lr_decay
        # The last epoch's images go before the test evaluation and the model's copy, which
        # would otherwise set the run's peak on top of them.
        x_epoch = None
        if augmenter:
            augmenter.close()
        yield finish(Outcome.COMPLETED, f"trained {config.epochs} epochs")
    finally:
        if augmenter:
            augmenter.close()
        engine.release()


def _divergence_message(loss: float, finite_steps: int, kept_steps: int, lr: float) -> str:
    kept = (
        f"kept the weights of step {kept_steps}"
        if kept_steps
        else "no step trained: the weights are the initial ones"
    )
    return (
        f"the loss reached {loss:.3g} at step {finite_steps + 1}; lower the learning rate "
        f"(try {lr / 10:.3g}, a tenth of {lr:.3g}); {kept}"
    )


def _diverged(loss: float) -> bool:
    """NaN, infinite, or far above chance (ln 10 = 2.3), where exploded ReLUs leave it finite."""
    return not math.isfinite(loss) or loss > DIVERGED_LOSS


def train_to_end(config: TrainConfig, data: Mnist, control: TrainControl | None = None) -> Finished:
    """Run :func:`train` and return its :class:`Finished` event (for scripts and tests)."""
    finished = None
    for event in train(config, data, control):
        if isinstance(event, Finished):
            finished = event
    assert finished is not None
    return finished


def _validated(engine: Engine, history: History, step: int, epoch: float) -> Validated:
    loss, accuracy = engine.validate()
    train_loss, train_accuracy = engine.measure_training_subset()
    history.val_epoch.append(epoch)
    history.val_loss.append(loss)
    history.val_accuracy.append(accuracy)
    history.train_eval_loss.append(train_loss)
    history.train_eval_accuracy.append(train_accuracy)
    return Validated(step, epoch, loss, accuracy, train_loss, train_accuracy)


class _Clock:
    """Seconds since start, not counting time spent paused."""

    def __init__(self) -> None:
        self._start = time.perf_counter()
        self._paused = 0.0

    def pause_for(self, seconds: float) -> None:
        self._paused += seconds

    def elapsed(self) -> float:
        return time.perf_counter() - self._start - self._paused


class _Rate:
    """Samples per second, leaving out the first chunk (it includes XLA compilation)."""

    def __init__(self) -> None:
        self._samples = 0
        self._seconds = 0.0
        self._first: float | None = None

    def add(self, samples: int, seconds: float) -> None:
        if self._first is None:
            self._first = samples / max(seconds, 1e-9)
            return
        self._samples += samples
        self._seconds += seconds

    def per_second(self) -> float:
        if self._seconds > 0:
            return self._samples / self._seconds
        return self._first or 1.0


class _EpochAugmenter:
    """Makes the next epoch's distorted training images in a background thread.

    NumPy releases the GIL in its array loops, so this overlaps with TensorFlow's step. Two
    buffers, reused for the whole run: the epoch being trained on and the one being made. The
    source images stay uint8; each chunk of AUGMENT_ROWS is converted as it is distorted.
    """

    def __init__(self, images: Split, config: TrainConfig, rng: np.random.Generator) -> None:
        from digitpad.augment import augment_batch

        self._augment = augment_batch
        self._images = images
        # One generator per epoch, seeded from the run's seed and the epoch's number: an
        # epoch's images depend on nothing else (not on what was made before, nor when).
        self._seed = int(rng.integers(2**63))
        self._epoch = 0
        self._epochs = config.epochs
        # Aligned, so that the engine wraps an epoch in a tensor without a copy. The second
        # buffer is made when a second epoch is due (a 1-epoch run needs one).
        self._buffers: list[np.ndarray] = [aligned_rows(len(images))]
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="digitpad-augment")
        self._next: Future | None = self._submit()

    def _make(self, epoch: int, out: np.ndarray) -> np.ndarray:
        rng = np.random.default_rng([self._seed, epoch])
        for start in range(0, len(out), AUGMENT_ROWS):
            rows = slice(start, min(start + AUGMENT_ROWS, len(out)))
            self._augment(self._images.rows(rows), rng, out=out[rows])
        return out

    def next_epoch(self) -> np.ndarray:
        """The next epoch's images. The array is overwritten by the epoch after next's, which
        starts being made when this is next called: use it only until then."""
        if self._next is None:  # past the planned epochs: made now, not ahead
            self._next = self._submit()
        images = self._next.result()
        self._epoch += 1
        self._next = self._submit() if self._epoch < self._epochs else None
        return images

    def _submit(self) -> Future:
        if len(self._buffers) == 1 and self._epoch > 0:
            self._buffers.append(aligned_rows(len(self._images)))
        out = self._buffers[self._epoch % len(self._buffers)]
        return self._pool.submit(self._make, self._epoch, out)

    def close(self) -> None:
        """Stop making epochs and let go of the buffers (an epoch already handed out stays
        valid while it is referenced). Closing twice is harmless."""
        if self._next is not None:
            self._next.cancel()
        self._pool.shutdown(wait=True, cancel_futures=True)
        self._next = None
        self._buffers = []
