"""How long from a drawn 280x280 canvas to ten probabilities, with and without TensorFlow?

One 280x280 uint8 canvas (an MNIST test digit scaled up x10 with np.kron: white ink on black,
as digitpad's drawing canvas gives it) goes through `to_mnist` and then through the bundled
default model by these paths, each timed call by call:

  to_mnist        preprocessing alone
  numpy           to_mnist + load_predictor().predict_proba (what the Draw tab does)
  keras call      to_mnist + model(x, training=False) + softmax, the same model loaded with
                  store.load_keras_model(find_model())
  keras predict   to_mnist + model.predict(x, verbose=0) + softmax

The first two run in a process that never imports TensorFlow, as in the app before any
training; all four run again in a process that has TensorFlow loaded and busy (as after
training in the GUI), which shows what TensorFlow's thread pools do to NumPy's. The two
processes alternate for --rounds rounds. Inside a process, paths take turns in blocks of
back-to-back calls, the order rotating each round; each block is preceded by a quarter second
of untimed calls of the same path, so no path pays for thread pools another left spinning.

Prints median and p99 per path, ratios of medians to the NumPy path, the one-off cost of
loading each model, and PASS/FAIL for the targets on the app's path (no TensorFlow):
NumPy path median < 1 ms and p99 < 3 ms.

Run:  .venv/bin/python benchmarks/predict_latency.py              # 1,000 calls per path
      .venv/bin/python benchmarks/predict_latency.py --calls 100  # quick look
      .venv/bin/python benchmarks/predict_latency.py --blas-threads 1   # single-thread BLAS
"""

from __future__ import annotations

import argparse
import json
import math
import os
import subprocess
import sys
import time
from collections.abc import Callable

import numpy as np

MEDIAN_TARGET_MS = 1.0
P99_TARGET_MS = 3.0
RESULT_PREFIX = "RESULT "


# ---------------------------------------------------------------- child: build and time paths


def make_canvas(index: int) -> np.ndarray:
    """A 280x280 uint8 canvas: MNIST test digit ``index``, each pixel a 10x10 block."""
    from digitpad.data import load_mnist

    digit = load_mnist().test.images[index]
    levels = np.round(digit * 255).astype(np.uint8)
    return np.kron(levels, np.ones((10, 10), np.uint8))


def numpy_paths(canvas: np.ndarray) -> tuple[dict[str, Callable], dict[str, float]]:
    """to_mnist alone and the NumPy predictor path; and the seconds loading the weights took."""
    from digitpad.inference import load_predictor
    from digitpad.preprocess import to_mnist

    start = time.perf_counter()
    predictor = load_predictor()
    loads = {"numpy weights": time.perf_counter() - start}
    paths = {
        "to_mnist": lambda: to_mnist(canvas),
        "numpy": lambda: predictor.predict_proba(to_mnist(canvas)[None]),
    }
    return paths, loads


def keras_paths(canvas: np.ndarray) -> tuple[dict[str, Callable], dict[str, float]]:
    """model(x) and model.predict(x) on the same model; and the seconds loading it took."""
    from digitpad.evaluation import softmax
    from digitpad.preprocess import to_mnist

    start = time.perf_counter()
    from digitpad.store import find_model, load_keras_model

    model = load_keras_model(find_model())
    loads = {"keras model (TF import included)": time.perf_counter() - start}

    def rows() -> np.ndarray:
        return to_mnist(canvas).reshape(1, 784)

    paths = {
        "keras call": lambda: softmax(np.asarray(model(rows(), training=False))),
        "keras predict": lambda: softmax(model.predict(rows(), verbose=0)),
    }
    return paths, loads


def time_in_blocks(
    paths: dict[str, Callable], calls: int, block: int, settle: float
) -> dict[str, list[float]]:
    """Milliseconds per call for each path: turns of ``block`` calls, order rotating."""
    names = list(paths)
    times: dict[str, list[float]] = {name: [] for name in names}
    for i in range(math.ceil(calls / block)):
        shift = i % len(names)
        for name in names[shift:] + names[:shift]:
            run = paths[name]
            until = time.perf_counter() + settle
            while time.perf_counter() < until:
                run()
            for _ in range(min(block, calls - len(times[name]))):
                start = time.perf_counter()
                run()
                times[name].append((time.perf_counter() - start) * 1e3)
    return times


def agreement(paths: dict[str, Callable]) -> float:
    """Largest difference between the NumPy and Keras probabilities (they must agree)."""
    reference = paths["numpy"]()
    return max(float(np.abs(paths[k]() - reference).max()) for k in ("keras call", "keras predict"))


