"""Live training curves: loss and accuracy against epochs, in one embedded matplotlib figure.

Shaped like matplotlib's Qt embedding example: a ``FigureCanvasQTAgg(Figure())`` (no pyplot),
each line created once, and the data kept apart from drawing. Training events only append to
lists; a 10 Hz timer redraws, and only when something new arrived, so a fast stream of events
costs one cheap ``set_data`` + ``draw_idle`` per tick rather than a redraw per event. While the
charts are hidden (another page or tab in front) the lines are updated but not drawn: drawing
the figure costs ~25 ms, a quarter of a core at 10 Hz, for nobody.
Importing this module imports matplotlib's Qt backend: the Train tab does that on first show.
"""

from __future__ import annotations

import math

import numpy as np
from matplotlib.backends.backend_qtagg import FigureCanvasQTAgg
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator, PercentFormatter
from PySide6.QtCore import QEvent, Qt, QTimer
from PySide6.QtGui import QColor, QPalette, QResizeEvent, QShowEvent
from PySide6.QtWidgets import QHBoxLayout, QLabel, QSizePolicy, QSlider, QVBoxLayout, QWidget

from digitpad.curves import DEFAULT_SMOOTHING, Ema
from digitpad.training.events import TRAIN_EVAL_IMAGES

REDRAW_MS = 100
# Tableau blue and orange: distinct for most colour-blind readers, legible on light and dark.
TRAIN_COLOR = "#4c8ed9"
VAL_COLOR = "#f28e2b"
CAPTION = (
    "Faint blue: each chunk of training batches as trained (dropout and augmentation on); "
    f"bold: the same, smoothed. Squares: {TRAIN_EVAL_IMAGES:,} fixed training images "
    "measured as the validation images (orange) are, so the two compare directly."
)
SHORT_CAPTION = (
    "Blue: training (faint: each chunk, bold: smoothed, ■: fixed images) · orange ●: validation"
)


def _hex(color: QColor) -> str:
    return color.name()


SMOOTHING_STEPS = 100  # the slider's resolution: weights 0.00 … 0.99


