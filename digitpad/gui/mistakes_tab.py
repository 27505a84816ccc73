"""The Mistakes tab: where the network goes wrong on the 10,000 test images, and why.

Loading the test set (~0.8 s) and evaluating the model run on a worker thread; the view then only
filters indices (:mod:`digitpad.browse`) and shows them. Clicking a confusion-matrix cell lists
that pair, and a row of the per-digit table (accuracy and precision, worst digit first) that
digit's mistakes; clicking an image shows its ten probabilities and can send it to the Draw
tab. For the confidence threshold shared with the Draw tab, a line says how many test images the
network would answer and how many of those it gets right
(:func:`digitpad.coverage.coverage_curve`).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from PySide6.QtCore import QEvent, QModelIndex, QObject, Qt, Signal, Slot
from PySide6.QtGui import QFont
from PySide6.QtWidgets import (
    QComboBox,
    QDoubleSpinBox,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from digitpad.browse import Show, select, show_for_cell, summary
from digitpad.coverage import Coverage, CoverageCurve, coverage_curve
from digitpad.data import Split, load_mnist
from digitpad.evaluation import Evaluation, class_scores, evaluate_probabilities
from digitpad.gui.captions import caption
from digitpad.gui.class_table import ClassScoresTable
from digitpad.gui.confidence import MAX_THRESHOLD, ConfidenceThreshold
from digitpad.gui.confusion_matrix import ConfusionMatrix
from digitpad.gui.digit_image import DigitImage
from digitpad.gui.flow_layout import FlowLayout, group
from digitpad.gui.generator_worker import JobSlot
from digitpad.gui.image_grid import DigitListModel, make_grid_view
from digitpad.gui.painted_charts import CoverageChart
from digitpad.gui.probability_bars import ProbabilityBars, percent_text
from digitpad.inference import Predictor

Loader = Callable[[], Split]
"""Returns the labelled images to evaluate on; called on a worker thread."""

_SHOW_LABELS = {Show.MISTAKES: "Mistakes", Show.ALL: "All", Show.CORRECT: "Correct"}
# The curve's samples, up to the highest threshold one can set: even steps, and many more
# above 90 %, where a 99 % model's trade-off is.
_CURVE_THRESHOLDS = np.unique(
    np.concatenate(
        [np.linspace(0.0, 0.99, 100), 1.0 - np.logspace(-1, np.log10(1 - MAX_THRESHOLD), 60)]
    )
)


def default_loader() -> Split:
    """The MNIST test set (cached by :func:`digitpad.data.load_mnist` for the other tabs too)."""
    return load_mnist().test


def evaluate_test_set(loader: Loader, predictor: Predictor) -> tuple[np.ndarray, Evaluation]:
    """The (N, 28, 28) images from ``loader`` and ``predictor``'s evaluation on them.

    Plain NumPy: this is the work the tab's worker thread does.
    """
    test = loader()
    return test.images, evaluate_probabilities(predictor.predict_proba(test.x), test.y)


class MistakesTab(QWidget):
    """Browse the test set by true digit, predicted digit and outcome, worst mistakes first."""

    open_in_canvas = Signal(object)
    """A (28, 28) float32 image the user wants to look at, or draw over, on the canvas."""
    evaluated = Signal()
    """The grid, matrix and summary now show the current predictor's results."""

    def __init__(
        self,
        loader: Loader | None = None,
        parent: QWidget | None = None,
        threshold: ConfidenceThreshold | None = None,
    ) -> None:
        super().__init__(parent)
        self._loader = loader or default_loader
        self._predictor: Predictor | None = None
        self._images: np.ndarray | None = None
        self._evaluation: Evaluation | None = None
        self._curve: CoverageCurve | None = None
        self.threshold = threshold if threshold is not None else ConfidenceThreshold(parent=self)
        self.threshold.changed.connect(self._threshold_changed)
        # One evaluation at a time: a new predictor aborts the last one, whose result is dropped.
        self._job = JobSlot("evaluate-test-set", self)
        self._job.result.connect(self._evaluation_done)
        self._job.failed.connect(self._evaluation_failed)

        self.summary_label = QLabel("No model")
        self.summary_label.setWordWrap(True)
        summary_font = QFont(self.font())
        summary_font.setPointSizeF(summary_font.pointSizeF() * 1.15)
        summary_font.setBold(True)
        self.summary_label.setFont(summary_font)

        self.threshold_spin = QDoubleSpinBox()
        self.threshold_spin.setRange(0.0, MAX_THRESHOLD * 100)
        self.threshold_spin.setDecimals(1)
        self.threshold_spin.setSingleStep(1.0)
        self.threshold_spin.setSuffix(" %")
        self.threshold_spin.setSpecialValueText("off")
        self.threshold_spin.setAccessibleName("Confidence threshold")
        self.threshold_spin.setToolTip(
            "Answer only when the top probability reaches this (shared with the Draw tab)"
        )
        self.threshold_spin.setValue(self.threshold.value * 100)
        self.threshold_spin.valueChanged.connect(
            lambda percent: self.threshold.set_value(percent / 100)
        )
        self.coverage_label = QLabel()
        self.coverage_label.setWordWrap(True)
        self.coverage_chart = CoverageChart()
        self.coverage_chart.setAccessibleDescription(
            "Accuracy on the test images the network answers against the share it answers, as "
            "the confidence threshold rises; a dot marks the current threshold"
        )

        self.confusion = ConfusionMatrix()
        self.confusion.cell_clicked.connect(self._cell_clicked)
        self.class_table = ClassScoresTable()
        self.class_table.filter_requested.connect(
            lambda true, predicted: self.set_filters(true, predicted, Show.MISTAKES)
        )
        # Once the user drags a splitter, its sizes are theirs; until then they follow the window.
        self._user_sized: set[str] = set()

        self.true_filter = _digit_combo("True digit")
        self.predicted_filter = _digit_combo("Predicted digit")
        self.show_filter = QComboBox()
        self.show_filter.setAccessibleName("Show")
        for show, label in _SHOW_LABELS.items():
            self.show_filter.addItem(label, show)
        for combo in (self.true_filter, self.predicted_filter, self.show_filter):
            combo.currentIndexChanged.connect(self._apply_filters)
        self.reset_button = QPushButton("All mistakes")
        self.reset_button.setToolTip("Clear the digit filters and list every mistake")
        self.reset_button.clicked.connect(lambda: self.set_filters(None, None, Show.MISTAKES))
        self.count_label = QLabel()

        self.grid_model = DigitListModel(self)
        self.grid_model.set_threshold(self.threshold.value)
        self.grid = make_grid_view(self.grid_model)
        # At least one whole thumbnail (its caption may need scrolling in a short window).
        self.grid.setMinimumHeight(
            self.grid.iconSize().height() + 2 * self.grid.spacing() + 2 * self.grid.frameWidth()
        )
        self.grid.selectionModel().currentChanged.connect(self._current_changed)
        self.grid.doubleClicked.connect(lambda index: self._open(index.row()))
        # Enter (or Return) on the selected image opens it too: the grid works from the keyboard.
        self.grid.activated.connect(lambda index: self._open(index.row()))

        self.detail_image = DigitImage(scale_hint=4)
        self.detail_image.setAccessibleName("Selected test image")
        self.detail_caption = QLabel("Click an image to see what the network thought.")
        self.detail_caption.setWordWrap(True)
        self.detail_caption.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        self.detail_bars = ProbabilityBars()
        # Ten rows of a glance: on a wide screen, bars a metre long would only be harder to read.
        self.detail_bars.setMaximumWidth(520)
        self.open_button = QPushButton("Open in canvas")
        self.open_button.setToolTip("Put this image on the Draw tab's canvas to draw over it")
        self.open_button.setEnabled(False)
        self.open_button.clicked.connect(lambda: self._open(self.grid.currentIndex().row()))

        self._build_layout()

    def _build_layout(self) -> None:
        # The matrix with the per-digit scores beside it on the left; the filters, the grid and
        # the selected image on the right. Splitters let the user trade one for the other; every
        # part keeps its honest minimum, which all fit in an 800x600 window.
        scores = QVBoxLayout()
        scores.setContentsMargins(0, 0, 0, 0)
        scores.addWidget(caption("Worst digits first"))
        scores.addWidget(self.class_table)
        scores.addStretch(1)
        matrix_row = QHBoxLayout()
        matrix_row.setContentsMargins(0, 0, 0, 0)
        matrix_row.addWidget(self.confusion, 1)
        matrix_row.addLayout(scores)
        self.left_pane = QWidget()
        left = QVBoxLayout(self.left_pane)
        left.setContentsMargins(0, 0, 4, 0)
        left.addWidget(caption("Confusion matrix: click a cell or a digit"))
        left.addLayout(matrix_row, 1)

        filters = FlowLayout()
        for text, combo in (
            ("True", self.true_filter),
            ("Predicted", self.predicted_filter),
            ("Show", self.show_filter),
        ):
            label = QLabel(text)
            label.setBuddy(combo)
            filters.addWidget(group(label, combo))
        filters.addWidget(self.reset_button)
        filters.addWidget(self.count_label)
        list_page = QWidget()
        listing = QVBoxLayout(list_page)
        listing.setContentsMargins(4, 0, 0, 0)
        listing.addLayout(filters)
        self._filters = filters
        listing.addWidget(self.grid, 1)

        image_column = QVBoxLayout()
        image_column.addWidget(self.detail_image, 1)
        image_column.addWidget(self.open_button)
        detail_row = QHBoxLayout()
        detail_row.addLayout(image_column)
        detail_row.addWidget(self.detail_bars, 1)
        detail_row.addStretch(0)
        detail_page = QWidget()
        detail = QVBoxLayout(detail_page)
        detail.setContentsMargins(4, 4, 0, 0)
        detail.addWidget(caption("Selected image"))
        detail.addWidget(self.detail_caption)
        detail.addLayout(detail_row, 1)

        self.right_pane = QSplitter(Qt.Orientation.Vertical)
        self.right_pane.setChildrenCollapsible(False)
        self.right_pane.addWidget(list_page)
        self.right_pane.addWidget(detail_page)
        self.right_pane.setStretchFactor(0, 1)
        self.right_pane.setStretchFactor(1, 0)
        self.right_pane.splitterMoved.connect(lambda *_: self._user_sized.add("height"))
        self._detail_page, self._detail_layout, self._list_page = detail_page, detail, list_page

        self.body = QSplitter(Qt.Orientation.Horizontal)
        self.body.setChildrenCollapsible(False)
        self.body.addWidget(self.left_pane)
        self.body.addWidget(self.right_pane)
        self.body.splitterMoved.connect(lambda *_: self._user_sized.add("width"))
        self.body.installEventFilter(self)
        self.right_pane.installEventFilter(self)

        threshold_row = QHBoxLayout()
        threshold_label = QLabel("Answer only if ≥")
        threshold_label.setBuddy(self.threshold_spin)
        threshold_row.addWidget(threshold_label)
        threshold_row.addWidget(self.threshold_spin)
        threshold_row.addSpacing(8)
        threshold_row.addWidget(self.coverage_label, 1)
        # The summary and the threshold's line on the left, the trade-off curve beside both.
        header = QGridLayout()
        header.setContentsMargins(0, 0, 0, 0)
        header.addWidget(self.summary_label, 0, 0)
        header.addLayout(threshold_row, 1, 0)
        header.addWidget(self.coverage_chart, 0, 1, 2, 1)
        header.setColumnStretch(0, 1)

        layout = QVBoxLayout(self)
        layout.addLayout(header)
        layout.addWidget(self.body, 1)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt override)
        if event.type() == QEvent.Type.Resize:
            if watched is self.body and "width" not in self._user_sized:
                self._share_width()
            elif watched is self.right_pane:
                self._fit_right_pane()
        return super().eventFilter(watched, event)

    def _share_width(self) -> None:
        """Give the matrix about 40 % of the width: never less than it needs, and never so much
        that the grid gets less than it needs (until the user moves the splitter)."""
        total = self.body.width() - self.body.handleWidth()
        if total <= 0:
            return
        least_left = self.left_pane.minimumSizeHint().width()
        least_right = self.right_pane.minimumSizeHint().width()
        left = max(least_left, min(int(total * 0.4), total - least_right))
        self.body.setSizes([left, max(0, total - left)])

    def _fit_right_pane(self) -> None:
        """Keep the right splitter's minimums honest, and share its height until the user moves
        it: the selected image gets what it asks for when there is room, its minimum when not,
        and the grid the rest.

        The detail's caption and the filter bar wrap, which a splitter does not see: at the
        pane's width they may need more lines than their minimums say. Measured at the width
        the pane is about to give them (the splitter lays its children out after this).
        """
        detail, listing = self._detail_page, self._list_page
        margins = self._detail_layout.contentsMargins()
        width = self.right_pane.width() - margins.left() - margins.right()
        caption = self.detail_caption
        extra = max(0, caption.heightForWidth(width) - caption.minimumSizeHint().height())
        detail_least = detail.minimumSizeHint().height() + extra
        rows = max(0, self._filters.heightForWidth(width) - self._filters.minimumSize().height())
        listing_least = listing.minimumSizeHint().height() + rows
        detail.setMinimumHeight(detail_least)
        listing.setMinimumHeight(listing_least)
        total = self.right_pane.height() - self.right_pane.handleWidth()
        if "height" in self._user_sized or total <= 0:
            return
        wanted = min(detail.sizeHint().height(), int(total * 0.45))
        height = max(detail_least, min(wanted, total - listing_least))
        self.right_pane.setSizes([total - height, height])

    # --- public API -----------------------------------------------------------------------------

    def set_predictor(self, predictor: Predictor | None) -> None:
        """Evaluate ``predictor`` on the test set (in the background) and show its mistakes."""
        self._predictor = predictor
        if predictor is None:
            self._job.abort()  # results for an older predictor are ignored when they arrive
            self.unsetCursor()
            self._show_evaluation(None, None)
            self.summary_label.setText("No model")
            return
        self.summary_label.setText("Loading the test set and evaluating the model…")
        self.setCursor(Qt.CursorShape.BusyCursor)
        loader = self._loader
        # A one-item generator: JobSlot runs it off the GUI thread and reports its last item.
        self._job.start(lambda: iter([evaluate_test_set(loader, predictor)]))

    @property
    def evaluation(self) -> Evaluation | None:
        return self._evaluation

    @property
    def coverage(self) -> Coverage | None:
        """What the current threshold does on the test set, once it is evaluated."""
        return None if self._curve is None else self._curve.at(self.threshold.value)

    def set_filters(self, true: int | None, predicted: int | None, show: Show) -> None:
        """List the images of this true digit, predicted digit (None: any) and outcome."""
        for combo, value in ((self.true_filter, true), (self.predicted_filter, predicted)):
            combo.blockSignals(True)
            combo.setCurrentIndex(0 if value is None else value + 1)
            combo.blockSignals(False)
        self.show_filter.blockSignals(True)
        self.show_filter.setCurrentIndex(self.show_filter.findData(show))
        self.show_filter.blockSignals(False)
        self._apply_filters()

    def filters(self) -> tuple[int | None, int | None, Show]:
        return (
            _combo_digit(self.true_filter),
            _combo_digit(self.predicted_filter),
            Show(self.show_filter.currentData()),
        )

    def selected_test_index(self) -> int | None:
        """The test-set index of the image shown in detail, if any."""
        row = self.grid.currentIndex().row()
        return None if row < 0 else self.grid_model.test_index(row)

    @property
    def busy(self) -> bool:
        """True while an evaluation has not reported back yet."""
        return self._job.running

    def wait_for_background(self, msecs: int = 5000) -> bool:
        """Wait for the evaluation thread to finish (for shutdown); False on time-out."""
        return self._job.wait(msecs)

    # --- worker results -------------------------------------------------------------------------

    @Slot(object)
    def _evaluation_done(self, result: tuple[np.ndarray, Evaluation]) -> None:
        self.unsetCursor()
        images, evaluation = result
        self._show_evaluation(images, evaluation)
        self.evaluated.emit()

    @Slot(str)
    def _evaluation_failed(self, message: str) -> None:
        self.unsetCursor()
        self._show_evaluation(None, None)
        self.summary_label.setText(f"Could not evaluate the model: {message}")

    def _show_evaluation(self, images: np.ndarray | None, evaluation: Evaluation | None) -> None:
        self._images, self._evaluation = images, evaluation
        if images is None or evaluation is None:
            self._curve = None
            self.grid_model.set_indices(np.zeros(0, dtype=np.int64))
            self.confusion.set_confusion(None)
            self.class_table.set_scores(None)
            self._show_detail(None)
            self.count_label.clear()
            self._show_coverage()
            return
        correct = evaluation.predicted == evaluation.labels
        self._curve = coverage_curve(evaluation.confidence, correct, _CURVE_THRESHOLDS)
        self.coverage_chart.set_curve(self._curve.coverage, self._curve.accuracy)
        self.grid_model.set_source(images, evaluation)
        self.confusion.set_confusion(evaluation.confusion)
        self.class_table.set_scores(class_scores(evaluation.confusion))
        self.summary_label.setText(summary(evaluation))
        self._show_coverage()
        self._apply_filters()

    # --- the confidence threshold ---------------------------------------------------------------

    @Slot(float)
    def _threshold_changed(self, value: float) -> None:
        self.threshold_spin.blockSignals(True)
        self.threshold_spin.setValue(value * 100)
        self.threshold_spin.blockSignals(False)
        self.grid_model.set_threshold(value)
        self._show_coverage()

    def _show_coverage(self) -> None:
        coverage = self.coverage
        self.coverage_chart.setVisible(coverage is not None)
        if coverage is None:
            self.coverage_label.clear()
            return
        self.coverage_chart.set_marker(coverage.coverage, coverage.accuracy)
        self.coverage_label.setText(coverage_text(coverage))

    # --- filters and selection ------------------------------------------------------------------

    @Slot()
    def _apply_filters(self) -> None:
        true, predicted, show = self.filters()
        both = None if true is None or predicted is None else (true, predicted)
        self.confusion.set_selected(both)
        self.class_table.show_selected(true, predicted)
        if self._evaluation is None:
            return
        indices = select(self._evaluation, show, true, predicted)
        self.grid_model.set_indices(indices)
        noun = "image" if len(indices) == 1 else "images"
        self.count_label.setText(f"{len(indices):,} {noun}")
        if len(indices):
            # Show the first (for mistakes: the most confident) at once, not an empty panel.
            self.grid.setCurrentIndex(self.grid_model.index(0))
            self.grid.scrollToTop()
        else:
            self._show_detail(None)

    @Slot(int, int)
    def _cell_clicked(self, true: int, predicted: int) -> None:
        self.set_filters(true, predicted, show_for_cell(true, predicted))

    @Slot(QModelIndex, QModelIndex)
    def _current_changed(self, current: QModelIndex, previous: QModelIndex) -> None:
        self._show_detail(self.grid_model.test_index(current.row()) if current.isValid() else None)

    def _show_detail(self, i: int | None) -> None:
        evaluation, images = self._evaluation, self._images
        if i is None or evaluation is None or images is None:
            self.detail_image.set_image(None)
            self.detail_bars.set_probabilities(None)
            self.detail_caption.setText("No image selected.")
            self.open_button.setEnabled(False)
            return
        true, guess = int(evaluation.labels[i]), int(evaluation.predicted[i])
        probabilities = evaluation.probabilities[i]
        lines = [
            f"Test image #{i}: a {true}, read as {guess} "
            f"({percent_text(float(probabilities[guess]))} sure)."
        ]
        if true != guess:
            # How much the right answer got says whether it was a near miss or a blind spot.
            lines.append(f"It gave {true} only {percent_text(float(probabilities[true]))}.")
        self.detail_caption.setText(" ".join(lines))
        self.detail_image.set_image(images[i])
        self.detail_bars.set_probabilities(probabilities)
        self.open_button.setEnabled(True)
        self._fit_right_pane()  # a longer caption may need another line

    def _open(self, row: int) -> None:
        if row < 0 or self._images is None:
            return
        image = np.array(self._images[self.grid_model.test_index(row)], dtype=np.float32)
        self.open_in_canvas.emit(image)


def coverage_text(coverage: Coverage) -> str:
    """One line for people: what a threshold does on the test set."""
    if coverage.threshold <= 0:
        head = f"Always answering: {coverage.right:,} of {coverage.total:,} right"
        return f'{head} ({coverage.accuracy:.2%}). Raise the threshold to say "not sure" instead.'
    if coverage.answered == 0:
        return f"At this threshold the network answers none of the {coverage.total:,} images."
    withheld = coverage.withheld_mistakes
    mistakes = f'{withheld:,} of its {coverage.mistakes:,} mistakes become "not sure"'
    return (
        f"Answers {coverage.answered:,} of {coverage.total:,} test images "
        f"({coverage.coverage:.1%}); {coverage.accuracy:.2%} of those are right. "
        f"{mistakes}, and so do {coverage.total - coverage.answered - withheld:,} right answers."
    )


def _digit_combo(name: str) -> QComboBox:
    combo = QComboBox()
    combo.setAccessibleName(name)
    combo.addItem("any")
    for digit in range(10):
        combo.addItem(str(digit))
    return combo


def _combo_digit(combo: QComboBox) -> int | None:
    index = combo.currentIndex()
    return None if index <= 0 else index - 1