def child(kind: str, args: argparse.Namespace) -> None:
    canvas = make_canvas(args.digit)
    paths, loads = numpy_paths(canvas)
    result: dict = {}
    if kind == "tf":
        more, more_loads = keras_paths(canvas)
        paths, loads = {**paths, **more}, {**loads, **more_loads}
        result["agreement"] = agreement(paths)
    else:
        assert "tensorflow" not in sys.modules, "the NumPy path must not import TensorFlow"
    result["times"] = time_in_blocks(paths, args.calls, args.block, args.settle)
    result["loads"] = loads
    print(RESULT_PREFIX + json.dumps(result), flush=True)


# ---------------------------------------------------------------- parent: alternate and report


def run_child(kind: str, args: argparse.Namespace, calls: int) -> dict:
    command = [sys.executable, __file__, "--child", kind, "--calls", str(calls)]
    command += ["--block", str(args.block), "--settle", str(args.settle)]
    command += ["--digit", str(args.digit)]
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
    if args.blas_threads:
        env["OPENBLAS_NUM_THREADS"] = str(args.blas_threads)
    out = subprocess.run(command, env=env, capture_output=True, text=True, check=True).stdout
    line = next(ln for ln in out.splitlines() if ln.startswith(RESULT_PREFIX))
    return json.loads(line[len(RESULT_PREFIX) :])


def run_rounds(args: argparse.Namespace) -> tuple[dict[str, np.ndarray], dict, float]:
    """Alternate the no-TF and TF processes; pool their timings per (process, path)."""
    times: dict[str, list[float]] = {}
    loads: dict[str, float] = {}
    worst_agreement = 0.0
    per_round = math.ceil(args.calls / args.rounds)
    for r in range(args.rounds):
        order = ("app", "tf") if r % 2 == 0 else ("tf", "app")
        for kind in order:
            print(f"  round {r + 1}/{args.rounds}: {kind} process ...", file=sys.stderr)
            result = run_child(kind, args, per_round)
            for name, ms in result["times"].items():
                label = f"{name} (TF loaded)" if kind == "tf" and name in NUMPY_NAMES else name
                times.setdefault(label, []).extend(ms)
            loads.update(result["loads"])
            worst_agreement = max(worst_agreement, result.get("agreement", 0.0))
    order = ["to_mnist", "numpy", "to_mnist (TF loaded)", "numpy (TF loaded)"]
    order += ["keras call", "keras predict"]
    return {k: np.array(times[k]) for k in order}, loads, worst_agreement


NUMPY_NAMES = ("to_mnist", "numpy")


def print_report(times: dict[str, np.ndarray], loads: dict, agreement: float) -> None:
    base = float(np.median(times["numpy"]))
    header = (
        f"{'path':<22} {'calls':>6} {'median ms':>10} {'p99 ms':>8} {'mean ms':>8} {'/ numpy':>8}"
    )
    print("\nCanvas 280x280 uint8 -> probabilities (bundled default model, 784-800-800-10)")
    print(header)
    print("-" * len(header))
    for name, ms in times.items():
        median = float(np.median(ms))
        print(
            f"{name:<22} {len(ms):>6} {median:>10.3f} {np.percentile(ms, 99):>8.3f} "
            f"{ms.mean():>8.3f} {median / base:>7.2f}x"
        )
    print("/ numpy: median over the median of the NumPy path in the process without TensorFlow")
    print("\nOne-off loading: " + ", ".join(f"{k} {v:.2f} s" for k, v in loads.items()))
    print(f"Largest probability difference NumPy vs Keras: {agreement:.1e}")
    median, p99 = base, float(np.percentile(times["numpy"], 99))
    print("\nTargets (NumPy path, process without TensorFlow, as in the app)")
    print(f"  {'PASS' if median < MEDIAN_TARGET_MS else 'FAIL'}  median {median:.3f} ms < 1 ms")
    print(f"  {'PASS' if p99 < P99_TARGET_MS else 'FAIL'}  p99 {p99:.3f} ms < 3 ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--calls", type=int, default=1000, help="timed calls per path")
    parser.add_argument("--rounds", type=int, default=2, help="alternations of the processes")
    parser.add_argument("--block", type=int, default=50, help="back-to-back calls per turn")
    parser.add_argument(
        "--settle", type=float, default=0.25, help="untimed seconds per path before each block"
    )
    parser.add_argument("--digit", type=int, default=0, help="which MNIST test image to draw")
    parser.add_argument(
        "--blas-threads", type=int, default=0, help="set OPENBLAS_NUM_THREADS in the children"
    )
    parser.add_argument("--child", choices=("app", "tf"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child, args)
        return
    print_report(*run_rounds(args))


if __name__ == "__main__":
    main()
