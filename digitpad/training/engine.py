"""The TensorFlow side of training: the model, its optimizer and the compiled functions.

Why it is fast: the training set lives in TensorFlow as one tensor, and one XLA-compiled call
runs a whole chunk of steps (a loop over index batches gathered on the fly), so there is no
per-step Python, no per-step copy and no per-step callback.

TensorFlow is imported when an engine is first built, never when this module is imported.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import numpy as np

from digitpad.config import TrainConfig
from digitpad.data import PIXELS, Mnist, Split
from digitpad.evaluation import Evaluation, evaluate_probabilities, softmax
from digitpad.training.events import DEAD_UNIT_IMAGES, TRAIN_EVAL_IMAGES, Layers, Snapshot

_engine_lock = threading.Lock()
_last_engine: Engine | None = None


def engine_for(config: TrainConfig, data: Mnist) -> Engine:
    """An engine ready for a new run: the last one if it fits ``config`` and is free, else new.

    Reusing it keeps its compiled functions: a second run in the same process starts without
    tracing or XLA compilation, and memory stays flat over many runs (each new tf.function
    keeps ~5-10 MB of compiled code and graphs for the life of the process).
    """
    global _last_engine
    with _engine_lock:
        engine = _last_engine
        if engine is not None and not engine.in_use and engine.key == Engine.key_of(config):
            # Claimed under the lock: two runs starting at once never share one engine.
            engine.in_use = True
        else:
            engine = None
    if engine is None:
        engine = Engine(config)
        engine.in_use = True
        with _engine_lock:
            _last_engine = engine
    try:
        engine.prepare(config, data)
    except BaseException:
        engine.release()
        raise
    return engine


class Engine:
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
        from digitpad.tf_setup import quiet_tensorflow

        tf = quiet_tensorflow()  # before Keras, which imports TensorFlow too

        from digitpad.model import build_model

        self._tf = tf
        self.key = self.key_of(config)
        self.in_use = False
        self.model = build_model(config)
        self.optimizer = _optimizer(config)
        self.optimizer.build(self.model.trainable_variables)
        self._data: Mnist | None = None
        # The training set as float32: a NumPy array (read by the augmenter) and a tensor that
        # shares its memory (read by the steps).
        self.train_rows: np.ndarray | None = None
        self.x_train: Any = None
        self._activation = config.activation
        self._unit_stats: Callable[..., Any] | None = None
        loss_fn = _loss_function(config.loss)
        model, optimizer = self.model, self.optimizer
        variables = model.trainable_variables
        # The run's seed, a tensor so that a new seed needs no new trace.
        self._seed = tf.Variable(config.seed, dtype=tf.int32, trainable=False)
        seed = self._seed
        forward = _forward_with_dropout(model, config.dropout)

        def one_step(x, y, batch, step):
            xb = tf.gather(x, batch)
            yb = tf.gather(y, batch)
            with tf.GradientTape() as tape:
                logits = forward(xb, seed, step)
                loss = loss_fn(yb, logits)
                total = loss + tf.add_n(model.losses) if model.losses else loss
            grads = tape.gradient(total, variables)
            optimizer.apply_gradients(zip(grads, variables, strict=True))
            hits = tf.reduce_sum(
                tf.cast(tf.argmax(logits, 1, output_type=tf.int32) == yb, tf.float32)
            )
            return loss, hits

        @tf.function(jit_compile=True, reduce_retracing=True)
        def run_chunk(x, y, batches, first_step):
            # Per step, not summed: a chunk that diverges still shows every step before.
            count = tf.shape(batches)[0]
            losses = tf.TensorArray(tf.float32, size=count)
            hits = tf.TensorArray(tf.float32, size=count)
            for i in tf.range(count):
                loss, hit = one_step(x, y, batches[i], first_step + i)
                losses = losses.write(i, loss)
                hits = hits.write(i, hit)
            return losses.stack(), hits.stack()

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
        self._seed.assign(config.seed)
        for variable in self.optimizer.variables:
            variable.assign(tf.zeros_like(variable))
        if data is not self._data:
            # The old run's training set goes before the new one is made, not after.
            self.x_train = self.train_rows = None
            self._y_train = tf.constant(data.train.y.astype(np.int32))
            self._x_val = tf.constant(data.val.x) if len(data.val) else None
            self._y_val = tf.constant(data.val.y.astype(np.int32)) if len(data.val) else None
            # Converted when evaluated, so no float copy of the test set waits through the run.
            self._test = data.test
            # Evenly spread over the training set, unaugmented: the same images every run.
            pick = np.linspace(0, len(data.train) - 1, min(TRAIN_EVAL_IMAGES, len(data.train)))
            pick = pick.astype(int)
            self._x_train_eval = tf.constant(data.train.rows(pick))
            self._y_train_eval = tf.constant(data.train.y[pick].astype(np.int32))
            fixed = data.val if len(data.val) else data.train
            self._x_dead = fixed.rows(slice(0, DEAD_UNIT_IMAGES))
            self._data = data
        if config.augment:
            # An augmented run trains on each epoch's own images, made a chunk at a time from
            # the uint8 set: a float copy of the set would only take 172 MB for nothing.
            self.x_train = self.train_rows = None
        elif self.train_rows is None:
            self.train_rows, self.x_train = _training_rows(tf, data.train)
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

    def wrap(self, rows: np.ndarray) -> Any:
        """A tensor over ``rows`` without a copy when they come from :func:`aligned_rows`
        (an augmented epoch): passed as a NumPy array, each chunk would copy the whole epoch.
        The tensor reads the array's memory: drop it before the array is rewritten."""
        return _wrap(self._tf, rows)

    def training_split(self) -> Split:
        """The prepared run's training images (an augmented run makes its epochs from them)."""
        assert self._data is not None, "prepare() first"
        return self._data.train

    def set_learning_rate(self, value: float) -> None:
        self.optimizer.learning_rate.assign(value)

    def run_chunk(
        self, x_epoch, batches: np.ndarray, first_step: int
    ) -> tuple[np.ndarray, np.ndarray]:
        """Train on ``batches`` (one row of indices per step); ``first_step`` is the run's step
        number of the first row, which (with the seed) decides the dropout masks. Returns each
        step's mean loss and its count of correct answers (float64 arrays)."""
        step = self._tf.constant(first_step, self._tf.int32)
        losses, hits = self._run_chunk(x_epoch, self._y_train, batches, step)
        return np.asarray(losses, np.float64), np.asarray(hits, np.float64)

    def remember_good(self) -> None:
        self._good = self.model.get_weights()

    def restore_last_good(self) -> None:
        self.model.set_weights(self._good)

    def snapshot(self, step: int, epoch: float, seconds: float) -> Snapshot:
        """The weights after the last good chunk (already copied by remember_good)."""
        dead, saturated = self.unit_shares()
        return Snapshot(
            step, epoch, seconds, _dense_pairs(self._good), self.initial, dead, saturated
        )

    def dead_share(self) -> tuple[float, ...] | None:
        """Per hidden layer, the share of ReLU units silent on the fixed validation images."""
        return self.unit_shares()[0]

    def unit_shares(self) -> tuple[tuple[float, ...] | None, tuple[float, ...] | None]:
        """Per hidden layer, on the fixed :data:`DEAD_UNIT_IMAGES` images with the current
        weights: (share of dead ReLU units, None) for ReLU, (None, share of tanh or sigmoid
        units pinned near a limit) otherwise."""
        if not len(self._x_dead):
            return None, None
        if self._unit_stats is None:
            self._unit_stats = self._compile_unit_stats()
        from digitpad.unit_health import dead_unit_share, pinned_unit_share

        stats = [np.asarray(m) for m in self._unit_stats(self._tf.constant(self._x_dead))]
        if self._activation == "relu":
            # Each unit's largest output over the images, as a 1-row "batch": dead where 0.
            return tuple(dead_unit_share(m[None, :]) for m in stats), None
        return None, tuple(pinned_unit_share(m) for m in stats)

    def _compile_unit_stats(self):
        import keras

        from digitpad.unit_health import SATURATION_MARGIN

        tf, model, activation = self._tf, self.model, self._activation
        hidden = [layer for layer in model.layers[:-1] if isinstance(layer, keras.layers.Dense)]
        low = -1.0 if activation == "tanh" else 0.0
        margin = SATURATION_MARGIN * (1.0 - low)

        # A plain tf.function, not XLA: compiling would stall the first snapshot for longer
        # than the two small matrix products take.
        @tf.function(reduce_retracing=True)
        def unit_stats(x):
            out = []
            for layer in model.layers[:-1]:
                x = layer(x, training=False)
                if layer in hidden:
                    if activation == "relu":
                        out.append(tf.reduce_max(x, axis=0))
                    else:
                        near = (x <= low + margin) | (x >= 1.0 - margin)
                        out.append(tf.reduce_mean(tf.cast(near, tf.float32), axis=0))
            return out

        return unit_stats

    def validate(self) -> tuple[float, float]:
        """Loss and accuracy on the validation images (NaN without any)."""
        if self._x_val is None:
            return float("nan"), float("nan")
        return self._measure(self._x_val, self._y_val)

    def measure_training_subset(self) -> tuple[float, float]:
        """Loss and accuracy on the fixed training subset, as validation measures them."""
        return self._measure(self._x_train_eval, self._y_train_eval)

    def _measure(self, x, y) -> tuple[float, float]:
        tf = self._tf
        logits = self._logits(x)
        loss = float(self._loss_fn(y, logits))
        hits = tf.reduce_mean(tf.cast(tf.argmax(logits, 1, output_type=tf.int32) == y, tf.float32))
        return loss, float(hits)

    def evaluate_test(self) -> Evaluation:
        logits = np.asarray(self._logits(self._test.x))
        return evaluate_probabilities(softmax(logits), self._test.y)


