"""The "Break it" page: edit a copy of the current network and watch the drawing's answer and
the test accuracy change.

Switch hidden units off (click them in the grid), switch a layer's biases off, prune the
smallest weights, add noise to the weights; Reset brings back the network as trained. The
edits and the accuracy on all 10,000 test images are computed by :mod:`digitpad.surgery` on a
worker thread; a new edit aborts the measurement of the previous one. The stored model is never
touched: the edited copy only lives here (``edited_changed`` hands it to whoever wants it).
"""

from __future__ import annotations

import numpy as np
from matplotlib.backends.backend_qtagg import FigureCanvasQTAgg
from matplotlib.figure import Figure
from matplotlib.ticker import PercentFormatter
from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QMouseEvent
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QProgressBar,
    QPushButton,
    QSizePolicy,
    QSlider,
    QVBoxLayout,
    QWidget,
)

from digitpad.colour_maps import sequential_rgb
from digitpad.data import Split
from digitpad.errors import StoreError
from digitpad.evaluation import evaluate_probabilities
from digitpad.gui.generator_worker import JobSlot
from digitpad.gui.pixel_image import PixelImage
from digitpad.inference import Predictor
from digitpad.progress import Progress
from digitpad.save_edited import edited_meta, save_in_child_process
from digitpad.store import check_name
from digitpad.surgery import (
    Edits,
    PartialAccuracy,
    PruningPoint,
    check_edits,
    edit_and_measure,
    edited,
    pruning_curve,
    weights_kept,
)
from digitpad.tiling import unit_at, unit_cell, unit_grid

MAX_PRUNE_SLIDER = 99
NOISE_STEPS = 100
MAX_NOISE = 2.0
"""The noise slider's top: weights' own spread twice over, where most networks fall apart."""
EDIT_DELAY_MS = 120  # a dragged slider settles before the 10,000 images are read
OFF_COLOUR = (0, 170, 255)


def noise_for(step: int) -> float:
    """The noise slider's position as a multiple of each layer's weight spread."""
    return MAX_NOISE * step / NOISE_STEPS


