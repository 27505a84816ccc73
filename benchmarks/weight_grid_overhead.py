"""Does watching the weights slow training down? Training throughput with the Train tab's
Inside page updating live (weight grid, histograms, dead units) against the same page with
snapshots switched off, alternated in one process.

Both variants run the real app path: a ``TrainTab`` (offscreen Qt) trains a preset through its
``TrainWorker`` while the Inside page is on screen. In "watched" the run sends a ``Snapshot``
at most every 0.5 s and the GUI thread renders it (and, here, paints it at once with
``repaint()`` so the painting is counted too); in "plain" the page is the same but the run is
never asked for snapshots. Throughput is the steady one: the training images over the median
epoch time, leaving out the first epoch (XLA compilation). Target: watched >= 90 % of plain.

On a machine busy with other work the throughputs swing by tens of percent from run to run;
so the runs alternate, the headline is the median of the ratios of adjacent pairs, and the CPU
time the GUI thread spent per second of training (``time.thread_time``) is printed for both
variants: the difference is the watching's real cost, whatever else the machine is doing.

    .venv/bin/python benchmarks/weight_grid_overhead.py            # tutorial, 6 epochs, 4 pairs
    .venv/bin/python benchmarks/weight_grid_overhead.py --preset best --epochs 3 --repeats 2
"""

from __future__ import annotations

import argparse
import atexit
import os
import shutil
import statistics
import tempfile
import time

TARGET_RATIO = 0.90


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--preset", default="tutorial")
    parser.add_argument("--epochs", type=int, default=6)
    parser.add_argument("--repeats", type=int, default=4, help="pairs of runs, order alternating")
    parser.add_argument("--platform", default="offscreen", help="Qt platform (xcb for a screen)")
    args = parser.parse_args()
    if args.epochs < 2:
        parser.error("--epochs must be at least 2 (the first epoch includes compilation)")
    os.environ["QT_QPA_PLATFORM"] = args.platform
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # as the app sets it
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    sandbox = tempfile.mkdtemp(prefix="digitpad-bench-")
    atexit.register(shutil.rmtree, sandbox, ignore_errors=True)
    os.environ["DIGITPAD_STORE"] = os.path.join(sandbox, "store")

    from PySide6.QtCore import QEventLoop
    from PySide6.QtWidgets import QApplication

    from digitpad import training
    from digitpad.config import preset
    from digitpad.data import load_mnist
    from digitpad.gui import train_tab as train_tab_module
    from digitpad.gui.train_tab import TrainTab

    app = QApplication([])
    data = load_mnist()
    config = preset(args.preset).replace(epochs=args.epochs)
    tab = TrainTab(data_loader=lambda: data)
    tab.resize(1200, 800)
    tab.show()
    tab.views.setCurrentWidget(tab.inside)
    tab.form.set_config(config)
    watched_interval = train_tab_module.SNAPSHOT_SECONDS

    # Time what the GUI thread spends on each snapshot: rendering and painting the Inside page.
    handling: list[float] = []
    on_snapshot = tab._on_snapshot

    def timed_snapshot(event: training.Snapshot) -> None:
        started = time.perf_counter()
        on_snapshot(event)
        tab.inside.repaint()
        handling.append(time.perf_counter() - started)

    tab._on_snapshot = timed_snapshot

    def run(watched: bool) -> dict:
        # "plain" asks for no snapshots: the same page on screen, no weights sent.
        train_tab_module.SNAPSHOT_SECONDS = watched_interval if watched else None
        epochs: list[float] = []
        snapshots_before, renders_before = len(handling), tab.inside.renders
        cpu_before, wall_before = time.thread_time(), time.perf_counter()
        loop = QEventLoop()
        tab.running_changed.connect(lambda running: running or loop.quit())

        def record(event: object) -> None:
            if isinstance(event, training.EpochEnd):
                epochs.append(event.seconds)

        tab.start()
        tab.worker.progressed.connect(record)
        loop.exec()
        tab.running_changed.disconnect()
        gui_cpu = (time.thread_time() - cpu_before) / (time.perf_counter() - wall_before)
        steady = statistics.median(epochs[1:])
        return {
            "gui_cpu": gui_cpu,
            "samples_per_second": len(data.train) / steady,
            "snapshots": len(handling) - snapshots_before,
            "renders": tab.inside.renders - renders_before,
            "epochs": len(epochs),
        }

    print(
        f"{config.describe()} on {len(data.train):,} images; "
        f"snapshots at most every {watched_interval} s while watched"
    )
    run(False)  # warm-up: TensorFlow import and first compilation out of the way
    results: dict[str, list[dict]] = {"plain": [], "watched": []}
    for repeat in range(args.repeats):
        order = (False, True) if repeat % 2 == 0 else (True, False)
        for watched in order:
            result = run(watched)
            name = "watched" if watched else "plain"
            results[name].append(result)
            print(
                f"  {name:8s} {result['samples_per_second']:>10,.0f} samples/s  "
                f"snapshots {result['snapshots']:3d}  renders {result['renders']:3d}  "
                f"GUI thread CPU {result['gui_cpu'] * 1000:5.1f} ms/s"
            )
    app.processEvents()
    tab.shutdown(5000)

    plain = statistics.median(r["samples_per_second"] for r in results["plain"])
    watched = statistics.median(r["samples_per_second"] for r in results["watched"])
    ratios = [
        w["samples_per_second"] / p["samples_per_second"]
        for w, p in zip(results["watched"], results["plain"], strict=True)
    ]
    ratio = statistics.median(ratios)
    handled = [s * 1000 for s in handling]
    cpu = {name: statistics.median(r["gui_cpu"] for r in runs) for name, runs in results.items()}
    print(f"plain    median {plain:,.0f} samples/s")
    print(f"watched  median {watched:,.0f} samples/s")
    print(f"per-pair ratios {', '.join(f'{r:.3f}' for r in ratios)}")
    print(
        f"GUI thread CPU per second of training: plain {cpu['plain'] * 1000:.1f} ms, "
        f"watched {cpu['watched'] * 1000:.1f} ms (+{(cpu['watched'] - cpu['plain']) * 100:.1f} % "
        "of one core)"
    )
    if handled:
        print(
            f"GUI thread per snapshot (render + paint): median {statistics.median(handled):.1f} "
            f"ms, max {max(handled):.1f} ms over {len(handled)} snapshots"
        )
    verdict = "PASS" if ratio >= TARGET_RATIO else "FAIL"
    print(
        f"ratio watched/plain = {ratio:.3f} (median of pairs; of medians {watched / plain:.3f})"
        f"  target >= {TARGET_RATIO:.2f}: {verdict}"
    )


if __name__ == "__main__":
    main()
