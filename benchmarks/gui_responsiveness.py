"""GUI responsiveness under training: while the Train tab trains the ``tutorial`` preset, the
longest stall of the Qt event loop and the rate at which the charts redraw.

A 10 ms ``QTimer`` records the gaps between its ticks: any gap well above 10 ms is time the
event loop could not run (a frozen window). Chart redraws are full draws (matplotlib's
``draw_event``) plus blits of new points. The same timer runs with no training first, as the
baseline of this machine; the seconds between Start and the first progress (TensorFlow's
import and the XLA compilation, once per session) are reported apart from the training.
Targets: no stall over 50 ms while training; charts redraw >= 5 times a second.

    .venv/bin/python benchmarks/gui_responsiveness.py [--epochs 10] [--platform offscreen]
"""

from __future__ import annotations

import argparse
import atexit
import os
import shutil
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
    from digitpad.cli import prepare_window_process

    prepare_window_process()  # as the app does
    sandbox = tempfile.mkdtemp(prefix="digitpad-bench-")
    atexit.register(shutil.rmtree, sandbox, ignore_errors=True)
    os.environ["DIGITPAD_STORE"] = os.path.join(sandbox, "store")

    from PySide6.QtCore import QElapsedTimer, QSettings, QTimer
    from PySide6.QtWidgets import QApplication

    from digitpad.config import preset
    from digitpad.gui import main_window
    from digitpad.gui.main_window import MainWindow

    # Closing with an unsaved run asks Save/Discard/Cancel: a benchmark answers Discard.
    main_window.ask_about_unsaved = lambda *_: main_window.Answer.Discard

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

    stamps: list[float] = []

    def tick() -> None:
        gaps.append(clock.restart())
        stamps.append(time.perf_counter())

    ticker.timeout.connect(tick)
    # A redraw is a new picture of the charts shown (drawn on the render thread).
    redraws: list[float] = []
    train_tab.charts.rendered.connect(lambda: redraws.append(time.perf_counter()))

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
    stamps.clear()

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
    train_tab.worker.progressed.connect(on_event)
    while "end" not in phases:
        app.processEvents()
        time.sleep(0.001)
    run_loop_for(0.3)
    ticker.stop()

    start = first_progress[0] if first_progress else phases["start"]
    timed = list(zip(stamps[1:], gaps[1:], strict=True))
    starting = [gap for moment, gap in timed if moment < start]
    training = [gap for moment, gap in timed if start <= moment <= phases["end"]]
    training_redraws = [t for t in redraws if start <= t <= phases["end"]]
    training_seconds = phases["end"] - start
    rate = len(training_redraws) / training_seconds if training_seconds > 0 else 0.0
    stall = max(training)
    columns = {"idle": idle_gaps, "starting": starting, "training": training}
    print(f"{'':22}" + "".join(f"{name:>11}" for name in columns))
    rows = {
        "event-loop ticks": len,
        "median gap (ms)": statistics.median,
        "p99 gap (ms)": _p99,
        "longest stall (ms)": max,
    }
    for label, measure in rows.items():
        print(f"{label:22}" + "".join(f"{measure(g) if g else 0:>11.0f}" for g in columns.values()))
    print(
        f"starting = Start to the first progress (TensorFlow import, XLA compile): "
        f"{start - phases['start']:.1f} s; training = first progress to the end: "
        f"{training_seconds:.1f} s with {len(training_redraws)} chart redraws "
        f"= {rate:.1f} per second"
    )
    print(
        f"training: longest stall / target ({STALL_TARGET_MS:.0f} ms) = "
        f"{stall / STALL_TARGET_MS:.2f}; redraw rate / target ({REDRAW_TARGET_HZ:.0f}/s) = "
        f"{rate / REDRAW_TARGET_HZ:.2f}"
    )
    print("PASS" if stall <= STALL_TARGET_MS and rate >= REDRAW_TARGET_HZ else "FAIL")
    window.close()


def _p99(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(0.99 * len(ordered)))]


if __name__ == "__main__":
    main()
