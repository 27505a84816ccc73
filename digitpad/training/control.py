"""``TrainControl``: pause, resume, cancel, step and re-tune a run from another thread."""

from __future__ import annotations

import math
import threading
import time


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
