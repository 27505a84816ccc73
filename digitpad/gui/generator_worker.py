"""A thin Qt worker that runs a progress generator in its own thread (superqt's idea).

The work is an ordinary Python generator from the core (``hidden_map.map_steps``,
``robustness.robustness_steps``, ...) that knows nothing of Qt. This thread runs it, emits each
yielded item as ``item``, the last one again as ``result``, and checks for :meth:`abort`
between items: a stopped run emits no result and closes the generator at once.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable
from typing import Any

from PySide6.QtCore import QObject, QThread, Signal

from digitpad.errors import DigitpadError
from digitpad.gui.errors import error_message, report_exception
from digitpad.priority import BACKGROUND_NICE, lower_thread_priority


class GeneratorWorker(QThread):
    """Runs ``work()`` (which returns an iterable) once.

    Signals, all delivered to the GUI thread: ``item`` for each yielded value, ``result`` with
    the last value when the generator ends by itself, ``failed`` with a readable message if it
    raised, ``done`` last, always (also after :meth:`abort`).
    """

    item = Signal(object)
    result = Signal(object)
    failed = Signal(str)
    done = Signal()

    def __init__(
        self, work: Callable[[], Iterable[Any]], name: str = "work", parent: QObject | None = None
    ) -> None:
        super().__init__(parent)
        self.setObjectName(f"digitpad-{name}")
        self._work = work
        self._abort = threading.Event()

    def abort(self) -> None:
        """Stop between two items (safe from any thread)."""
        self._abort.set()

    @property
    def aborted(self) -> bool:
        return self._abort.is_set()

    def run(self) -> None:
        # Evaluations and page jobs keep both cores busy for seconds; the window comes first.
        lower_thread_priority(BACKGROUND_NICE)
        try:
            last, finished = None, True
            steps = iter(self._work())
            try:
                for value in steps:
                    if self._abort.is_set():
                        finished = False
                        break
                    last = value
                    self.item.emit(value)
            finally:
                close = getattr(steps, "close", None)
                if close is not None:
                    close()
            if finished and not self._abort.is_set():
                self.result.emit(last)
        except Exception as exc:
            if not isinstance(exc, DigitpadError):
                report_exception(exc)
            self.failed.emit(error_message(exc))
        finally:
            self.done.emit()


# Every started worker until its slot has seen it end. Without this, a worker whose view is
# deleted while it runs (the window closed mid-evaluation) loses its last reference and Qt
# aborts the process for destroying a running QThread; :func:`wait_for_jobs` waits for them.
_unfinished: set[GeneratorWorker] = set()


def wait_for_jobs(timeout_ms: int = 5000) -> bool:
    """Wait up to ``timeout_ms`` in all for every job of every slot to end (at exit, once the
    window is gone); True if none is left running."""
    deadline = time.monotonic() + timeout_ms / 1000
    done = all(
        worker.wait(max(0, int((deadline - time.monotonic()) * 1000)))
        for worker in list(_unfinished)
    )
    if done:
        _unfinished.clear()
    return done


def stop_worker(worker: GeneratorWorker | None, timeout_ms: int = 5000) -> bool:
    """Ask ``worker`` to stop and wait up to ``timeout_ms``; True if it is no longer running."""
    if worker is None:
        return True
    worker.abort()
    return worker.wait(timeout_ms)


class JobSlot(QObject):
    """One kind of background job at a time: starting a new one aborts the one running, and
    only the newest job's signals come through (an aborted job's late items are dropped).

    Re-emits the current job's ``item``, ``result`` and ``failed``; ``busy`` says whether a
    job of this slot is running.
    """

    item = Signal(object)
    result = Signal(object)
    failed = Signal(str)
    busy = Signal(bool)

    def __init__(self, name: str, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._name = name
        self._current: GeneratorWorker | None = None
        self._running: list[GeneratorWorker] = []

    @property
    def running(self) -> bool:
        return self._current is not None

    def start(self, work: Callable[[], Iterable[Any]]) -> GeneratorWorker:
        """Run ``work`` in a new thread, aborting the job before it."""
        if self._current is not None:
            self._current.abort()
        worker = GeneratorWorker(work, self._name)
        # Bound methods of this GUI-thread object: queued, so they run on the GUI thread.
        worker.item.connect(self._on_item)
        worker.result.connect(self._on_result)
        worker.failed.connect(self._on_failed)
        worker.done.connect(self._on_done)
        self._current = worker
        self._running.append(worker)
        _unfinished.add(worker)
        worker.start()
        self.busy.emit(True)
        return worker

    def abort(self) -> None:
        """Stop the current job (its result never comes)."""
        if self._current is not None:
            self._current.abort()
            self._current = None
            self.busy.emit(False)

    def wait(self, timeout_ms: int = 5000) -> bool:
        """Wait up to ``timeout_ms`` in all for this slot's threads to end, without aborting
        them (their signals still come, queued); True if none is left running."""
        deadline = time.monotonic() + timeout_ms / 1000
        return all(
            worker.wait(max(0, int((deadline - time.monotonic()) * 1000)))
            for worker in list(self._running)
        )

    def shutdown(self, timeout_ms: int = 5000) -> bool:
        """Abort every job and wait for their threads; True if none is left running."""
        self.abort()
        return all(stop_worker(worker, timeout_ms) for worker in list(self._running))

    def _on_item(self, value: object) -> None:
        if self.sender() is self._current:
            self.item.emit(value)

    def _on_result(self, value: object) -> None:
        if self.sender() is self._current:
            self.result.emit(value)

    def _on_failed(self, message: str) -> None:
        if self.sender() is self._current:
            self.failed.emit(message)

    def _on_done(self) -> None:
        worker = self.sender()
        _unfinished.discard(worker)
        if worker in self._running:
            self._running.remove(worker)
            worker.wait()
            worker.deleteLater()
        if worker is self._current:
            self._current = None
            self.busy.emit(False)
