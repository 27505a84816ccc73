"""The training curves drawn off the GUI thread: a scene in, a QImage out.

A full matplotlib draw of the two axes costs 20-25 ms of CPU on a quiet machine and two to
three times that while training shares the cores, and the first one at launch (fonts, the
constrained layout) well over 100 ms: on the GUI thread each is a stall the user feels while
drawing on the canvas. So the figure lives here, owned by one renderer that only the render
thread touches. The widget (``charts.TrainingCharts``) keeps the data and sends a
:class:`ChartScene`, a plain snapshot of everything the picture depends on; the renderer
redraws the whole figure only when something besides the lines changed (a range, the size, a
marker, the colours) and otherwise paints the new lines over the saved background (blitting).

Matplotlib's Agg renderer may draw in a thread other than the GUI's as long as one figure is
only used by one thread at a time (its font objects are kept per thread); the Qt side only
receives finished images.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator, PercentFormatter
from PySide6.QtGui import QImage

from digitpad.priority import BACKGROUND_NICE, lower_thread_priority

log = logging.getLogger(__name__)

# Tableau blue and orange: distinct for most colour-blind readers, legible on light and dark.
TRAIN_COLOR = "#4c8ed9"
VAL_COLOR = "#f28e2b"
DPI = 100  # as matplotlib's Qt canvas: 100 dots per logical inch, times the pixel ratio

LINE_NAMES = tuple(
    f"{kind}{metric}{raw}"
    for metric in ("loss", "accuracy")
    for kind, raw in (("", "_raw"), ("", ""), ("train_eval_", ""), ("val_", ""))
)
"""Per metric: each chunk as trained, smoothed, the training images measured as validation,
and validation."""


@dataclass(frozen=True)
class ChartLegend:
    """The words on the chart: the x axis, and the legend's entries for the four kinds of line
    (each chunk, smoothed, the fixed images measured as validation, validation)."""

    x_label: str = "epoch"
    chunks: str = "batches"
    smoothed: str = "smoothed"
    measured: str = "training images"
    validation: str = "validation"

    def entries(self) -> tuple[str, str, str, str]:
        return (self.chunks, self.smoothed, self.measured, self.validation)


@dataclass(frozen=True)
class ChartColours:
    """The palette's colours as hex strings (window, plot area, text, grid)."""

    window: str = "#efefef"
    base: str = "#ffffff"
    text: str = "#000000"
    grid: str = "#a0a0a0"


@dataclass(frozen=True, eq=False)
class ChartScene:
    """Everything the picture shows: built on the GUI thread, drawn on the render thread."""

    width: int
    """Logical pixels."""
    height: int
    ratio: float
    """Device pixels per logical pixel (2.0 on a 200% screen)."""
    epochs: int
    lines: dict[str, tuple[np.ndarray, np.ndarray]]
    loss_limits: tuple[float, float]
    accuracy_limits: tuple[float, float]
    marks: tuple[tuple[float, float], ...] = ()
    """(epoch, learning rate) of each learning-rate change made by hand."""
    colours: ChartColours = ChartColours()
    legend: ChartLegend = ChartLegend()

    @property
    def x_limit(self) -> float:
        # The whole run's width from the start, so the curves grow towards a visible goal, and
        # a little past it so the last validation marker is not cut in half by the edge.
        return self.epochs * 1.025

    def frame_key(self) -> tuple:
        """What the saved background depends on: when it changes, a full draw is needed."""
        return (
            self.width,
            self.height,
            self.ratio,
            self.epochs,
            self.loss_limits,
            self.accuracy_limits,
            self.marks,
            self.colours,
            self.legend,
        )


