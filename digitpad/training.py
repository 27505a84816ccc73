"""The training engine: ``train(config, data)`` is a generator of progress events.

One engine, two front ends: the CLI loops over the events and draws a progress bar, the GUI's
worker thread forwards them as signals. Pause, resume, cancel and learning-rate changes come in
through a thread-safe :class:`TrainControl` and act between chunks of steps.

Why it is fast: the training set lives in TensorFlow as one tensor, and one XLA-compiled call
runs a whole chunk of steps (a loop over index batches gathered on the fly), so there is no
per-step Python, no per-step copy and no per-step callback. Progress is reported per chunk,
about every 0.1-0.2 s, which is also how soon a cancel takes effect.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC
from typing import Any

import numpy as np

from digitpad.config import TrainConfig
from digitpad.data import Mnist
from digitpad.evaluation import Evaluation, evaluate_probabilities, softmax

# Roughly 0.1 s of work per compiled call at the rate measured here (about 200 GFLOP/s for
# the tutorial's shapes): short enough for a responsive Stop and smooth curves, long enough
# that the ~0.6 ms of Python per call does not show.
CHUNK_SECONDS = 0.1
ASSUMED_FLOPS = 200e9
DIVERGED_LOSS = 100.0
DEAD_UNIT_IMAGES = 500
"""Dead ReLU units are counted on this many validation images, always the same ones: enough
that a unit silent on all of them is silent on nearly every digit, few enough that the count
costs an 800-800 network ~8 ms per snapshot."""

Layers = tuple[tuple[np.ndarray, np.ndarray], ...]
"""(kernel, bias) NumPy pairs of the Dense layers, input to output."""


@dataclass(frozen=True)
class Started:
    config: TrainConfig
    total_steps: int
    steps_per_epoch: int
    train_size: int


@dataclass(frozen=True)
class Progress:
    """After each chunk: the last chunk's mean loss/accuracy and the epoch's running mean."""

    step: int
    total_steps: int
    epoch: float
    loss: float
    accuracy: float
    loss_avg: float
    accuracy_avg: float
    samples_per_second: float
    eta_seconds: float
    learning_rate: float

    @property
    def fraction(self) -> float:
        return self.step / self.total_steps if self.total_steps else 1.0


@dataclass(frozen=True)
class Validated:
    step: int
    epoch: float
    loss: float
    accuracy: float


@dataclass(frozen=True)
class EpochEnd:
    epoch: int
    loss: float
    accuracy: float
    val_loss: float
    val_accuracy: float
    learning_rate: float
    seconds: float


@dataclass(frozen=True)
class LearningRateChanged:
    """A learning rate set through :meth:`TrainControl.set_learning_rate` took effect."""

    step: int
    epoch: float
    learning_rate: float


@dataclass(frozen=True)
class Snapshot:
    """The weights now and at initialisation, for someone watching the network learn.

    Yielded only when :attr:`TrainControl.snapshot_seconds` asks for it: at the start and then
    after a chunk, at most once per that many seconds of training. ``layers`` and ``initial``
    are NumPy copies that training never writes to, safe to read from any thread.
    ``dead_share`` is, per hidden layer, the share of ReLU units that do not fire on any of
    the same :data:`DEAD_UNIT_IMAGES` validation images (None for tanh and sigmoid, which
    have no dead units). ``seconds`` is the training clock (pauses excluded).
    """

    step: int
    epoch: float
    seconds: float
    layers: Layers
    initial: Layers
    dead_share: tuple[float, ...] | None


@dataclass
class History:
    """The curves: training running averages per chunk, validation and learning rate."""

    epoch: list[float] = field(default_factory=list)
    loss: list[float] = field(default_factory=list)
    accuracy: list[float] = field(default_factory=list)
    val_epoch: list[float] = field(default_factory=list)
    val_loss: list[float] = field(default_factory=list)
    val_accuracy: list[float] = field(default_factory=list)
    lr_epoch: list[float] = field(default_factory=list)
    learning_rate: list[float] = field(default_factory=list)

    def to_dict(self) -> dict[str, list[float]]:
        return {name: [round(float(v), 6) for v in values] for name, values in vars(self).items()}

    @classmethod
    def from_dict(cls, values: dict[str, Any]) -> History:
        known = set(vars(cls()))
        return cls(**{k: list(v) for k, v in values.items() if k in known})


@dataclass(frozen=True)
class Finished:
    """The end of a run: ``status`` is ``completed``, ``cancelled`` or ``diverged``.

    ``model`` is the Keras model (for a diverged run, with the last weights whose loss was
    finite) and ``evaluation`` its result on the 10,000 test images; both are None when the run
    was cancelled before its first step.
    """

    status: str
    message: str
    config: TrainConfig
    model: Any
    history: History
    evaluation: Evaluation | None
    seconds: float
    steps: int
    initial: Layers | None = None
    """The weights at initialisation (kept anyway), for a before/after view of the run."""

    @property
    def ok(self) -> bool:
        return self.status == "completed"

    def meta(self, data_sha256: str) -> dict[str, Any]:
        """The store's description of this run: config, metrics, curves, checksum, versions."""
        import platform
        from datetime import datetime

        import keras
        import tensorflow as tf

        from digitpad import __version__

        metrics = self.evaluation.summary() if self.evaluation else {}
        return {
            "created": datetime.now(UTC).isoformat(timespec="seconds"),
            "status": self.status,
            "config": self.config.to_dict(),
            "metrics": metrics,
            "history": self.history.to_dict(),
            "train_seconds": round(self.seconds, 3),
            "steps": self.steps,
            "data_sha256": data_sha256,
            "output": "logits",
            "versions": {
                "digitpad": __version__,
                "tensorflow": tf.__version__,
                "keras": keras.__version__,
                "numpy": np.__version__,
                "python": platform.python_version(),
            },
        }