def _forward_with_dropout(model, rate: float):
    """``model(x, training=True)``, with dropout masks from a counter-based hash.

    Keras's Dropout draws its masks with ``stateless_dropout``, whose Philox generator XLA
    compiles into slow scalar code on the CPU: it made a dropout run 5-15x slower than the same
    run without. Here each mask bit is a hash of (seed, layer, step, unit, image): a few integer
    multiplies and shifts per element, fused into the layer's activation, and the same masks
    for the same seed whatever the thread count or chunking.
    """
    import keras
    import tensorflow as tf

    if not rate:
        return lambda x, seed, step: model(x, training=True)
    # Keep an element when its 32-bit hash is at least rate * 2^32.
    threshold = tf.constant(min(int(rate * 2**32), 2**32 - 1), tf.uint32)
    scale = 1.0 / (1.0 - rate)

    def forward(x, seed, step):
        dropout_index = 0
        for layer in model.layers:
            if isinstance(layer, keras.layers.Dropout):
                key = tf.stack([seed, tf.constant(dropout_index, tf.int32), step])
                keep = mask_hash(tf.shape(x), key) >= threshold
                x = tf.where(keep, x * scale, tf.zeros_like(x))
                dropout_index += 1
            else:
                x = layer(x, training=True)
        return x

    return forward


