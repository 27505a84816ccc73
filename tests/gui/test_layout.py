"""Every tab of the whole window from 800x600 to full HD: nothing clipped, nothing overlapping.

One window (the bundled model, the real test set for the Mistakes tab, a small training set
for the Data tab) is resized and each tab shown in turn; :mod:`layout_check` compares the
geometries of every visible widget with what it needs. The palette does not change geometry;
200 % scaling is checked in a subprocess (``QT_SCALE_FACTOR`` is read at start-up).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from gui_support import small_data
from layout_check import layout_problems, page_problems
from PySide6.QtCore import QSettings, QSize
from PySide6.QtWidgets import QApplication

from digitpad.gui.main_window import MainWindow

# 960x540 is a full HD screen at 200 % scaling, in the logical pixels layouts work in.
SIZES = {"800x600": QSize(800, 600), "960x540": QSize(960, 540), "1920x1080": QSize(1920, 1080)}
# A tab, and for the Train tab each of its two views.
PAGES = ("Draw", "Train", "Train/Inside", "Mistakes", "Data", "Network", "Runs", "My drawings")
LOAD_TIMEOUT_MS = 60_000
HERE = Path(__file__).resolve().parent


@pytest.fixture(scope="module")
def window(qapp, tmp_path_factory):
    folder = tmp_path_factory.mktemp("layout")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DIGITPAD_STORE", str(folder / "store"))
        settings = QSettings(str(folder / "settings.ini"), QSettings.Format.IniFormat)
        win = MainWindow(settings=settings, data_loader=small_data)
        # The window's own minimum is the largest of all tabs' minimums: let it be any size,
        # so that each tab is judged on the room it gets, not on another tab's appetite.
        win.setMinimumSize(1, 1)
        win.show()
        yield win
        win.close()
        win.deleteLater()
        QApplication.processEvents()


def show_page(qtbot, window: MainWindow, page: str, size: QSize) -> None:
    window.resize(size)
    title, _, view = page.partition("/")
    titles = [window.tabs.tabText(i).replace("&", "") for i in range(window.tabs.count())]
    window.tabs.setCurrentIndex(titles.index(title))
    if title == "Train":
        window.train_tab.views.setCurrentIndex(1 if view == "Inside" else 0)
    if title == "Mistakes":
        qtbot.waitUntil(lambda: window.mistakes_tab.evaluation is not None, timeout=LOAD_TIMEOUT_MS)
    if title == "Data":
        qtbot.waitUntil(lambda: window.data_tab.stats is not None, timeout=LOAD_TIMEOUT_MS)
    QApplication.processEvents()
    # Layouts settle over a few posted events (a word-wrapped label, a batched list view).
    qtbot.wait(50)
    assert window.size() == size


@pytest.mark.parametrize("size_name", list(SIZES))
@pytest.mark.parametrize("page", PAGES)
def test_every_tab_fits_without_clipping_or_overlap(qtbot, window, page, size_name):
    show_page(qtbot, window, page, SIZES[size_name])
    problems = page_problems(window.tabs)
    assert not problems, f"{page} at {size_name}:\n" + "\n".join(problems)


@pytest.mark.parametrize("size_name", list(SIZES))
def test_the_window_frame_fits(qtbot, window, size_name):
    show_page(qtbot, window, "Mistakes", SIZES[size_name])
    problems = [
        *layout_problems(window.menuBar()),
        *layout_problems(window.statusBar()),
        *layout_problems(window.tabs.tabBar()),
    ]
    assert not problems, "\n".join(problems)


def test_the_window_can_be_800x600(qtbot, window):
    hint = window.minimumSizeHint()
    assert hint.width() <= 800 and hint.height() <= 600, f"needs {hint.width()}x{hint.height()}"


def test_every_tab_but_draw_fits_a_full_hd_screen_at_200_percent(tmp_path):
    # QT_SCALE_FACTOR=2: a 960x540 window is 1920x1080 device pixels; fonts, frames and
    # pixel-exact images are rounded differently from 100 %.
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", QT_SCALE_FACTOR="2")
    done = subprocess.run(
        [
            sys.executable,
            str(HERE / "take_screenshots.py"),
            "--size=960x540",
            f"--out={tmp_path}",
            "--tabs=Train,Train/Inside,Mistakes,Data",
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    shots = sorted(p.name for p in tmp_path.iterdir())
    names = ("data", "mistakes", "train", "train_inside")
    assert shots == [f"{name}_960x540.png" for name in names]
