"""Teach a stored model the user's handwriting: ``teach(...)`` is a generator of progress events.

Few-shot fine-tuning of the whole MLP, starting from a stored model's weights:

- the user's drawings (through ``to_mnist``) are each augmented many times
  (``digitpad.augment``), so a handful per digit becomes a few thousand varied images;
- every batch mixes them with *replay* of MNIST training images, augmented as the base model's
  own training was, whose targets are the base model's own answers (distillation), so the
  network keeps what it knew: without replay, a few hundred steps on one writer's 4s teach it
  to call everything with a closed loop a 4 (catastrophic forgetting);
- *style replay*: the writer's global habits (slant, width, pen) are measured on their drawings
  against MNIST's typical digit of each class (``digitpad.handwriting_style``), and other MNIST
  digits, all ten classes, are redrawn in that style and replayed too: where the base reads one
  right its answer is kept, where it does not the true label teaches it. So the network meets
  the writer's slanted 9s even when only 4s were drawn, and keeps its answers there;
- the drawings' share of each batch grows with the number of digits taught (SHARE_PER_DIGIT
  each), so teaching only 4s does not shift the network's prior toward answering 4; within
  it, the digits the base misreads are drawn more often (the writer's habits need the steps,
  the digits it already reads need little);
- a pull toward the base weights (an L2 penalty on the change, "L2-SP") keeps the network near
  the solution MNIST found, which is what lets a few hundred steps help without harm;
- at the end the weights are blended back toward the base's (WiSE-FT), as little as MNIST's
  *validation* split allows: the largest share of the change that misreads at most 0.15% of
  the validation images the base read right (plus one standard error) and still reads every
  training drawing. The share is chosen from data for each run, not fixed.

Part of the drawings, about a fifth of each digit, is held out by a hash of each drawing's key
(``digitpad.drawings``) and never trained on; drawings the base model has learnt (a taught
model's meta lists them, with its own base's) are never held out. The before/after scores on
the held-out part are the honest measure.

Like ``digitpad.training.train``, one engine serves two front ends: the CLI loops over the
events with a progress bar, a Qt worker forwards them as signals. A :class:`TeachControl`
cancels between chunks of steps; a cancelled run saves nothing. TensorFlow is imported when the
run starts, never at import.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Generator
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from digitpad.data import Mnist, Split
from digitpad.drawings import DEFAULT_HOLDOUT, DrawingSet, holdout_split
from digitpad.errors import DigitpadError
from digitpad.evaluation import evaluate_probabilities
from digitpad.handwriting_style import estimate_style, mnist_reference, render_in_style
from digitpad.inference import Predictor, predictor_from_folder
from digitpad.store import ModelStore, check_name, find_model, software_versions

SUFFIX = "-mine"
"""Added to the base model's name for the taught model's default name."""

SHARE_PER_DIGIT = 0.03
"""Share of each batch given to the drawings of each digit taught (the rest is MNIST replay).
0.05 learnt the drawings no better on the benchmark's writers and lost more MNIST."""

MAX_PERSONAL_SHARE = 0.5


