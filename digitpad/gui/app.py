"""Start the window: ``run_app()`` is what ``digitpad`` (no arguments) calls.

Start-up is kept short by importing only what the first frame needs: Qt, NumPy and the NumPy
predictor. TensorFlow is never imported here: it lives in the training process, started at low
priority once the window is up; matplotlib waits for the first look at the Train tab.

``DIGITPAD_STARTUP_PROBE=1`` makes the app measure itself: once the window is shown and the
Draw tab has read a test digit, it prints ``startup_seconds=<s> tensorflow_imported=<bool>``
and quits. The time counts from process start (``/proc/self/stat``), or from ``DIGITPAD_T0``
(a ``time.time()`` value) when a benchmark gives one.
"""

from __future__ import annotations

import os
import sys
import time
from typing import TYPE_CHECKING

# As early as this module allows: the fallback zero when the process start is unknown.
_IMPORTED_AT = time.perf_counter()

import numpy as np  # noqa: E402
from PySide6.QtCore import QTimer  # noqa: E402
from PySide6.QtGui import QIcon  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from digitpad.paths import assets_dir  # noqa: E402

if TYPE_CHECKING:
    from digitpad.gui.main_window import MainWindow

PROBE_ENV = "DIGITPAD_STARTUP_PROBE"
T0_ENV = "DIGITPAD_T0"
WORKER_EXIT_WAIT_MS = 15_000


def process_age() -> float | None:
    """Seconds since this process started, from /proc (Linux); None where unknown."""
    try:
        with open("/proc/self/stat", encoding="ascii") as handle:
            # Field 22 is the start time in clock ticks after boot; skip past "(comm)", which
            # may itself hold spaces.
            fields = handle.read().rsplit(")", 1)[1].split()
        with open("/proc/uptime", encoding="ascii") as handle:
            uptime = float(handle.read().split()[0])
        started = int(fields[19]) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return None
    return max(0.0, uptime - started)


def seconds_since_start() -> float:
    """Start-up time so far: from ``$DIGITPAD_T0``, else the process start, else this import."""
    t0 = os.environ.get(T0_ENV)
    if t0:
        try:
            return time.time() - float(t0)
        except ValueError:
            pass
    age = process_age()
    return age if age is not None else time.perf_counter() - _IMPORTED_AT


def app_icon() -> QIcon:
    return QIcon(str(assets_dir() / "icon.svg"))


def _probe_digit() -> np.ndarray:
    """A plain "1": a short vertical bar, enough for the Draw tab to make a prediction."""
    image = np.zeros((28, 28), np.float32)
    image[5:23, 13:16] = 1.0
    return image


def _start_probe(window: MainWindow) -> None:
    draw_tab = window.draw_tab
    draw_tab.load_image(_probe_digit())
    deadline = time.monotonic() + 10

    def check() -> None:
        # The canvas may pass its change on after a short throttle: wait for the answer.
        if getattr(draw_tab, "probabilities", None) is None and time.monotonic() < deadline:
            QTimer.singleShot(5, check)
            return
        seconds = seconds_since_start()
        print(
            f"startup_seconds={seconds:.3f} tensorflow_imported={'tensorflow' in sys.modules}",
            flush=True,
        )
        window.close()

    check()


TRAINER_START_DELAY_MS = 600
"""The training process is spawned this long after the window shows: its start-up on the GUI
thread (about 40 ms) then no longer lands in the first paint (launch stalls of 30-88 ms with
no delay, 17-30 ms with it, in four runs each)."""


def run_app(store: str | None = None) -> int:
    """Open the main window (``store``: the user's model store folder) and run until it closes.

    Returns the exit code of the event loop.
    """
    existing = QApplication.instance()
    if existing is not None and not isinstance(existing, QApplication):
        # A console-only QCoreApplication (an embedding host's) cannot show windows.
        raise RuntimeError("digitpad needs a QApplication, but a QCoreApplication exists")
    app = existing or QApplication(sys.argv)
    app.setApplicationName("digitpad")
    app.setOrganizationName("digitpad")
    app.setApplicationDisplayName("digitpad")
    app.setDesktopFileName("digitpad")
    app.setWindowIcon(app_icon())

    from digitpad.gui.generator_worker import wait_for_jobs
    from digitpad.gui.main_window import MainWindow

    window = MainWindow(store=store)
    window.show()
    # Training runs in its own process, started once the window is up and warmed for the
    # form's settings at low priority: Start finds TensorFlow loaded and the step compiled.
    QTimer.singleShot(TRAINER_START_DELAY_MS, window.train_tab.use_training_process)
    if os.environ.get(PROBE_ENV) == "1":
        # After show(): the first queued call runs once the window is up and painted.
        QTimer.singleShot(0, lambda: _start_probe(window))
    code = app.exec()
    # A run caught mid-import of TensorFlow may outlive the window's bounded wait; let it end
    # rather than destroy a running QThread (which aborts the process).
    if not window.train_tab.shutdown(WORKER_EXIT_WAIT_MS):
        print("digitpad: training did not stop in time; exiting anyway", file=sys.stderr)
        sys.stdout.flush()
        os._exit(code)
    # The same for an evaluation or a data load still running when the window closed.
    if not wait_for_jobs(WORKER_EXIT_WAIT_MS):
        print("digitpad: background work did not end in time; exiting anyway", file=sys.stderr)
        sys.stdout.flush()
        os._exit(code)
    return code
