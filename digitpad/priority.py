"""Lower the CPU priority of the calling thread, so background work yields to the window.

Linux schedules threads individually and lets any user make one of its threads nicer, so a
thread that evaluates the test set or draws a chart can step aside whenever the GUI thread
wants the core. Elsewhere this does nothing (there, niceness belongs to whole processes).
"""

from __future__ import annotations

import os
import sys
import threading

BACKGROUND_NICE = 10
"""How much nicer than the window's GUI thread background work runs: the training process,
evaluations and page jobs, and the drawing of the curves. The GUI thread alone stays first
(a stroke on the canvas is never kept waiting); among themselves they share fairly, so the
curves of a run preempt its training no more than the run preempts them."""


def lower_thread_priority(nice: int) -> bool:
    """Add ``nice`` to the calling thread's niceness; whether it could be done."""
    if not sys.platform.startswith("linux") or nice <= 0:
        return False
    thread = threading.get_native_id()
    try:
        current = os.getpriority(os.PRIO_PROCESS, thread)
        os.setpriority(os.PRIO_PROCESS, thread, min(19, current + nice))
    except OSError:
        return False
    return True