@dataclass(frozen=True)
class TeachSettings:
    """How a fine-tuning run goes; the defaults are what benchmarks/teach.py measures."""

    steps: int = 300
    batch_size: int = 128
    learning_rate: float = 6e-4
    """Adam's step size at the start; it falls to zero along a half cosine."""
    anchor: float = 0.03
    """Weight of the L2 pull toward the base weights (sum of squared changes)."""
    pool_size: int = 4096
    """Augmented variants of the user's training drawings made up front (at least 20 each)."""
    replay_size: int = 8192
    """MNIST training images replayed (drawn at random, fixed for the run)."""
    replay_augment: bool = True
    """Augment the replayed images too (costs about a second per 8,000 on a busy machine): the
    base's answers are then kept over a wider neighbourhood of MNIST, where a writer's other
    digits lie, not only on MNIST's own images."""
    distill: float = 1.0
    """Replay targets: 1 the base model's probabilities, 0 the true labels, or a blend."""
    share_per_digit: float = SHARE_PER_DIGIT
    augment_strength: float = 1.0
    """``digitpad.augment`` strength for the drawings' variants."""
    style_replay: int = 2048
    """MNIST training images redrawn in the writer's estimated style (slant, width, pen;
    ``digitpad.handwriting_style``) and replayed with their true labels (0: none)."""
    guard_images: int = 1000
    """MNIST validation images of the digits not taught, redrawn in the writer's style, that
    the blend must read no worse than the base does (see ``_FineTuner.blend_back``)."""
    style_distill: bool = True
    """Targets for the redrawn digits the base reads right: its own answers (else labels)."""
    style_share: float = 0.5
    """Share of the replayed part of each batch taken from the style-redrawn images."""
    blend_steps: tuple[float, ...] = (0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0)
    """Shares of the fine-tuned change tried when blending back toward the base (see
    ``_FineTuner.blend_back``); (1.0,) keeps the fine-tuned weights as they are."""
    mnist_budget: float | None = 0.0015
    """Share of MNIST's validation images, read right by the base, that the blend may misread
    (plus one standard error); None: choose the blend on the training drawings alone. The
    issue allows 0.2 points on the test set, whose writers lose about twice as many images per
    thousand as the validation split's (the training set's writers), and gain some back."""
    misread_boost: float = 6.0
    """A taught digit's part of the drawings' share grows as 1 + this x the share of its
    training drawings the base misreads (the total share unchanged): the writer's habit
    digits get the steps. 0: every taught digit alike."""
    train_layers: int = 0
    """Fine-tune only the last this many Dense layers (0: all of them)."""
    holdout: float = DEFAULT_HOLDOUT
    chunk_steps: int = 25
    """Steps per compiled call: progress, curves and a cancel come between chunks."""
    validation_images: int = 2000
    """MNIST validation images scored between chunks for the live curve."""
    seed: int = 0

    def validate(self) -> TeachSettings:
        checks = {
            "steps": 1 <= self.steps <= 100_000,
            "batch_size": 2 <= self.batch_size <= 4096,
            "learning_rate": 0 < self.learning_rate <= 1,
            "anchor": 0 <= self.anchor <= 10,
            "pool_size": 1 <= self.pool_size <= 1_000_000,
            "replay_size": 1 <= self.replay_size <= 1_000_000,
            "distill": 0 <= self.distill <= 1,
            "share_per_digit": 0 < self.share_per_digit <= MAX_PERSONAL_SHARE,
            "augment_strength": 0 <= self.augment_strength <= 2,
            "train_layers": 0 <= self.train_layers <= 16,
            "misread_boost": 0 <= self.misread_boost <= 1000,
            "blend_steps": bool(self.blend_steps) and all(0 < a <= 1 for a in self.blend_steps),
            "style_replay": 0 <= self.style_replay <= 1_000_000,
            "style_share": 0 <= self.style_share <= 1,
            "guard_images": self.guard_images >= 0,
            "mnist_budget": self.mnist_budget is None or 0 <= self.mnist_budget <= 1,
            "holdout": 0 <= self.holdout < 1,
            "chunk_steps": 1 <= self.chunk_steps <= 10_000,
            "validation_images": self.validation_images >= 0,
        }
        bad = [name for name, ok in checks.items() if not ok]
        if bad:
            raise DigitpadError(f"teach setting {bad[0]} is out of range ({getattr(self, bad[0])})")
        return self


@dataclass(frozen=True)
class Scores:
    """A model's accuracy on the MNIST test set and on the user's held-out drawings (None
    when none are held out), and its answer for every drawing."""

    test_accuracy: float
    personal_accuracy: float | None
    answers: np.ndarray
    test_metrics: dict[str, Any] = field(default_factory=dict)
    """The MNIST test summary (per class, confusion) that `digitpad models` and the GUI read."""