Event = Started | Progress | Validated | EpochEnd | Snapshot | LearningRateChanged | Finished


class TrainControl:
    """Pause, resume, cancel, step and re-tune a run from another thread; read between chunks.

    ``snapshot_seconds`` (None: never) asks the run for a :class:`Snapshot` of its weights
    at most once per that many seconds; it may be changed at any time, e.g. only while
    someone is looking at the weights.
    """

    def __init__(self, snapshot_seconds: float | None = None) -> None:
        self._running = threading.Event()
        self._running.set()
        self._cancelled = threading.Event()
        self._lock = threading.Lock()
        self._learning_rate: float | None = None
        self._step_pending = False
        self._snapshot_seconds: float | None = None
        self.snapshot_seconds = snapshot_seconds

    def pause(self) -> None:
        with self._lock:
            self._step_pending = False
        self._running.clear()

    def resume(self) -> None:
        """Go on training (and forget a pending :meth:`step_epoch`: this is a full resume)."""
        with self._lock:
            self._step_pending = False
        self._running.set()

    def step_epoch(self) -> None:
        """Train to the end of the epoch under way, then pause again.

        From a pause at an epoch's end (where a previous step left it) that is one whole
        epoch; while running, it pauses the run when the current epoch ends.
        """
        with self._lock:
            self._step_pending = True
        self._running.set()

    @property
    def stepping(self) -> bool:
        """True while a :meth:`step_epoch` waits for its epoch to end."""
        with self._lock:
            return self._step_pending

    def end_of_epoch(self) -> bool:
        """Called by the run at each epoch's end: pauses it if a step asked to; True if so."""
        with self._lock:
            stepped, self._step_pending = self._step_pending, False
        if stepped and not self.cancelled:
            self._running.clear()
        return stepped

    @property
    def snapshot_seconds(self) -> float | None:
        return self._snapshot_seconds

    @snapshot_seconds.setter
    def snapshot_seconds(self, value: float | None) -> None:
        if value is not None and not (math.isfinite(value) and value >= 0):
            raise ValueError(f"snapshot_seconds must be None or a number >= 0, not {value}")
        self._snapshot_seconds = value  # one attribute store: atomic under the GIL

    def cancel(self) -> None:
        self._cancelled.set()
        self._running.set()

    def set_learning_rate(self, value: float) -> None:
        """Use ``value`` from the next chunk on (decay then continues from it)."""
        if not (math.isfinite(value) and value > 0):
            raise ValueError(f"learning rate must be a positive number, not {value}")
        with self._lock:
            self._learning_rate = value

    @property
    def paused(self) -> bool:
        return not self._running.is_set()

    @property
    def cancelled(self) -> bool:
        return self._cancelled.is_set()

    def wait_while_paused(self) -> float:
        """Block while paused (until resumed or cancelled); returns the seconds spent waiting."""
        if self._running.is_set():
            return 0.0
        start = time.perf_counter()
        self._running.wait()
        return time.perf_counter() - start

    def take_learning_rate(self) -> float | None:
        with self._lock:
            value, self._learning_rate = self._learning_rate, None
        return value


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


