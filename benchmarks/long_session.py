"""Long sessions: 50 short train/stop cycles through the Train tab, then 10,000 canvas
predictions through the Draw tab, as the app runs them: the window's process set up as the app
sets it up, training in the training process. Does memory grow, do threads, open files or
processes leak? Target: under 100 MB growth of the window's process and of the training
process each, no thread, file handle or process left behind.

Memory is each process's resident set (VmRSS); the baseline is taken after the first cycle,
which pays for the training process's start. Every stopped run stays in the session (its
weights, for saving or comparing), so some growth is by design: about 0.3 MB per run here.

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


def small_data():
    """The training process's data: module-level, so that it pickles."""
    from digitpad.data import load_mnist

    return load_mnist().subset(train=5000, val=500)


def trainer_rss_mb(pid: int | None) -> float:
    if pid is None:
        return float("nan")
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as handle:
            for line in handle:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return float("nan")


def children() -> list[str]:
    """The command lines of this process's live children, but for multiprocessing's resource
    tracker (started with the first spawned process, it ends when this process does)."""
    me = str(os.getpid())
    found = []
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            with open(f"/proc/{pid}/stat", encoding="ascii") as handle:
                fields = handle.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if fields[1] == me and fields[0] != "Z":
            with open(f"/proc/{pid}/cmdline", "rb") as handle:
                command = handle.read().replace(b"\0", b" ").decode(errors="replace")
            if "multiprocessing.resource_tracker" not in command:
                found.append(command[:120])
    return found


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
    os.environ["DIGITPAD_STORE"] = store = tempfile.mkdtemp(prefix="digitpad-bench-")
    atexit.register(shutil.rmtree, store, ignore_errors=True)
    from digitpad.cli import prepare_window_process

    prepare_window_process()  # as the app does

    from PySide6.QtWidgets import QApplication

    from digitpad.config import TrainConfig
    from digitpad.data import load_mnist
    from digitpad.gui.draw_tab import DrawTab
    from digitpad.gui.train_tab import TrainTab
    from digitpad.inference import load_predictor
    from digitpad.training.process import TrainerProcess

    app = QApplication([])
    # Made before the first cycle: the baseline holds them, so growth is the session's own.
    images = load_mnist().test.images
    draw = DrawTab()
    draw.set_predictor(load_predictor())
    tab = TrainTab(data_loader=small_data)
    tab.show()
    tab.form.set_config(TrainConfig(hidden=(100,), epochs=1000, batch_size=50))
    tab.use_training_process(TrainerProcess(small_data))

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
            trainer = trainer_rss_mb(tab.training_process.pid)
            rows.append((f"after train/stop cycle {cycle}", rss_mb(), trainer, *counts()))
    train_seconds = time.perf_counter() - start

    draw.show()
    start = time.perf_counter()
    for i in range(args.predictions):
        draw.load_image(images[i % len(images)])
        draw.refresh()
        if i % 100 == 0:
            app.processEvents()
    app.processEvents()
    predict_seconds = time.perf_counter() - start
    trainer = trainer_rss_mb(tab.training_process.pid)
    rows.append((f"after {args.predictions} canvas predictions", rss_mb(), trainer, *counts()))

    header = f"{'':40} {'app MB':>8} {'trainer MB':>10} {'py threads':>10} {'OS threads':>10}"
    print(f"{header} {'open fds':>9}")
    for name, rss, trainer, py_threads, os_threads, fds in rows:
        print(f"{name:40} {rss:>8.1f} {trainer:>10.1f} {py_threads:>10} {os_threads:>10} {fds:>9}")
    base = rows[0]
    growth = rows[-1][1] - base[1]
    train_growth = rows[-2][1] - base[1]
    trainer_growth = rows[-1][2] - base[2]
    print(
        f"{args.cycles} cycles in {train_seconds:.1f} s; {args.predictions} predictions in "
        f"{predict_seconds:.1f} s ({1000 * predict_seconds / args.predictions:.2f} ms each, "
        "canvas load + to_mnist + predict + view)"
    )
    print(
        f"the window's process after the first cycle: {train_growth:+.1f} MB over the cycles, "
        f"{growth:+.1f} MB in all; ratio to the {TARGET_GROWTH_MB:.0f} MB target = "
        f"{max(growth, 0) / TARGET_GROWTH_MB:.2f}"
    )
    print(
        f"the training process after the first cycle: {trainer_growth:+.1f} MB; ratio to the "
        f"{TARGET_GROWTH_MB:.0f} MB target = {max(trainer_growth, 0) / TARGET_GROWTH_MB:.2f}"
    )
    leaked_threads = rows[-1][3] - base[3]
    leaked_fds = rows[-1][5] - base[5]
    print(f"Python threads {leaked_threads:+d}, open files {leaked_fds:+d} since the first cycle")
    closed = tab.shutdown(5000)
    left = children()
    print(f"closed in time: {closed}; child processes left after closing: {left or 'none'}")
    ok = (
        growth < TARGET_GROWTH_MB
        and trainer_growth < TARGET_GROWTH_MB
        and leaked_threads <= 0
        and leaked_fds <= 0
        and closed
        and not left
    )
    print("PASS" if ok else "FAIL")


if __name__ == "__main__":
    main()
