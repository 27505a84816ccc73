"""Inside the network: what each first-layer unit looks for, and how far training has moved
each layer's weights from where they started.

Shown on the Train tab. During a run it is fed :class:`~digitpad.training.Snapshot` events,
which the engine sends at most twice a second and only while this view is on screen; between
runs it shows the current model. One render is a few NumPy operations and one QImage for the
whole weight grid (4-6 ms with the painting, measured by benchmarks/weight_grid_overhead.py),
however wide the layer; while hidden it only keeps the latest weights and renders them when
shown.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtGui import QPalette, QShowEvent
from PySide6.QtWidgets import QGridLayout, QLabel, QScrollArea, QVBoxLayout, QWidget

from digitpad.colour_maps import DIVERGING_LUT, diverging_rgb, symmetric_limit
from digitpad.gui.captions import caption
from digitpad.gui.painted_charts import ColourScale, WeightHistogramChart
from digitpad.gui.pixel_image import PixelImage
from digitpad.run_description import describe_run
from digitpad.tiling import MAX_UNITS_SHOWN, unit_tile_at, unit_tiles
from digitpad.training.events import DEAD_UNIT_IMAGES
from digitpad.weight_stats import weight_histogram

if TYPE_CHECKING:
    from digitpad.config import TrainConfig

Layers = tuple[tuple[np.ndarray, np.ndarray], ...] | list[tuple[np.ndarray, np.ndarray]]
HISTOGRAM_SAMPLE = 65_536
"""Histograms of wider layers count an even sample of this many weights: each is drawn scaled
to its peak, so its shape is all that shows (61 bins of ~1,000 weights each on average), and
counting all 640,000 weights of an 800×800 layer twice a second would cost the GUI ~10 ms."""


@dataclass(frozen=True)
class _State:
    layers: Layers
    initial: Layers | None
    dead_share: tuple[float, ...] | None
    caption: str
    activation: str
    saturated_share: tuple[float, ...] | None = None


class InsideView(QWidget):
    """The first layer's weights as a grid of 28×28 images, a histogram of each layer's weights
    (now, over the same bins at initialisation), and the share of dead ReLU units."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._state: _State | None = None
        self._dirty = False
        self._units = 0
        self.renders = 0
        """How many times the view was drawn from new weights (for tests and benchmarks)."""

        self.caption = QLabel("Train a model, or open one, to look inside it.")
        self.caption.setWordWrap(True)
        self.grid_title = caption("What first-layer units see")
        self.grid_view = PixelImage(preferred_scale=2)
        self.grid_view.setMinimumSize(120, 120)  # 100 tiles of 12 px: readable in a small window
        self.grid_view.tooltip = self._unit_tooltip
        self.grid_view.setToolTip("")
        self.scale = ColourScale(DIVERGING_LUT)
        self.grid_note = QLabel()
        self.grid_note.setWordWrap(True)
        self.grid_note.setForegroundRole(QPalette.ColorRole.PlaceholderText)

        self.histograms: list[WeightHistogramChart] = []
        self._histogram_box = QVBoxLayout()
        self._histogram_box.setContentsMargins(0, 0, 0, 0)
        self.dead_label = QLabel()
        self.dead_label.setWordWrap(True)
        self.units_title = caption("Dead ReLU units")

        left = QVBoxLayout()
        left.addWidget(self.grid_title)
        left.addWidget(self.grid_view, 1)
        left.addWidget(self.scale)
        left.addWidget(self.grid_note)

        histograms = QWidget()
        histograms.setLayout(self._histogram_box)
        scroll = QScrollArea()
        scroll.setWidget(histograms)
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        right = QVBoxLayout()
        right.addWidget(caption("Weights of each layer"))
        legend = QLabel("colour: now · grey: at initialisation (each scaled to its peak)")
        legend.setWordWrap(True)
        legend.setForegroundRole(QPalette.ColorRole.PlaceholderText)
        right.addWidget(legend)
        right.addWidget(scroll, 1)
        right.addWidget(self.units_title)
        right.addWidget(self.dead_label)

        body = QGridLayout()
        body.addLayout(left, 0, 0)
        body.addLayout(right, 0, 1)
        body.setColumnStretch(0, 3)
        body.setColumnStretch(1, 2)
        content = QWidget()
        layout = QVBoxLayout(content)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.caption)
        layout.addLayout(body, 1)
        # In a short window the page scrolls rather than squeeze the grid onto its scale.
        page = QScrollArea()
        page.setWidget(content)
        page.setWidgetResizable(True)
        page.setFrameShape(QScrollArea.Shape.NoFrame)
        page.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.addWidget(page)
        self._show_dead(None)

    # --- data in --------------------------------------------------------------------------------

    def show_weights(
        self,
        layers: Layers,
        *,
        initial: Layers | None = None,
        dead_share: tuple[float, ...] | None = None,
        caption: str = "",
        activation: str = "relu",
        saturated_share: tuple[float, ...] | None = None,
        config: TrainConfig | None = None,
    ) -> None:
        """Show ``layers`` ((kernel, bias) pairs, input to output), against ``initial`` weights
        if known, with the dead-unit shares (ReLU) or saturated-unit shares (tanh, sigmoid) if
        known, and the run's settings that differ from its preset if ``config`` is given.
        Drawn now if visible, else when shown."""
        if config is not None:
            caption = f"{caption}\nSettings: {describe_run(config)}." if caption else caption
        self._state = _State(layers, initial, dead_share, caption, activation, saturated_share)
        self._dirty = True
        if self.isVisible():
            self._render()

    @property
    def layers(self) -> Layers | None:
        """The weights shown (or to be shown when this view appears)."""
        return None if self._state is None else self._state.layers

    @property
    def shown_units(self) -> int:
        """How many first-layer units the grid shows."""
        return self._units

    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802 (Qt override)
        if self._dirty:
            self._render()
        super().showEvent(event)

    # --- drawing --------------------------------------------------------------------------------

    def _render(self) -> None:
        state = self._state
        self._dirty = False
        if state is None:
            return
        self.renders += 1
        self.caption.setText(state.caption)
        kernel = state.layers[0][0]
        width = kernel.shape[1]
        self._units = min(width, MAX_UNITS_SHOWN)
        grid = unit_tiles(kernel)
        # One symmetric scale for all the tiles, so a unit with stronger weights looks stronger.
        limit = symmetric_limit(kernel[:, : self._units])
        self.grid_view.set_rgb(diverging_rgb(grid, limit, self._background()))
        self.scale.set_labels(f"{-limit:.2g}", "0", f"+{limit:.2g}")
        shown = f"The first {MAX_UNITS_SHOWN} of {width}" if width > MAX_UNITS_SHOWN else "All"
        note = (
            f"{shown} units; a tile is one unit's 784 incoming weights as an image: red pixels "
            "excite it, blue ones inhibit it."
        )
        if state.dead_share and state.dead_share[0] > 0:
            note += " A dead unit never fires, so its weights stop changing."
        self.grid_note.setText(note)
        self._show_histograms(state)
        self._show_dead(state)

    def _show_histograms(self, state: _State) -> None:
        count = len(state.layers)
        while len(self.histograms) < count:
            chart = WeightHistogramChart()
            chart.setMinimumHeight(90)
            self.histograms.append(chart)
            self._histogram_box.addWidget(chart)
        for i, chart in enumerate(self.histograms):
            chart.setVisible(i < count)
        for i, (kernel, _bias) in enumerate(state.layers):
            before = None if state.initial is None else _sample(state.initial[i][0])
            histogram = weight_histogram(_sample(kernel), before)
            name = "output layer" if i == count - 1 else f"hidden layer {i + 1}"
            title = f"{name} ({kernel.shape[0]}×{kernel.shape[1]})"
            self.histograms[i].set_histogram(
                histogram.edges, histogram.now, histogram.initial, title
            )

    def _show_dead(self, state: _State | None) -> None:
        activation = "relu" if state is None else state.activation
        if activation != "relu":
            # tanh and sigmoid never go silent; their failure is to stick at a limit.
            self.units_title.setText(f"Saturated {activation} units")
            self.dead_label.setToolTip(
                f"A {activation} unit whose output sits within 5% of its range from a limit "
                "on at least 95% of the images has almost no slope there: it passes back "
                f"almost no gradient and barely learns. Counted on the same {DEAD_UNIT_IMAGES} "
                "validation images each time."
            )
            shares, what = (None if state is None else state.saturated_share), "pinned"
        else:
            self.units_title.setText("Dead ReLU units")
            self.dead_label.setToolTip(
                "A ReLU unit whose input is negative for every image outputs 0, gets no "
                f"gradient and stops learning. Counted on the same {DEAD_UNIT_IMAGES} validation "
                "images each time."
            )
            shares, what = (None if state is None else state.dead_share), "dead"
        if state is None or shares is None:
            self.dead_label.setText(
                "Counted while a run trains with this view shown, and from its final weights."
            )
            return
        widths = [kernel.shape[1] for kernel, _ in state.layers[:-1]]
        lines = [
            f"hidden layer {i + 1}: {round(share * width)} of {width} {what} ({share:.0%})"
            for i, (share, width) in enumerate(zip(shares, widths, strict=True))
        ]
        self.dead_label.setText("\n".join(lines))

    def _unit_tooltip(self, row: int, column: int) -> str | None:
        unit = unit_tile_at(row, column, self._units)
        if self._state is None or unit is None:
            return None
        kernel, bias = self._state.layers[0]
        weights = kernel[:, unit]
        return (
            f"Unit {unit}: weights {weights.min():+.3f} … {weights.max():+.3f}, "
            f"bias {float(bias[unit]):+.3f}"
        )

    def _background(self) -> tuple[int, int, int]:
        color = self.palette().color(QPalette.ColorRole.Window)
        return color.red(), color.green(), color.blue()


def _sample(kernel: np.ndarray) -> np.ndarray:
    """Every k-th weight (a view, no copy), k chosen so no column is always skipped."""
    flat = kernel.ravel()
    step = -(-len(flat) // HISTOGRAM_SAMPLE)
    if step > 1 and kernel.shape[-1] % step == 0:
        step += 1  # a stride dividing the row length would pick the same few units each row
    return flat[::step]
