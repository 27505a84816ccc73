"""The Network tab: take the current network apart.

Four pages: its size (a Keras-style summary), the hidden map (how each layer places the test
images, and the drawing among them), Break it (switch parts off, prune, add noise; see the
drawing's answer and the test accuracy change) and Robustness (two models against growing
damage). Everything is NumPy on the current model's weights, computed on worker threads; no
TensorFlow runs in this tab.

For the window: ``NetworkTab(parent=None)``; connect the current model to
:meth:`set_predictor`, the canvas's 28×28 image to :meth:`set_drawing`, and
``open_in_canvas`` (a (28, 28) float32 array) to whatever shows an image in the canvas; call
:meth:`shutdown` when the window closes.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from PySide6.QtCore import Signal
from PySide6.QtWidgets import QLabel, QTabWidget, QVBoxLayout, QWidget

from digitpad.data import Split, load_mnist
from digitpad.gui.break_it_view import BreakItView
from digitpad.gui.generator_worker import JobSlot
from digitpad.gui.hidden_map_view import HiddenMapView
from digitpad.gui.network_summary_view import SummaryTable
from digitpad.gui.robustness_view import RobustnessView
from digitpad.inference import Predictor
from digitpad.network_summary import summary_from_predictor

TestLoader = Callable[[], Split]


def default_test_loader() -> Split:
    """The MNIST test set (cached by :func:`digitpad.data.load_mnist`, shared with other tabs)."""
    return load_mnist().test


class NetworkTab(QWidget):
    """Summary, hidden map, Break it and Robustness pages for the current model."""

    open_in_canvas = Signal(object)
    """A (28, 28) float32 test image the user clicked on the map."""
    model_saved = Signal(str)
    """The folder of an edited network saved with Save as… (refresh the model lists)."""
    test_set_ready = Signal()

    def __init__(
        self,
        parent: QWidget | None = None,
        *,
        test_loader: TestLoader | None = None,
        store: str | None = None,
    ) -> None:
        super().__init__(parent)
        self._predictor: Predictor | None = None
        self._test: Split | None = None

        self.summary_line = QLabel("No model yet.")
        font = self.summary_line.font()
        font.setBold(True)
        self.summary_line.setFont(font)
        self.summary_table = SummaryTable()
        summary_page = QWidget()
        summary_layout = QVBoxLayout(summary_page)
        summary_layout.addWidget(self.summary_line)
        summary_layout.addWidget(self.summary_table)
        note = QLabel(
            "Every weight and bias is a float32 of 4 bytes. Dropout has no parameters; the "
            "output layer's logits become probabilities through softmax. The first layer holds "
            "most of a wide network's weights: one per pixel for each unit."
        )
        note.setWordWrap(True)
        summary_layout.addWidget(note)
        summary_layout.addStretch(1)

        self.map_view = HiddenMapView()
        self.break_view = BreakItView(store=store)
        self.robustness_view = RobustnessView(store)
        self.pages = QTabWidget()
        self.pages.setDocumentMode(True)
        self.pages.addTab(summary_page, "Size")
        self.pages.addTab(self.map_view, "Hidden map")
        self.pages.addTab(self.break_view, "Break it")
        self.pages.addTab(self.robustness_view, "Robustness")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.pages)

        self.map_view.open_in_canvas.connect(self.open_in_canvas)
        self.break_view.saved.connect(self.model_saved)
        self.break_view.saved.connect(lambda _: self.robustness_view.refresh_models())

        self._loader = test_loader or default_test_loader
        self._data_job = JobSlot("network-data", self)
        self._data_job.result.connect(self._on_test_set)
        self._data_job.failed.connect(
            lambda message: self.map_view.status.setText(f"No test images: {message}")
        )
        loader = self._loader
        self._data_job.start(lambda: iter([loader()]))

    # --- the window's slots ---------------------------------------------------------------

    def set_predictor(self, predictor: Predictor | None) -> None:
        """Take apart ``predictor`` (the current model)."""
        self._predictor = predictor
        if predictor is None:
            self.summary_line.setText("No model yet.")
            self.summary_table.show_summary(None)
        else:
            summary = summary_from_predictor(predictor)
            self.summary_line.setText(f"{predictor.name or 'model'}: {summary.one_line()}")
            self.summary_table.show_summary(summary)
        self.map_view.set_predictor(predictor)
        self.break_view.set_predictor(predictor)
        self.robustness_view.set_predictor(predictor)

    def set_drawing(self, image: np.ndarray | None) -> None:
        """The canvas's current (28, 28) image in [0, 1]; None when it is empty. Cheap: the
        pages that show it place it only while visible."""
        self.map_view.set_drawing(image)
        self.break_view.set_drawing(image)

    def toggle_unit(self, layer: int, unit: int) -> bool:
        """Switch a hidden unit (layer and unit counted from 0) off or on in Break it, for
        clicks on other tabs' grids; False if the current network has no such unit."""
        return self.break_view.toggle_unit(layer, unit)

    @property
    def test_set(self) -> Split | None:
        return self._test

    def shutdown(self, timeout_ms: int = 5000) -> bool:
        """Stop every worker of the tab; True if none is left running."""
        results = [
            self._data_job.shutdown(timeout_ms),
            self.map_view.shutdown(timeout_ms),
            self.break_view.shutdown(timeout_ms),
            self.robustness_view.shutdown(timeout_ms),
        ]
        return all(results)

    def _on_test_set(self, test: object) -> None:
        if not isinstance(test, Split):
            return
        self._test = test
        self.map_view.set_test_set(test)
        self.break_view.set_test_set(test)
        self.robustness_view.set_test_set(test)
        self.test_set_ready.emit()