def mask_hash(shape, key):
    """Pseudo-random uint32 per element of ``shape`` from a few int32 ``key`` values.

    Two rounds of Wellons' lowbias32 integer hash: the element's index is hashed, mixed with the
    key's hash and hashed again, so masks of different steps or layers do not repeat (a single
    round of ``hash(index + key)`` gives shifted copies of one sequence).
    """
    import tensorflow as tf

    u32 = tf.uint32
    mixed = tf.constant(0x9E3779B9, u32)
    for part in tf.unstack(tf.cast(key, u32)):
        mixed = _lowbias32(tf.bitwise.bitwise_xor(mixed, part) + tf.constant(0x6A09E667, u32))
    index = tf.cast(tf.reshape(tf.range(tf.reduce_prod(shape)), shape), u32)
    return _lowbias32(tf.bitwise.bitwise_xor(_lowbias32(index), mixed))


def _lowbias32(h):
    import tensorflow as tf

    u32 = tf.uint32
    h = tf.bitwise.bitwise_xor(h, tf.bitwise.right_shift(h, tf.constant(16, u32)))
    h = h * tf.constant(0x7FEB352D, u32)
    h = tf.bitwise.bitwise_xor(h, tf.bitwise.right_shift(h, tf.constant(15, u32)))
    h = h * tf.constant(0x846CA68B, u32)
    return tf.bitwise.bitwise_xor(h, tf.bitwise.right_shift(h, tf.constant(16, u32)))


_ALIGN = 64  # TensorFlow's alignment for a buffer it does not own (Eigen's largest)


def aligned_rows(count: int) -> np.ndarray:
    """An uninitialised (count, 784) float32 array aligned for TensorFlow to wrap: see
    :meth:`Engine.wrap`. (NumPy's own arrays are only 16-byte aligned.)"""
    size = count * PIXELS * 4
    raw = np.empty(size + _ALIGN, np.uint8)
    start = -raw.ctypes.data % _ALIGN
    return raw[start : start + size].view(np.float32).reshape(count, PIXELS)


def _wrap(tf, rows: np.ndarray) -> Any:
    """A tensor over the same memory as ``rows`` when TensorFlow can take it (DLPack, an
    aligned C-contiguous float32 array), else a copy. (An unaligned buffer would abort the
    process inside TensorFlow, so the alignment is checked here, never assumed.)"""
    if rows.ctypes.data % _ALIGN == 0 and rows.flags.c_contiguous and rows.flags.writeable:
        try:
            return tf.experimental.dlpack.from_dlpack(rows.__dlpack__())
        except (AttributeError, BufferError, TypeError, ValueError, RuntimeError):
            pass
    return tf.constant(rows)


def _training_rows(tf, split: Split) -> tuple[np.ndarray, Any]:
    """The split's float32 rows made once, and a tensor over the same memory.

    The rows are filled a chunk at a time into an aligned buffer that TensorFlow wraps without
    a copy: one float copy of the training set instead of the NumPy array, its tensor copy and
    the conversion's temporary.
    """
    rows = split.float_rows_into(aligned_rows(len(split)))
    tensor = _wrap(tf, rows)
    # Shared with the tensor from now on: nothing may write to it.
    rows.flags.writeable = False
    return rows, tensor


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
