"""GUI responsiveness under training: while the Train tab trains the ``tutorial`` preset, the
longest stall of the Qt event loop and the rate at which the charts redraw.

A 10 ms ``QTimer`` records the gaps between its ticks: any gap well above 10 ms is time the
event loop could not run (a frozen window). Chart redraws are counted with matplotlib's
``draw_event``. The same timer runs for a while with no training first, as the baseline of
this machine. Targets: no stall over 50 ms while training; charts redraw >= 5 times a second.

    .venv/bin/python benchmarks/gui_responsiveness.py [--epochs 10] [--platform offscreen]
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time

STALL_TARGET_MS = 50.0
REDRAW_TARGET_HZ = 5.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--platform", default="offscreen", help="Qt platform (xcb for a screen)")
    parser.add_argument("--idle-seconds", type=float, default=2.0)
    args = parser.parse_args()
    os.environ["QT_QPA_PLATFORM"] = args.platform
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # as the app sets it
    sandbox = tempfile.mkdtemp(prefix="digitpad-bench-")
    os.environ["DIGITPAD_STORE"] = os.path.join(sandbox, "store")

    from PySide6.QtCore import QElapsedTimer, QSettings, QTimer
    from PySide6.QtWidgets import QApplication

    from digitpad.config import preset
    from digitpad.gui.main_window import MainWindow

    app = QApplication([])
    settings = QSettings(os.path.join(sandbox, "settings.ini"), QSettings.Format.IniFormat)
    window = MainWindow(settings=settings)
    window.resize(1200, 820)
    window.show()
    train_tab = window.train_tab
    window.tabs.setCurrentWidget(train_tab)
    train_tab.form.set_config(preset("tutorial").replace(epochs=args.epochs))

    gaps: list[float] = []
    clock = QElapsedTimer()
    ticker = QTimer()
    ticker.setInterval(10)

    def tick() -> None:
        gaps.append(clock.restart())

    ticker.timeout.connect(tick)
    redraws: list[float] = []
    train_tab.charts.canvas.mpl_connect(
        "draw_event", lambda _e: redraws.append(time.perf_counter())
    )

    def run_loop_for(seconds: float) -> None:
        deadline = time.perf_counter() + seconds
        while time.perf_counter() < deadline:
            app.processEvents()
            time.sleep(0.001)

    clock.start()
    ticker.start()
    run_loop_for(args.idle_seconds)
    idle_gaps = gaps[1:]
    gaps.clear()

    phases: dict[str, float] = {}
    train_tab.running_changed.connect(
        lambda running: phases.setdefault("end" if not running else "start", time.perf_counter())
    )
    first_progress: list[float] = []

    def on_event(event) -> None:
        from digitpad.training import Progress

        if isinstance(event, Progress) and not first_progress:
            first_progress.append(time.perf_counter())

    train_tab.start()
    train_tab.worker.event.connect(on_event)
    while "end" not in phases:
        app.processEvents()
        time.sleep(0.001)
    run_loop_for(0.3)
    ticker.stop()

    busy_gaps = gaps[1:]
    start = first_progress[0] if first_progress else phases["start"]
    training_redraws = [t for t in redraws if start <= t <= phases["end"]]
    training_seconds = phases["end"] - start
    rate = len(training_redraws) / training_seconds if training_seconds > 0 else 0.0
    stall = max(busy_gaps)
    print(f"{'':28} {'idle':>10} {'training':>10}")
    print(f"{'event-loop ticks':28} {len(idle_gaps):>10} {len(busy_gaps):>10}")
    print(
        f"{'median gap (ms)':28} {statistics.median(idle_gaps):>10.1f} "
        f"{statistics.median(busy_gaps):>10.1f}"
    )
    print(f"{'p99 gap (ms)':28} {_p99(idle_gaps):>10.1f} {_p99(busy_gaps):>10.1f}")
    print(f"{'longest stall (ms)':28} {max(idle_gaps):>10.1f} {stall:>10.1f}")
    print(
        f"training from first progress to end: {training_seconds:.1f} s; "
        f"chart redraws {len(training_redraws)} = {rate:.1f} per second"
    )
    print(
        f"longest stall / target ({STALL_TARGET_MS:.0f} ms) = {stall / STALL_TARGET_MS:.2f}; "
        f"redraw rate / target ({REDRAW_TARGET_HZ:.0f}/s) = {rate / REDRAW_TARGET_HZ:.2f}"
    )
    print("PASS" if stall <= STALL_TARGET_MS and rate >= REDRAW_TARGET_HZ else "FAIL")
    window.close()


def _p99(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(0.99 * len(ordered)))]


if __name__ == "__main__":
    main()
