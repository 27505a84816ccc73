"""Start-up: from process start to the main window shown with a working canvas and the default
model's first prediction, and whether TensorFlow was imported on that path (it must not be).

Runs ``python -m digitpad`` with ``DIGITPAD_STARTUP_PROBE=1`` on Qt's offscreen platform, which
makes the app print ``startup_seconds=... tensorflow_imported=...`` once the Draw tab has read
a test digit, and quit. Each run gets fresh settings, so it opens on the Draw tab as a new user
would. Target: median under 1.5 s, no TensorFlow.

    .venv/bin/python benchmarks/startup.py [--runs 5]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time

TARGET_SECONDS = 1.5


def one_run() -> tuple[float, float, bool]:
    """(startup seconds reported by the app, wall seconds to exit, TensorFlow imported?)"""
    with tempfile.TemporaryDirectory() as home:
        env = {
            **os.environ,
            "QT_QPA_PLATFORM": "offscreen",
            "DIGITPAD_STARTUP_PROBE": "1",
            "XDG_CONFIG_HOME": os.path.join(home, "config"),
            "DIGITPAD_STORE": os.path.join(home, "store"),
        }
        started = time.time()
        env["DIGITPAD_T0"] = repr(started)
        done = subprocess.run(
            [sys.executable, "-m", "digitpad"],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        wall = time.time() - started
    fields = dict(
        part.split("=", 1)
        for line in done.stdout.splitlines()
        for part in line.split()
        if "=" in part
    )
    if done.returncode != 0 or "startup_seconds" not in fields:
        raise SystemExit(f"the app did not report its start-up:\n{done.stdout}\n{done.stderr}")
    return float(fields["startup_seconds"]), wall, fields["tensorflow_imported"] == "True"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    one_run()  # warm the file cache: the first run of a session reads every library from disk
    runs = [one_run() for _ in range(args.runs)]
    shown = [r[0] for r in runs]
    walls = [r[1] for r in runs]
    tensorflow = any(r[2] for r in runs)
    print(f"{'run':>4} {'window + first prediction (s)':>30} {'process wall (s)':>17}")
    for i, (seconds, wall, _) in enumerate(runs, 1):
        print(f"{i:>4} {seconds:>30.3f} {wall:>17.3f}")
    median = statistics.median(shown)
    print(
        f"median {median:.3f} s (min {min(shown):.3f}, max {max(shown):.3f}); "
        f"process wall median {statistics.median(walls):.3f} s"
    )
    print(f"TensorFlow imported on the start-up path: {tensorflow}")
    print(f"median / target ({TARGET_SECONDS} s) = {median / TARGET_SECONDS:.2f}")
    ok = median < TARGET_SECONDS and not tensorflow
    print("PASS" if ok else "FAIL")


if __name__ == "__main__":
    main()
