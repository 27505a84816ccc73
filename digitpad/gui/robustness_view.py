"""The robustness page: two models' accuracy as noise, rotation, shift, scale, stroke width and
occlusion grow, one chart per kind of damage.

The curves come from :func:`digitpad.robustness.robustness_steps` on a worker thread, with
progress and a Stop button; both models see exactly the same damaged images, and each model's
curves are cached by the checksum of its weights, so asking again (or swapping the two
pickers) is instant.
"""

from __future__ import annotations

import numpy as np
from matplotlib.backends.backend_qtagg import FigureCanvasQTAgg
from matplotlib.figure import Figure
from matplotlib.ticker import PercentFormatter
from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from digitpad.data import Split
from digitpad.gui.generator_worker import JobSlot
from digitpad.inference import Predictor, load_predictor
from digitpad.progress import Progress
from digitpad.robustness import (
    DAMAGES,
    ROBUSTNESS_IMAGES,
    ROBUSTNESS_SEED,
    RobustnessCache,
    RobustnessReport,
    robustness_steps,
)
from digitpad.store import list_models

CURRENT = "current model"
NONE = "(none)"
COLOURS = ("#4c8ed9", "#f28e2b")  # as the training charts: blue first, orange second


class RobustnessView(QWidget):
    """Pick two models, press Measure, read six charts."""

    reports_ready = Signal(object)
    """The list of :class:`RobustnessReport` shown, one per picked model."""

    def __init__(self, store: str | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._store = store
        self._predictor: Predictor | None = None
        self._test: Split | None = None
        self._cache = RobustnessCache()
        self._reports: list[RobustnessReport] = []
        self._job = JobSlot("robustness", self)
        self._job.item.connect(self._on_item)
        self._job.result.connect(self._on_result)
        self._job.failed.connect(self._on_failed)
        self._job.busy.connect(self._on_busy)

        self.first_picker = QComboBox()
        self.second_picker = QComboBox()
        self.measure_button = QPushButton("Measure")
        self.stop_button = QPushButton("Stop")
        self.stop_button.setEnabled(False)
        self.progress = QProgressBar()
        self.progress.setTextVisible(False)
        self.progress.hide()
        self.status = QLabel(
            f"Accuracy on a fixed set of {ROBUSTNESS_IMAGES:,} test images (seed "
            f"{ROBUSTNESS_SEED}) as each kind of damage grows; both models see the same "
            "damaged images."
        )
        self.status.setWordWrap(True)
        top = QHBoxLayout()
        top.addWidget(QLabel("Compare"))
        top.addWidget(self.first_picker, 1)
        top.addWidget(QLabel("with"))
        top.addWidget(self.second_picker, 1)
        top.addWidget(self.measure_button)
        top.addWidget(self.stop_button)
        top.addWidget(self.progress)

        self.figure = Figure(figsize=(9, 5.5), layout="constrained")
        self.canvas = FigureCanvasQTAgg(self.figure)
        self.canvas.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.canvas.setMinimumSize(480, 320)
        grid = self.figure.subplots(2, 3)
        self.axes = dict(zip(DAMAGES, grid.ravel(), strict=True))
        self._draw()

        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.status)
        layout.addWidget(self.canvas, 1)

        self.measure_button.clicked.connect(self.measure)
        self.stop_button.clicked.connect(self.stop)
        self.refresh_models()

    # --- inputs ---------------------------------------------------------------------------

    def set_test_set(self, test: Split) -> None:
        self._test = test

    def set_predictor(self, predictor: Predictor | None) -> None:
        self._predictor = predictor
        self.refresh_models()

    def refresh_models(self) -> None:
        """List the stored models in both pickers (after a save, a delete, a new model)."""
        try:
            names = [info.name for info in list_models(self._store) if info.ok]
        except Exception:  # an unreadable store must not take the page down
            names = []
        current_name = self._predictor.name if self._predictor is not None else None
        for picker, extra in ((self.first_picker, []), (self.second_picker, [NONE])):
            chosen = picker.currentText()
            picker.blockSignals(True)
            picker.clear()
            picker.addItems([CURRENT, *extra, *names])
            picker.blockSignals(False)
            if chosen and picker.findText(chosen) >= 0:
                picker.setCurrentText(chosen)
        if self.second_picker.currentText() in ("", CURRENT, NONE):
            # Something to compare with by default: a stored model that is not the current one.
            others = [n for n in names if n != current_name]
            self.second_picker.setCurrentText(others[0] if others else NONE)

    def choose(self, first: str, second: str) -> None:
        """Pick the two models by name (``CURRENT`` for the current one, ``NONE`` for no
        second model)."""
        self.first_picker.setCurrentText(first)
        self.second_picker.setCurrentText(second)

    @property
    def reports(self) -> list[RobustnessReport]:
        return list(self._reports)

    @property
    def cache(self) -> RobustnessCache:
        return self._cache

    def shutdown(self, timeout_ms: int = 5000) -> bool:
        return self._job.shutdown(timeout_ms)

    # --- measuring ------------------------------------------------------------------------

    def measure(self) -> None:
        test = self._test
        if test is None:
            self.status.setText("The test images are still loading; try again in a moment.")
            return
        choices = [self.first_picker.currentText(), self.second_picker.currentText()]
        choices = [c for c in choices if c and c != NONE]
        current, store, cache = self._predictor, self._store, self._cache
        if CURRENT in choices and current is None:
            self.status.setText("There is no current model yet.")
            return

        def chosen(choice: str) -> Predictor:
            if choice != CURRENT:
                return load_predictor(choice, store)
            assert current is not None  # checked above, before the job starts
            return current

        def work():
            # Stored models are read here, on the worker thread.
            predictors = [chosen(c) for c in choices]
            yield from robustness_steps(predictors, test.x, test.y, cache=cache)

        self.progress.setValue(0)
        self._job.start(work)

    def stop(self) -> None:
        self._job.abort()
        self.status.setText("Stopped; nothing was kept of the unfinished curves.")

    def _on_item(self, item: object) -> None:
        if isinstance(item, Progress):
            self.progress.setMaximum(item.total)
            self.progress.setValue(item.done)
            self.status.setText(f"Measuring {item.message} ({item.done} of {item.total})…")

    def _on_result(self, reports: object) -> None:
        if not isinstance(reports, list):
            return
        self._reports = reports
        names = " and ".join(r.model_name or "model" for r in reports)
        self.status.setText(
            f"{names}: accuracy on the same {reports[0].images:,} test images (seed "
            f"{reports[0].seed}) as each kind of damage grows."
        )
        self._draw()
        self.reports_ready.emit(reports)

    def _on_failed(self, message: str) -> None:
        self.status.setText(f"Could not measure: {message}")

    def _on_busy(self, busy: bool) -> None:
        self.progress.setVisible(busy)
        self.measure_button.setEnabled(not busy)
        self.stop_button.setEnabled(busy)

    # --- charts ---------------------------------------------------------------------------

    def _draw(self) -> None:
        for kind, axes in self.axes.items():
            damage = DAMAGES[kind]
            axes.clear()
            axes.set_title(damage.title, fontsize="medium")
            axes.set_xlabel(damage.axis, fontsize="small")
            axes.set_ylim(0, 1.02)
            axes.yaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
            axes.tick_params(labelsize="x-small")
            axes.grid(True, alpha=0.3)
            axes.axvline(damage.intact, color="grey", lw=0.8, ls=":")
            for report, colour in zip(self._reports, COLOURS, strict=False):
                curve = report.curves.get(kind)
                if curve is not None:
                    axes.plot(
                        curve.levels,
                        curve.accuracy,
                        "o-",
                        ms=3,
                        color=colour,
                        label=report.model_name or "model",
                    )
        if self._reports:
            first = next(iter(self.axes.values()))
            first.legend(fontsize="x-small", loc="lower left")
        self.canvas.draw_idle()

    def chart_data(self) -> dict[str, list[tuple[np.ndarray, np.ndarray]]]:
        """Each chart's plotted (x, y) lines, for tests."""
        return {
            kind: [(line.get_xdata(), line.get_ydata()) for line in axes.get_lines()[1:]]
            for kind, axes in self.axes.items()
        }