class UnitGrid(PixelImage):
    """A layer's units as a grid of cells; a click on a unit's cell emits ``unit_clicked``."""

    unit_clicked = Signal(int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(preferred_scale=8, parent=parent)
        self.units = 0
        self.setCursor(Qt.CursorShape.PointingHandCursor)
        self.tooltip = self._tooltip

    def show_units(self, values: np.ndarray, off: set[int]) -> None:
        """Each unit's value (dark 0 … bright most active), units in ``off`` in blue."""
        values = np.asarray(values, np.float32).ravel()
        self.units = len(values)
        limit = float(np.max(values)) if len(values) and np.max(values) > 0 else 1.0
        rgb = sequential_rgb(unit_grid(values), limit)
        for unit in off:
            if unit < self.units:
                rgb[unit_cell(unit, self.units)] = OFF_COLOUR
        self.set_rgb(rgb)

    def unit_at(self, row: int, column: int) -> int | None:
        return unit_at(row, column, self.units)

    def _tooltip(self, row: int, column: int) -> str | None:
        unit = self.unit_at(row, column)
        return None if unit is None else f"unit {unit + 1}: click to switch it off or on"

    def mousePressEvent(self, event: QMouseEvent) -> None:  # noqa: N802 (Qt override)
        cell = self.cell_at(event.position().toPoint())
        unit = self.unit_at(*cell) if cell is not None else None
        if unit is not None and event.button() == Qt.MouseButton.LeftButton:
            self.unit_clicked.emit(unit)
        super().mousePressEvent(event)


class BreakItView(QWidget):
    """Edit a copy of the network; see the drawing's answer and the test accuracy change."""

    edited_changed = Signal(object)
    """The edited copy (a Predictor), or the network as trained after Reset."""
    accuracy_measured = Signal(float)
    """The edited network's accuracy on all the test images, each time it is measured."""
    saved = Signal(str)
    """The folder of an edited network just saved with Save as… (the model lists may refresh)."""

    def __init__(self, parent: QWidget | None = None, store: str | None = None) -> None:
        super().__init__(parent)
        self._store = store
        self._predictor: Predictor | None = None
        self._edited: Predictor | None = None
        self._test: Split | None = None
        self._edits = Edits()
        self._trained_accuracy: float | None = None
        self._drawing: np.ndarray | None = None
        self._job = JobSlot("break-it", self)
        self._job.item.connect(self._on_item)
        self._job.failed.connect(self._on_failed)
        self._curve_job = JobSlot("pruning-curve", self)
        self._curve_job.item.connect(self._on_curve_point)
        self._curve_job.busy.connect(self._on_curve_busy)
        self._curve_job.failed.connect(self._on_failed)
        self._curve: list[PruningPoint] = []

        self.model_label = QLabel("No model yet.")
        self.model_label.setWordWrap(True)

        self.prune_slider = QSlider(Qt.Orientation.Horizontal)
        self.prune_slider.setRange(0, MAX_PRUNE_SLIDER)
        self.prune_label = QLabel()
        self.noise_slider = QSlider(Qt.Orientation.Horizontal)
        self.noise_slider.setRange(0, NOISE_STEPS)
        self.noise_label = QLabel()
        self.new_noise_button = QPushButton("New noise")
        self.new_noise_button.setToolTip("Draw the weight noise again with another seed")
        self.bias_boxes: list[QCheckBox] = []
        self.bias_row = QHBoxLayout()
        self.layer_combo = QComboBox()
        self.unit_grid = UnitGrid()
        self.units_label = QLabel("Click a unit to switch it off.")
        self.units_label.setWordWrap(True)
        self.reset_button = QPushButton("Reset")
        self.reset_button.setToolTip("Back to the network as trained")
        self.save_button = QPushButton("Save as…")
        self.save_button.setToolTip("Keep the edited network as a new model in your store")
        self.save_status = QLabel("")
        self.save_status.setWordWrap(True)
        self._save_job = JobSlot("save-edited", self)
        self._save_job.item.connect(self._on_save_item)
        self._save_job.result.connect(self._on_saved)
        self._save_job.failed.connect(lambda m: self.save_status.setText(f"Not saved: {m}"))
        self._save_job.busy.connect(lambda busy: self._update_labels())

        controls = QGroupBox("Break it, on a copy")
        controls.setToolTip("Edits act on a copy: the stored model never changes")
        form = QFormLayout(controls)
        form.addRow(self.model_label)
        prune_row = QHBoxLayout()
        prune_row.addWidget(self.prune_slider, 1)
        prune_row.addWidget(self.prune_label)
        form.addRow("Prune:", prune_row)
        self.prune_slider.setToolTip("Switch off the smallest weights of each layer")
        noise_row = QHBoxLayout()
        noise_row.addWidget(self.noise_slider, 1)
        noise_row.addWidget(self.noise_label)
        noise_row.addWidget(self.new_noise_button)
        form.addRow("Noise:", noise_row)
        form.addRow("Biases off:", self.bias_row)
        form.addRow("Units of:", self.layer_combo)
        form.addRow(self.unit_grid)
        form.addRow(self.units_label)
        buttons = QHBoxLayout()
        buttons.addWidget(self.reset_button)
        buttons.addWidget(self.save_button)
        form.addRow(buttons)
        form.addRow(self.save_status)

        self.answer_label = QLabel("Draw a digit to see its answer change.")
        self.answer_label.setWordWrap(True)
        self.accuracy_label = QLabel("Test accuracy: waiting for the test images…")
        self.accuracy_label.setWordWrap(True)
        self.accuracy_progress = QProgressBar()
        self.accuracy_progress.setTextVisible(False)
        self.accuracy_progress.setMaximumHeight(8)
        self.curve_button = QPushButton("Measure the pruning curve")
        self.curve_progress = QProgressBar()
        self.curve_progress.setTextVisible(False)
        self.curve_progress.hide()
        self.figure = Figure(figsize=(4, 3), layout="constrained")
        self.canvas = FigureCanvasQTAgg(self.figure)
        self.canvas.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.canvas.setMinimumSize(220, 200)
        self.curve_axes = self.figure.add_subplot()
        self._setup_curve_axes()

        results = QVBoxLayout()
        results.addWidget(self.answer_label)
        results.addWidget(self.accuracy_label)
        results.addWidget(self.accuracy_progress)
        curve_row = QHBoxLayout()
        curve_row.addWidget(self.curve_button)
        curve_row.addWidget(self.curve_progress, 1)
        results.addLayout(curve_row)
        results.addWidget(self.canvas, 1)
        layout = QHBoxLayout(self)
        layout.addWidget(controls, 1)
        layout.addLayout(results, 1)

        self._edit_timer = QTimer(self)
        self._edit_timer.setSingleShot(True)
        self._edit_timer.setInterval(EDIT_DELAY_MS)
        self._edit_timer.timeout.connect(self._measure)
        self.prune_slider.valueChanged.connect(self._on_sliders)
        self.noise_slider.valueChanged.connect(self._on_sliders)
        self.new_noise_button.clicked.connect(self._new_noise)
        self.layer_combo.currentIndexChanged.connect(lambda _: self._show_units())
        self.unit_grid.unit_clicked.connect(
            lambda unit: self.toggle_unit(self.layer_combo.currentIndex(), unit)
        )
        self.reset_button.clicked.connect(self.reset)
        self.save_button.clicked.connect(self._ask_save_name)
        self.curve_button.clicked.connect(self.measure_pruning_curve)
        self._update_labels()

    # --- inputs ---------------------------------------------------------------------------

    def set_test_set(self, test: Split) -> None:
        self._test = test
        self._measure()

    def set_predictor(self, predictor: Predictor | None) -> None:
        """A new network to break: the edits start over."""
        self._predictor = predictor
        self._edited = predictor
        # A stored model's own figure until this tab has measured it (the same 10,000 images).
        self._trained_accuracy = predictor.test_accuracy if predictor is not None else None
        self._curve = []
        self._curve_job.abort()
        self._draw_curve()
        for box in self.bias_boxes:
            box.deleteLater()
        self.bias_boxes = []
        self.layer_combo.blockSignals(True)
        self.layer_combo.clear()
        if predictor is not None:
            count = len(predictor.layers)
            for i in range(count):
                box = QCheckBox("output" if i == count - 1 else f"layer {i + 1}")
                box.toggled.connect(lambda off, i=i: self._set_biases_off(i, off))
                self.bias_boxes.append(box)
                self.bias_row.addWidget(box)
            for i, (kernel, _) in enumerate(predictor.layers[:-1]):
                self.layer_combo.addItem(f"hidden layer {i + 1} ({kernel.shape[1]} units)")
            self.model_label.setText(f"Editing a copy of {predictor.name or 'the model'}.")
        self.layer_combo.blockSignals(False)
        self._apply(Edits(), measure=True)

    def set_drawing(self, image: np.ndarray | None) -> None:
        self._drawing = None if image is None else np.asarray(image, np.float32).reshape(28, 28)
        if self.isVisible():
            self._show_answer()
            self._show_units()

    @property
    def measuring(self) -> bool:
        """True while an edit waits to be measured or is being measured."""
        return self._edit_timer.isActive() or self._job.running

    @property
    def edits(self) -> Edits:
        return self._edits

    @property
    def edited_predictor(self) -> Predictor | None:
        return self._edited

    def toggle_unit(self, layer: int, unit: int) -> bool:
        """Switch unit ``unit`` of hidden layer ``layer`` (both from 0) off, or back on.

        False, with the reason shown and the edits kept, if the network has no such unit (a
        click meant for another model's grid)."""
        if self._predictor is None:
            return False
        edits = self._edits.toggled_unit(layer, unit)
        try:
            check_edits(self._predictor, edits)
        except ValueError as exc:
            self.units_label.setText(f"Not changed: {exc}.")
            return False
        self._apply(edits, measure=True)
        return True

    def reset(self) -> None:
        """The network as trained."""
        self._apply(Edits(), measure=True)

    def measure_pruning_curve(self) -> None:
        predictor, test = self._predictor, self._test
        if predictor is None or test is None:
            return
        self._curve = []
        base = self._edits
        self._curve_job.start(lambda: pruning_curve(predictor, test.x, test.y, edits=base))

    def save_as(self, name: str) -> bool:
        """Save the edited network under ``name`` in the user's store, in the background (a
        separate process does the Keras part). False, with the reason shown, if it cannot
        start."""
        predictor, edits, test, store = self._predictor, self._edits, self._test, self._store
        if predictor is None or self._save_job.running:
            return False
        try:
            check_name(name)
        except StoreError as exc:
            self.save_status.setText(f"Not saved: {exc}")
            return False
        network = edited(predictor, edits)

        def work():
            metrics = {}
            if test is not None:
                yield Progress(0, 2, "measuring it on the test images")
                probabilities = network.predict_proba(test.x)
                metrics = evaluate_probabilities(probabilities, test.y).metrics()
            yield Progress(1, 2, "saving (a separate process loads TensorFlow)")
            meta = edited_meta(network, edits, metrics)
            yield save_in_child_process(network, name, meta, store)

        self.save_status.setText(f"Saving as {name}…")
        self._save_job.start(work)
        return True

    def _ask_save_name(self) -> None:
        base = (self._predictor.name if self._predictor is not None else "model") or "model"
        suggestion = "".join(c if c.isalnum() or c in "._-" else "-" for c in base) + "-edited"
        name, ok = QInputDialog.getText(self, "Save the edited network", "Name:", text=suggestion)
        if ok and name.strip():
            self.save_as(name.strip())

    def _on_save_item(self, item: object) -> None:
        if isinstance(item, Progress):
            self.save_status.setText(f"Saving: {item.message}…")

    def _on_saved(self, folder: object) -> None:
        self.save_status.setText(f"Saved as {folder}")
        self.saved.emit(str(folder))

    def shutdown(self, timeout_ms: int = 5000) -> bool:
        self._edit_timer.stop()
        stopped = self._job.shutdown(timeout_ms)
        saving = self._save_job.shutdown(timeout_ms)
        return self._curve_job.shutdown(timeout_ms) and stopped and saving

    # --- edits ----------------------------------------------------------------------------

    def _on_sliders(self) -> None:
        edits = Edits(
            units_off=self._edits.units_off,
            biases_off=self._edits.biases_off,
            prune_percent=float(self.prune_slider.value()),
            noise=noise_for(self.noise_slider.value()),
            seed=self._edits.seed,
        )
        self._apply(edits, measure=False)
        self._edit_timer.start()

    def _new_noise(self) -> None:
        edits = self._edits
        self._apply(
            Edits(
                edits.units_off, edits.biases_off, edits.prune_percent, edits.noise, edits.seed + 1
            ),
            measure=True,
        )

    def _set_biases_off(self, layer: int, off: bool) -> None:
        if (layer in self._edits.biases_off) != off:
            self._apply(self._edits.with_biases_off(layer, off), measure=True)

    def _apply(self, edits: Edits, *, measure: bool) -> None:
        self._edits = edits
        # Keep the controls in step with edits that did not come from them (Reset, a new model).
        for widget, value in (
            (self.prune_slider, round(edits.prune_percent)),
            (self.noise_slider, round(edits.noise / MAX_NOISE * NOISE_STEPS)),
        ):
            widget.blockSignals(True)
            widget.setValue(value)
            widget.blockSignals(False)
        for i, box in enumerate(self.bias_boxes):
            box.blockSignals(True)
            box.setChecked(i in edits.biases_off)
            box.blockSignals(False)
        self._update_labels()
        if measure:
            self._edit_timer.stop()
            self._measure()

    def _measure(self) -> None:
        predictor, test, edits = self._predictor, self._test, self._edits
        if predictor is None:
            return
        if test is None:  # no test images yet: the drawing's answer can still change
            self._on_item(edited(predictor, edits))
            return
        self.accuracy_progress.setValue(0)
        self._job.start(lambda: edit_and_measure(predictor, edits, test.x, test.y))

    def _on_item(self, item: object) -> None:
        if isinstance(item, Predictor):
            self._edited = item
            self.edited_changed.emit(item)
            self._show_answer()
            self._show_units()
            self._update_labels()
        elif isinstance(item, PartialAccuracy):
            self.accuracy_progress.setMaximum(item.total)
            self.accuracy_progress.setValue(item.done)
            if item.done == item.total:
                if self._edits.empty:
                    self._trained_accuracy = item.accuracy
                self.accuracy_measured.emit(item.accuracy)
            self._show_accuracy(item)

    def _on_failed(self, message: str) -> None:
        self.accuracy_label.setText(f"Could not measure: {message}")

    # --- what it shows --------------------------------------------------------------------

    def _update_labels(self) -> None:
        self.prune_label.setText(f"{self.prune_slider.value():2d}%")
        self.noise_label.setText(f"{noise_for(self.noise_slider.value()):.2f}σ")
        edits = self._edits
        kept = weights_kept(self._edited) if self._edited is not None else 1.0
        self.units_label.setText(
            f"{edits.describe().capitalize()}; {kept:.1%} of the weights left. "
            "Click a unit to switch it off or on (blue: off)."
        )
        self.reset_button.setEnabled(not edits.empty)
        self.save_button.setEnabled(
            not edits.empty and self._predictor is not None and not self._save_job.running
        )

    def _show_answer(self) -> None:
        image, trained, edited = self._drawing, self._predictor, self._edited
        if image is None or not image.any() or trained is None or edited is None:
            self.answer_label.setText("Draw a digit to see its answer change.")
            return
        before = trained.predict_proba(image[None])[0]
        after = edited.predict_proba(image[None])[0]
        b, a = int(before.argmax()), int(after.argmax())
        self.answer_label.setText(
            f"<b>Your drawing:</b> as trained {b} ({before[b]:.0%}); "
            f"edited <b>{a}</b> ({after[a]:.0%})" + ("" if a == b else " — it changed its mind")
        )

    def _show_accuracy(self, partial: PartialAccuracy) -> None:
        trained = self._trained_accuracy
        so_far = "" if partial.done == partial.total else f" (first {partial.done:,} images…)"
        text = f"<b>Test accuracy</b> of the edited network: {partial.accuracy:.2%}{so_far}"
        if trained is not None:
            text += f"; as trained {trained:.2%}"
        text += f", on {partial.total:,} test images."
        self.accuracy_label.setText(text)

    def _show_units(self) -> None:
        edited = self._edited
        layer = self.layer_combo.currentIndex()
        if edited is None or layer < 0:
            return
        width = edited.layers[layer][0].shape[1]
        if self._drawing is not None and self._drawing.any():
            values = edited.hidden_activations(self._drawing[None])[layer][0]
        else:
            values = np.zeros(width, np.float32)
        off = {unit for on_layer, unit in self._edits.units_off if on_layer == layer}
        self.unit_grid.show_units(values, off)

    # --- pruning curve --------------------------------------------------------------------

    def _setup_curve_axes(self) -> None:
        axes = self.curve_axes
        axes.clear()
        axes.set_title("Pruning curve", fontsize="medium")
        axes.set_xlabel("weights kept")
        axes.set_ylabel("test accuracy")
        axes.set_xscale("log")
        axes.set_xlim(100, 0.8)
        axes.set_ylim(0, 1.02)
        axes.xaxis.set_major_formatter(PercentFormatter(100, decimals=0))
        axes.yaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
        axes.tick_params(labelsize="x-small")
        axes.grid(True, alpha=0.3)

    def _on_curve_point(self, point: object) -> None:
        if not isinstance(point, PruningPoint):
            return
        self._curve.append(point)
        self.curve_progress.setMaximum(point.total)
        self.curve_progress.setValue(point.done)
        self._draw_curve()

    def _on_curve_busy(self, busy: bool) -> None:
        self.curve_progress.setVisible(busy)
        self.curve_button.setText("Measuring…" if busy else "Measure the pruning curve")
        self.curve_button.setEnabled(not busy)

    def _draw_curve(self) -> None:
        self._setup_curve_axes()
        if self._curve:
            kept = [100 * max(p.kept, 0.008) for p in self._curve]
            self.curve_axes.plot(kept, [p.accuracy for p in self._curve], "o-", ms=4)
            self.curve_axes.axhline(0.1, color="grey", ls=":", lw=1)
            self.curve_axes.text(90, 0.12, "chance", fontsize="x-small", color="grey")
        self.canvas.draw_idle()

    @property
    def curve(self) -> list[PruningPoint]:
        return list(self._curve)

    def showEvent(self, event) -> None:  # noqa: N802 (Qt override)
        super().showEvent(event)
        self._show_answer()
        self._show_units()