class TrainingCharts(QWidget):
    """Two axes (loss, accuracy) sharing an x axis in epochs.

    Training: each chunk's values as trained (faint) and their smoothing (bold, TensorBoard's
    debiased moving average, weight set by the slider under the charts); at each validation,
    a fixed set of training images measured as the validation images are (squares), and the
    validation images (circles). A caption says which is which.

    Feed it with :meth:`reset`, :meth:`add_training` and :meth:`add_validation`; it redraws
    itself at most ten times a second. :meth:`mark_learning_rate` draws a dashed line where
    the learning rate was changed by hand.
    """

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.figure = Figure(figsize=(6, 4), layout="constrained")
        self.canvas = FigureCanvasQTAgg(self.figure)
        self.canvas.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.canvas.setMinimumHeight(200)
        self.canvas.setAccessibleName("Training curves")
        self.canvas.setAccessibleDescription(CAPTION)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.canvas, 1)
        layout.addLayout(self._build_controls())

        self.loss_axes, self.accuracy_axes = self.figure.subplots(2, 1, sharex=True)
        self._lines = {}
        for metric, axes in (("loss", self.loss_axes), ("accuracy", self.accuracy_axes)):
            self._lines[f"{metric}_raw"] = axes.plot(
                [], [], color=TRAIN_COLOR, lw=1, alpha=0.45, label="batches"
            )[0]
            self._lines[metric] = axes.plot([], [], color=TRAIN_COLOR, lw=1.8, label="smoothed")[0]
            self._lines[f"train_eval_{metric}"] = axes.plot(
                [],
                [],
                color=TRAIN_COLOR,
                lw=1,
                ls="--",
                marker="s",
                ms=4,
                label="training images",
            )[0]
            self._lines[f"val_{metric}"] = axes.plot(
                [], [], color=VAL_COLOR, lw=1.6, marker="o", ms=4, label="validation"
            )[0]
        self._data: dict[str, tuple[list[float], list[float]]] = {
            name: ([], []) for name in self._lines
        }
        self._ema = {"loss": Ema(self._smoothing), "accuracy": Ema(self._smoothing)}
        # Blitting: the lines are left out of full draws and painted over a saved background,
        # so a new point costs a few milliseconds instead of a whole figure (about 40 ms of
        # CPU, stretched past 100 ms while training holds both cores). A full draw happens
        # only when an axis range or a marker changes.
        for line in self._lines.values():
            line.set_animated(True)
        self._background = None
        self._drawn_limits: tuple | None = None
        self.canvas.mpl_connect("draw_event", self._on_full_draw)
        self.loss_axes.set_ylabel("loss")
        self.accuracy_axes.set_ylabel("accuracy")
        self.accuracy_axes.set_xlabel("epoch")
        self.accuracy_axes.yaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
        for axes in self._axes():
            axes.margins(x=0)
        # One legend serves both axes (same colours), in a row above them where it covers no
        # curve at any window size; the caption under the chart says what each line measures.
        self._legend = self.loss_axes.legend(
            loc="lower center",
            bbox_to_anchor=(0.5, 1.0),
            ncol=4,
            borderaxespad=0.2,
            fontsize="x-small",
            handlelength=1.2,
            handletextpad=0.4,
            columnspacing=1.0,
        )
        self._epochs = 1
        self._marks: list[tuple[float, float]] = []
        self._mark_artists: list = []
        self._set_x_range()
        self._set_empty_ranges()
        self._dirty = False
        self._undrawn = False
        self._apply_palette()

        self._timer = QTimer(self)
        self._timer.setInterval(REDRAW_MS)
        self._timer.timeout.connect(self._redraw_if_dirty)

    def _build_controls(self) -> QVBoxLayout:
        self._smoothing = DEFAULT_SMOOTHING
        # The key in a line that wraps if it must; the full sentence is its tooltip.
        self.caption = QLabel(SHORT_CAPTION)
        self.caption.setToolTip(CAPTION)
        self.caption.setWordWrap(True)
        self.caption.setEnabled(False)  # greyed: a key, not content
        self.smoothing_slider = QSlider(Qt.Orientation.Horizontal)
        self.smoothing_slider.setRange(0, SMOOTHING_STEPS - 1)
        self.smoothing_slider.setValue(round(DEFAULT_SMOOTHING * SMOOTHING_STEPS))
        self.smoothing_slider.setMaximumWidth(140)
        self.smoothing_slider.setAccessibleName("Smoothing")
        self.smoothing_slider.setToolTip(
            "How much the bold training line is smoothed (TensorBoard's moving average, "
            "debiased): 0 shows the values as they are"
        )
        self._smoothing_value = QLabel(f"{DEFAULT_SMOOTHING:.2f}")
        self.smoothing_slider.valueChanged.connect(
            lambda value: self.set_smoothing(value / SMOOTHING_STEPS)
        )
        row = QHBoxLayout()
        row.setContentsMargins(0, 0, 0, 0)
        row.addStretch(1)
        label = QLabel("Smoothing")
        label.setBuddy(self.smoothing_slider)
        row.addWidget(label)
        row.addWidget(self.smoothing_slider)
        row.addWidget(self._smoothing_value)
        column = QVBoxLayout()
        column.setContentsMargins(6, 0, 6, 2)
        column.setSpacing(2)
        column.addWidget(self.caption)
        column.addLayout(row)
        return column

    @property
    def smoothing(self) -> float:
        return self._smoothing

    def set_smoothing(self, weight: float) -> None:
        """Smooth the bold training lines with ``weight`` in [0, 1) and redraw them."""
        weight = min(max(0.0, weight), (SMOOTHING_STEPS - 1) / SMOOTHING_STEPS)
        self._smoothing = weight
        self._smoothing_value.setText(f"{weight:.2f}")
        for metric in ("loss", "accuracy"):
            xs, ys = self._data[f"{metric}_raw"]
            self._ema[metric] = Ema(weight)
            self._data[metric] = (list(xs), [self._ema[metric].add(y) for y in ys])
        self._dirty = True
        self._redraw_if_dirty()

    def _axes(self) -> tuple:
        return self.loss_axes, self.accuracy_axes

    # --- data in ------------------------------------------------------------------------

    def reset(self, epochs: int) -> None:
        """Clear the curves for a new run of ``epochs`` epochs and start redrawing."""
        self._epochs = max(1, epochs)
        for xs, ys in self._data.values():
            xs.clear()
            ys.clear()
        self._ema = {metric: Ema(self._smoothing) for metric in self._ema}
        self._set_x_range()
        for artist in self._mark_artists:
            artist.remove()
        self._marks.clear()
        self._mark_artists.clear()
        self._set_empty_ranges()
        self._dirty = True
        self._timer.start()

    def add_training(self, epoch: float, loss: float, accuracy: float) -> None:
        """One chunk's training loss and accuracy as trained, at fractional ``epoch``."""
        for metric, value in (("loss", loss), ("accuracy", accuracy)):
            self._append(f"{metric}_raw", epoch, value)
            self._append(metric, epoch, self._ema[metric].add(value))

    def add_validation(
        self,
        epoch: float,
        loss: float,
        accuracy: float,
        train_loss: float = math.nan,
        train_accuracy: float = math.nan,
    ) -> None:
        """Validation loss and accuracy, and the fixed training images' measured alike."""
        self._append("val_loss", epoch, loss)
        self._append("val_accuracy", epoch, accuracy)
        if math.isfinite(train_loss):
            self._append("train_eval_loss", epoch, train_loss)
            self._append("train_eval_accuracy", epoch, train_accuracy)

    def mark_learning_rate(self, epoch: float, learning_rate: float) -> None:
        """A vertical dashed line at ``epoch`` on both axes, labelled with the new rate."""
        self._marks.append((epoch, learning_rate))
        colour = self._text_colour
        for axes in self._axes():
            self._mark_artists.append(axes.axvline(epoch, color=colour, ls="--", lw=1, alpha=0.7))
        # Placed in axes coordinates vertically, so the label stays at the top as y rescales.
        self._mark_artists.append(
            self.loss_axes.text(
                epoch,
                0.97,
                f" lr {learning_rate:g}",
                transform=self.loss_axes.get_xaxis_transform(),
                color=colour,
                fontsize="small",
                va="top",
                ha="left",
            )
        )
        self._dirty = True

    @property
    def learning_rate_marks(self) -> list[tuple[float, float]]:
        """(epoch, learning rate) of each marked change, in order."""
        return list(self._marks)

    def finish(self) -> None:
        """Draw the last points now and stop the timer until the next :meth:`reset`."""
        self._redraw_if_dirty()
        self._timer.stop()

    def line_data(self) -> dict[str, tuple[np.ndarray, np.ndarray]]:
        """What each line shows now: per metric (``loss``, ``accuracy``) the smoothed training
        line as ``loss``, the per-chunk values as ``loss_raw``, the training images measured
        as validation as ``train_eval_loss``, and ``val_loss``."""
        return {name: tuple(map(np.asarray, line.get_data())) for name, line in self._lines.items()}

    def _append(self, name: str, x: float, y: float) -> None:
        xs, ys = self._data[name]
        xs.append(x)
        ys.append(y)
        self._dirty = True

    # --- drawing ------------------------------------------------------------------------

    def _set_x_range(self) -> None:
        # The whole run's width from the start, so the curves grow towards a visible goal, and
        # a little past it so the last validation marker is not cut in half by the edge.
        self.loss_axes.set_xlim(0, self._epochs * 1.025)
        # Whole epochs for longer runs; halves or quarters when there are only a few.
        locator = (
            MaxNLocator(integer=True)
            if self._epochs > 3
            else MaxNLocator(nbins=4 * self._epochs + 1, steps=[1, 2, 2.5, 5, 10])
        )
        self.accuracy_axes.xaxis.set_major_locator(locator)

    def _set_empty_ranges(self) -> None:
        # Until the first points arrive, plain 0-1 ranges rather than autoscale's ±0.05.
        self.loss_axes.set_ylim(0, 1, auto=True)
        self.accuracy_axes.set_ylim(0, 1)

    def _redraw_if_dirty(self) -> None:
        if self._dirty:
            self._dirty = False
            self._update_lines()
            self._undrawn = True
        if self._undrawn and self.isVisible():
            self._undrawn = False
            if self._background is None or self._limits() != self._drawn_limits:
                self.canvas.draw_idle()
            else:
                self._blit_lines()

    def _limits(self) -> tuple:
        return (
            *(axes.get_xlim() + axes.get_ylim() for axes in self._axes()),
            len(self._mark_artists),
        )

    def _on_full_draw(self, _event) -> None:
        # The constrained layout, half the cost of a full draw, is worked out once per size:
        # frozen after this draw, let loose again by the next resize.
        if self.figure.get_layout_engine() is not None:
            self.figure.set_layout_engine("none")
        self._background = self.canvas.copy_from_bbox(self.figure.bbox)
        self._drawn_limits = self._limits()
        self._draw_lines()

    def _draw_lines(self) -> None:
        for line in self._lines.values():
            line.axes.draw_artist(line)

    def _blit_lines(self) -> None:
        self.canvas.restore_region(self._background)
        self._draw_lines()
        self.canvas.blit(self.figure.bbox)

    def _update_lines(self) -> None:
        for name, line in self._lines.items():
            line.set_data(*self._data[name])
        if self._data["loss_raw"][0] or self._data["val_loss"][0]:
            self._fit_loss()
            self._clamp_accuracy()
        else:
            self._set_empty_ranges()

    def _fit_loss(self) -> None:
        # From 0 (a loss is never negative: it shows how far it has come down) to just above
        # the highest loss. The top moves only when a point would leave the axes or the curve
        # has shrunk to under half of it, so most new points need no full redraw.
        ys = (*self._data["loss_raw"][1], *self._data["val_loss"][1])
        ys += tuple(self._data["train_eval_loss"][1])
        values = [v for v in ys if math.isfinite(v)]
        if not values:
            return
        needed = max(values) * 1.08 or 1.0
        top = self.loss_axes.get_ylim()[1]
        if needed > top or needed < 0.5 * top:
            self.loss_axes.set_ylim(0, needed)

    def _clamp_accuracy(self) -> None:
        # Fitted by hand: autoscale would pad past 100 %, which reads as nonsense here.
        ys = (*self._data["accuracy_raw"][1], *self._data["val_accuracy"][1])
        ys += tuple(self._data["train_eval_accuracy"][1])
        values = [v for v in ys if math.isfinite(v)]
        if values:
            # A fixed top (just over 100 %) keeps the range still as accuracy climbs, so new
            # points are blitted rather than redrawing the whole figure.
            self.accuracy_axes.set_ylim(max(0.0, min(values) - 0.02), 1.005)

    def _apply_palette(self) -> None:
        palette = self.palette()
        window = _hex(palette.color(QPalette.ColorRole.Window))
        base = _hex(palette.color(QPalette.ColorRole.Base))
        text = _hex(palette.color(QPalette.ColorRole.WindowText))
        grid = _hex(palette.color(QPalette.ColorRole.Mid))
        self._text_colour = text
        for artist in self._mark_artists:
            artist.set_color(text)
        self.figure.set_facecolor(window)
        for axes in self._axes():
            axes.set_facecolor(base)
            axes.tick_params(colors=text, labelsize=9)
            axes.xaxis.label.set_color(text)
            axes.yaxis.label.set_color(text)
            for spine in axes.spines.values():
                spine.set_color(grid)
            axes.grid(True, color=grid, linewidth=0.5, alpha=0.6)
        self._legend.get_frame().set_facecolor(base)
        self._legend.get_frame().set_edgecolor(grid)
        for label in self._legend.get_texts():
            label.set_color(text)
        self.canvas.draw_idle()

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802 (Qt override)
        self.figure.set_layout_engine("constrained")
        super().resizeEvent(event)

    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802 (Qt override)
        super().showEvent(event)
        self._redraw_if_dirty()  # what arrived while hidden

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802 (Qt override)
        # Follow the desktop when it switches between light and dark.
        if event.type() == QEvent.Type.PaletteChange:
            self._apply_palette()
        super().changeEvent(event)
