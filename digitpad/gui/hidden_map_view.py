"""The hidden map page: a layer's view of 3,000 test images as coloured dots, and the drawing
as a live point among them.

The map itself is computed by :mod:`digitpad.hidden_map` on a worker thread; this widget only
draws it in an embedded matplotlib figure (no pyplot). The dots are drawn once per map; the
drawing's point and the lines to its nearest test images are animated artists blitted over a
saved background, so following the pen costs the placement (under a millisecond) and a blit,
never a redraw of 3,000 dots. Hovering a dot shows its image; clicking it sends the image to
the canvas (``open_in_canvas``).

The drawing comes from the Draw tab (:meth:`HiddenMapView.set_drawing`) or from the small
canvas beside the map, so the point can be watched moving while the digit is drawn: that
canvas is read as the Draw tab reads its own (its strokes segmented into digits, each made as
``to_mnist`` makes one; the rightmost, the one being written, is placed).
"""

from __future__ import annotations

import numpy as np
from matplotlib.backends.backend_qtagg import FigureCanvasQTAgg
from matplotlib.collections import LineCollection, PathCollection
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import (
    QComboBox,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from digitpad.data import Split
from digitpad.gui.canvas import DrawingCanvas
from digitpad.gui.digit_image import DigitImage
from digitpad.gui.generator_worker import JobSlot
from digitpad.hidden_map import NEIGHBOURS, HiddenMap, Placement, layer_names, map_steps
from digitpad.inference import Predictor
from digitpad.progress import Progress

# matplotlib's tab10: ten distinct colours, the usual palette for MNIST maps.
DIGIT_COLOURS = np.array(
    [
        "#1f77b4",
        "#ff7f0e",
        "#2ca02c",
        "#d62728",
        "#9467bd",
        "#8c564b",
        "#e377c2",
        "#7f7f7f",
        "#bcbd22",
        "#17becf",
    ]
)
HOVER_PIXELS = 6.0
DRAW_HINT = "Draw a digit above or on the Draw tab: it is the black star."
PLACE_DELAY_MS = 30  # the pen moves faster than anyone can watch a point move
SKETCH_PEN_WIDTH = 22.0  # canvas units: a little bolder than the Draw tab's, the pad is small


class HiddenMapView(QWidget):
    """Pick a layer; see its PCA map; the drawing is the black star.

    Feed it with :meth:`set_test_set`, :meth:`set_predictor` and :meth:`set_drawing`.
    """

    open_in_canvas = Signal(object)
    map_ready = Signal(object)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._predictor: Predictor | None = None
        self._test: Split | None = None
        self._map: HiddenMap | None = None
        self._drawing: np.ndarray | None = None
        self._placement: Placement | None = None
        self._background = None
        self._display: np.ndarray | None = None
        self._hovered: int | None = None
        self._job = JobSlot("hidden-map", self)
        self._job.item.connect(self._on_item)
        self._job.result.connect(self._on_map)
        self._job.failed.connect(self._on_failed)

        self.layer_combo = QComboBox()
        self.layer_combo.currentIndexChanged.connect(self._rebuild)
        self.status = QLabel("Waiting for the test images…")
        self.status.setWordWrap(True)
        self.progress = QProgressBar()
        self.progress.setMaximumWidth(160)
        self.progress.setTextVisible(False)
        self.progress.hide()
        top = QHBoxLayout()
        top.addWidget(QLabel("Layer:"))
        top.addWidget(self.layer_combo)
        top.addWidget(self.progress)
        top.addWidget(self.status, 1)

        self.figure = Figure(figsize=(6, 5), layout="constrained")
        self.canvas = FigureCanvasQTAgg(self.figure)
        self.canvas.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.canvas.setMinimumSize(360, 300)
        self.axes = self.figure.add_subplot()
        self._dots: PathCollection | None = None
        self._crosses: PathCollection | None = None
        self._star = Line2D(
            [], [], marker="*", ms=18, color="black", mec="white", mew=1.2, ls="", zorder=5
        )
        self._star.set_animated(True)
        self._links = LineCollection([], colors="black", linewidths=1.0, zorder=4)
        self._links.set_animated(True)
        self.axes.add_line(self._star)
        self.axes.add_collection(self._links)
        self.canvas.mpl_connect("draw_event", self._on_draw)
        self.canvas.mpl_connect("motion_notify_event", self._on_motion)
        self.canvas.mpl_connect("button_press_event", self._on_click)

        # A pad to draw on right here, to watch the point move while drawing.
        self.sketch = DrawingCanvas()
        self.sketch.setObjectName("map_sketch")
        self.sketch.set_placeholder_text("Draw a digit here")
        self.sketch.setAccessibleName("Drawing pad for the map")
        self.sketch.setToolTip("draw a digit: the black star follows it on the map")
        self.sketch.setMinimumSize(200, 110)
        self.sketch.setMaximumHeight(240)  # the neighbours and the hovered dot stay in view
        self.sketch.set_pen_width(SKETCH_PEN_WIDTH)
        self.sketch.changed.connect(self._read_sketch)
        self.clear_button = QPushButton("Clear")
        self.clear_button.setToolTip("clear the pad: the star leaves the map")
        self.clear_button.clicked.connect(self.sketch.clear)

        self.hover_image = DigitImage(3)
        self.hover_caption = QLabel("Hover a dot to see its image; click it to open it.")
        self.hover_caption.setWordWrap(True)
        self.drawing_caption = QLabel(DRAW_HINT)
        self.drawing_caption.setWordWrap(True)
        self.neighbour_images = [DigitImage(2) for _ in range(NEIGHBOURS)]
        for view in self.neighbour_images:
            view.setFixedSize(2 * 28 + 2, 2 * 28 + 2)  # all the same size, pixels kept square
        side = QVBoxLayout()
        side.setContentsMargins(0, 0, 0, 0)
        pad_title = QLabel("Draw here, and watch the star:")
        pad_title.setBuddy(self.sketch)
        pad_row = QHBoxLayout()
        pad_row.addWidget(pad_title, 1)
        pad_row.addWidget(self.clear_button)
        side.addLayout(pad_row)
        side.addWidget(self.sketch, 3)
        side.addWidget(self.drawing_caption)
        grid = QGridLayout()
        for i, view in enumerate(self.neighbour_images):
            grid.addWidget(view, 0, i)
        side.addLayout(grid)
        side.addSpacing(8)
        hover_row = QHBoxLayout()
        hover_row.addWidget(self.hover_image, 0, Qt.AlignmentFlag.AlignTop)
        hover_row.addWidget(self.hover_caption, 1, Qt.AlignmentFlag.AlignTop)
        side.addLayout(hover_row)
        side.addStretch(1)
        side_panel = QWidget()
        side_panel.setLayout(side)
        side_panel.setFixedWidth(NEIGHBOURS * 62 + 20)
        body = QHBoxLayout()
        body.addWidget(self.canvas, 1)
        body.addWidget(side_panel)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addLayout(body, 1)

        self._place_timer = QTimer(self)
        self._place_timer.setSingleShot(True)
        self._place_timer.setInterval(PLACE_DELAY_MS)
        self._place_timer.timeout.connect(self._place_drawing)

    # --- inputs ---------------------------------------------------------------------------

    def set_test_set(self, test: Split) -> None:
        self._test = test
        self._rebuild()

    def set_predictor(self, predictor: Predictor | None) -> None:
        self._predictor = predictor
        names = layer_names(predictor) if predictor is not None else []
        previous = self.layer_combo.currentIndex()
        self.layer_combo.blockSignals(True)
        self.layer_combo.clear()
        self.layer_combo.addItems(names)
        # The last hidden layer by default: where the digits have pulled apart most.
        keep = previous if 0 <= previous < len(names) else max(0, len(names) - 2)
        self.layer_combo.setCurrentIndex(keep)
        self.layer_combo.blockSignals(False)
        self._rebuild()

    def set_drawing(self, image: np.ndarray | None) -> None:
        """The canvas's current 28×28 image (None: nothing drawn). Cheap: placed shortly after,
        and only while the page is visible."""
        self._drawing = None if image is None else np.asarray(image, np.float32).reshape(28, 28)
        # A throttle, not a debounce: restarting the timer on every change would hold the star
        # still for as long as the pen keeps moving.
        if self.isVisible() and not self._place_timer.isActive():
            self._place_timer.start()

    def _read_sketch(self) -> None:
        # The rightmost digit, as the Draw tab does: the one being written.
        digits = self.sketch.segment().digits
        self.set_drawing(digits[-1].image if digits else None)

    @property
    def hidden_map(self) -> HiddenMap | None:
        return self._map

    @property
    def placement(self) -> Placement | None:
        return self._placement

    def shutdown(self, timeout_ms: int = 5000) -> bool:
        self._place_timer.stop()
        return self._job.shutdown(timeout_ms)

    # --- the map --------------------------------------------------------------------------

    def _rebuild(self) -> None:
        if self._predictor is None or self._test is None or self.layer_combo.count() == 0:
            return
        predictor, test, layer = self._predictor, self._test, self.layer_combo.currentIndex()
        self.progress.setValue(0)
        self.progress.show()
        self.status.setText(f"Mapping {self.layer_combo.currentText()}…")
        self._job.start(lambda: map_steps(predictor, test.x, test.y, layer))

    def _on_item(self, item: object) -> None:
        if isinstance(item, Progress):
            self.progress.setMaximum(item.total)
            self.progress.setValue(item.done)

    def _on_failed(self, message: str) -> None:
        self.progress.hide()
        self.status.setText(f"Could not map this layer: {message}")

    def _on_map(self, hidden_map: HiddenMap) -> None:
        self.progress.hide()
        self._map = hidden_map
        first, second = hidden_map.explained
        wrong = int(hidden_map.mistakes.sum())
        self.status.setText(
            f"{len(hidden_map.indices):,} test images as the {hidden_map.layer_name} layer sees "
            f"them, flattened by PCA (the two axes show {first:.0%} and {second:.0%} of its "
            f"variance); × marks the {wrong} the model gets wrong."
        )
        self._draw_map()
        self._placement = None
        self._place_drawing()
        self.map_ready.emit(hidden_map)

    def _draw_map(self) -> None:
        hidden_map = self._map
        if hidden_map is None:
            return
        axes = self.axes
        for artist in (self._dots, self._crosses):
            if artist is not None:
                artist.remove()
        legend = axes.get_legend()
        if legend is not None:
            legend.remove()
        points = hidden_map.points
        self._dots = axes.scatter(
            points[:, 0],
            points[:, 1],
            s=7,
            c=DIGIT_COLOURS[hidden_map.labels],
            linewidths=0,
            alpha=0.75,
            zorder=2,
        )
        wrong = hidden_map.mistakes
        self._crosses = axes.scatter(
            points[wrong, 0], points[wrong, 1], s=30, marker="x", c="black", lw=1.0, zorder=3
        )
        handles = [
            Line2D([], [], marker="o", ls="", color=DIGIT_COLOURS[d], label=str(d))
            for d in range(10)
        ]
        handles.append(Line2D([], [], marker="x", ls="", color="black", label="wrong"))
        handles.append(Line2D([], [], marker="*", ls="", color="black", ms=10, label="drawing"))
        axes.legend(handles=handles, loc="upper right", fontsize="x-small", ncols=2, framealpha=0.8)
        axes.set_title(hidden_map.layer_name, fontsize="medium")
        axes.set_xlabel("first principal axis")
        axes.set_ylabel("second principal axis")
        axes.tick_params(labelsize="x-small")
        margin = 0.05 * np.ptp(points, axis=0)
        axes.set_xlim(points[:, 0].min() - margin[0], points[:, 0].max() + margin[0])
        axes.set_ylim(points[:, 1].min() - margin[1], points[:, 1].max() + margin[1])
        self._background = None
        self.canvas.draw_idle()

    # --- the drawing's point ----------------------------------------------------------------

    def _place_drawing(self) -> None:
        hidden_map, image = self._map, self._drawing
        if hidden_map is None or image is None or not image.any():
            self._placement = None
            self._star.set_data([], [])
            self._links.set_segments([])
            self.drawing_caption.setText(DRAW_HINT)
            for view in self.neighbour_images:
                view.set_image(None)
        else:
            placement = hidden_map.place(image)
            self._placement = placement
            x, y = placement.point
            self._star.set_data([x], [y])
            ends = hidden_map.points[placement.nearest]
            self._links.set_segments([[(x, y), (float(a), float(b))] for a, b in ends])
            labels = hidden_map.labels[placement.nearest]
            self.drawing_caption.setText(
                "Your drawing's nearest test images in this layer: "
                + ", ".join(str(int(d)) for d in labels)
            )
            test = self._test
            for view, index in zip(self.neighbour_images, placement.nearest, strict=False):
                if test is not None:
                    view.set_image(test.x[hidden_map.indices[index]].reshape(28, 28))
        self._blit()

    def _on_draw(self, _event) -> None:
        self._background = self.canvas.copy_from_bbox(self.figure.bbox)
        if self._map is not None:
            self._display = self.axes.transData.transform(self._map.points)
        self._draw_animated()

    def _draw_animated(self) -> None:
        self.axes.draw_artist(self._links)
        self.axes.draw_artist(self._star)

    def _blit(self) -> None:
        if self._background is None:
            self.canvas.draw_idle()
            return
        self.canvas.restore_region(self._background)
        self._draw_animated()
        self.canvas.blit(self.figure.bbox)

    # --- hover and click --------------------------------------------------------------------

    def dot_at(self, x: float, y: float) -> int | None:
        """The position (into the map's arrays) of the dot within a few pixels of display
        point (x, y), if any."""
        if self._display is None or self._map is None:
            return None
        distance = np.hypot(self._display[:, 0] - x, self._display[:, 1] - y)
        nearest = int(distance.argmin())
        return nearest if distance[nearest] <= HOVER_PIXELS * self.devicePixelRatioF() else None

    def _image_of(self, position: int) -> np.ndarray | None:
        if self._map is None or self._test is None:
            return None
        return self._test.x[self._map.indices[position]].reshape(28, 28)

    def _on_motion(self, event) -> None:
        if event.inaxes is not self.axes:
            return
        position = self.dot_at(event.x, event.y)
        if position is None or position == self._hovered or self._map is None:
            return
        self._hovered = position
        hidden_map = self._map
        self.hover_image.set_image(self._image_of(position))
        true, read = int(hidden_map.labels[position]), int(hidden_map.predicted[position])
        verdict = "right" if true == read else "WRONG"
        self.hover_caption.setText(
            f"test image #{int(hidden_map.indices[position])}: a {true}, read as {read} "
            f"({verdict}).\nClick to open it in the canvas."
        )

    def _on_click(self, event) -> None:
        if event.inaxes is not self.axes or event.button != 1:
            return
        position = self.dot_at(event.x, event.y)
        image = self._image_of(position) if position is not None else None
        if image is not None:
            self.open_in_canvas.emit(image.astype(np.float32).copy())

    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802 (Qt override)
        super().showEvent(event)
        self._place_timer.start()
