"""TensorBoard event files for a training run, written from the run's own events.

``record(events, logdir, control)`` passes ``train()``'s events through and writes them with
``tf.summary`` on the way: per chunk the training loss and accuracy (at the global
step), each validation, per epoch the validation loss and accuracy and the learning rate, and
at each epoch's end every layer's weight and bias histograms and the first layer's weights as
an image. No TensorBoard package is needed to write them; ``tensorboard --logdir DIR`` shows
them. It runs where training runs (the CLI's process, the app's training process, or a
worker thread in tests).

A run that is logged takes its weights after every chunk (each epoch's end must be among
them). In the app someone may also be watching the weights (the Train tab's Inside page), and
sets ``snapshot_seconds`` to how often they want them, or None when they look away: with a
:class:`LoggedControl` that wish can neither turn the histograms off nor flood the watcher,
because the run always takes them and :func:`record` passes on only the snapshots the wish
asks for.
"""

from __future__ import annotations

import math
import re
from collections.abc import Generator, Iterator
from pathlib import Path
from typing import Any

import numpy as np

from digitpad.colour_maps import diverging_rgb, symmetric_limit
from digitpad.errors import DigitpadError
from digitpad.tiling import unit_tiles
from digitpad.training.control import TrainControl
from digitpad.training.events import (
    EpochEnd,
    Event,
    Finished,
    LearningRateChanged,
    Progress,
    Snapshot,
    Started,
    Validated,
)

# Weights are sent after every chunk while TensorBoard logging is on; only those at an epoch's
# end (and at the start) are written, so this costs one weight copy per chunk at most.
_EVERY_CHUNK = 0.0
# SummaryMetadata.DataClass values (tensorflow/core/framework/summary.proto).
_SCALAR, _TENSOR, _BLOBS = 1, 2, 3


def run_logdir(root: Path | str, name: str) -> Path:
    """``root/name``, or ``root/name-2``, ``-3``… if taken: one subfolder per run, never mixed.

    Raises :class:`DigitpadError` if ``root`` cannot be a folder we write into.
    """
    root = Path(root).expanduser()
    safe = re.sub(r"[^A-Za-z0-9._-]+", "-", name).strip("-.") or "run"
    try:
        root.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise DigitpadError(f"{root}: cannot write TensorBoard logs ({exc.strerror})") from None
    candidate, n = root / safe, 1
    while candidate.exists():
        n += 1
        candidate = root / f"{safe}-{n}"
    try:
        candidate.mkdir()
    except OSError as exc:
        raise DigitpadError(f"{candidate}: cannot write logs here ({exc.strerror})") from None
    return candidate


class LoggedControl(TrainControl):
    """The control of a run that TensorBoard logs: the run reads ``snapshot_seconds`` as 0
    (weights after every chunk) whatever is set; what is set is what a watcher wants, kept in
    :attr:`watch_seconds`, and :func:`record` passes on only the snapshots that asks for."""

    def __init__(self, snapshot_seconds: float | None = None) -> None:
        self.watch_seconds: float | None = None
        super().__init__(snapshot_seconds)

    @property
    def snapshot_seconds(self) -> float | None:
        return _EVERY_CHUNK

    @snapshot_seconds.setter
    def snapshot_seconds(self, value: float | None) -> None:
        if value is not None and not (math.isfinite(value) and value >= 0):
            raise ValueError(f"snapshot_seconds must be None or a number >= 0, not {value}")
        self.watch_seconds = value  # one attribute store: atomic under the GIL