def train(config: TrainConfig, data: Mnist, control: TrainControl | None = None) -> Iterator[Event]:
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

    engine = _engine_for(config, data)
    history = History()
    rng = np.random.default_rng(config.seed)
    per_chunk = chunk_steps(config, steps_per_epoch)
    augmenter = _EpochAugmenter(data, config, rng) if config.augment else None
    lr = config.learning_rate
    step = 0
    rate = _Rate()
    last_validation_step = 0
    last_snapshot = -math.inf

    def snapshot_due() -> bool:
        interval = control.snapshot_seconds
        return interval is not None and clock.elapsed() - last_snapshot >= interval

    def take_snapshot(epoch: float) -> Snapshot:
        nonlocal last_snapshot
        last_snapshot = clock.elapsed()
        return engine.snapshot(step, epoch, last_snapshot)

    def finish(status: str, message: str) -> Finished:
        if augmenter:
            augmenter.close()
        # A run cancelled before its first step has no model worth showing.
        trained = step > 0 or status == "diverged"
        evaluation = engine.evaluate_test() if trained else None
        model = engine.detached_model() if trained else None
        initial = engine.initial if trained else None
        return Finished(
            status, message, config, model, history, evaluation, clock.elapsed(), step, initial
        )

    try:
        if snapshot_due():
            yield take_snapshot(0.0)
        for epoch in range(config.epochs):
            epoch_start = clock.elapsed()
            engine.set_learning_rate(lr)
            history.lr_epoch.append(float(epoch))
            history.learning_rate.append(lr)
            x_epoch = augmenter.next_epoch() if augmenter else engine.x_train
            order = rng.permutation(n)[: steps_per_epoch * config.batch_size]
            batches = order.reshape(steps_per_epoch, config.batch_size).astype(np.int32)
            loss_sum = correct_sum = 0.0
            for start in range(0, steps_per_epoch, per_chunk):
                clock.pause_for(control.wait_while_paused())
                if control.cancelled:
                    yield finish("cancelled", f"stopped at step {step} of {total_steps}")
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
                loss, correct = engine.run_chunk(x_epoch, chunk)
                if _diverged(loss / len(chunk)):
                    engine.restore_last_good()
                    yield finish(
                        "diverged",
                        f"diverged: the loss reached {loss / len(chunk):.3g} near step "
                        f"{step + len(chunk)}; "
                        "lower the learning rate (kept the last good weights)",
                    )
                    return
                engine.remember_good()
                samples = len(chunk) * config.batch_size
                step += len(chunk)
                rate.add(samples, clock.elapsed() - chunk_start)
                loss_sum += loss
                correct_sum += correct
                done_in_epoch = start + len(chunk)
                epoch_pos = epoch + done_in_epoch / steps_per_epoch
                seen = done_in_epoch * config.batch_size
                progress = Progress(
                    step=step,
                    total_steps=total_steps,
                    epoch=epoch_pos,
                    loss=loss / len(chunk),
                    accuracy=correct / samples,
                    loss_avg=loss_sum / done_in_epoch,
                    accuracy_avg=correct_sum / seen,
                    samples_per_second=rate.per_second(),
                    eta_seconds=(total_steps - step) * config.batch_size / rate.per_second(),
                    learning_rate=lr,
                )
                history.epoch.append(epoch_pos)
                history.loss.append(progress.loss_avg)
                history.accuracy.append(progress.accuracy_avg)
                yield progress
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
            )
            lr *= config.lr_decay
        yield finish("completed", f"trained {config.epochs} epochs")
    finally:
        if augmenter:
            augmenter.close()
        engine.release()


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