class ChartRenderer:
    """Owns the figure: :meth:`render` turns a scene into an image (one thread at a time)."""

    def __init__(self) -> None:
        self.figure = Figure(figsize=(6, 4), dpi=DPI, layout="constrained")
        self.canvas = FigureCanvasAgg(self.figure)
        self.loss_axes, self.accuracy_axes = self.figure.subplots(2, 1, sharex=True)
        self.lines = {}
        for metric, axes in (("loss", self.loss_axes), ("accuracy", self.accuracy_axes)):
            self.lines[f"{metric}_raw"] = axes.plot(
                [], [], color=TRAIN_COLOR, lw=1, alpha=0.45, label="batches"
            )[0]
            self.lines[metric] = axes.plot([], [], color=TRAIN_COLOR, lw=1.8, label="smoothed")[0]
            self.lines[f"train_eval_{metric}"] = axes.plot(
                [], [], color=TRAIN_COLOR, lw=1, ls="--", marker="s", ms=4, label="training images"
            )[0]
            self.lines[f"val_{metric}"] = axes.plot(
                [], [], color=VAL_COLOR, lw=1.6, marker="o", ms=4, label="validation"
            )[0]
        # The lines are left out of full draws and painted over the saved background, so a new
        # point costs a few milliseconds instead of a whole figure.
        for line in self.lines.values():
            line.set_animated(True)
        self.loss_axes.set_ylabel("loss")
        self.accuracy_axes.set_ylabel("accuracy")
        self.accuracy_axes.set_xlabel("epoch")
        self.accuracy_axes.yaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
        # One legend serves both axes (same colours), in a row above them: a figure legend
        # "outside", so the constrained layout keeps it clear of the curves and of the tick
        # labels at every width (centred over the loss axes, it covered the top label of a
        # narrow window's chart).
        self.legend = self.figure.legend(
            *self.loss_axes.get_legend_handles_labels(),
            loc="outside upper center",
            ncol=4,
            fontsize="x-small",
            handlelength=1.2,
            handletextpad=0.4,
            columnspacing=1.0,
        )
        self._mark_artists: list = []
        self._frame: tuple | None = None
        self._size: tuple | None = None
        self._colours: ChartColours | None = None
        self._legend_words = ChartLegend()
        self._background = None
        self.full_draws = 0

    def render(self, scene: ChartScene) -> QImage:
        """The scene as an image of ``width × height`` logical pixels at ``ratio``."""
        for name, line in self.lines.items():
            line.set_data(*scene.lines.get(name, ((), ())))
        if scene.frame_key() != self._frame or self._background is None:
            self._draw_frame(scene)
        else:
            self.canvas.restore_region(self._background)
        for line in self.lines.values():
            line.axes.draw_artist(line)
        return self._image(scene.ratio)

    def _draw_frame(self, scene: ChartScene) -> None:
        size = (scene.width, scene.height, scene.ratio)
        if size != self._size:
            self._size = size
            self.figure.set_dpi(DPI * scene.ratio)
            self.figure.set_size_inches(
                max(scene.width, 1) / DPI, max(scene.height, 1) / DPI, forward=False
            )
            # The constrained layout, half the cost of a full draw, is worked out once per
            # size: frozen after this draw.
            self.figure.set_layout_engine("constrained")
        if scene.colours != self._colours:
            self._apply_colours(scene.colours)
        if scene.legend != self._legend_words:
            self._apply_legend(scene.legend)
        self.loss_axes.set_xlim(0, scene.x_limit)
        # Whole epochs for longer runs; halves or quarters when there are only a few.
        self.accuracy_axes.xaxis.set_major_locator(
            MaxNLocator(integer=True)
            if scene.epochs > 3
            else MaxNLocator(nbins=4 * scene.epochs + 1, steps=[1, 2, 2.5, 5, 10])
        )
        self.loss_axes.set_ylim(*scene.loss_limits)
        self.accuracy_axes.set_ylim(*scene.accuracy_limits)
        self._draw_marks(scene.marks, scene.colours.text)
        self.canvas.draw()
        self.full_draws += 1
        if self.figure.get_layout_engine() is not None:
            self.figure.set_layout_engine("none")
        self._background = self.canvas.copy_from_bbox(self.figure.bbox)
        self._frame = scene.frame_key()

    def _draw_marks(self, marks: tuple[tuple[float, float], ...], colour: str) -> None:
        for artist in self._mark_artists:
            artist.remove()
        self._mark_artists.clear()
        for epoch, learning_rate in marks:
            for axes in (self.loss_axes, self.accuracy_axes):
                self._mark_artists.append(
                    axes.axvline(epoch, color=colour, ls="--", lw=1, alpha=0.7)
                )
            # Placed in axes coordinates vertically, so the label stays at the top as y
            # rescales.
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

    def _apply_legend(self, legend: ChartLegend) -> None:
        self._legend_words = legend
        self.accuracy_axes.set_xlabel(legend.x_label)
        for text, words in zip(self.legend.get_texts(), legend.entries(), strict=True):
            text.set_text(words)
        # A new width of the legend row: the layout is worked out again.
        self.figure.set_layout_engine("constrained")

    def _apply_colours(self, colours: ChartColours) -> None:
        self._colours = colours
        self.figure.set_facecolor(colours.window)
        for axes in (self.loss_axes, self.accuracy_axes):
            axes.set_facecolor(colours.base)
            axes.tick_params(colors=colours.text, labelsize=9)
            axes.xaxis.label.set_color(colours.text)
            axes.yaxis.label.set_color(colours.text)
            for spine in axes.spines.values():
                spine.set_color(colours.grid)
            axes.grid(True, color=colours.grid, linewidth=0.5, alpha=0.6)
        self.legend.get_frame().set_facecolor(colours.base)
        self.legend.get_frame().set_edgecolor(colours.grid)
        for label in self.legend.get_texts():
            label.set_color(colours.text)

    def _image(self, ratio: float) -> QImage:
        buffer = self.canvas.buffer_rgba()
        height, width = buffer.shape[:2]
        # Converted here, on the render thread, to the format the window's backing store paints
        # without conversion: painted as RGBA8888, every paint converted it on the GUI thread
        # (with Qt's thread pool: more threads taking cores from training). The conversion
        # also gives the QImage its own pixels; the buffer is redrawn by the next render.
        image = QImage(buffer, width, height, QImage.Format.Format_RGBA8888).convertToFormat(
            QImage.Format.Format_ARGB32_Premultiplied
        )
        image.setDevicePixelRatio(ratio)
        return image


