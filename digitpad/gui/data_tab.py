"""The Data tab: what the network will learn from, before any training.

A grid of random training examples of a chosen digit (the tutorials' ``show_pics(mnist, 2)``),
the number of images per digit in each split, each digit's average image, and the histogram of
pixel values. The numbers come from :func:`digitpad.data_stats.stats_of`; loading MNIST (~0.7 s)
and counting it (~0.3 s) happen once, on a worker thread, the first time the tab is shown.
Everything here is painted with QPainter: no matplotlib, no TensorFlow.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtGui import QPalette, QShowEvent
from PySide6.QtWidgets import (
    QButtonGroup,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSizePolicy,
    QStackedWidget,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from digitpad.colour_maps import grey_rgb
from digitpad.data import IMAGE_SIDE, Mnist
from digitpad.data_stats import DataStats, examples_of, stats_of
from digitpad.gui.captions import caption
from digitpad.gui.generator_worker import JobSlot
from digitpad.gui.painted_charts import GroupedBars, LevelHistogram
from digitpad.gui.pixel_image import PixelImage
from digitpad.tiling import tile_at, tile_images

DataLoader = Callable[[], Mnist]
EXAMPLE_COLUMNS = 10
EXAMPLE_GAP = 2
EXAMPLE_COUNT = 100
SPLITS = ("train", "validation", "test")
_ANY = 10  # the "any digit" button's id (Qt reserves -1 for "pick an id for me")


def default_loader() -> Mnist:
    """The bundled MNIST (cached by :func:`digitpad.data.load_mnist` for the other tabs too)."""
    from digitpad.data import load_mnist

    return load_mnist()


def load_and_count(loader: DataLoader) -> tuple[Mnist, DataStats]:
    """The data and its statistics: the work the tab's worker thread does."""
    data = loader()
    return data, stats_of(data)