@dataclass(frozen=True)
class TeachStarted:
    base: str
    total_steps: int
    train_counts: list[int]
    """Drawings trained on, per digit."""
    held_out_counts: list[int]
    before: Scores
    note: str
    """Why there is no held-out score, or an empty string."""


@dataclass(frozen=True)
class TeachProgress:
    step: int
    total_steps: int
    loss: float
    personal_accuracy: float
    """On the augmented drawings of the last chunk's batches (training accuracy)."""
    learning_rate: float

    @property
    def fraction(self) -> float:
        return self.step / self.total_steps if self.total_steps else 1.0


@dataclass(frozen=True)
class TeachValidated:
    """Curves for the Train tab: accuracy on the held-out drawings (None if none) and on MNIST
    validation images, after ``step`` steps."""

    step: int
    personal_accuracy: float | None
    mnist_accuracy: float


@dataclass(frozen=True)
class Change:
    """A drawing whose answer changed: its key, true label, and the answers before and after."""

    key: str
    label: int
    before: int
    after: int
    held_out: bool


@dataclass(frozen=True)
class TeachFinished:
    """The end of a run: ``status`` is ``completed`` or ``cancelled`` (then nothing else is set
    and nothing was saved)."""

    status: str
    message: str
    base: str
    before: Scores | None = None
    after: Scores | None = None
    changes: tuple[Change, ...] = ()
    model: Any = None
    meta: dict[str, Any] = field(default_factory=dict)
    path: Path | None = None
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return self.status == "completed"


TeachEvent = TeachStarted | TeachProgress | TeachValidated | TeachFinished


class TeachControl:
    """Cancel a run from another thread; the run checks between chunks."""

    def __init__(self) -> None:
        self._cancelled = threading.Event()

    def cancel(self) -> None:
        self._cancelled.set()

    @property
    def cancelled(self) -> bool:
        return self._cancelled.is_set()


def default_name(base: str) -> str:
    """The taught model's default name: ``<base>-mine`` (a taught model keeps its own name)."""
    if base.endswith(SUFFIX):
        return check_name(base)
    return check_name(base[: 64 - len(SUFFIX)] + SUFFIX)