class RenderThread:
    """One daemon thread that runs the charts' renders for the whole app.

    Work is keyed: a new job for a key replaces the one still waiting for it, so a chart that
    changes faster than it can be drawn skips to its newest scene instead of queueing.
    """

    def __init__(self, name: str = "chart-renderer") -> None:
        self._name = name
        self._condition = threading.Condition()
        self._jobs: dict[object, Callable[[], None]] = {}
        self._busy = False
        self._thread: threading.Thread | None = None

    def submit(self, key: object, job: Callable[[], None]) -> None:
        """Run ``job`` on the render thread, replacing a job for ``key`` not yet started."""
        with self._condition:
            self._jobs.pop(key, None)
            self._jobs[key] = job
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name=self._name, daemon=True)
                self._thread.start()
            self._condition.notify_all()

    def wait_idle(self, timeout: float = 10.0) -> bool:
        """Block until no job is waiting or running (for tests and screenshots)."""
        with self._condition:
            return self._condition.wait_for(lambda: not self._jobs and not self._busy, timeout)

    def _run(self) -> None:
        # At the training process's priority, not the window's: a curve drawn at the GUI's
        # priority preempted one of the trainer's two threads mid-step, and both waited (the
        # window's runs 190-225k samples/s with the renderer at niceness 0, 245-249k at the
        # trainer's 10, on the same busy machine, alternating). Six redraws a second of 3-10 ms
        # each still find a core: the trainer leaves gaps between its chunks.
        lower_thread_priority(BACKGROUND_NICE)
        while True:
            with self._condition:
                self._condition.wait_for(lambda: bool(self._jobs))
                key = next(iter(self._jobs))
                job = self._jobs.pop(key)
                self._busy = True
            try:
                job()
            except Exception:  # noqa: BLE001 (a failed picture must not end the thread)
                log.exception("rendering a chart failed")
            finally:
                with self._condition:
                    self._busy = False
                    self._condition.notify_all()


render_thread = RenderThread()
"""The app's one render thread (started by the first render)."""
