"""The Draw tab: draw a digit, or a number, and watch the network read it, stroke by stroke.

Data flows one way on every (throttled) canvas change: canvas strokes → ``segment_pieces``
(the digits, each made as ``to_mnist`` makes one) → NumPy predictor (all digits in one forward
pass; ``Predictor.explain`` for the selected one: hidden activations and saliency) → view. It
takes a few milliseconds, so it runs right here on the GUI thread. Below the shared confidence
threshold a digit is "not sure" ("?" within a number: "20?6"). A mark that is no digit at all
(a dot, a speck, a blot) is said to be so instead of being read.
"""

from __future__ import annotations

import math

import numpy as np
from PySide6.QtCore import QSize, Qt, Signal, Slot
from PySide6.QtGui import QFont, QFontMetrics, QKeySequence, QPalette, QShortcut
from PySide6.QtWidgets import (
    QComboBox,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QSlider,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from digitpad.colour_maps import diverging_rgb, saliency_rgb, sequential_rgb
from digitpad.gui.canvas import (
    DEFAULT_PEN_WIDTH,
    MAX_PEN_WIDTH,
    MIN_PEN_WIDTH,
    DrawingCanvas,
    Mark,
)
from digitpad.gui.captions import caption
from digitpad.gui.confidence import ConfidenceThreshold
from digitpad.gui.digit_image import DigitImage
from digitpad.gui.pixel_image import PixelImage
from digitpad.gui.probability_bars import ProbabilityBars, percent_text
from digitpad.inference import Explanation, Predictor
from digitpad.reading import NOT_SURE_MARK, DigitReading, number_text, read_digits
from digitpad.tiling import unit_at, unit_grid

HINT = "Draw a digit or a number…"
NO_MODEL_HINT = "No model loaded"
LABEL_HINT = (
    "Click a digit (or press its key) to say what you drew: the drawing goes to My drawings, "
    "where the network can learn your handwriting. Ctrl+Z takes it back."
)
NOT_SURE = "not sure"
PANEL_WIDTH = 320
IMAGE_SCALE = 5  # the 28×28 preview and saliency at 5 px per pixel: both fit side by side
ACTIVATION_HEIGHT = 140  # a 2:1 grid of any width fits 280×140 in whole pixels per unit
# In a short window the pictures shrink (to 2 px per pixel) rather than push the window taller.
SMALLEST_IMAGE = 28 * 2 + 2
SMALLEST_ACTIVATIONS = 42


class DrawTab(QWidget):
    """Canvas on the left; the answer (a digit or a number), and for the selected digit the ten
    probabilities, the network's input and why, on the right.

    Signals: ``selection_changed(image | None)`` the selected digit's 28×28 network input after
    each reading; ``labelled(canvas, digit)`` the user said what the drawing is (a digit key,
    or a click on the bars): the canvas raster as uint8, then the canvas clears;
    ``unlabelled()`` Undo took that labelling back (the drawing is on the canvas again).
    """

    selection_changed = Signal(object)
    labelled = Signal(object, int)
    unlabelled = Signal()

    def __init__(
        self,
        predictor: Predictor | None = None,
        threshold: ConfidenceThreshold | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._predictor = predictor
        self._probabilities: np.ndarray | None = None
        self._network_input: np.ndarray | None = None
        self._explanation: Explanation | None = None
        self._readings: list[DigitReading] = []
        self._selected = -1
        self.threshold = threshold if threshold is not None else ConfidenceThreshold(parent=self)
        self.threshold.changed.connect(self._threshold_changed)

        self.canvas = DrawingCanvas()
        self.canvas.set_placeholder_text("Draw a digit or a number here")
        self.canvas.changed.connect(self.refresh)
        self.canvas.mark_clicked.connect(self.select_digit)

        # The answer: a hint page and a result page, so the empty state never shows a guess.
        self.hint_label = QLabel(HINT)
        self.hint_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        hint_font = QFont(self.font())
        hint_font.setPointSizeF(hint_font.pointSizeF() * 1.5)
        self.hint_label.setFont(hint_font)
        self.hint_label.setForegroundRole(QPalette.ColorRole.PlaceholderText)
        self.hint_label.setWordWrap(True)

        self.digit_label = QLabel()
        self.digit_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        digit_font = QFont(self.font())
        digit_font.setPointSizeF(digit_font.pointSizeF() * 5)
        digit_font.setBold(True)
        self._digit_font = digit_font
        # "not sure" in the digit's size would not fit the panel; the line keeps its height.
        self._not_sure_font = QFont(digit_font)
        self._not_sure_font.setPointSizeF(digit_font.pointSizeF() * 0.5)
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
        self.bars.setToolTip(LABEL_HINT)
        self.bars.digit_clicked.connect(self.label_drawing)
        self._label_depths: list[int] = []  # canvas undo depth after each labelling's Clear
        self.preview = DigitImage(scale_hint=IMAGE_SCALE)
        self.preview.setToolTip(
            "Exactly what the network sees: your drawing cropped, scaled to fit 20 px and "
            "centred by its centre of mass in 28×28 pixels"
        )
        side = 28 * IMAGE_SCALE + 2
        self.saliency_view = PixelImage(size_hint=QSize(side, side))
        for image in (self.preview, self.saliency_view):
            image.setMinimumSize(SMALLEST_IMAGE, SMALLEST_IMAGE)
            image.setMaximumSize(side, side)
        self.saliency_view.setToolTip(
            "Input × gradient of the top answer's score: orange pixels of ink pushed the "
            "answer up, blue ones pushed it down; the stronger the colour, the stronger the push"
        )
        self.saliency_caption = caption("Why")
        self.activations_view = PixelImage(
            size_hint=QSize(2 * ACTIVATION_HEIGHT + 2, ACTIVATION_HEIGHT + 2)
        )
        self.activations_view.setMinimumHeight(SMALLEST_ACTIVATIONS)
        self.activations_view.setMaximumHeight(ACTIVATION_HEIGHT + 2)
        self.activations_view.tooltip = self._unit_tooltip
        self.activations_caption = QLabel()
        self.layer_choice = QComboBox()
        self.layer_choice.setAccessibleName("Hidden layer")
        self.layer_choice.setToolTip("Which hidden layer to show")
        self.layer_choice.currentIndexChanged.connect(lambda _i: self._show_activations())

        self.threshold_slider = QSlider(Qt.Orientation.Horizontal)
        self.threshold_slider.setRange(0, 99)
        self.threshold_slider.setAccessibleName("Confidence threshold")
        self.threshold_slider.setToolTip(
            'Answer only when the top probability reaches this; below it, say "not sure". '
            "The Mistakes tab shows what this threshold does on the 10,000 test images."
        )
        self._threshold_value = QLabel()
        self._threshold_value.setMinimumWidth(
            self._threshold_value.fontMetrics().horizontalAdvance("99.9 %")
        )
        self.threshold_slider.valueChanged.connect(
            lambda percent: self.threshold.set_value(percent / 100)
        )
        self._sync_threshold(self.threshold.value)

        self.pen_slider = QSlider(Qt.Orientation.Horizontal)
        self.pen_slider.setRange(int(MIN_PEN_WIDTH), int(MAX_PEN_WIDTH))
        self.pen_slider.setValue(int(DEFAULT_PEN_WIDTH))
        self.pen_slider.setAccessibleName("Pen width")
        self.pen_slider.valueChanged.connect(self.canvas.set_pen_width)
        self._pen_value = QLabel()
        self._pen_value.setMinimumWidth(self._pen_value.fontMetrics().horizontalAdvance("888 px"))
        # The canvas scales with the window, and the pen with it: say what it draws on screen.
        self.pen_slider.valueChanged.connect(lambda _width: self._show_pen_width())
        self.canvas.scale_changed.connect(lambda _scale: self._show_pen_width())
        self.canvas.set_pen_width(self.pen_slider.value())
        self._show_pen_width()

        self.undo_button = QPushButton("Undo")
        self.undo_button.setToolTip("Take back the last stroke, or the last Clear (Ctrl+Z)")
        self.undo_button.clicked.connect(self.undo)
        self.clear_button = QPushButton("Clear")
        self.clear_button.setToolTip("Start again (Esc or Delete; Undo brings it back)")
        self.clear_button.clicked.connect(self.canvas.clear)
        # Window-wide keys that only act while this tab is visible (Qt ignores shortcuts of
        # hidden widgets), so they do not steal Esc or Ctrl+Z from the other tabs.
        for keys, slot in (
            (QKeySequence.StandardKey.Undo, self.undo),
            (QKeySequence(Qt.Key.Key_Escape), self.canvas.clear),
            (QKeySequence(Qt.Key.Key_Delete), self.canvas.clear),
        ):
            QShortcut(QKeySequence(keys), self).activated.connect(slot)
        for digit in range(10):
            shortcut = QShortcut(QKeySequence(str(digit)), self)
            shortcut.activated.connect(lambda d=digit: self.label_drawing(d))

        self._build_layout()
        self.set_predictor(predictor)

    def _build_layout(self) -> None:
        side = QVBoxLayout()
        side.setSpacing(4)
        side.addWidget(self._answer)
        side.addSpacing(4)
        side.addWidget(caption("Probabilities"))
        side.addWidget(self.bars)
        side.addSpacing(4)

        images = QGridLayout()
        images.setVerticalSpacing(2)
        images.addWidget(caption("What it sees (28×28)"), 0, 0)
        images.addWidget(self.saliency_caption, 0, 1)
        images.addWidget(self.preview, 1, 0, Qt.AlignmentFlag.AlignHCenter)
        images.addWidget(self.saliency_view, 1, 1, Qt.AlignmentFlag.AlignHCenter)
        images.setColumnStretch(0, 1)
        images.setColumnStretch(1, 1)
        side.addLayout(images)
        legend = QLabel("Orange ink pushed the answer up, blue ink down")
        legend.setForegroundRole(QPalette.ColorRole.PlaceholderText)
        legend.setWordWrap(True)
        side.addWidget(legend)
        side.addSpacing(4)

        layer_row = QHBoxLayout()
        layer_row.addWidget(self.activations_caption, 1)
        layer_row.addWidget(self.layer_choice)
        side.addLayout(layer_row)
        side.addWidget(self.activations_view)
        side.addSpacing(4)

        side.addStretch(1)

        # The controls sit under the canvas, where they are always in view; the panel beside it
        # may have to scroll in a short window.
        controls = QGridLayout()
        controls.setHorizontalSpacing(8)
        controls.addWidget(QLabel("Answer if ≥"), 0, 0)
        controls.addWidget(self.threshold_slider, 0, 1)
        controls.addWidget(self._threshold_value, 0, 2)
        controls.addWidget(self.undo_button, 0, 3)
        controls.addWidget(QLabel("Pen width"), 1, 0)
        controls.addWidget(self.pen_slider, 1, 1)
        controls.addWidget(self._pen_value, 1, 2)
        controls.addWidget(self.clear_button, 1, 3)
        controls.setColumnStretch(1, 1)
        drawing = QVBoxLayout()
        drawing.addWidget(self.canvas, 1)
        drawing.addLayout(controls)

        side_panel = QWidget()
        side_panel.setLayout(side)
        # In a short window the panel scrolls rather than squeeze or clip its contents.
        scroll = QScrollArea()
        scroll.setWidget(side_panel)
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        scroll.setFixedWidth(PANEL_WIDTH + scroll.verticalScrollBar().sizeHint().width())
        self.side_scroll = scroll

        layout = QHBoxLayout(self)
        layout.setSpacing(16)
        layout.addLayout(drawing, 1)
        layout.addWidget(scroll)

    # --- public API -----------------------------------------------------------------------------

    def set_predictor(self, predictor: Predictor | None) -> None:
        """Use ``predictor`` from now on, and re-read the current drawing with it."""
        self._predictor = predictor
        self.layer_choice.blockSignals(True)
        self.layer_choice.clear()
        if predictor is not None:
            for i, (kernel, _bias) in enumerate(predictor.layers[:-1]):
                self.layer_choice.addItem(f"layer {i + 1}", kernel.shape[1])
        self.layer_choice.blockSignals(False)
        # A choice of one is no choice: the combo shows only for two or more hidden layers.
        self.layer_choice.setVisible(self.layer_choice.count() > 1)
        self.refresh()

    def load_image(self, image: np.ndarray) -> None:
        """Put a 28×28 float32 image in [0, 1] on the canvas, to look at or draw over."""
        self.canvas.set_image(image)

    @property
    def probabilities(self) -> np.ndarray | None:
        """The selected digit's ten probabilities, or None while the hint is shown."""
        return self._probabilities

    @property
    def network_input(self) -> np.ndarray | None:
        """The (28, 28) image of the selected digit as the network was given it, or None."""
        return self._network_input

    @property
    def top_digit(self) -> int | None:
        """The network's best guess for the selected digit, sure or not (None: hint shown)."""
        return None if self._probabilities is None else int(self._probabilities.argmax())

    @property
    def is_sure(self) -> bool:
        """Whether the selected digit's top probability reaches the confidence threshold."""
        probabilities = self._probabilities
        return probabilities is not None and self.threshold.is_sure(float(probabilities.max()))

    @property
    def explanation(self) -> Explanation | None:
        """Activations and saliency behind the answer shown, or None while the hint is shown."""
        return self._explanation

    @property
    def readings(self) -> list[DigitReading]:
        """Every digit found, left to right, with its probabilities and box (canvas units)."""
        return list(self._readings)

    @property
    def number(self) -> str:
        """The number read, "?" for each digit under the threshold ("" while the hint shows)."""
        return number_text(self._readings, self.threshold.value)

    @property
    def selected_digit(self) -> int | None:
        """Index of the digit whose details are shown (None while the hint is shown)."""
        return self._selected if self._readings else None

    @property
    def showing_hint(self) -> bool:
        return self._answer.currentWidget() is self.hint_label

    @property
    def pen_width(self) -> float:
        """Width of the pen, in canvas units (the canvas is 280 units tall)."""
        return float(self.canvas.pen_width)

    def set_pen_width(self, width: float) -> None:
        """Use a pen `width` canvas units wide (clamped to the slider's range; NaN ignored)."""
        if not math.isfinite(width):
            return
        self.pen_slider.setValue(round(min(max(width, MIN_PEN_WIDTH), MAX_PEN_WIDTH)))

    @Slot(int)
    def label_drawing(self, digit: int) -> bool:
        """Say the drawing on the canvas is ``digit``: it goes to My drawings (``labelled``)
        and the canvas clears for the next one. Undo brings it back and takes the label back.

        One digit at a time: a canvas holding several, or nothing, is refused with a hint.
        """
        if self.canvas.is_empty() or self.canvas.has_image:
            return False
        if len(self._readings) > 1:
            self._show_hint("Label one digit at a time: clear the canvas and draw just one.")
            return False
        image = self.canvas.to_array()
        self.labelled.emit(image, int(digit))
        self.canvas.clear()
        self._label_depths.append(self.canvas.history_depth)
        return True

    @Slot()
    def undo(self) -> None:
        """Take back the last stroke, Clear or labelling."""
        if self._label_depths and self._label_depths[-1] == self.canvas.history_depth:
            self._label_depths.pop()
            self.unlabelled.emit()
        self.canvas.undo()
        # A labelling whose Clear is gone from the canvas's history can no longer be undone.
        depth = self.canvas.history_depth
        self._label_depths = [d for d in self._label_depths if d <= depth]

    @Slot(int)
    def select_digit(self, index: int) -> None:
        """Show the probabilities, image and why of digit `index` (0 is the leftmost)."""
        if 0 <= index < len(self._readings) and index != self._selected:
            self._selected = index
            self._show_selected()

    # --- the prediction path --------------------------------------------------------------------

    @Slot()
    def refresh(self) -> None:
        """Read the canvas and show what the network makes of it."""
        segmentation = self.canvas.segment()
        digits = segmentation.digits
        if self._predictor is None or not digits:
            self._readings, self._selected = [], -1
            # Without a model the preview still shows what the network would be given.
            self._network_input = digits[-1].image if digits else None
            self.preview.set_image(self._network_input)
            self.canvas.set_marks([])
            if self._predictor is None:
                self._show_hint(NO_MODEL_HINT)
            elif segmentation.problem:
                self._show_hint(f"{segmentation.problem}.")
            else:
                self._show_hint(HINT)
            self.selection_changed.emit(None)
            return
        count_changed = len(digits) != len(self._readings)
        self._readings = read_digits(digits, self._predictor)
        # A new digit (or one fewer) moves the details to the rightmost: the one being written.
        if count_changed or not 0 <= self._selected < len(self._readings):
            self._selected = len(self._readings) - 1
        self._show_selected()

    def _show_selected(self) -> None:
        # Only reached with readings, and refresh() makes none without a predictor.
        assert self._predictor is not None
        reading = self._readings[self._selected]
        image = reading.image
        self._network_input = image
        self.preview.set_image(image)
        explanation = self._predictor.explain(image)
        self._explanation = explanation
        self._probabilities = explanation.probabilities
        self._show_answer()
        self.bars.set_probabilities(explanation.probabilities)
        self.saliency_caption.setText(f"Why {explanation.digit}")
        self.saliency_view.set_rgb(saliency_rgb(image, explanation.saliency))
        self._show_activations()
        self.selection_changed.emit(image)

    def _show_answer(self) -> None:
        probabilities = self._probabilities
        if probabilities is None:
            return
        top = int(probabilities.argmax())
        confidence = percent_text(float(probabilities[top]))
        count = len(self._readings)
        if count > 1:
            self._show_number(top, confidence)
        elif self.is_sure:
            self.digit_label.setForegroundRole(QPalette.ColorRole.Highlight)
            self.digit_label.setFont(self._digit_font)
            self.digit_label.setText(str(top))
            self.confidence_label.setText(f"{confidence} sure")
        else:
            # Muted, not the accent: this is the absence of an answer.
            self.digit_label.setForegroundRole(QPalette.ColorRole.PlaceholderText)
            self.digit_label.setFont(self._not_sure_font)
            self.digit_label.setText(NOT_SURE)
            self.confidence_label.setText(
                f"best guess {top} at {confidence}, under {percent_text(self.threshold.value)}"
                " · wrong? press the right digit key"
            )
        self._answer.setCurrentIndex(1)
        self._show_marks()

    def _show_number(self, top: int, confidence: str) -> None:
        """The number in the digit's place (smaller when long), the selected digit below."""
        text = self.number
        font = QFont(self._digit_font)
        room = PANEL_WIDTH - 8
        while font.pointSizeF() > 8 and QFontMetrics(font).horizontalAdvance(text) > room:
            font.setPointSizeF(font.pointSizeF() * 0.85)
        self.digit_label.setFont(font)
        self.digit_label.setForegroundRole(QPalette.ColorRole.Highlight)
        self.digit_label.setText(text)
        where = f"digit {self._selected + 1} of {len(self._readings)}"
        if self.is_sure:
            self.confidence_label.setText(f"{where}: {top}, {confidence} sure")
        else:
            # Short enough for the panel: the threshold shows beside its slider.
            self.confidence_label.setText(f"{where}: not sure (best guess {top}, {confidence})")

    def _show_marks(self) -> None:
        """A box per digit on the canvas with its answer and confidence (for two or more)."""
        if len(self._readings) < 2:
            self.canvas.set_marks([])
            return
        marks = []
        for index, reading in enumerate(self._readings):
            sure = self.threshold.is_sure(reading.confidence)
            answer = str(reading.digit) if sure else NOT_SURE_MARK
            marks.append(
                Mark(
                    reading.box,
                    f"{answer} · {reading.confidence:.0%}",
                    selected=index == self._selected,
                    muted=not sure,
                )
            )
        self.canvas.set_marks(marks)

    def _show_pen_width(self) -> None:
        width = self.canvas.pen_width
        on_screen = round(width * self.canvas.scale())
        self._pen_value.setText(f"{on_screen} px")
        self.pen_slider.setToolTip(
            f"Width of the next strokes: {width:g} units on a canvas 280 units tall, "
            f"{on_screen} px on screen at this window size (the pen grows with the canvas; "
            "hover over the canvas to see it)"
        )

    def _show_activations(self) -> None:
        explanation = self._explanation
        layer = max(0, self.layer_choice.currentIndex())
        widths = [] if self._predictor is None else [k.shape[1] for k, _ in self._predictor.layers]
        if layer >= len(widths) - 1:
            self.activations_view.set_image(None)
            self.activations_caption.setText("Hidden units")
            return
        if explanation is None:
            # Nothing drawn: every unit dark, so the grid's shape shows before the first stroke.
            values = np.zeros(widths[layer], dtype=np.float32)
        else:
            values = explanation.hidden[layer]
        grid = unit_grid(values)
        background = _rgb(self.palette().color(QPalette.ColorRole.Window))
        activation = self._predictor.activation if self._predictor else "relu"
        if activation == "tanh":
            rgb = diverging_rgb(grid, 1.0, background)
        else:
            # ReLU outputs have no fixed top: scale to this drawing's strongest unit.
            top = 1.0 if activation == "sigmoid" else float(values.max())
            rgb = sequential_rgb(grid, top if top > 0 else 1.0, background)
        self.activations_view.set_rgb(rgb)
        firing = int((values > 0).sum()) if activation == "relu" and explanation else None
        text = f"Hidden layer {layer + 1}: {len(values)} units"
        if firing is not None:
            text += f", {firing} fire"
        self.activations_caption.setText(text)

    def _unit_tooltip(self, row: int, column: int) -> str | None:
        explanation = self._explanation
        layer = max(0, self.layer_choice.currentIndex())
        if explanation is None or layer >= len(explanation.hidden):
            return None
        values = explanation.hidden[layer]
        unit = unit_at(row, column, len(values))
        if unit is None:
            return None
        return f"Layer {layer + 1}, unit {unit}: {values[unit]:.3g}"

    def _show_hint(self, text: str) -> None:
        self._probabilities = None
        self._explanation = None
        self._readings, self._selected = [], -1
        self.canvas.set_marks([])
        self.hint_label.setText(text)
        self._answer.setCurrentWidget(self.hint_label)
        self.bars.set_probabilities(None)
        self.saliency_caption.setText("Why")
        self.saliency_view.set_rgb(np.zeros((28, 28, 3), dtype=np.uint8))
        self._show_activations()

    # --- the confidence threshold ---------------------------------------------------------------

    @Slot(float)
    def _threshold_changed(self, value: float) -> None:
        self._sync_threshold(value)
        self._show_answer()

    def _sync_threshold(self, value: float) -> None:
        self.threshold_slider.blockSignals(True)
        self.threshold_slider.setValue(round(value * 100))
        self.threshold_slider.blockSignals(False)
        self._threshold_value.setText("off" if value <= 0 else percent_text(value))


def _rgb(color) -> tuple[int, int, int]:
    return color.red(), color.green(), color.blue()
