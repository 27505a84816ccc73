"""Live training curves: loss and accuracy against epochs, drawn by matplotlib off the GUI thread.

Training events only append to lists; a snapshot of them (a ``ChartScene``) goes to the app's
render thread (``chart_renderer``) at once when something new arrives, then at most every
``REDRAW_MS``, and the widget paints the image that comes back. Drawing the figure never runs
on the GUI thread, so the canvas and the rest of the window stay smooth while the curves grow.
While the charts are hidden (another page or tab in front) the data is kept but nothing is
drawn, for nobody.
"""

from __future__ import annotations

import contextlib
import math
from itertools import count

import numpy as np
from PySide6.QtCore import QCoreApplication, QEvent, QRect, Qt, QTimer, Signal
from PySide6.QtGui import QColor, QImage, QPainter, QPaintEvent, QPalette, QResizeEvent, QShowEvent
from PySide6.QtWidgets import QHBoxLayout, QLabel, QSizePolicy, QSlider, QVBoxLayout, QWidget

from digitpad.curves import DEFAULT_SMOOTHING, Ema
from digitpad.gui.chart_renderer import (
    LINE_NAMES,
    TRAIN_COLOR,
    VAL_COLOR,
    ChartColours,
    ChartLegend,
    ChartRenderer,
    ChartScene,
    render_thread,
)
from digitpad.gui.throttle import Throttle
from digitpad.training.events import TRAIN_EVAL_IMAGES

__all__ = ["TRAIN_COLOR", "VAL_COLOR", "ChartLegend", "TrainingCharts"]

REDRAW_MS = 160
"""While points arrive, a new picture at most this often (about 6 a second; at least 5 is the
promise benchmarks/gui_responsiveness.py checks): each costs the window's process CPU that the
training process's threads need, and 6 a second look as live as 10."""
FIRST_RENDER_DELAY_MS = 250
CAPTION = (
    "Faint blue: each chunk of training batches as trained (dropout and augmentation on); "
    f"bold: the same, smoothed. Squares: {TRAIN_EVAL_IMAGES:,} fixed training images "
    "measured as the validation images (orange) are, so the two compare directly."
)
SHORT_CAPTION = (
    "Blue: training (faint: each chunk, bold: smoothed, ■: fixed images) · orange ●: validation"
)
EMPTY_RANGE = (0.0, 1.0)


def _hex(color: QColor) -> str:
    return color.name()


SMOOTHING_STEPS = 100  # the slider's resolution: weights 0.00 … 0.99


class _Plot(QWidget):
    """Paints the newest rendered image of the figure, stretched while a new size renders."""

    def __init__(self, parent: QWidget) -> None:
        super().__init__(parent)
        self.image: QImage | None = None
        self.setAttribute(Qt.WidgetAttribute.WA_OpaquePaintEvent)

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802 (Qt override)
        painter = QPainter(self)
        if self.image is None:
            painter.fillRect(event.rect(), self.palette().color(QPalette.ColorRole.Window))
        else:
            painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
            painter.drawImage(QRect(0, 0, self.width(), self.height()), self.image)
        painter.end()