class TensorBoardLog:
    """Writes one run's events into ``logdir`` with a ``tf.summary`` file writer."""

    def __init__(self, logdir: Path | str) -> None:
        import tensorflow as tf

        self._tf = tf
        self.logdir = Path(logdir)
        self._writer = tf.summary.create_file_writer(str(self.logdir))
        self._step = 0
        self._steps_per_epoch = 1
        self._weights_epoch = -1  # the last epoch whose weights were written

    def write(self, event: Event) -> None:
        """Write what ``event`` tells; events with nothing to plot are ignored."""
        with self._writer.as_default():
            if isinstance(event, Started):
                self._steps_per_epoch = max(1, event.steps_per_epoch)
                self._text("config", _config_table(event.config.to_dict()), 0)
            elif isinstance(event, Progress):
                self._step = event.step
                self._scalar("train/loss", event.loss, event.step)
                self._scalar("train/accuracy", event.accuracy, event.step)
            elif isinstance(event, Validated):
                self._scalar("validation/loss", event.loss, event.step)
                self._scalar("validation/accuracy", event.accuracy, event.step)
            elif isinstance(event, EpochEnd):
                step = event.epoch
                self._scalar("epoch/val_loss", event.val_loss, step)
                self._scalar("epoch/val_accuracy", event.val_accuracy, step)
                self._scalar("epoch/learning_rate", event.learning_rate, step)
                self._scalar("epoch/seconds", event.seconds, step)
            elif isinstance(event, LearningRateChanged):
                self._scalar("train/learning_rate_set", event.learning_rate, event.step)
            elif isinstance(event, Snapshot):
                self._write_weights(event)
        if isinstance(event, Finished):
            self._writer.flush()

    def _write_weights(self, snapshot: Snapshot) -> None:
        epoch = round(snapshot.epoch)
        # Only at the start and at each epoch's end: the step count tells exactly.
        if snapshot.step != epoch * self._steps_per_epoch or epoch <= self._weights_epoch:
            return
        self._weights_epoch = epoch
        for i, (kernel, bias) in enumerate(snapshot.layers):
            self._histogram(f"weights/layer{i + 1}_kernel", kernel, epoch)
            self._histogram(f"weights/layer{i + 1}_bias", bias, epoch)
        self._image("weights/first_layer", first_layer_image(snapshot.layers[0][0]), epoch)

    # tf.summary.scalar, .histogram, .image and .text live in the TensorBoard package; these
    # write the same records (tensor + plugin metadata) with TensorFlow's own tf.summary.write.

    def _scalar(self, tag: str, value: float, step: int) -> None:
        self._write(tag, float(value), step, "scalars", _SCALAR)

    def _histogram(self, tag: str, values: np.ndarray, step: int) -> None:
        self._write(tag, histogram_buckets(values), step, "histograms", _TENSOR)

    def _image(self, tag: str, rgb: np.ndarray, step: int) -> None:
        png = self._tf.io.encode_png(rgb[0]).numpy()
        height, width = rgb.shape[1:3]
        blobs = [str(width).encode(), str(height).encode(), png]
        self._write(tag, self._tf.constant(blobs), step, "images", _BLOBS)

    def _text(self, tag: str, text: str, step: int) -> None:
        self._write(tag, self._tf.constant(text), step, "text", _TENSOR)

    def _write(self, tag: str, tensor: Any, step: int, plugin: str, data_class: int) -> None:
        from tensorflow.core.framework import summary_pb2

        metadata = summary_pb2.SummaryMetadata(data_class=data_class)
        metadata.plugin_data.plugin_name = plugin
        self._tf.summary.write(tag, tensor, step=step, metadata=metadata)

    def close(self) -> None:
        self._writer.flush()
        self._writer.close()


def histogram_buckets(values: np.ndarray, bins: int = 30) -> np.ndarray:
    """(bins, 3) float64 rows of (left edge, right edge, count): TensorBoard's histogram data."""
    values = np.asarray(values, np.float64).ravel()
    values = values[np.isfinite(values)]
    if values.size == 0:
        return np.zeros((0, 3))
    low, high = float(values.min()), float(values.max())
    if low == high:
        return np.array([[low - 0.5, high + 0.5, float(values.size)]])
    counts, edges = np.histogram(values, bins=bins, range=(low, high))
    return np.stack([edges[:-1], edges[1:], counts.astype(np.float64)], axis=1)


def first_layer_image(kernel: np.ndarray) -> np.ndarray:
    """(1, H, W, 3) uint8: each first-layer unit's weights as a 28×28 tile, blue < 0 < red."""
    tiles = unit_tiles(kernel)
    return diverging_rgb(tiles, symmetric_limit(kernel))[None]


def record(
    events: Iterator[Event], logdir: Path | str, control: TrainControl | None = None
) -> Generator[Event, None, None]:
    """Yield ``events``, writing them to TensorBoard files in ``logdir``; closing this closes
    ``events`` too (a run's engine ends its helper threads then, not at garbage collection).

    With the run's ``control``, the weights are taken after each chunk so that each epoch's
    end can be written (a run without a control gives no weight histograms). A plain
    :class:`TrainControl` is set to that and every snapshot is passed on; a
    :class:`LoggedControl` passes on only those its :attr:`~LoggedControl.watch_seconds` asks
    for, at most one per that many seconds of the training clock (none while it is None).
    """
    if control is not None and not isinstance(control, LoggedControl):
        control.snapshot_seconds = _EVERY_CHUNK
    log = TensorBoardLog(logdir)
    last_passed = -math.inf
    try:
        for event in events:
            log.write(event)
            if isinstance(event, Snapshot) and isinstance(control, LoggedControl):
                wanted = control.watch_seconds
                if wanted is None or event.seconds - last_passed < wanted:
                    continue
                last_passed = event.seconds
            yield event
    finally:
        log.close()
        close = getattr(events, "close", None)
        if close is not None:
            close()


def _config_table(config: dict[str, Any]) -> str:
    rows = "\n".join(f"| {key} | {value} |" for key, value in config.items())
    return "| setting | value |\n|---|---|\n" + rows