class DataTab(QWidget):
    """Shows the training data. Built and loaded on first show; ``ready`` once it is filled."""

    ready = Signal()

    def __init__(self, loader: DataLoader | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._loader = loader or default_loader
        self._data: Mnist | None = None
        self._stats: DataStats | None = None
        self._digit: int | None = None
        self._examples = np.zeros(0, dtype=np.int64)
        self._rng = np.random.default_rng()
        self._job = JobSlot("load-data", self)
        self._job.result.connect(self._loaded)
        self._job.failed.connect(self._failed)

        self.status = QLabel("Loading MNIST…")
        self.status.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.status.setWordWrap(True)  # an error message can be long: wrap, never widen the window
        self.status.setForegroundRole(QPalette.ColorRole.PlaceholderText)
        self._pages = QStackedWidget()
        self._pages.addWidget(self.status)
        layout = QVBoxLayout(self)
        layout.addWidget(self._pages)
        self._content: QWidget | None = None

    # --- public API -----------------------------------------------------------------------------

    @property
    def stats(self) -> DataStats | None:
        """The statistics shown, once loaded."""
        return self._stats

    @property
    def example_indices(self) -> np.ndarray:
        """Indices into the training set of the examples shown."""
        return self._examples

    @property
    def data(self) -> Mnist | None:
        return self._data

    @property
    def busy(self) -> bool:
        return self._job.running

    def show_examples(self, digit: int | None) -> None:
        """Show a fresh random sample of training images of ``digit`` (None: any digit)."""
        self._digit = digit
        if self._data is None:
            return
        train = self._data.train
        self._examples = examples_of(train.y, digit, EXAMPLE_COUNT, self._rng)
        images = train.rows(self._examples).reshape(-1, IMAGE_SIDE, IMAGE_SIDE)  # only these
        grid = tile_images(images, EXAMPLE_COLUMNS, EXAMPLE_GAP)
        self.examples_view.set_rgb(grey_rgb(grid, self._background()))
        which = "any digit" if digit is None else f"the digit {digit}"
        self.examples_caption.setText(
            f"{len(self._examples)} random training images of {which} "
            f"(of {_count(train.y, digit):,})"
        )
        button = self.digit_buttons.button(_ANY if digit is None else digit)
        if button is not None and not button.isChecked():
            button.setChecked(True)

    def wait_for_background(self, msecs: int = 5000) -> bool:
        """Wait for the loading thread to finish (for shutdown); False on time-out."""
        return self._job.wait(msecs)

    # --- building on first show ---------------------------------------------------------------

    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802 (Qt override)
        if self._content is None:
            self._build()
            self._start_loading()
        super().showEvent(event)

    def _build(self) -> None:
        self.digit_buttons = QButtonGroup(self)
        digit_row = QHBoxLayout()
        digit_row.setSpacing(2)
        for value, text in ((_ANY, "any"), *((d, str(d)) for d in range(10))):
            button = QToolButton()
            button.setText(text)
            button.setCheckable(True)
            button.setAutoRaise(False)
            button.setToolTip("Examples of any digit" if value == _ANY else f"Examples of {text}")
            self.digit_buttons.addButton(button, value)
            digit_row.addWidget(button)
        self.digit_buttons.button(_ANY).setChecked(True)
        self.digit_buttons.idClicked.connect(lambda i: self.show_examples(None if i == _ANY else i))
        self.shuffle_button = QPushButton("Other examples")
        self.shuffle_button.setToolTip("Another random sample of the same digit")
        self.shuffle_button.clicked.connect(lambda: self.show_examples(self._digit))
        digit_row.addSpacing(8)
        digit_row.addWidget(self.shuffle_button)
        digit_row.addStretch(1)

        self.examples_view = PixelImage(preferred_scale=2, top_aligned=True)
        self.examples_view.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.examples_view.tooltip = self._example_tooltip
        self.examples_caption = QLabel()
        self.counts_chart = GroupedBars()
        self.counts_caption = QLabel()
        self.counts_caption.setWordWrap(True)
        self.averages_view = PixelImage(preferred_scale=2, whole_factors=False)
        self.averages_view.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.averages_view.setFixedHeight(64)
        self.averages_view.setToolTip(
            "The pixel-wise mean of all training images of each digit, 0 to 9: where the "
            "ink usually is. A network that only compared drawings with these would already "
            "get most digits right."
        )
        self.levels_chart = LevelHistogram()
        self.levels_caption = QLabel()
        self.levels_caption.setWordWrap(True)

        left = QVBoxLayout()
        left.addWidget(caption("Examples"))
        left.addLayout(digit_row)
        left.addWidget(self.examples_caption)
        left.addWidget(self.examples_view, 1)

        right = QVBoxLayout()
        right.addWidget(caption("Images per digit"))
        right.addWidget(self.counts_chart, 3)
        right.addWidget(self.counts_caption)
        right.addSpacing(8)
        right.addWidget(caption("The average digit"))
        right.addWidget(self.averages_view)
        right.addSpacing(8)
        right.addWidget(caption("Pixel values in the training images (log scale)"))
        right.addWidget(self.levels_chart, 2)
        right.addWidget(self.levels_caption)

        content = QWidget()
        body = QGridLayout(content)
        body.setContentsMargins(0, 0, 0, 0)
        body.addLayout(left, 0, 0)
        body.addLayout(right, 0, 1)
        # The examples get a little more width: at 600 px they show twice their size, crisp.
        body.setColumnStretch(0, 6)
        body.setColumnStretch(1, 5)
        self._content = content
        self._pages.addWidget(content)

    def _start_loading(self) -> None:
        self.setCursor(Qt.CursorShape.BusyCursor)
        loader = self._loader
        # A one-item generator: JobSlot runs it off the GUI thread and reports its last item.
        self._job.start(lambda: iter([load_and_count(loader)]))

    @Slot(object)
    def _loaded(self, result: tuple[Mnist, DataStats]) -> None:
        self.unsetCursor()
        data, stats = result
        self._data, self._stats = data, stats
        counts = np.stack([stats.counts[split] for split in SPLITS])
        self.counts_chart.set_series(list(SPLITS), counts)
        totals = ", ".join(f"{split} {int(stats.counts[split].sum()):,}" for split in SPLITS)
        low, high = int(counts[0].argmin()), int(counts[0].argmax())
        self.counts_caption.setText(
            f"{totals}. Nearly balanced: the training set has {int(counts[0, high]):,} "
            f"{high}s but only {int(counts[0, low]):,} {low}s."
        )
        averages = tile_images(stats.averages, 10, gap=2)
        self.averages_view.set_rgb(grey_rgb(averages, self._background()))
        self.levels_chart.set_counts(stats.pixel_levels)
        levels = stats.pixel_levels
        bright = levels[int(0.5 * 255) :].sum() / max(1, levels.sum())
        self.levels_caption.setText(
            f"{stats.background_share:.0%} of the pixels are pure black background and "
            f"{bright:.0%} are brighter than half: a digit is a few strokes of nearly white "
            "ink with a thin grey edge."
        )
        self.show_examples(self._digit)
        assert self._content is not None  # built by showEvent before loading started
        self._pages.setCurrentWidget(self._content)
        self.ready.emit()

    @Slot(str)
    def _failed(self, message: str) -> None:
        self.unsetCursor()
        self.status.setText(f"Could not load the data: {message}")

    def _example_tooltip(self, row: int, column: int) -> str | None:
        if self._data is None:
            return None
        index = tile_at(
            row, column, len(self._examples), (IMAGE_SIDE, IMAGE_SIDE), EXAMPLE_COLUMNS, EXAMPLE_GAP
        )
        if index is None:
            return None
        i = int(self._examples[index])
        return f"Training image #{i}: a {int(self._data.train.y[i])}"

    def _background(self) -> tuple[int, int, int]:
        color = self.palette().color(QPalette.ColorRole.Window)
        return color.red(), color.green(), color.blue()


def _count(labels: np.ndarray, digit: int | None) -> int:
    return len(labels) if digit is None else int((labels == digit).sum())