class TrainingCharts(QWidget):
    """Two axes (loss, accuracy) sharing an x axis in epochs.

    Training: each chunk's values as trained (faint) and their smoothing (bold, TensorBoard's
    debiased moving average, weight set by the slider under the charts); at each validation,
    a fixed set of training images measured as the validation images are (squares), and the
    validation images (circles). A caption says which is which.

    Feed it with :meth:`reset`, :meth:`add_training` and :meth:`add_validation`; it redraws
    itself at once when a point arrives, then at most every ``REDRAW_MS``.
    :meth:`mark_learning_rate` draws a dashed line where the learning rate was changed by hand.
    ``rendered`` is emitted (on the GUI thread) each time a new picture is shown.
    """

    rendered = Signal()
    _image_ready = Signal(QImage, int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.plot = _Plot(self)
        self.plot.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.plot.setMinimumHeight(200)
        self.plot.setAccessibleName("Training curves")
        self.plot.setAccessibleDescription(CAPTION)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.plot, 1)
        layout.addLayout(self._build_controls())

        # Built by the render thread's first job and used only there (see chart_renderer).
        self._renderer: ChartRenderer | None = None
        self._serial = count(1)
        self._shown_serial = 0
        self._image_ready.connect(self._show_image)
        self._data: dict[str, tuple[list[float], list[float]]] = {
            name: ([], []) for name in LINE_NAMES
        }
        self._ema = {"loss": Ema(self._smoothing), "accuracy": Ema(self._smoothing)}
        self._epochs = 1
        self._loss_limits = EMPTY_RANGE
        self._accuracy_limits = EMPTY_RANGE
        self._marks: list[tuple[float, float]] = []
        self._colours = self._palette_colours()
        self._legend = ChartLegend()
        self._dirty = False
        self._undrawn = True
        self._shown_a_run = False  # a run (training or teaching) was shown since built
        self._refit = False  # a new run's first points set the ranges afresh

        self._redraws = Throttle(REDRAW_MS, self._redraw_if_dirty, self)

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

    # --- data in ------------------------------------------------------------------------

    def reset(
        self, epochs: int, legend: ChartLegend | None = None, caption: str | None = None
    ) -> None:
        """Clear the curves for a new run of ``epochs`` epochs and start redrawing.

        ``legend`` and ``caption`` name the lines for another kind of run (teaching, say: x in
        steps); by default, training's."""
        self._shown_a_run = True
        self._epochs = max(1, epochs)
        self._legend = legend or ChartLegend()
        self.caption.setText(caption or SHORT_CAPTION)
        self.caption.setToolTip(CAPTION if caption is None else caption)
        for xs, ys in self._data.values():
            xs.clear()
            ys.clear()
        self._ema = {metric: Ema(self._smoothing) for metric in self._ema}
        self._marks.clear()
        # The last run's ranges stay until this run's first points: the empty axes keep their
        # scale, and a run like the last (the same settings, say) needs no full redraw at all.
        self._refit = True
        self._changed()

    def plan(self, epochs: int) -> None:
        """Before any run, span the x axis over the ``epochs`` of the run the form would start
        (an empty 0-1 axis over a 10-epoch form reads as a mistake). Curves shown stay as
        they are."""
        if self._shown_a_run or max(1, epochs) == self._epochs:
            return
        self._epochs = max(1, epochs)
        self._changed()

    @property
    def has_curves(self) -> bool:
        """Whether any run's points (or marks) are shown."""
        return bool(self._marks) or any(xs for xs, _ys in self._data.values())

    def add_training(self, epoch: float, loss: float, accuracy: float) -> None:
        """One chunk's training loss and accuracy as trained, at fractional ``epoch``."""
        for metric, value in (("loss", loss), ("accuracy", accuracy)):
            self._append(f"{metric}_raw", epoch, value)
            self._append(metric, epoch, self._ema[metric].add(value))
        self._changed()

    def add_validation(
        self,
        epoch: float,
        loss: float,
        accuracy: float,
        train_loss: float = math.nan,
        train_accuracy: float = math.nan,
    ) -> None:
        """Validation loss and accuracy, and the fixed training images' measured alike (NaN:
        not measured)."""
        self._append("val_loss", epoch, loss)
        self._append("val_accuracy", epoch, accuracy)
        if math.isfinite(train_loss) or math.isfinite(train_accuracy):
            self._append("train_eval_loss", epoch, train_loss)
            self._append("train_eval_accuracy", epoch, train_accuracy)
        self._changed()

    def mark_learning_rate(self, epoch: float, learning_rate: float) -> None:
        """A vertical dashed line at ``epoch`` on both axes, labelled with the new rate."""
        self._marks.append((epoch, learning_rate))
        self._changed()

    @property
    def legend(self) -> ChartLegend:
        """What the lines are called now."""
        return self._legend

    @property
    def learning_rate_marks(self) -> list[tuple[float, float]]:
        """(epoch, learning rate) of each marked change, in order."""
        return list(self._marks)

    @property
    def epochs(self) -> int:
        """The run's length the x axis spans."""
        return self._epochs

    @property
    def loss_limits(self) -> tuple[float, float]:
        return self._loss_limits

    @property
    def accuracy_limits(self) -> tuple[float, float]:
        return self._accuracy_limits

    def finish(self) -> None:
        """Draw the last points now."""
        self._redraws.cancel()
        self._redraw_if_dirty()

    def line_data(self) -> dict[str, tuple[np.ndarray, np.ndarray]]:
        """What each line shows: per metric (``loss``, ``accuracy``) the smoothed training line
        as ``loss``, the per-chunk values as ``loss_raw``, the training images measured as
        validation as ``train_eval_loss``, and ``val_loss``."""
        return {name: (np.asarray(xs), np.asarray(ys)) for name, (xs, ys) in self._data.items()}

    def _append(self, name: str, x: float, y: float) -> None:
        # The caller reports the change once all of an event's points are in: the redraw
        # throttle draws the first change at once, and a loss without its accuracy would
        # cost a full draw for a range that the accuracy then changes again.
        xs, ys = self._data[name]
        xs.append(x)
        ys.append(y)

    def _changed(self) -> None:
        self._dirty = True
        self._redraws.request()

    # --- drawing ------------------------------------------------------------------------

    def scene(self) -> ChartScene:
        """A snapshot of what the charts show now, at the plot's current size."""
        return ChartScene(
            width=max(1, self.plot.width()),
            height=max(1, self.plot.height()),
            ratio=self.plot.devicePixelRatioF(),
            epochs=self._epochs,
            lines=self.line_data(),
            loss_limits=self._loss_limits,
            accuracy_limits=self._accuracy_limits,
            marks=tuple(self._marks),
            colours=self._colours,
            legend=self._legend,
        )

    def wait_rendered(self, timeout: float = 10.0) -> bool:
        """Block until the render thread has drawn what was sent, and show it (tests,
        screenshots): ``grab()`` then shows the charts as they are now."""
        self._redraw_if_dirty()
        done = render_thread.wait_idle(timeout)
        QCoreApplication.processEvents()
        return done

    def renderer(self) -> ChartRenderer:
        """The figure's owner; only to be used while the render thread is idle (tests)."""
        render_thread.wait_idle()
        if self._renderer is None:
            self._renderer = ChartRenderer()
        return self._renderer

    def _redraw_if_dirty(self) -> None:
        if self._dirty:
            self._dirty = False
            self._fit_ranges()
            self._undrawn = True
        if self._undrawn and self.isVisible():
            self._undrawn = False
            self._submit()

    def _submit(self) -> None:
        scene, serial = self.scene(), next(self._serial)
        ready = self._image_ready

        def job() -> None:
            if self._renderer is None:
                self._renderer = ChartRenderer()
            image = self._renderer.render(scene)
            # RuntimeError: the widget was deleted while its picture was drawn.
            with contextlib.suppress(RuntimeError):
                ready.emit(image, serial)

        render_thread.submit(id(self), job)

    def _show_image(self, image: QImage, serial: int) -> None:
        if serial < self._shown_serial:
            return  # an older picture overtaken by a newer one
        self._shown_serial = serial
        self.plot.image = image
        self.plot.update()
        self.rendered.emit()

    def _fit_ranges(self) -> None:
        if self._data["loss_raw"][0] or self._data["val_loss"][0]:
            self._fit_loss()
            self._clamp_accuracy()
            self._refit = False
        elif not self._refit:
            # Until the first points arrive, plain 0-1 ranges rather than autoscale's ±0.05.
            self._loss_limits = self._accuracy_limits = EMPTY_RANGE

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
        top = self._loss_limits[1]
        # The first points replace the empty chart's range (a placeholder, or the last run's)
        # whatever their size.
        refit = self._refit or self._loss_limits is EMPTY_RANGE
        if refit or needed > top or needed < 0.5 * top:
            self._loss_limits = (0.0, needed)

    def _clamp_accuracy(self) -> None:
        # Fitted by hand: autoscale would pad past 100 %, which reads as nonsense here.
        ys = (*self._data["accuracy_raw"][1], *self._data["val_accuracy"][1])
        ys += tuple(self._data["train_eval_accuracy"][1])
        values = [v for v in ys if math.isfinite(v)]
        if values:
            # A fixed top (just over 100 %) keeps the range still as accuracy climbs, so new
            # points are blitted rather than redrawing the whole figure.
            self._accuracy_limits = (max(0.0, min(values) - 0.02), 1.005)

    def _palette_colours(self) -> ChartColours:
        palette = self.palette()
        return ChartColours(
            window=_hex(palette.color(QPalette.ColorRole.Window)),
            base=_hex(palette.color(QPalette.ColorRole.Base)),
            text=_hex(palette.color(QPalette.ColorRole.WindowText)),
            grid=_hex(palette.color(QPalette.ColorRole.Mid)),
        )

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802 (Qt override)
        super().resizeEvent(event)
        self._undrawn = True
        if self.plot.image is not None or self._renderer is not None:
            self._redraw_if_dirty()  # else the first picture, due shortly, has the new size

    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802 (Qt override)
        super().showEvent(event)
        if self.plot.image is None and self._renderer is None:
            # The first picture builds the figure (~200 ms of Python on the render thread):
            # after the window's first paint, not competing with it for the interpreter.
            QTimer.singleShot(FIRST_RENDER_DELAY_MS, self._redraw_if_dirty)
            return
        self._redraw_if_dirty()  # what arrived while hidden

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802 (Qt override)
        # Follow the desktop when it switches between light and dark.
        if event.type() == QEvent.Type.PaletteChange and hasattr(self, "_redraws"):
            self._colours = self._palette_colours()
            self._undrawn = True
            self._redraw_if_dirty()
        super().changeEvent(event)
