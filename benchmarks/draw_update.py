"""How long does one Draw-tab update take, now that it also shows the hidden activations and
the saliency? Each canvas change (at most ~28 a second while drawing) runs, on the GUI thread:
canvas → ``to_mnist`` → ``Predictor.explain`` (forward and backward pass in NumPy) → the
answer, the ten bars, the 28×28 input, the saliency image and the activation grid.

Times ``DrawTab.refresh()`` with the bundled default model (784-800-800-10) on 300 test digits
put on the canvas, then the same steps broken down, next to the path before this view existed
(``predict_proba`` and the bars only). Painting is timed separately (``repaint()`` of the side
panel), since Qt does it once per frame, not once per change. Target: refresh ~1 ms.

    .venv/bin/python benchmarks/draw_update.py [--images 300] [--platform offscreen]
"""

from __future__ import annotations

import argparse
import os
import statistics
import time


def _median_ms(samples: list[float]) -> float:
    return statistics.median(samples) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--images", type=int, default=300)
    parser.add_argument("--platform", default="offscreen", help="Qt platform (xcb for a screen)")
    args = parser.parse_args()
    os.environ["QT_QPA_PLATFORM"] = args.platform
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # as the app sets it

    from PySide6.QtWidgets import QApplication

    from digitpad.colour_maps import saliency_rgb, sequential_rgb
    from digitpad.data import load_mnist
    from digitpad.gui.draw_tab import DrawTab
    from digitpad.inference import load_predictor
    from digitpad.preprocess import to_mnist
    from digitpad.tiling import unit_grid

    app = QApplication([])
    predictor = load_predictor()
    tab = DrawTab(predictor)
    tab.resize(1200, 780)
    tab.show()
    app.processEvents()
    images = load_mnist().test.images[: args.images]

    refresh, paint, raster, mnist, explain, predict, views = [], [], [], [], [], [], []
    for image in images:
        tab.canvas.set_image(image)  # emits changed: the tab refreshes once here (not timed)
        app.processEvents()
        started = time.perf_counter()
        tab.refresh()
        refresh.append(time.perf_counter() - started)
        started = time.perf_counter()
        tab.bars.parentWidget().repaint()
        paint.append(time.perf_counter() - started)

        # The same steps one by one.
        t0 = time.perf_counter()
        canvas = tab.canvas.to_array()
        t1 = time.perf_counter()
        x = to_mnist(canvas)
        t2 = time.perf_counter()
        explanation = predictor.explain(x)
        t3 = time.perf_counter()
        predictor.predict_proba(x[None])
        t4 = time.perf_counter()
        saliency_rgb(x, explanation.saliency)
        sequential_rgb(unit_grid(explanation.hidden[0]), float(explanation.hidden[0].max()))
        t5 = time.perf_counter()
        raster.append(t1 - t0)
        mnist.append(t2 - t1)
        explain.append(t3 - t2)
        predict.append(t4 - t3)
        views.append(t5 - t4)

    print(f"default model {predictor.layers[0][0].shape[0]}-800-800-10, {len(images)} digits")
    print(
        f"DrawTab.refresh()                 median {_median_ms(refresh):.2f} ms  "
        f"p90 {statistics.quantiles(refresh, n=10)[-1] * 1000:.2f} ms"
    )
    print(f"  canvas raster 280×280           median {_median_ms(raster):.2f} ms")
    print(f"  to_mnist                        median {_median_ms(mnist):.2f} ms")
    print(f"  explain (forward + backward)    median {_median_ms(explain):.2f} ms")
    print(f"    for comparison predict_proba  median {_median_ms(predict):.2f} ms")
    print(f"  saliency + activation colours   median {_median_ms(views):.2f} ms")
    print(f"paint of the side panel           median {_median_ms(paint):.2f} ms (once a frame)")


if __name__ == "__main__":
    main()
