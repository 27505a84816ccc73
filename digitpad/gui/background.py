"""Background work for the views: run a function or a generator off the GUI thread.

In the style of superqt's ``create_worker``: the work itself is a plain function (its return
value is the result) or a plain generator (each ``yield`` is progress, its ``return`` value the
result) that knows nothing of Qt. :class:`BackgroundTasks` runs it on a thread pool the view
owns, and the returned :class:`Task` reports through signals, always on the GUI thread:
``progressed(value)`` per yield, then exactly one of ``returned(result)``, ``errored(message)``
or ``cancelled()``, and ``finished()`` last. A generator is cancelled between two yields; a
plain function cannot be interrupted, but once cancelled its result is dropped.

Errors: a :class:`~digitpad.errors.DigitpadError` is the user's to fix and arrives as its own
message; anything else is a bug, logged with its traceback, and arrives as "Type: message".
"""

from __future__ import annotations

import inspect
import logging
import threading
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, QRunnable, QThreadPool, QTimer, Signal

from digitpad.errors import DigitpadError

log = logging.getLogger(__name__)


def error_message(exc: BaseException) -> str:
    """A user-readable line: a :class:`DigitpadError` as is, anything else with its type."""
    if isinstance(exc, DigitpadError):
        return str(exc)
    return f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__


class Task(QObject):
    """One piece of background work and its signals (see the module's docstring)."""

    progressed = Signal(object)
    returned = Signal(object)
    errored = Signal(str)
    cancelled = Signal()
    finished = Signal()

    def __init__(self, work: Callable[..., Any], *args: Any, **kwargs: Any) -> None:
        super().__init__()
        self._work, self._args, self._kwargs = work, args, kwargs
        self._cancel = threading.Event()
        self.started = False
        self.done = threading.Event()

    def cancel(self) -> None:
        """Ask the work to stop (between yields); its result, if any, is not reported."""
        self._cancel.set()

    @property
    def is_cancelled(self) -> bool:
        return self._cancel.is_set()

    def run(self) -> None:
        """Runs on a pool thread: the work, then the signals that say how it went."""
        self.started = True
        try:
            outcome = self._run()
        except Exception as exc:
            if not isinstance(exc, DigitpadError):
                log.exception("background work %s failed", getattr(self._work, "__name__", ""))
            self.errored.emit(error_message(exc))
        else:
            if self._cancel.is_set():
                self.cancelled.emit()
            else:
                self.returned.emit(outcome)
        finally:
            self.done.set()
            self.finished.emit()

    def _run(self) -> Any:
        if self._cancel.is_set():
            return None  # cancelled before it began: do not even start it
        result = self._work(*self._args, **self._kwargs)
        if not inspect.isgenerator(result):
            return result
        generator = result
        try:
            while not self._cancel.is_set():
                try:
                    value = next(generator)
                except StopIteration as stop:
                    return stop.value
                self.progressed.emit(value)
        finally:
            generator.close()  # runs the generator's own clean-up when cancelled
        return None


class _Runnable(QRunnable):
    def __init__(self, task: Task) -> None:
        super().__init__()
        self._task = task

    def run(self) -> None:
        self._task.run()


class BackgroundTasks(QObject):
    """A view's own thread pool: start work, cancel it all, wait for it on shutdown."""

    def __init__(self, max_threads: int = 1, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._pool = QThreadPool(self)
        self._pool.setMaxThreadCount(max_threads)
        self._tasks: set[Task] = set()

    def start(self, work: Callable[..., Any], *args: Any, **kwargs: Any) -> Task:
        """Run ``work(*args, **kwargs)`` on the pool, from the next turn of the event loop.

        A signal reaches only the slots connected when it is emitted: starting a moment later
        lets the caller connect to the returned task first, so that even instant work reports.
        """
        task = Task(work, *args, **kwargs)
        self._tasks.add(task)
        task.finished.connect(self._forget)
        QTimer.singleShot(0, self, lambda: self._pool.start(_Runnable(task)))
        return task

    def _forget(self) -> None:
        task = self.sender()
        self._tasks.discard(task)  # type: ignore[arg-type]

    @property
    def busy(self) -> bool:
        return any(not task.done.is_set() for task in self._tasks)

    def cancel_all(self) -> None:
        for task in list(self._tasks):
            task.cancel()

    def wait(self, msecs: int = 5000) -> bool:
        """Wait for every started task's thread to finish; False if some still ran after
        ``msecs``. A task not started yet is cancelled: it will not start."""
        for task in self._tasks:
            if not task.started:
                task.cancel()
        return self._pool.waitForDone(msecs)