def teach(
    drawings: DrawingSet,
    data: Mnist,
    *,
    base: str | Path | None = None,
    user_store: str | Path | None = None,
    store: ModelStore | None = None,
    name: str | None = None,
    overwrite: bool = False,
    settings: TeachSettings | None = None,
    control: TeachControl | None = None,
) -> Generator[TeachEvent, None, None]:
    """Fine-tune the model ``base`` (a name or folder; None: the bundled default) on
    ``drawings`` with replay of ``data``'s training images.

    Yields :class:`TeachStarted`, then :class:`TeachProgress` and :class:`TeachValidated`
    between chunks, and one :class:`TeachFinished`. When ``store`` is given, a completed run is
    saved there under ``name`` (default :func:`default_name`) and the event holds its path.
    Raises DigitpadError before any work for an unusable base, no drawings, or a taken name.
    """
    settings = (settings or TeachSettings()).validate()
    control = control or TeachControl()
    started = time.perf_counter()
    folder = find_model(base, user_store)
    predictor = predictor_from_folder(folder)
    base_name = predictor.name
    if store is not None:
        name = check_name(name or default_name(base_name))
        if name in store and not overwrite:
            raise DigitpadError(f"a model named {name!r} already exists in {store.root}")
    if len(drawings) == 0:
        raise DigitpadError("no drawings to learn from")
    learnt = _trained_keys(predictor)
    train_idx, held_idx = holdout_split(drawings.labels, drawings.keys, settings.holdout, learnt)
    note = _holdout_note(len(drawings), len(held_idx), settings.holdout)
    before = _scores(predictor, drawings, held_idx, data)
    total = settings.steps
    yield TeachStarted(
        base_name,
        total,
        _counts(drawings.labels[train_idx]),
        _counts(drawings.labels[held_idx]),
        before,
        note,
    )

    if control.cancelled:
        yield TeachFinished("cancelled", "cancelled before training", base_name)
        return
    tuner = _FineTuner(predictor, drawings.subset(train_idx), data, settings)
    held_out = drawings.subset(held_idx)
    step = 0
    while step < total:
        if control.cancelled:
            yield TeachFinished(
                "cancelled", f"stopped at step {step} of {total}: nothing saved", base_name
            )
            return
        count = min(settings.chunk_steps, total - step)
        rate = _cosine(settings.learning_rate, step, total)
        loss, hits = tuner.run(count, rate)
        step += count
        yield TeachProgress(step, total, loss, hits, rate)
        yield TeachValidated(
            step,
            tuner.accuracy(held_out.images, held_out.labels) if len(held_out) else None,
            tuner.validation_accuracy(),
        )

    if control.cancelled:  # a Stop during the last chunk still means: keep nothing
        yield TeachFinished("cancelled", f"stopped at step {step}: nothing saved", base_name)
        return
    train_set = drawings.subset(train_idx)
    alpha = tuner.blend_back(
        predictor, train_set, settings.blend_steps, settings.mnist_budget, data.val
    )
    model = tuner.model
    after = _scores(tuner.predictor(predictor), drawings, held_idx, data)
    held = set(held_idx.tolist())
    changes = tuple(
        Change(key, int(label), int(b), int(a), i in held)
        for i, (key, label, b, a) in enumerate(
            zip(drawings.keys, drawings.labels, before.answers, after.answers, strict=True)
        )
        if a != b
    )
    seconds = time.perf_counter() - started
    meta = _meta(predictor, folder, drawings, train_idx, held_idx, before, after, data, settings)
    meta["teach_seconds"] = round(seconds, 3)
    meta["taught"]["blend"] = alpha
    meta["taught"]["style"] = tuner.style.as_dict()
    meta["taught"]["blend_within_budget"] = tuner.within_budget
    path = None
    if store is not None and name is not None:
        path = store.save(name, model, meta, overwrite=overwrite)
    message = _summary(before, after)
    yield TeachFinished(
        "completed", message, base_name, before, after, changes, model, meta, path, seconds
    )


def teach_to_end(drawings: DrawingSet, data: Mnist, **kwargs: Any) -> TeachFinished:
    """Run :func:`teach` and return its :class:`TeachFinished` event (scripts and tests)."""
    finished = None
    for event in teach(drawings, data, **kwargs):
        if isinstance(event, TeachFinished):
            finished = event
    assert finished is not None
    return finished


def _holdout_note(total: int, held: int, fraction: float) -> str:
    if fraction == 0:
        return "nothing held out (--holdout 0): no personal before/after score"
    if held == 0:
        return (
            f"too few drawings to hold any out ({total}; a digit needs at least 2, and about "
            f"{fraction:.0%} of them are held out): no personal before/after score"
        )
    return ""


def _counts(labels: np.ndarray) -> list[int]:
    return np.bincount(np.asarray(labels, dtype=np.int64), minlength=10)[:10].tolist()


def _scores(predictor: Predictor, drawings: DrawingSet, held: np.ndarray, data: Mnist) -> Scores:
    test = evaluate_probabilities(predictor.predict_proba(data.test.x), data.test.y)
    answers = predictor.logits(drawings.images).argmax(axis=1) if len(drawings) else np.zeros(0)
    personal = float(np.mean(answers[held] == drawings.labels[held])) if len(held) else None
    return Scores(test.accuracy, personal, answers.astype(np.int64), test.metrics())


def _cosine(start: float, step: int, total: int) -> float:
    """The learning rate for the chunk beginning at ``step``: a half cosine from ``start`` to 0."""
    return start * 0.5 * (1.0 + math.cos(math.pi * step / total))


