"""Long sessions: 50 short train/stop cycles through the Train tab, then 10,000 canvas
predictions through the Draw tab, in one process. Does memory grow, do threads or open files
leak? Target: under 100 MB growth, no thread or file handle left behind.

Memory is the process's resident set (VmRSS); the baseline is taken after the first cycle,
which pays for importing TensorFlow and compiling.

    .venv/bin/python benchmarks/long_session.py [--cycles 50] [--predictions 10000]
"""

from __future__ import annotations

import argparse
import atexit
import os
import shutil
import tempfile
import threading
import time

TARGET_GROWTH_MB = 100.0


def rss_mb() -> float:
    with open("/proc/self/status", encoding="ascii") as handle:
        for line in handle:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS")


def counts() -> tuple[int, int, int]:
    """(Python threads, OS threads, open file descriptors)"""
    return (
        threading.active_count(),
        len(os.listdir("/proc/self/task")),
        len(os.listdir("/proc/self/fd")),
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--cycles", type=int, default=50)
    parser.add_argument("--predictions", type=int, default=10_000)
    args = parser.parse_args()
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    os.environ["DIGITPAD_STORE"] = store = tempfile.mkdtemp(prefix="digitpad-bench-")
    atexit.register(shutil.rmtree, store, ignore_errors=True)

    from PySide6.QtWidgets import QApplication

    from digitpad.config import TrainConfig
    from digitpad.data import load_mnist
    from digitpad.gui.draw_tab import DrawTab
    from digitpad.gui.train_tab import TrainTab
    from digitpad.inference import load_predictor

    app = QApplication([])
    data = load_mnist().subset(train=5000, val=500)
    tab = TrainTab(data_loader=lambda: data)
    tab.show()
    tab.form.set_config(TrainConfig(hidden=(100,), epochs=1000, batch_size=50))

    def wait(condition, seconds: float = 60.0) -> None:
        deadline = time.monotonic() + seconds
        while not condition():
            if time.monotonic() > deadline:
                raise SystemExit("timed out: the Train tab did not respond")
            app.processEvents()
            time.sleep(0.002)

    rows = []
    start = time.perf_counter()
    for cycle in range(1, args.cycles + 1):
        tab.start()
        wait(lambda: tab.progress.maximum() > 0 and tab.progress.value() > 0)
        tab.stop()
        wait(lambda: not tab.is_running)
        app.processEvents()
        if cycle in (1, 2, 5, 10, 20, 30, 40, args.cycles):
            rows.append((f"after train/stop cycle {cycle}", rss_mb(), *counts()))
    train_seconds = time.perf_counter() - start

    draw = DrawTab()
    draw.set_predictor(load_predictor())
    draw.show()
    images = load_mnist().test.images
    start = time.perf_counter()
    for i in range(args.predictions):
        draw.load_image(images[i % len(images)])
        draw.refresh()
        if i % 100 == 0:
            app.processEvents()
    app.processEvents()
    predict_seconds = time.perf_counter() - start
    rows.append((f"after {args.predictions} canvas predictions", rss_mb(), *counts()))

    print(f"{'':40} {'RSS MB':>8} {'py threads':>10} {'OS threads':>10} {'open fds':>9}")
    for name, rss, py_threads, os_threads, fds in rows:
        print(f"{name:40} {rss:>8.1f} {py_threads:>10} {os_threads:>10} {fds:>9}")
    base = rows[0]
    growth = rows[-1][1] - base[1]
    train_growth = rows[-2][1] - base[1]
    print(
        f"{args.cycles} cycles in {train_seconds:.1f} s; {args.predictions} predictions in "
        f"{predict_seconds:.1f} s ({1000 * predict_seconds / args.predictions:.2f} ms each, "
        "canvas load + to_mnist + predict + view)"
    )
    print(
        f"memory growth after the first cycle: {train_growth:+.1f} MB over the cycles, "
        f"{growth:+.1f} MB in all; ratio to the {TARGET_GROWTH_MB:.0f} MB target = "
        f"{max(growth, 0) / TARGET_GROWTH_MB:.2f}"
    )
    leaked_threads = rows[-1][2] - base[2]
    leaked_fds = rows[-1][4] - base[4]
    print(f"Python threads {leaked_threads:+d}, open files {leaked_fds:+d} since the first cycle")
    ok = growth < TARGET_GROWTH_MB and leaked_threads <= 0 and leaked_fds <= 0
    print("PASS" if ok else "FAIL")
    tab.shutdown(5000)


if __name__ == "__main__":
    main()
