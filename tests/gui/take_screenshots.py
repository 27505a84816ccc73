"""Screenshots of every tab at a given window size and palette, with a layout report.

    QT_QPA_PLATFORM=offscreen python tests/gui/take_screenshots.py --size 800x600 \
        --out assets/screenshots [--dark] [--tabs Mistakes,Data]

Saves ``<tab>_<size>[_dark].png`` per tab (lower-case tab name; ``train_inside`` is the Train
tab's Inside view) and prints the problems :func:`layout_check.page_problems` finds on each
(none: "ok"); exits 1 if there are any. Run it with
``QT_SCALE_FACTOR=2`` to see the window at 200 %. Uses a temporary store and settings, the
bundled model and the real test set; the Data tab shows a 2,000-image training subset unless
``--full-data``.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from gui_support import small_data  # noqa: E402
from layout_check import page_problems  # noqa: E402
from PySide6.QtCore import QSettings, QSize  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from digitpad.gui.appearance import dark_palette  # noqa: E402


def wait_until(app: QApplication, ready, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while not ready():
        if time.monotonic() > deadline:
            raise TimeoutError("the tab did not fill in time")
        app.processEvents()
        time.sleep(0.01)  # a script, not a test: a short nap between event loops


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", default="800x600")
    parser.add_argument("--out", default="screenshots")
    parser.add_argument("--dark", action="store_true")
    parser.add_argument("--tabs", default="Draw,Train,Train/Inside,Mistakes,Data")
    parser.add_argument(
        "--full-data", action="store_true", help="Data tab: all of MNIST, not a 2,000 subset"
    )
    parser.add_argument(
        "--worst-digit", action="store_true", help="Mistakes: list the worst digit's mistakes"
    )
    args = parser.parse_args()
    width, height = (int(v) for v in args.size.split("x"))
    folder = tempfile.mkdtemp(prefix="digitpad-shots-")
    os.environ["DIGITPAD_STORE"] = os.path.join(folder, "store")

    app = QApplication([])
    app.setStyle("Fusion")
    if args.dark:
        app.setPalette(dark_palette())
    from digitpad.gui.main_window import MainWindow

    settings = QSettings(os.path.join(folder, "settings.ini"), QSettings.Format.IniFormat)
    window = MainWindow(settings=settings, data_loader=None if args.full_data else small_data)
    window.setMinimumSize(1, 1)
    window.resize(QSize(width, height))
    window.show()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    titles = [window.tabs.tabText(i).replace("&", "") for i in range(window.tabs.count())]
    failures = 0
    for page in args.tabs.split(","):
        title, _, view = page.partition("/")
        index = titles.index(title)
        window.tabs.setCurrentIndex(index)
        if window.tabs.widget(index) is window.train_tab:
            window.train_tab.views.setCurrentIndex(1 if view == "Inside" else 0)
        if window.tabs.widget(index) is window.mistakes_tab:
            wait_until(app, lambda: window.mistakes_tab.evaluation is not None)
            if args.worst_digit:
                window.mistakes_tab.class_table.cellClicked.emit(0, 1)
        if window.tabs.widget(index) is window.data_tab:
            wait_until(app, lambda: window.data_tab.stats is not None)
        if window.tabs.widget(index) is window.train_tab and view != "Inside":
            # The charts are drawn on a thread of their own: wait for their picture.
            wait_until(app, lambda: window.train_tab.charts.plot.image is not None)
            window.train_tab.charts.wait_rendered()
        for _ in range(20):
            app.processEvents()
        suffix = "_dark" if args.dark else ""
        name = page.lower().replace("/", "_")
        path = out / f"{name}_{width}x{height}{suffix}.png"
        window.grab().save(str(path))
        problems = page_problems(window.tabs)
        failures += bool(problems)
        print(f"{path}: " + ("ok" if not problems else "\n  " + "\n  ".join(problems)))
    window.close()
    window.mistakes_tab.wait_for_background()
    window.data_tab.wait_for_background()
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