def _summary(before: Scores, after: Scores) -> str:
    parts = []
    if before.personal_accuracy is not None and after.personal_accuracy is not None:
        parts.append(
            f"your handwriting: {before.personal_accuracy:.0%} → {after.personal_accuracy:.0%}"
        )
    parts.append(f"MNIST test: {before.test_accuracy:.2%} → {after.test_accuracy:.2%}")
    return "; ".join(parts)


def _trained_keys(predictor: Predictor) -> set[str]:
    """The keys of the drawings a taught model (and the taught models it came from) learnt."""
    keys = predictor.meta.get("taught", {}).get("trained_keys", [])
    return {key for key in keys if isinstance(key, str)}


def _meta(
    predictor: Predictor,
    folder: Path,
    drawings: DrawingSet,
    train_idx: np.ndarray,
    held_idx: np.ndarray,
    before: Scores,
    after: Scores,
    data: Mnist,
    settings: TeachSettings,
) -> dict[str, Any]:
    """The taught model's meta.json: the base's config, new metrics, and what it was taught."""
    base_meta = predictor.meta
    return {
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "status": "completed",
        "config": base_meta.get("config", {}),
        "metrics": after.test_metrics,
        "taught": {
            "base": predictor.name,
            "base_path": str(folder),
            "base_created": base_meta.get("created"),
            "drawings_per_digit": _counts(drawings.labels),
            "trained_per_digit": _counts(drawings.labels[train_idx]),
            "held_out_per_digit": _counts(drawings.labels[held_idx]),
            "holdout": settings.holdout,
            # With the base's own: a model taught from this one never tests on any of them.
            "trained_keys": sorted(
                _trained_keys(predictor) | {drawings.keys[i] for i in train_idx}
            ),
            "test_accuracy_before": before.test_accuracy,
            "test_accuracy_after": after.test_accuracy,
            "personal_accuracy_before": before.personal_accuracy,
            "personal_accuracy_after": after.personal_accuracy,
            "settings": asdict(settings),
        },
        "data_sha256": data.sha256,
        "output": "logits",
        "versions": software_versions(),
    }


