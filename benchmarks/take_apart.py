"""What taking the network apart costs: test accuracy of an edited network on all 10,000 test
images (target: under 0.5 s for the 800-800 model), the hidden map per layer and placing the
drawing on it, the pruning curve, and the robustness curves, all in NumPy as the app runs them
(one BLAS thread, as ``digitpad`` sets it).

Each timing is the median of ``--repeats`` runs (min and max beside it), since on a machine
shared with other work single runs swing by tens of percent; the load average is printed so
the figures can be read against it.

    .venv/bin/python benchmarks/take_apart.py                 # the bundled 784-800-800-10 model
    .venv/bin/python benchmarks/take_apart.py --model NAME --repeats 3
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from collections.abc import Callable

TARGET_ACCURACY_SECONDS = 0.5


def timed(function: Callable[[], object], repeats: int) -> tuple[float, float, float, float]:
    """(median, min, max) wall seconds of ``repeats`` calls, and their median CPU seconds.

    CPU time (this thread's) is what the work costs whatever else the machine runs; wall time
    is what a user waits on this machine now.
    """
    times, cpu = [], []
    for _ in range(repeats):
        start, start_cpu = time.perf_counter(), time.thread_time()
        function()
        times.append(time.perf_counter() - start)
        cpu.append(time.thread_time() - start_cpu)
    return statistics.median(times), min(times), max(times), statistics.median(cpu)


def line(label: str, stats: tuple[float, ...], unit: str = "s", scale: float = 1.0) -> str:
    median, low, high, cpu = (v * scale for v in stats)
    return (
        f"  {label:44} {median:8.3f} {unit}  (min {low:.3f}, max {high:.3f}; cpu {cpu:.3f} {unit})"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--model", help="model name or folder (default: the bundled model)")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--robustness-repeats", type=int, default=1)
    args = parser.parse_args()
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # as the app sets it

    import numpy as np

    from digitpad.data import load_mnist
    from digitpad.hidden_map import build_map, layer_names
    from digitpad.inference import load_predictor
    from digitpad.network_summary import summary_from_predictor
    from digitpad.progress import run_to_end
    from digitpad.robustness import ROBUSTNESS_IMAGES, RobustnessCache, robustness_steps
    from digitpad.surgery import Edits, accuracy, edited, pruning_curve

    model = load_predictor(args.model)
    data = load_mnist()
    images, labels = data.test.x, data.test.y
    print(f"model {model.name}: {summary_from_predictor(model).one_line()}")
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores (a shared machine)")

    print("edited network, test accuracy on all 10,000 images:")
    plain = timed(lambda: model.logits(images).argmax(axis=1), args.repeats)
    print(line("plain forward pass (predictor.logits)", plain))
    as_trained = timed(lambda: accuracy(model, images, labels), args.repeats)
    print(line("accuracy(), as trained", as_trained))
    edits = Edits(
        units_off=frozenset({(0, 1), (0, 2)}),
        biases_off=frozenset({0}),
        prune_percent=50,
        noise=0.2,
    )
    edit_only = timed(lambda: edited(model, edits), args.repeats)
    print(line("edited() (prune 50%, noise, 2 units, biases)", edit_only))
    both = timed(lambda: accuracy(edited(model, edits), images, labels), args.repeats)
    print(line("edit + accuracy (what a slider move costs)", both))
    for what, value in (("wall (median)", both[0]), ("wall (min)", both[1]), ("cpu", both[3])):
        verdict = "meets" if value < TARGET_ACCURACY_SECONDS else "misses"
        print(f"  -> {what} {verdict} the {TARGET_ACCURACY_SECONDS} s target")
    print(f"  -> edit+accuracy / plain pass = {both[0] / plain[0]:.2f}")

    print("hidden map (3,000 test images, PCA):")
    for layer, name in enumerate(layer_names(model)):
        stats = timed(lambda layer=layer: build_map(model, images, labels, layer), args.repeats)
        print(line(f"build, {name}", stats))
    hidden_map = build_map(model, images, labels, len(model.layers) - 1)
    drawing = images[0].reshape(28, 28)
    place = timed(lambda: hidden_map.place(drawing), max(args.repeats, 50))
    print(line(f"place the drawing, {hidden_map.layer_name}", place, "ms", 1000))

    percents = (0, 10, 20, 30, 40, 50, 60, 70, 80, 85, 90, 95, 97, 99)
    curve = timed(
        lambda: list(pruning_curve(model, images, labels, percents)), max(1, args.repeats // 2)
    )
    print(f"pruning curve ({len(percents)} points x 10,000 images):")
    print(line("whole curve", curve))
    points = list(pruning_curve(model, images, labels, (0, 50, 90, 99)))
    print("  " + ", ".join(f"{p.percent:g}% pruned: {p.accuracy:.2%}" for p in points))

    print(f"robustness curves ({ROBUSTNESS_IMAGES:,} test images, 6 kinds of damage):")
    second = edited(model, Edits(prune_percent=90))
    one = timed(
        lambda: run_to_end(robustness_steps([model], images, labels)), args.robustness_repeats
    )
    print(line("one model", one))
    two = timed(
        lambda: run_to_end(robustness_steps([model, second], images, labels)),
        args.robustness_repeats,
    )
    print(line("two models side by side (damage made once)", two))
    print(f"  -> two models cost {two[0] / one[0]:.2f}x one")
    cache = RobustnessCache()
    run_to_end(robustness_steps([model], images, labels, cache=cache))
    cached = timed(
        lambda: run_to_end(robustness_steps([model], images, labels, cache=cache)), args.repeats
    )
    print(line("one model again, from the cache", cached, "ms", 1000))
    report = run_to_end(robustness_steps([model], images, labels, cache=cache))[0]
    worst = {kind: float(np.min(curve.accuracy)) for kind, curve in report.curves.items()}
    print("  lowest accuracy per kind: " + ", ".join(f"{k} {v:.1%}" for k, v in worst.items()))

    gui_costs(model, images, repeats=max(args.repeats, 30))


def gui_costs(model, images, repeats: int) -> None:
    """What the Network tab adds to each canvas change, on the GUI thread (offscreen Qt)."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtWidgets import QApplication

    from digitpad.gui.network_tab import NetworkTab

    app = QApplication.instance() or QApplication([])
    tab = NetworkTab()
    tab.resize(1100, 720)
    tab.show()
    tab.set_predictor(model)
    deadline = time.monotonic() + 120
    while tab.map_view.hidden_map is None and time.monotonic() < deadline:
        app.processEvents()
        time.sleep(0.01)
    drawings = [images[i].reshape(28, 28) for i in range(repeats)]
    print("Network tab, per canvas change (GUI thread):")
    hidden = iter(drawings)
    tab.pages.setCurrentIndex(0)  # the tab shows another page: only remembered
    print(
        line(
            "set_drawing, other page in front",
            timed(lambda: tab.set_drawing(next(hidden)), repeats),
            "ms",
            1000,
        )
    )
    tab.pages.setCurrentWidget(tab.map_view)
    app.processEvents()
    view = tab.map_view
    shown = iter(drawings)

    def place() -> None:
        view.set_drawing(next(shown))
        view._place_drawing()  # what the short timer then runs: placement and blit

    print(line("hidden map: place the drawing and blit", timed(place, repeats), "ms", 1000))
    tab.pages.setCurrentWidget(tab.break_view)
    app.processEvents()
    answers = iter(drawings)
    print(
        line(
            "break it: answers and unit grid",
            timed(lambda: tab.break_view.set_drawing(next(answers)), repeats),
            "ms",
            1000,
        )
    )
    tab.shutdown()
    tab.close()


if __name__ == "__main__":
    main()
