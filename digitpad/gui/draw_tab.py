"""The Draw tab: draw a digit and watch the network read it, stroke by stroke.

Data flows one way on every (throttled) canvas change: canvas → ``to_mnist`` → NumPy predictor →
view. All three steps together take about a millisecond, so it runs right here on the GUI thread.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QSize, Qt, Slot
from PySide6.QtGui import QFont, QKeySequence, QPalette, QResizeEvent, QShortcut
from PySide6.QtWidgets import (
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSizePolicy,
    QSlider,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from digitpad.gui.canvas import (
    DEFAULT_PEN_WIDTH,
    MAX_PEN_WIDTH,
    MIN_PEN_WIDTH,
    DrawingCanvas,
)
from digitpad.gui.digit_image import DigitImage
from digitpad.gui.probability_bars import ProbabilityBars, percent_text
from digitpad.inference import Predictor
from digitpad.preprocess import EmptyCanvasError, to_mnist

HINT = "Draw a digit…"
NO_MODEL_HINT = "No model loaded"


class DrawTab(QWidget):
    """Canvas on the left; the answer, the ten probabilities and the network's input on the
    right."""

    def __init__(self, predictor: Predictor | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._predictor = predictor
        self._probabilities: np.ndarray | None = None
        self._network_input: np.ndarray | None = None

        self.canvas = DrawingCanvas()
        self.canvas.set_placeholder_text("Draw a digit here")
        self.canvas.changed.connect(self.refresh)

        # The answer: a hint page and a result page, so the empty state never shows a guess.
        self.hint_label = QLabel(HINT)
        self.hint_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        hint_font = QFont(self.font())
        hint_font.setPointSizeF(hint_font.pointSizeF() * 1.5)
        self.hint_label.setFont(hint_font)
        self.hint_label.setForegroundRole(QPalette.ColorRole.PlaceholderText)

        self.digit_label = QLabel()
        self.digit_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        digit_font = QFont(self.font())
        digit_font.setPointSizeF(digit_font.pointSizeF() * 5)
        digit_font.setBold(True)
        self.digit_label.setFont(digit_font)
        self.digit_label.setForegroundRole(QPalette.ColorRole.Highlight)
        self.confidence_label = QLabel()
        self.confidence_label.setAlignment(Qt.AlignmentFlag.AlignCenter)

        result_page = QWidget()
        result_layout = QVBoxLayout(result_page)
        result_layout.setContentsMargins(0, 0, 0, 0)
        result_layout.setSpacing(0)
        result_layout.addWidget(self.digit_label)
        result_layout.addWidget(self.confidence_label)
        self._answer = QStackedWidget()
        self._answer.addWidget(self.hint_label)
        self._answer.addWidget(result_page)
        self._answer.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Fixed)
        self._answer.setFixedHeight(result_page.sizeHint().height())

        self.bars = ProbabilityBars()
        self.preview = DigitImage(scale_hint=5)
        self.preview.setToolTip(
            "Exactly what the network sees: your drawing cropped, scaled to fit 20 px and "
            "centred by its centre of mass in 28×28 pixels"
        )

        self.pen_slider = QSlider(Qt.Orientation.Horizontal)
        self.pen_slider.setRange(int(MIN_PEN_WIDTH), int(MAX_PEN_WIDTH))
        self.pen_slider.setValue(int(DEFAULT_PEN_WIDTH))
        self.pen_slider.setAccessibleName("Pen width")
        self.pen_slider.valueChanged.connect(self.canvas.set_pen_width)
        self._pen_value = QLabel()
        self._pen_value.setMinimumWidth(self._pen_value.fontMetrics().horizontalAdvance("48 px"))
        self.pen_slider.valueChanged.connect(lambda width: self._pen_value.setText(f"{width} px"))
        self.pen_slider.setToolTip("Width of the next strokes, on a canvas 280 px wide")
        self.canvas.set_pen_width(self.pen_slider.value())
        self._pen_value.setText(f"{self.pen_slider.value()} px")

        self.undo_button = QPushButton("Undo")
        self.undo_button.setToolTip("Remove the last stroke (Ctrl+Z)")
        self.undo_button.clicked.connect(self.canvas.undo)
        self.clear_button = QPushButton("Clear")
        self.clear_button.setToolTip("Start again (Esc or Delete)")
        self.clear_button.clicked.connect(self.canvas.clear)
        # Window-wide keys that only act while this tab is visible (Qt ignores shortcuts of
        # hidden widgets), so they do not steal Esc or Ctrl+Z from the other tabs.
        for keys, slot in (
            (QKeySequence.StandardKey.Undo, self.canvas.undo),
            (QKeySequence(Qt.Key.Key_Escape), self.canvas.clear),
            (QKeySequence(Qt.Key.Key_Delete), self.canvas.clear),
        ):
            QShortcut(keys, self, activated=slot)

        self._build_layout()
        self.refresh()

    def _build_layout(self) -> None:
        side = QVBoxLayout()
        side.addWidget(self._answer)
        side.addSpacing(8)
        side.addWidget(_caption("Probabilities"))
        side.addWidget(self.bars, 1)
        side.addSpacing(6)
        side.addWidget(_caption("What the network sees (28×28)"))
        side.addWidget(self.preview, 0, Qt.AlignmentFlag.AlignHCenter)
        side.addSpacing(6)

        controls = QGridLayout()
        controls.addWidget(QLabel("Pen width"), 0, 0)
        controls.addWidget(self.pen_slider, 0, 1)
        controls.addWidget(self._pen_value, 0, 2)
        buttons = QHBoxLayout()
        buttons.addWidget(self.undo_button)
        buttons.addWidget(self.clear_button)
        controls.addLayout(buttons, 1, 0, 1, 3)
        side.addLayout(controls)

        side_panel = QWidget()
        side_panel.setLayout(side)
        side_panel.setFixedWidth(300)

        layout = QVBoxLayout(self)
        layout.addWidget(_CanvasBesidePanel(self.canvas, side_panel))

    # --- public API -----------------------------------------------------------------------------

    def set_predictor(self, predictor: Predictor | None) -> None:
        """Use ``predictor`` from now on, and re-read the current drawing with it."""
        self._predictor = predictor
        self.refresh()

    def load_image(self, image: np.ndarray) -> None:
        """Put a 28×28 float32 image in [0, 1] on the canvas, to look at or draw over."""
        self.canvas.set_image(image)

    @property
    def probabilities(self) -> np.ndarray | None:
        """The ten probabilities shown, or None while the hint is shown."""
        return self._probabilities

    @property
    def network_input(self) -> np.ndarray | None:
        """The (28, 28) image the network was last given, or None for an empty canvas."""
        return self._network_input

    @property
    def top_digit(self) -> int | None:
        return None if self._probabilities is None else int(self._probabilities.argmax())

    @property
    def showing_hint(self) -> bool:
        return self._answer.currentWidget() is self.hint_label

    # --- the prediction path --------------------------------------------------------------------

    @Slot()
    def refresh(self) -> None:
        """Read the canvas and show what the network makes of it."""
        try:
            image = to_mnist(self.canvas.to_array())
        except EmptyCanvasError:
            image = None
        self._network_input = image
        self.preview.set_image(image)
        if image is None or self._predictor is None:
            self._show_hint(HINT if self._predictor is not None else NO_MODEL_HINT)
            return
        probabilities = self._predictor.predict_proba(image[None])[0]
        self._probabilities = probabilities
        top = int(probabilities.argmax())
        self.digit_label.setText(str(top))
        self.confidence_label.setText(f"{percent_text(float(probabilities[top]))} sure")
        self._answer.setCurrentIndex(1)
        self.bars.set_probabilities(probabilities)

    def _show_hint(self, text: str) -> None:
        self._probabilities = None
        self.hint_label.setText(text)
        self._answer.setCurrentWidget(self.hint_label)
        self.bars.set_probabilities(None)


def _caption(text: str) -> QLabel:
    label = QLabel(text)
    font = QFont(label.font())
    font.setBold(True)
    label.setFont(font)
    return label


class _CanvasBesidePanel(QWidget):
    """A square canvas with a fixed-width panel to its right, centred together.

    Qt's box layouts cannot keep a widget square: the canvas would take the spare width and
    leave a gap between its square and the panel. So this places both itself.
    """

    SPACING = 16

    def __init__(self, canvas: QWidget, panel: QWidget) -> None:
        super().__init__()
        self._canvas, self._panel = canvas, panel
        canvas.setParent(self)
        panel.setParent(self)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)

    def minimumSizeHint(self) -> QSize:
        canvas, panel = self._canvas.minimumSize(), self._panel.minimumSizeHint()
        width = canvas.width() + self.SPACING + self._panel.width()
        return QSize(width, max(canvas.height(), panel.height()))

    def sizeHint(self) -> QSize:
        side = self._canvas.sizeHint().height()
        panel = self._panel.sizeHint()
        return QSize(side + self.SPACING + self._panel.width(), max(side, panel.height()))

    def resizeEvent(self, event: QResizeEvent) -> None:
        width, height = self.width(), self.height()
        panel_width = self._panel.width()
        smallest = self._canvas.minimumWidth()
        side = max(smallest, min(height, width - panel_width - self.SPACING))
        left = max(0, (width - side - self.SPACING - panel_width) // 2)
        top = max(0, (height - side) // 2)
        self._canvas.setGeometry(left, top, side, side)
        # The panel lines up with the canvas when it fits in its height, else takes all of it.
        if self._panel.minimumSizeHint().height() <= side:
            self._panel.setGeometry(left + side + self.SPACING, top, panel_width, side)
        else:
            self._panel.setGeometry(left + side + self.SPACING, 0, panel_width, height)
        super().resizeEvent(event)