class _FineTuner:
    """The Keras model with the base weights, the data pools and one compiled chunk of steps."""

    def __init__(
        self, predictor: Predictor, drawings: DrawingSet, data: Mnist, settings: TeachSettings
    ) -> None:
        import tensorflow as tf

        from digitpad.augment import augment_batch
        from digitpad.config import TrainConfig
        from digitpad.errors import ConfigError
        from digitpad.model import build_model

        self._tf = tf
        try:
            config = TrainConfig.from_dict(predictor.meta.get("config", {}))
        except ConfigError as exc:
            raise DigitpadError(f"model {predictor.name!r}: unusable config ({exc})") from None
        model = build_model(config.replace(seed=settings.seed))
        weights = [array for pair in predictor.layers for array in pair]
        shapes = [tuple(v.shape) for v in model.get_weights()]
        if shapes != [w.shape for w in weights]:
            raise DigitpadError(f"model {predictor.name!r}: weights do not match its config")
        model.set_weights(weights)
        self.model = model
        rng = np.random.default_rng(settings.seed)

        # The user's drawings: the originals plus augmented variants, grouped by digit so that
        # every taught digit gets the same share of the batch however many drawings it has.
        copies = max(20, math.ceil(settings.pool_size / len(drawings)))
        repeated = np.repeat(drawings.images, copies, axis=0)
        pool = np.concatenate(
            [drawings.images, augment_batch(repeated, rng, strength=settings.augment_strength)]
        )
        pool_labels = np.concatenate([drawings.labels, np.repeat(drawings.labels, copies)])
        taught = np.unique(drawings.labels)
        self._by_digit = [np.flatnonzero(pool_labels == d) for d in taught]
        self._digit_p = _digit_draws(predictor, drawings, taught, settings.misread_boost)
        share = min(MAX_PERSONAL_SHARE, settings.share_per_digit * len(taught))
        self._personal = max(1, round(settings.batch_size * share))
        self._replay = settings.batch_size - self._personal

        picks = rng.choice(len(data.train), min(settings.replay_size, len(data.train)), False)
        replay = data.train.rows(picks)
        if settings.replay_augment:
            replay = augment_batch(replay.reshape(-1, 28, 28), rng).reshape(len(picks), -1)
        # Replay targets: the base model's own answers (distillation), blended with the true
        # labels. Matching the base's full distribution on MNIST keeps far more of what it knew
        # than the labels alone, which a few hundred steps can satisfy with a different function.
        base_probabilities = predictor.predict_proba(replay)
        replay_targets = (
            settings.distill * base_probabilities
            + (1 - settings.distill) * np.eye(10, dtype=np.float32)[data.train.y[picks]]
        )
        # Style replay: other MNIST digits, all ten classes, redrawn with the writer's slant,
        # width and pen, with their true labels (the base may misread them: that is the point).
        # It teaches the writer's global habits on every digit, also the ones not drawn, so
        # teaching only 4s does not leave the writer's slanted 9s to chance.
        self.style = estimate_style(drawings.images, drawings.labels, mnist_reference(data.train))
        styled = np.zeros((0, replay.shape[1]), np.float32)
        styled_labels = np.zeros(0, np.int64)
        if settings.style_replay and settings.style_share > 0 and not self.style.is_plain:
            others = rng.choice(len(data.train), min(settings.style_replay, len(data.train)), False)
            styled = render_in_style(data.train.rows(others), self.style, rng)
            styled_labels = data.train.y[others]
        styled_targets = np.eye(10, dtype=np.float32)[styled_labels]
        if settings.style_distill and len(styled):
            # Where the base already reads a redrawn digit right, its own answer is the target
            # (as for plain replay: it moves the network least); elsewhere the true label.
            guesses = predictor.predict_proba(styled)
            right = guesses.argmax(axis=1) == styled_labels
            styled_targets[right] = guesses[right]
        personal_targets = np.eye(10, dtype=np.float32)[pool_labels]
        self._x = tf.constant(np.concatenate([pool.reshape(len(pool), -1), replay, styled]))
        self._y = tf.constant(
            np.concatenate([personal_targets, replay_targets, styled_targets]).astype(np.float32)
        )
        self._replay_offset = len(pool)
        self._replay_count = len(picks)
        self._styled_offset = len(pool) + len(picks)
        self._styled_count = len(styled)
        self._styled = round(self._replay * settings.style_share) if len(styled) else 0
        self.within_budget: bool | None = None
        """Whether blend_back found a share within the MNIST budget (None: no budget)."""
        # The digits not taught, redrawn in the writer's style from MNIST's validation split:
        # a stand-in for the writer's own drawings of them, which the blend must not make worse.
        untaught = np.flatnonzero(~np.isin(data.val.y, taught))[: settings.guard_images]
        if self.style.is_plain or len(untaught) == 0:
            self.guard = (np.zeros((0, replay.shape[1]), np.float32), np.zeros(0, np.int64))
        else:
            guard_rng = np.random.default_rng([settings.seed, 23])
            self.guard = (
                render_in_style(data.val.rows(untaught), self.style, guard_rng),
                data.val.y[untaught],
            )
        self._rng = rng
        self._batch = settings.batch_size
        val = data.val if len(data.val) else data.test
        self._x_val = tf.constant(val.x[: settings.validation_images])
        self._y_val = val.y[: settings.validation_images]

        variables = model.trainable_variables
        if settings.train_layers:
            # Each Dense layer holds a kernel and a bias, input to output.
            variables = variables[-2 * settings.train_layers :]
        optimizer = _adam(settings.learning_rate)
        optimizer.build(variables)
        self._optimizer = optimizer
        anchors = [tf.constant(v.numpy()) for v in variables]
        anchor = tf.constant(settings.anchor, tf.float32)
        personal = self._personal

        # Plain graph mode, no XLA: a run is a few hundred steps, and compiling would cost more
        # than it saves.
        @tf.function(reduce_retracing=True)
        def run_chunk(x, y, batches):
            loss_sum = tf.constant(0.0)
            hits_sum = tf.constant(0.0)
            for i in tf.range(tf.shape(batches)[0]):
                xb = tf.gather(x, batches[i])
                yb = tf.gather(y, batches[i])
                with tf.GradientTape() as tape:
                    logits = model(xb, training=True)
                    loss = tf.reduce_mean(
                        tf.nn.softmax_cross_entropy_with_logits(labels=yb, logits=logits)
                    )
                    drift = tf.add_n(
                        [
                            tf.reduce_sum(tf.square(v - a))
                            for v, a in zip(variables, anchors, strict=True)
                        ]
                    )
                    total = loss + anchor * drift
                grads = tape.gradient(total, variables)
                optimizer.apply_gradients(zip(grads, variables, strict=True))
                answers = tf.argmax(logits[:personal], 1, output_type=tf.int32)
                truth = tf.argmax(yb[:personal], 1, output_type=tf.int32)
                hits_sum += tf.reduce_mean(tf.cast(answers == truth, tf.float32))
                loss_sum += loss
            return loss_sum, hits_sum

        @tf.function(reduce_retracing=True)
        def logits_of(x):
            return model(x, training=False)

        self._run_chunk = run_chunk
        self._logits = logits_of

    def run(self, steps: int, learning_rate: float) -> tuple[float, float]:
        """Train ``steps`` steps; returns their mean loss and accuracy on the drawings."""
        self._optimizer.learning_rate.assign(learning_rate)
        rng = self._rng
        digit = rng.choice(len(self._by_digit), size=(steps, self._personal), p=self._digit_p)
        personal = np.empty((steps, self._personal), np.int64)
        for d, members in enumerate(self._by_digit):
            mask = digit == d
            personal[mask] = rng.choice(members, int(mask.sum()))
        plain = self._replay - self._styled
        replay = self._replay_offset + rng.integers(self._replay_count, size=(steps, plain))
        styled = self._styled_offset + rng.integers(
            max(self._styled_count, 1), size=(steps, self._styled)
        )
        batches = np.concatenate([personal, replay, styled], axis=1).astype(np.int32)
        loss, hits = self._run_chunk(self._x, self._y, self._tf.constant(batches))
        return float(loss) / steps, float(hits) / steps

    def accuracy(self, images: np.ndarray, labels: np.ndarray) -> float:
        logits = np.asarray(self._logits(self._tf.constant(images.reshape(len(images), -1))))
        return float(np.mean(logits.argmax(axis=1) == labels))

    def validation_accuracy(self) -> float:
        logits = np.asarray(self._logits(self._x_val))
        return float(np.mean(logits.argmax(axis=1) == self._y_val))

    def blend_back(
        self,
        base: Predictor,
        drawings: DrawingSet,
        choices: tuple[float, ...],
        budget: float | None,
        validation: Split,
    ) -> float:
        """Move the weights back toward the base's as far as MNIST needs, and no further.

        Weight-space interpolation between a fine-tuned model and its start (WiSE-FT, Wortsman
        et al. 2022) keeps more of the start's accuracy on its own data than the fine-tuned end
        point, and most of the new skill. Kept: the largest share of the change in ``choices``
        that reads every training drawing the full change reads, misreads at most ``budget`` of
        the MNIST validation images the base reads right (never the test set; plus one
        standard error, see ``likely_loss``), and reads the untaught digits redrawn in the
        writer's style no worse than the base. If no share keeps the budget, the smallest that
        reads those drawings (``within_budget`` says which happened).
        With no budget or no validation split, the smallest share that reads those drawings.
        The held-out drawings never decide: they stay unseen. Returns the share kept.
        """
        from digitpad.model import dense_weights

        tuned = dense_weights(self.model)
        images = drawings.images.reshape(len(drawings), -1)

        def blended(alpha: float) -> Predictor:
            pairs = [
                tuple(alpha * new + (1 - alpha) * old for new, old in zip(pn, po, strict=True))
                for pn, po in zip(tuned, base.layers, strict=True)
            ]
            return Predictor(pairs, base.activation)

        def right(model: Predictor) -> np.ndarray:
            return model.logits(images).argmax(axis=1) == drawings.labels

        def keep(alpha: float, model: Predictor) -> float:
            self.model.set_weights([array for pair in model.layers for array in pair])
            return alpha

        target = right(blended(1.0))
        shares = sorted(choices)
        guard_x, guard_y = self.guard

        def guarded(model: Predictor) -> bool:
            """The untaught digits in the writer's style are read no worse than the base."""
            if len(guard_y) == 0:
                return True
            hits = model.logits(guard_x).argmax(axis=1) == guard_y
            return bool(hits.sum() >= guard_base)

        guard_base = (
            int((base.logits(guard_x).argmax(axis=1) == guard_y).sum()) if len(guard_y) else 0
        )
        if budget is None or len(validation) == 0:
            for alpha in shares:
                model = blended(alpha)
                if alpha >= 1.0 or np.all(right(model) >= target):
                    return keep(alpha, model)
            return keep(1.0, blended(1.0))

        val_x, val_y = validation.x, validation.y
        base_right = base.logits(val_x).argmax(axis=1) == val_y

        def likely_loss(model: Predictor) -> float:
            """Share of validation images the base read right and the blend misreads, plus
            one standard error. Fixes are not subtracted: MNIST's validation images come from
            the training set's writers, and the test set's (other) writers lost about twice as
            many images per thousand while gaining fewer (benchmarks/README.md, teach.py)."""
            now_right = model.logits(val_x).argmax(axis=1) == val_y
            broken = int(np.sum(base_right & ~now_right))
            return (broken + math.sqrt(broken)) / len(val_y)

        fallback = None
        for alpha in reversed(shares):
            model = blended(alpha)
            if not np.all(right(model) >= target):
                continue
            fallback = (alpha, model)
            if likely_loss(model) <= budget + 1e-12 and guarded(model):
                self.within_budget = True
                return keep(alpha, model)
        # No share that still learns the drawings keeps MNIST within the budget (a hand far
        # from MNIST's): teaching must still teach, so keep the least change that does.
        self.within_budget = False
        return keep(*(fallback or (1.0, blended(1.0))))

    def predictor(self, base: Predictor) -> Predictor:
        """A NumPy predictor with the current weights (and the base's activation)."""
        from digitpad.model import dense_weights

        return Predictor(dense_weights(self.model), base.activation, base.name, base.meta)


def _digit_draws(
    predictor: Predictor, drawings: DrawingSet, taught: np.ndarray, boost: float
) -> np.ndarray:
    """How often each taught digit is drawn for the drawings' part of a batch: more often the
    more of its drawings the base misreads.

    Measured on the benchmark's six writers, three seeds (benchmarks/README.md, teach.py): with
    6, fresh drawings 96.3% on average against 95.8% for every digit alike, the closed 4s read
    as 9 about halved, MNIST's change the same (worst -0.16 against -0.15 points)."""
    answers = predictor.logits(drawings.images.reshape(len(drawings), -1)).argmax(axis=1)
    misread = np.array([np.mean(answers[drawings.labels == d] != d) for d in taught])
    draws = 1.0 + boost * misread
    return draws / draws.sum()


def _adam(learning_rate: float):
    import keras

    return keras.optimizers.Adam(learning_rate=learning_rate)
