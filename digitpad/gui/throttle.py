"""A leading-edge throttle: show the first change at once, then at most a few times a second.

During a run the training process reports many times a second. Showing every report (a
synchronous progress-bar repaint, a label relayout, a chart picture) costs the window's
process a tenth of a core, taken from the training process's threads on a 2-core machine; a
person sees no difference between 20 and 5 updates a second.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QObject, QTimer


class Throttle(QObject):
    """Runs ``action`` at once on a first :meth:`request`, then at most once per ``interval_ms``:
    requests made in between fold into one call at the interval's end, so the last one is never
    lost."""

    def __init__(self, interval_ms: int, action: Callable[[], None], parent: QObject) -> None:
        super().__init__(parent)
        self._action = action
        self._pending = False
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(interval_ms)
        self._timer.timeout.connect(self.flush)  # the interval's end: a waiting request runs

    @property
    def pending(self) -> bool:
        """A request waits for the interval's end."""
        return self._pending

    def request(self) -> None:
        if self._timer.isActive():
            self._pending = True
            return
        self._run()

    def flush(self) -> None:
        """Run a waiting request now (the end of a run: its last state shown without delay)."""
        if self._pending:
            self._run()

    def cancel(self) -> None:
        """Forget a waiting request."""
        self._pending = False
        self._timer.stop()

    def _run(self) -> None:
        self._pending = False
        self._timer.start()
        self._action()