def _validated(engine: _Engine, history: History, step: int, epoch: float) -> Validated:
    loss, accuracy = engine.validate()
    history.val_epoch.append(epoch)
    history.val_loss.append(loss)
    history.val_accuracy.append(accuracy)
    return Validated(step, epoch, loss, accuracy)


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

    NumPy releases the GIL in its array loops, so this overlaps with TensorFlow's step.
    """

    def __init__(self, data: Mnist, config: TrainConfig, rng: np.random.Generator) -> None:
        from digitpad.augment import augment_batch

        self._augment = augment_batch
        self._images = data.train.images
        self._rng = np.random.default_rng(rng.integers(2**63))
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="digitpad-augment")
        self._next: Future = self._pool.submit(self._make)

    def _make(self) -> np.ndarray:
        out = self._augment(self._images, self._rng)
        return out.reshape(len(out), -1)

    def next_epoch(self) -> np.ndarray:
        images = self._next.result()
        self._next = self._pool.submit(self._make)
        return images

    def close(self) -> None:
        self._next.cancel()
        self._pool.shutdown(wait=True, cancel_futures=True)


_engine_lock = threading.Lock()
_last_engine: _Engine | None = None


def _engine_for(config: TrainConfig, data: Mnist) -> _Engine:
    """An engine ready for a new run: the last one if it fits ``config`` and is free, else new.

    Reusing it keeps its compiled functions: a second run in the same process starts without
    tracing or XLA compilation, and memory stays flat over many runs (each new tf.function
    keeps ~5-10 MB of compiled code and graphs for the life of the process).
    """
    global _last_engine
    with _engine_lock:
        engine = _last_engine
        if engine is None or engine.in_use or engine.key != _Engine.key_of(config):
            engine = None
    if engine is None:
        engine = _Engine(config)
        with _engine_lock:
            _last_engine = engine
    engine.in_use = True
    try:
        engine.prepare(config, data)
    except BaseException:
        engine.release()
        raise
    return engine


class _Engine:
    """The model, its optimizer and the compiled functions that train and evaluate it.

    Built once per network shape and training rule (:meth:`key_of`); :meth:`prepare` resets
    weights, optimizer state and data for each run, exactly as a fresh build would set them.
    """

    @staticmethod
    def key_of(config: TrainConfig) -> tuple:
        """What the compiled functions depend on; everything else is reset per run."""
        momentum = config.momentum if config.optimizer == "momentum" else None
        return (
            config.hidden,
            config.activation,
            config.dropout,
            config.l2,
            config.loss,
            config.optimizer,
            momentum,
        )

    def __init__(self, config: TrainConfig) -> None:
        import tensorflow as tf

        from digitpad.model import build_model

        self._tf = tf
        self.key = self.key_of(config)
        self.in_use = False
        self.model = build_model(config)
        self.optimizer = _optimizer(config)
        self.optimizer.build(self.model.trainable_variables)
        self._data: Mnist | None = None
        self._activation = config.activation
        self._hidden_maxima = None
        loss_fn = _loss_function(config.loss)
        model, optimizer = self.model, self.optimizer
        variables = model.trainable_variables

        def one_step(x, y, batch):
            xb = tf.gather(x, batch)
            yb = tf.gather(y, batch)
            with tf.GradientTape() as tape:
                logits = model(xb, training=True)
                loss = loss_fn(yb, logits)
                total = loss + tf.add_n(model.losses) if model.losses else loss
            grads = tape.gradient(total, variables)
            optimizer.apply_gradients(zip(grads, variables, strict=True))
            hits = tf.reduce_sum(
                tf.cast(tf.argmax(logits, 1, output_type=tf.int32) == yb, tf.float32)
            )
            return loss, hits

        @tf.function(jit_compile=True, reduce_retracing=True)
        def run_chunk(x, y, batches):
            loss_sum = tf.constant(0.0)
            hits_sum = tf.constant(0.0)
            for i in tf.range(tf.shape(batches)[0]):
                loss, hits = one_step(x, y, batches[i])
                loss_sum += loss
                hits_sum += hits
            return loss_sum, hits_sum

        # Graph mode without XLA: one large product per call gains nothing from fusion, and
        # each new batch shape (validation, test) would pay a compilation.
        @tf.function(reduce_retracing=True)
        def logits_of(x):
            return model(x, training=False)

        self._run_chunk = run_chunk
        self._logits = logits_of
        self._loss_fn = loss_fn

    def prepare(self, config: TrainConfig, data: Mnist) -> None:
        """Fresh weights, optimizer state and data for a new run of ``config``."""
        import keras

        from digitpad.model import build_model

        tf = self._tf
        keras.utils.set_random_seed(config.seed)
        # A throw-away build gives exactly the initial weights (and dropout seeds) a fresh
        # engine would start from, for any init and seed; only its values are kept.
        fresh = build_model(config)
        self.model.set_weights(fresh.get_weights())
        for layer, new in zip(self.model.layers, fresh.layers, strict=True):
            if hasattr(layer, "seed_generator"):
                layer.seed_generator.state.assign(new.seed_generator.state.value)
        for variable in self.optimizer.variables:
            variable.assign(tf.zeros_like(variable))
        if data is not self._data:
            self.x_train = tf.constant(data.train.x)
            self._y_train = tf.constant(data.train.y.astype(np.int32))
            self._x_val = tf.constant(data.val.x) if len(data.val) else None
            self._y_val = tf.constant(data.val.y.astype(np.int32)) if len(data.val) else None
            self._x_test, self._y_test = data.test.x, data.test.y
            fixed = data.val if len(data.val) else data.train
            self._x_dead = fixed.x[:DEAD_UNIT_IMAGES]
            self._data = data
        self._config = config
        self._good: list[np.ndarray] = self.model.get_weights()
        # remember_good() rebinds _good to fresh copies, never writes into them: so these are
        # the weights at initialisation, kept at no cost, and each later _good is a snapshot.
        self.initial = _dense_pairs(self._good)

    def release(self) -> None:
        """The run is over: the next run may reuse this engine."""
        with _engine_lock:
            self.in_use = False

    def detached_model(self):
        """A new Keras model with the current weights, for the caller to keep: the engine's
        own model is overwritten by the next run."""
        from digitpad.model import build_model

        model = build_model(self._config)
        model.set_weights(self.model.get_weights())
        return model

    def set_learning_rate(self, value: float) -> None:
        self.optimizer.learning_rate.assign(value)

    def run_chunk(self, x_epoch, batches: np.ndarray) -> tuple[float, float]:
        loss, hits = self._run_chunk(x_epoch, self._y_train, batches)
        return float(loss), float(hits)

    def remember_good(self) -> None:
        self._good = self.model.get_weights()

    def restore_last_good(self) -> None:
        self.model.set_weights(self._good)

    def snapshot(self, step: int, epoch: float, seconds: float) -> Snapshot:
        """The weights after the last good chunk (already copied by remember_good)."""
        return Snapshot(
            step, epoch, seconds, _dense_pairs(self._good), self.initial, self.dead_share()
        )

    def dead_share(self) -> tuple[float, ...] | None:
        """Per hidden layer, the share of ReLU units silent on the fixed validation images."""
        if self._activation != "relu" or not len(self._x_dead):
            return None
        if self._hidden_maxima is None:
            self._hidden_maxima = self._compile_hidden_maxima()
        from digitpad.insight import dead_unit_share

        # Each unit's largest output over the batch, as a 1-row "batch": dead where it is 0.
        maxima = self._hidden_maxima(self._tf.constant(self._x_dead))
        return tuple(dead_unit_share(np.asarray(m)[None, :]) for m in maxima)

    def _compile_hidden_maxima(self):
        import keras

        tf, model = self._tf, self.model
        hidden = [layer for layer in model.layers[:-1] if isinstance(layer, keras.layers.Dense)]

        # A plain tf.function, not XLA: compiling would stall the first snapshot for longer
        # than the two small matrix products take.
        @tf.function(reduce_retracing=True)
        def hidden_maxima(x):
            out = []
            for layer in model.layers[:-1]:
                x = layer(x, training=False)
                if layer in hidden:
                    out.append(tf.reduce_max(x, axis=0))
            return out

        return hidden_maxima

    def validate(self) -> tuple[float, float]:
        if self._x_val is None:
            return float("nan"), float("nan")
        logits = self._logits(self._x_val)
        loss = float(self._loss_fn(self._y_val, logits))
        hits = self._tf.reduce_mean(
            self._tf.cast(
                self._tf.argmax(logits, 1, output_type=self._tf.int32) == self._y_val,
                self._tf.float32,
            )
        )
        return loss, float(hits)

    def evaluate_test(self) -> Evaluation:
        logits = np.asarray(self._logits(self._x_test))
        return evaluate_probabilities(softmax(logits), self._y_test)


def _dense_pairs(weights: list[np.ndarray]) -> Layers:
    """(kernel, bias) pairs from ``model.get_weights()`` of our MLP: only its Dense layers hold
    weights, each a 2-D kernel then a 1-D bias."""
    pairs = tuple(zip(weights[0::2], weights[1::2], strict=True))
    assert all(k.ndim == 2 and b.ndim == 1 for k, b in pairs), "not a Dense-only model"
    return pairs


def _optimizer(config: TrainConfig):
    import keras

    if config.optimizer == "adam":
        return keras.optimizers.Adam(learning_rate=config.learning_rate)
    momentum = config.momentum if config.optimizer == "momentum" else 0.0
    return keras.optimizers.SGD(learning_rate=config.learning_rate, momentum=momentum)


def _loss_function(name: str):
    import tensorflow as tf

    if name == "mse":

        def mse(labels, logits):
            # The tutorial exercise: squared error between softmax outputs and one-hot labels.
            target = tf.one_hot(labels, 10)
            return tf.reduce_mean(tf.reduce_sum(tf.square(tf.nn.softmax(logits) - target), 1))

        return mse

    def cross_entropy(labels, logits):
        return tf.reduce_mean(
            tf.nn.sparse_softmax_cross_entropy_with_logits(labels=labels, logits=logits)
        )

    return cross_entropy
