"""The Train tab: settings, Start/Pause/Step/Stop, a live learning rate, progress, live curves,
a look inside the network, a log, and saving.

A view only: the settings are a :class:`TrainConfig`, the run is ``digitpad.training.train``
in a :class:`TrainWorker`, the model is saved by ``ModelStore.save`` in a :class:`SaveWorker`.
Nothing here touches TensorFlow; the trained model arrives as a ready NumPy predictor.

Every run that produced weights (finished, stopped or diverged) is kept in :attr:`TrainTab.runs`
until the window closes, so a new run never makes an earlier, unsaved one disappear; the save
dialog says which of them it saves.

The "Inside" page asks the run for weight snapshots only while it is on screen (through the
run's :class:`~digitpad.training.TrainControl`), so training pays nothing when nobody looks.
"""

from __future__ import annotations

import contextlib
import math
import time
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, QThread, QTimer, Signal
from PySide6.QtGui import (
    QFontDatabase,
    QHideEvent,
    QKeySequence,
    QShortcut,
    QShowEvent,
    QTextCursor,
)
from PySide6.QtWidgets import (
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QMessageBox,
    QPlainTextEdit,
    QProgressBar,
    QPushButton,
    QScrollArea,
    QSplitter,
    QStyle,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from digitpad.config import SETTINGS
from digitpad.errors import ConfigError, DigitpadError, StoreError
from digitpad.gui.config_form import ERROR_STYLE, ConfigForm, ValueEdit, with_problem_below
from digitpad.gui.inside_view import InsideView
from digitpad.gui.network_summary_view import NetworkSummaryLine
from digitpad.gui.session_runs import SessionRun, make_run
from digitpad.gui.tensorboard_option import TensorBoardOption
from digitpad.gui.throttle import Throttle
from digitpad.gui.train_worker import (
    DataLoader,
    ProcessWarmer,
    SaveWorker,
    TrainResult,
    TrainWorker,
)
from digitpad.inference import Predictor
from digitpad.run_description import describe_run
from digitpad.runs import plural
from digitpad.training.events import Outcome
from digitpad.training.process import RemoteModel

TEACHING_CAPTION = (
    "Teaching your handwriting (My drawings): blue, the batches it learns from (your drawings, "
    "augmented, mixed with MNIST); squares, your held-out drawings it never learns from; "
    "orange, MNIST validation images: what it must not forget."
)

if TYPE_CHECKING:
    from digitpad.config import TrainConfig
    from digitpad.gui.charts import TrainingCharts
    from digitpad.gui.save_dialog import SaveModelDialog
    from digitpad.training.events import (
        EpochEnd,
        Finished,
        LearningRateChanged,
        Progress,
        Snapshot,
        Started,
    )
    from digitpad.training.process import TrainerProcess

SNAPSHOT_SECONDS = 0.5
"""While the Inside page is shown, the run sends its weights at most this often."""

PROGRESS_MS = 200
"""The progress bar and the samples/s line change at most this often (a run reports up to 20
times a second; each showing costs the window's process CPU that training needs)."""


def _duration(seconds: float) -> str:
    seconds = max(0, int(round(seconds)))
    minutes, seconds = divmod(seconds, 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02d}:{seconds:02d}" if hours else f"{minutes}:{seconds:02d}"


def _headline(finished: Finished) -> str:
    """One line for a run's end: ``Completed: trained 10 epochs in 8.1 s``, ``Stopped at step
    40 of 5500``, ``Diverged: the loss reached …``."""
    if finished.status is Outcome.COMPLETED:
        return f"Completed: {finished.message} in {finished.seconds:.1f} s"
    if finished.status is Outcome.CANCELLED:
        return f"Stopped {finished.message}"
    return f"Diverged: {finished.message}"


class Notice(QWidget):
    """One line of status with the platform's info, warning or error icon."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.icon = QLabel()
        self.text = QLabel()
        self.text.setObjectName("notice")
        self.text.setWordWrap(True)
        self.text.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.icon, 0, Qt.AlignmentFlag.AlignTop)
        row.addWidget(self.text, 1)
        # Two lines are kept whatever the message: "Training…" after a two-line result (or
        # back) would otherwise move everything below, the curves resized and fully redrawn
        # just as a run starts.
        self.text.setMinimumHeight(2 * self.text.fontMetrics().lineSpacing())
        self.text.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
        self.kind = "info"

    def show_message(self, kind: str, text: str) -> None:
        """Show ``text`` as ``kind``: ``info``, ``warning`` or ``error``."""
        self.kind = kind
        icons = {
            "info": QStyle.StandardPixmap.SP_MessageBoxInformation,
            "warning": QStyle.StandardPixmap.SP_MessageBoxWarning,
            "error": QStyle.StandardPixmap.SP_MessageBoxCritical,
        }
        size = self.fontMetrics().height() + 4
        self.icon.setPixmap(self.style().standardIcon(icons[kind]).pixmap(size, size))
        self.icon.setVisible(kind != "info")
        # Warnings keep the palette's text colour (readable light or dark) and rely on the icon
        # and weight; errors are red as well, as in the settings form.
        styles = {"info": "", "warning": "font-weight: bold;", "error": ERROR_STYLE}
        self.text.setStyleSheet(styles[kind])
        self.text.setText(text)


class TrainTab(QWidget):
    """Trains a model from the form's settings and hands the result to the app.

    Signals: ``model_trained(Predictor)`` when a run produced weights (the app makes them its
    current model); ``model_saved(Predictor)`` the same weights under their stored name;
    ``saveable_changed(bool)`` whether "Save model…" has something to save;
    ``running_changed(bool)``; ``message(str)`` a line for the window's status bar;
    ``runs_changed()`` when :attr:`runs` changed; ``save_abandoned()`` when a save asked for
    did not happen (cancelled, refused, failed).
    """

    model_trained = Signal(object)
    model_saved = Signal(object)
    saveable_changed = Signal(bool)
    running_changed = Signal(bool)
    message = Signal(str)
    runs_changed = Signal()
    save_abandoned = Signal()

    def __init__(
        self,
        data_loader: DataLoader | None = None,
        store: str | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._data_loader = data_loader
        self._store = store
        self._worker: TrainWorker | None = None
        self._trainer: TrainerProcess | None = None  # None: train in a thread of this process
        self._warmer: ProcessWarmer | None = None
        self._saver: SaveWorker | None = None
        self.runs: list[SessionRun] = []
        """Every run of this session that produced weights, oldest first."""
        self._current: Predictor | None = None  # the app's current model, as last shown
        self._run_started_at = ""
        self._save_after_run = False
        self._log_follows = True
        self.save_dialog: SaveModelDialog | None = None
        self._charts: TrainingCharts | None = None
        self._closing = False
        self._started: Started | None = None
        self._run_initial: tuple | None = None  # the running/last run's weights at initialisation
        self._run_dead: tuple[float, ...] | None = None
        self._run_layers: object = None  # the trained model's layers, once handed over
        self.error_box: QMessageBox | None = None

        self.form = ConfigForm()
        scroll = QScrollArea()
        scroll.setWidget(self.form)
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)

        self.start_button = QPushButton("Start")
        self.start_button.setToolTip("train a new model with these settings")
        self.pause_button = QPushButton("Pause")
        self.step_button = QPushButton("Step epoch")
        self.step_button.setToolTip(
            "while paused: train to the end of this epoch (or one whole epoch), then pause "
            "again; between runs: start a run that pauses after its first epoch"
        )
        self.stop_button = QPushButton("Stop")
        self.stop_button.setToolTip("stop after the current chunk and keep the model so far")
        self.save_button = QPushButton("Save model…")
        self.save_button.setToolTip("keep a model trained in this session in your model store")
        # Keys for the run, active while this tab is shown; each button's tooltip names its key.
        for button, keys in (
            (self.start_button, "Ctrl+Return"),
            (self.pause_button, "Ctrl+P"),
            (self.step_button, "Ctrl+E"),
            (self.stop_button, "Ctrl+."),
        ):
            shortcut = QShortcut(QKeySequence(keys), self)
            shortcut.activated.connect(button.animateClick)
            text = QKeySequence(keys).toString(QKeySequence.SequenceFormat.NativeText)
            button.setToolTip(f"{button.toolTip() or button.text()} ({text})".strip())
        buttons = QHBoxLayout()
        for button in (self.start_button, self.pause_button, self.step_button, self.stop_button):
            buttons.addWidget(button)

        self.live_rate = ValueEdit(SETTINGS["learning_rate"])  # takes 1e-4, says why not 0
        self.live_rate.setAccessibleName("Learning rate while training")
        self.live_rate.setToolTip("a new learning rate for the run, from its next chunk on")
        self.set_rate_button = QPushButton("Set")
        self.set_rate_button.setToolTip("use this learning rate from the next chunk on")
        rate_row = QHBoxLayout()
        rate_label = QLabel("Learning rate now")
        rate_label.setBuddy(self.live_rate)
        rate_row.addWidget(rate_label)
        rate_row.addWidget(with_problem_below(self.live_rate), 1)
        rate_row.addWidget(self.set_rate_button)

        left = QWidget()
        left_column = QVBoxLayout(left)
        left_column.setContentsMargins(0, 0, 0, 0)
        left_column.addWidget(scroll, 1)
        self.network_summary = NetworkSummaryLine()  # "784-800-10 ReLU: 636,010 parameters…"
        self.network_summary.follow(self.form)
        left_column.addWidget(self.network_summary)
        left_column.addLayout(rate_row)
        left_column.addLayout(buttons)
        left_column.addWidget(self.save_button)
        self.tensorboard = TensorBoardOption()
        left_column.addWidget(self.tensorboard)
        left.setMinimumWidth(
            scroll.sizeHint().width() + scroll.verticalScrollBar().sizeHint().width()
        )
        left.setMaximumWidth(460)

        self.notice = Notice()
        self.notice.show_message("info", "Choose settings and press Start.")
        self.progress = QProgressBar()
        self.progress.setRange(0, 1)
        self.progress.setValue(0)
        self.rate = QLabel()
        self._progress: Progress | None = None  # the newest, shown at most PROGRESS_MS apart
        self._progress_shown = Throttle(PROGRESS_MS, self._show_progress, self)
        self.rate.setMinimumWidth(
            self.fontMetrics().horizontalAdvance("000,000 samples/s · ETA 0:00:00")
        )
        progress_row = QHBoxLayout()
        progress_row.addWidget(self.progress, 1)
        progress_row.addWidget(self.rate)

        self.log = QPlainTextEdit()
        self.log.setReadOnly(True)
        self.log.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.log.setPlaceholderText("Epoch summaries appear here.")
        self.log.setMinimumHeight(self.log.fontMetrics().lineSpacing() * 6 + 12)
        # Scrolling up to read stops the log following new lines; scrolling back down, or the
        # next run, resumes it.
        self.log.verticalScrollBar().actionTriggered.connect(self._log_scrolled)
        self._chart_page = QWidget()  # the charts go in on first show
        self._chart_layout = QVBoxLayout(self._chart_page)
        self._chart_layout.setContentsMargins(0, 0, 0, 0)
        self.inside = InsideView()
        self.views = QTabWidget()
        self.views.addTab(self._chart_page, "Curves")
        self.views.addTab(self.inside, "Inside")
        self.views.setTabToolTip(0, "loss and accuracy as the network learns")
        self.views.setTabToolTip(
            1, "what each first-layer unit looks for, and how the weights have moved"
        )
        self.views.currentChanged.connect(lambda _i: self._update_watching())
        self._splitter = QSplitter(Qt.Orientation.Vertical)
        self._splitter.addWidget(self.views)
        self._splitter.addWidget(self.log)
        self._splitter.setStretchFactor(0, 3)
        self._splitter.setStretchFactor(1, 1)

        right = QWidget()
        right_column = QVBoxLayout(right)
        right_column.setContentsMargins(0, 0, 0, 0)
        right_column.addWidget(self.notice)
        right_column.addLayout(progress_row)
        right_column.addWidget(self._splitter, 1)

        layout = QHBoxLayout(self)
        layout.addWidget(left)
        layout.addWidget(right, 1)

        self.start_button.clicked.connect(self.start)
        self.pause_button.clicked.connect(self.toggle_pause)
        self.step_button.clicked.connect(self.step_epoch)
        self.set_rate_button.clicked.connect(lambda: self.set_learning_rate(self.live_rate.value()))
        self.live_rate.submitted.connect(self.set_learning_rate)
        self.live_rate.problem_changed.connect(lambda _p: self._update_buttons())
        self.stop_button.clicked.connect(self.stop)
        self.save_button.clicked.connect(lambda: self.save_model())
        self.form.validity_changed.connect(lambda _valid: self._update_buttons())
        self.form.learning_rate.valueChanged.connect(lambda _v: self._update_buttons())
        self._update_buttons()

    # --- state --------------------------------------------------------------------------

    @property
    def is_running(self) -> bool:
        return self._worker is not None

    @property
    def worker(self) -> TrainWorker | None:
        """The running training's worker, if any (read-only: use start/stop/toggle_pause)."""
        return self._worker

    @property
    def can_save(self) -> bool:
        """Whether a finished run worth saving is unsaved (and no save is under way)."""
        return self._saver is None and bool(self.unsaved_runs())

    def unsaved_runs(self) -> list[SessionRun]:
        """The session's runs worth saving that are not saved: lost when the window closes."""
        return [run for run in self.runs if run.unsaved]

    def run_of(self, predictor: Predictor | None) -> SessionRun | None:
        """The session run whose weights ``predictor`` holds, if any."""
        if predictor is None:
            return None
        return next((run for run in self.runs if run.predictor.layers is predictor.layers), None)

    @property
    def charts(self) -> TrainingCharts:
        """The live charts (built on first use)."""
        return self._ensure_charts()

    def _ensure_charts(self) -> TrainingCharts:
        if self._charts is None:
            # matplotlib's Qt backend costs ~0.4 s to import: pay it only once the tab is used.
            from digitpad.gui.charts import TrainingCharts

            self._charts = TrainingCharts()
            self._chart_layout.addWidget(self._charts)
            self._plan_charts()
            self.form.changed.connect(self._plan_charts)
            # The curves are the point of the tab: most of the height, the log the rest.
            self._splitter.setSizes([3000, 1000])
        return self._charts

    def _plan_charts(self) -> None:
        with contextlib.suppress(ConfigError):
            self.charts.plan(self.form.config().epochs)

    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802 (Qt override)
        self._ensure_charts()
        super().showEvent(event)
        self._update_watching()
        if self._log_follows:
            # Lines that came while the tab was hidden: show the newest once laid out.
            QTimer.singleShot(0, self._scroll_log_to_end)

    def _scroll_log_to_end(self) -> None:
        bar = self.log.verticalScrollBar()
        bar.setValue(bar.maximum())

    def hideEvent(self, event: QHideEvent) -> None:  # noqa: N802 (Qt override)
        super().hideEvent(event)
        self._update_watching()

    @property
    def watching(self) -> bool:
        """Whether someone can see the Inside page (so the run sends weight snapshots)."""
        return self.isVisible() and self.views.currentWidget() is self.inside

    def _update_watching(self) -> None:
        if self._worker is not None:
            self._worker.control.snapshot_seconds = SNAPSHOT_SECONDS if self.watching else None

    def _update_buttons(self) -> None:
        worker = self._worker
        running = worker is not None
        stopping = worker is not None and worker.stopping
        paused = worker is not None and worker.paused
        self.start_button.setEnabled(not running and self.form.is_valid)
        self.pause_button.setEnabled(running and not stopping)
        self.pause_button.setText("Resume" if paused else "Pause")
        self.step_button.setEnabled(
            (paused and not stopping) or (not running and self.form.is_valid)
        )
        self.stop_button.setEnabled(running and not stopping)
        self.live_rate.setEnabled(running and not stopping)
        self.set_rate_button.setEnabled(running and not stopping and self.live_rate.is_valid)
        self.form.setEnabled(not running)
        self.tensorboard.setEnabled(not running)
        self.save_button.setEnabled(self.can_save)
        if not running:
            # Between runs it shows what the next run starts with.
            self.live_rate.setValue(self.form.learning_rate.value())

    # --- running ------------------------------------------------------------------------

    @property
    def training_process(self) -> TrainerProcess | None:
        """The app's training process (None: runs train in a thread of this process)."""
        return self._trainer

    def use_training_process(self, trainer: TrainerProcess | None = None) -> None:
        """Train in a process of its own from now on (``trainer``, or a new one for this tab's
        data), kept warm for the form's settings; :meth:`shutdown` ends it."""
        if trainer is None:
            from digitpad.training.process import TrainerProcess

            trainer = TrainerProcess(self._data_loader)
        self._trainer = trainer
        self._warmer = ProcessWarmer(trainer, self.form, self)
        self.running_changed.connect(self._warm_when_idle)
        self._warmer.warm_now()

    def _warm_when_idle(self, running: bool) -> None:
        if not running and self._warmer is not None:
            self._warmer.warm_now()

    def start(self) -> None:
        """Train a new model with the form's settings (ignored while a run is going)."""
        if self._worker is not None:
            return
        try:
            config = self.form.config()
        except ConfigError as exc:
            self.form.show_error(exc)
            return
        started_at = time.strftime("%H:%M:%S")
        try:
            logdir = self._tensorboard_logdir(config, started_at)
        except DigitpadError as exc:
            # Said before anything changed: the last run's curves, log and models stay.
            self.notice.show_message("error", f"Not started: {exc}")
            self.message.emit(f"Not started: {exc}")
            return
        self._started = None
        self._run_initial = self._run_dead = self._run_layers = None
        self._run_started_at = started_at
        self._log_follows = True
        self.charts.reset(config.epochs)
        self.live_rate.setValue(config.learning_rate)
        self._progress_shown.cancel()
        self._progress = None
        self.progress.setRange(0, 0)  # busy until the first chunk: loading, compiling
        self.rate.clear()
        self.notice.show_message("info", "Loading MNIST…")
        if self.log.toPlainText():
            self._log("")
        # What the run is, in full: its shape and what differs from its preset.
        self._log(f"{self._run_started_at}  {config.describe()}  ({describe_run(config)})")

        if logdir is not None:
            root = str(logdir.parent)
            root = f'"{root}"' if " " in root else root  # pasted into a shell as one word
            self._log(
                f"TensorBoard logs go to {logdir} (open them with: tensorboard --logdir {root})"
            )
        worker = TrainWorker(config, self._data_loader, trainer=self._trainer, tensorboard=logdir)
        worker.progressed.connect(self._on_event)
        worker.result.connect(self._on_result)
        worker.failed.connect(self._on_failed)
        worker.done.connect(self._on_done)
        self._worker = worker
        self._update_watching()
        worker.start()
        self._update_buttons()
        self.running_changed.emit(True)

    def _tensorboard_logdir(self, config: TrainConfig, started_at: str) -> Path | None:
        """The new run's TensorBoard folder (``HH-MM-SS-preset``), made now so that a bad
        folder is said before the run starts; None when no logs are wanted."""
        root = self.tensorboard.logs_folder()
        if root is None:
            return None
        from digitpad.run_description import nearest_preset
        from digitpad.tensorboard_log import run_logdir

        return run_logdir(root, f"{started_at.replace(':', '-')}-{nearest_preset(config)}")

    def toggle_pause(self) -> None:
        worker = self._worker
        if worker is None or worker.stopping:
            return
        if worker.paused:
            worker.resume()
            self.notice.show_message("info", "Training…")
        else:
            worker.pause()
            self.notice.show_message("info", "Paused: press Resume to go on, or Stop.")
        self._update_buttons()

    def step_epoch(self) -> None:
        """While paused: train to the end of the epoch under way, then pause again.

        Between runs: start a run with the form's settings that pauses after its first epoch.
        """
        worker = self._worker
        if worker is None:
            self.start()
            worker = self._worker
            if worker is None:
                return  # the form is invalid: start() said why
            worker.control.step_epoch()
            self.notice.show_message("info", "Training one epoch, then pausing…")
            self._update_buttons()
            return
        if worker.stopping or not worker.paused:
            return
        worker.control.step_epoch()
        self.notice.show_message("info", "Training to the end of this epoch, then pausing…")
        self._update_buttons()

    def set_learning_rate(self, value: float) -> None:
        """Use ``value`` as the running model's learning rate from its next chunk on."""
        worker = self._worker
        if worker is None or worker.stopping:
            return
        worker.control.set_learning_rate(value)
        when = "when training resumes" if worker.paused else "from the next chunk"
        self.notice.show_message("info", f"Learning rate {value:g} {when}.")

    def stop(self) -> None:
        """Ask the run to stop after its current chunk; the model so far is kept."""
        if self._worker is None or self._worker.stopping:
            return
        self._worker.stop()
        self.notice.show_message("info", "Stopping…")
        self._update_buttons()

    def shutdown(self, timeout_ms: int = 3000) -> bool:
        """Stop training and wait for it and any save, ``timeout_ms`` at most in all.

        Returns True when no thread is left running. Results arriving later are ignored.
        """
        self._closing = True
        deadline = time.monotonic() + timeout_ms / 1000
        threads: list[QThread] = [t for t in (self._worker, self._saver) if t is not None]
        if self._worker is not None:
            self._worker.stop()
        if self._trainer is not None:
            # Lets a save under way finish, stops a run, then ends the process: no orphan.
            assert self._warmer is not None  # made with the trainer
            self._warmer.stop()
            self._trainer.close(max(0.0, deadline - time.monotonic() - 0.5))
        for thread in threads:
            remaining = max(0, int((deadline - time.monotonic()) * 1000))
            thread.wait(remaining)
        return all(thread.isFinished() for thread in threads)

    def _on_event(self, event: object) -> None:
        from digitpad.training import events as training

        if self._closing:
            return
        if isinstance(event, training.Progress):
            self._on_progress(event)
            return
        # The bar catches up before anything else is said (an epoch's end, a pause).
        self._progress_shown.flush()
        if isinstance(event, training.Snapshot):
            self._on_snapshot(event)
        elif isinstance(event, training.Validated):
            self.charts.add_validation(
                event.epoch, event.loss, event.accuracy, event.train_loss, event.train_accuracy
            )
        elif isinstance(event, training.EpochEnd):
            self._on_epoch_end(event)
        elif isinstance(event, training.LearningRateChanged):
            self._on_learning_rate(event)
        elif isinstance(event, training.Started):
            self._started = event
            self.notice.show_message("info", "Starting TensorFlow and compiling the training step…")

    def _on_progress(self, event: Progress) -> None:
        self.charts.add_training(event.epoch, event.loss, event.accuracy)
        self._progress = event
        self._progress_shown.request()

    def _show_progress(self) -> None:
        event = self._progress
        if event is None:
            return
        if self.progress.maximum() != event.total_steps:
            self.progress.setRange(0, event.total_steps)
            worker = self._worker
            if worker and not (worker.paused or worker.stopping or worker.control.stepping):
                self.notice.show_message("info", "Training…")
        self.progress.setValue(event.step)
        self.rate.setText(
            f"{event.samples_per_second:,.0f} samples/s · ETA {_duration(event.eta_seconds)}"
        )
        if not self.live_rate.hasFocus() and self.live_rate.value() != event.learning_rate:
            self.live_rate.setValue(event.learning_rate)  # follows the decay, unless edited

    def _on_epoch_end(self, event: EpochEnd) -> None:
        total = self._started.config.epochs if self._started else "?"
        self._log(
            f"epoch {event.epoch:>3}/{total}  loss {event.loss:.4f}  acc {event.accuracy:6.2%}"
            f"  val loss {event.val_loss:.4f}  val acc {event.val_accuracy:6.2%}"
            f"  lr {event.learning_rate_text}  {event.seconds:.1f}s"
        )
        worker = self._worker
        if worker is not None and worker.paused and not worker.stopping:
            # A step ended here (the run paused itself before sending this event).
            self.notice.show_message(
                "info",
                f"Paused after epoch {event.epoch}: Step epoch for one more, or Resume.",
            )
            self._update_buttons()

    def _on_learning_rate(self, event: LearningRateChanged) -> None:
        self.charts.mark_learning_rate(event.epoch, event.learning_rate)
        self._log(
            f"learning rate {event.learning_rate:g} from step {event.step} "
            f"(epoch {event.epoch:.2f})"
        )

    def _on_snapshot(self, event: Snapshot) -> None:
        self._run_initial, self._run_dead = event.initial, event.dead_share
        config = self._started.config if self._started else None
        self.inside.show_weights(
            event.layers,
            initial=event.initial,
            dead_share=event.dead_share,
            caption=f"Training {config.describe() if config else ''}: step {event.step:,}, "
            f"epoch {event.epoch:.2f} (live, twice a second)",
            activation=config.activation if config else "relu",
            saturated_share=event.saturated_share,
            config=config,
        )

    # --- teaching (runs from My drawings; its curves are shown here) ----------------------

    def show_teaching(self, event: object) -> None:
        """Draw a teaching run's curves (``digitpad.teach`` events): loss and accuracy on the
        batches of the user's drawings, then the held-out drawings and MNIST validation."""
        from digitpad import teach

        if self._closing or self.is_running:
            return  # a training run owns the charts
        if isinstance(event, teach.TeachStarted):
            from digitpad.gui.charts import ChartLegend

            legend = ChartLegend(
                x_label="teaching step",
                chunks="batches (your drawings + MNIST)",
                measured="your held-out drawings",
                validation="MNIST validation",
            )
            self.charts.reset(event.total_steps, legend, TEACHING_CAPTION)
            self.progress.setRange(0, event.total_steps)
            self.progress.setValue(0)
            self.notice.show_message("info", f"Teaching {event.base} your handwriting…")
            self._log("")
            self._log(
                f"teaching {event.base}: {sum(event.train_counts)} drawings, "
                f"{sum(event.held_out_counts)} held out"
            )
        elif isinstance(event, teach.TeachProgress):
            self.progress.setValue(event.step)
            self.charts.add_training(event.step, event.loss, event.personal_accuracy)
        elif isinstance(event, teach.TeachValidated):
            held_out = math.nan if event.personal_accuracy is None else event.personal_accuracy
            mnist = event.mnist_accuracy
            self.charts.add_validation(event.step, math.nan, mnist, math.nan, held_out)

    def teaching_ended(self, message: str) -> None:
        """A teaching run ended (``message`` says how); the curves stay until the next run."""
        if self._closing or self.is_running:
            return
        self.charts.finish()
        self.notice.show_message("info", message)
        self._log(message)

    def show_model(self, predictor: Predictor | None) -> None:
        """The app's current model is now ``predictor``: between runs, the heading and the
        Inside page say so (so neither still speaks of a run that is no longer in use)."""
        self._current = predictor
        self._update_buttons()
        if predictor is None or self._worker is not None:
            return
        if predictor.layers is self._run_layers:
            return  # the run just shown, now handed to the app: keep its before/after view
        run = self.run_of(predictor)
        name = run.text() if run else predictor.name or "an unnamed model"
        accuracy = predictor.test_accuracy
        if run is None and accuracy is not None:
            name += f" (test accuracy {accuracy:.2%})"
        self.notice.show_message(
            "info", f"Now using {name}. Choose settings and press Start to train a new model."
        )
        self.rate.clear()
        self.inside.show_weights(
            predictor.layers,
            caption=f"The current model, {predictor.name or 'unnamed'}. Train a model to "
            "watch its weights change.",
            activation=predictor.activation,
        )

    def _on_result(self, result: TrainResult) -> None:
        if self._closing:
            return
        finished = result.finished
        self._progress_shown.flush()
        self.charts.finish()
        if finished.status is Outcome.COMPLETED:
            self.progress.setValue(self.progress.maximum())
        if finished.steps:
            self.rate.setText(f"{plural(finished.steps, 'step')} in {_duration(finished.seconds)}")
        evaluation = finished.evaluation
        accuracy = f"test accuracy {evaluation.accuracy:.2%}" if evaluation else ""
        text = _headline(finished)
        if finished.status is Outcome.DIVERGED and accuracy:
            text += f". The last good weights reach {accuracy}."
        elif accuracy:
            text += f", {accuracy}."
        else:
            text += "."
        run = None
        if result.predictor is not None:
            total = self._started.total_steps if self._started else 0
            taken = {other.label.name for other in self.runs}
            run = make_run(result, self._run_started_at, total, taken)
            self.runs.append(run)
        # A diverged run's weights are rarely worth drawing with: keep the model the user had.
        adopt = run is not None and finished.status is not Outcome.DIVERGED
        if run is not None and adopt:
            text += f" The Draw and Mistakes tabs now use this model ({run.label.name})."
        elif run is not None:
            text += " The Draw and Mistakes tabs keep their model."
        if run is not None and run.not_saveable:
            text += " Not offered for saving: it never learned to read digits."
        self.notice.show_message("warning" if finished.status is Outcome.DIVERGED else "info", text)
        self._log(f"{_headline(finished)}  {accuracy}".rstrip())
        self.message.emit(f"Training {finished.status}" + (f": {accuracy}" if accuracy else ""))
        if run is not None:
            self.runs_changed.emit()
            self.saveable_changed.emit(self.can_save)
            self._run_layers = run.predictor.layers
            self.inside.show_weights(
                run.predictor.layers,
                # From the last snapshot if the Inside page was watched, else from the engine.
                initial=self._run_initial or finished.initial,
                dead_share=finished.dead_share or self._run_dead,
                caption=f"{_headline(finished)}: the final weights of "
                f"{finished.config.describe()}.",
                activation=finished.config.activation,
                saturated_share=finished.saturated_share,
                config=finished.config,
            )
        if run is not None and adopt:
            self.model_trained.emit(run.predictor)

    def _on_failed(self, message: str) -> None:
        if self._closing:
            return
        self.notice.show_message("error", f"Training failed: {message}")
        self._log(f"failed: {message}")
        self.message.emit(f"Training failed: {message}")

    def _on_done(self) -> None:
        self._progress_shown.flush()
        self._progress_shown.cancel()
        self._progress = None
        if self.progress.maximum() == 0:
            self.progress.setRange(0, 1)  # ended before the first chunk: leave busy mode
            self.progress.setValue(0)
        if self._charts is not None:
            self._charts.finish()
        worker, self._worker = self._worker, None
        if worker is not None:
            # ``done`` is the last thing run() does: the thread ends in an instant, and must
            # have ended before its object may go.
            worker.wait(2000)
        self._update_buttons()
        if not self._closing:
            self.running_changed.emit(False)
            if self._save_after_run:
                self._save_after_run = False
                if self.can_save:
                    self.save_model()
                else:
                    self.save_abandoned.emit()

    # --- the log ------------------------------------------------------------------------

    def _log(self, text: str) -> None:
        """Append a line; keep the newest line in view unless the user scrolled up to read."""
        bar = self.log.verticalScrollBar()
        follow = self._log_follows or bar.value() >= bar.maximum()
        self.log.appendPlainText(text)
        if follow:
            self._log_follows = True
            # Qt's own "follow" test fails while the widget is hidden or its layout lags
            # (quick Start/Stop clicks): once behind, it never caught up again.
            self.log.moveCursor(QTextCursor.MoveOperation.End)
            bar.setValue(bar.maximum())

    def _log_scrolled(self, _action: int) -> None:
        bar = self.log.verticalScrollBar()
        # actionTriggered comes before the move: judge where it ends once it has moved.
        QTimer.singleShot(0, lambda: setattr(self, "_log_follows", bar.value() >= bar.maximum()))

    # --- saving ----------------------------------------------------------------------

    def save_model(
        self, name: str | None = None, run: SessionRun | None = None, *, overwrite: bool = False
    ) -> None:
        """Save ``run`` (default: the current model's run, else the newest unsaved one) as
        ``name``, off the GUI thread; with no name, open the save dialog (not blocking).

        Errors appear in a dialog; success emits ``model_saved`` and ``message``.
        """
        if not self.can_save:
            return
        run = run or self._default_run()
        if run is None:
            return
        if name is None:
            self._open_save_dialog(run)
            return
        from digitpad.store import check_save_name

        try:
            check_save_name(name)
        except StoreError as exc:
            self._show_save_error(str(exc))
            return
        self._start_saving(run, name, self._store, overwrite)

    def save_after_run(self) -> None:
        """Stop a run under way and offer to save it once it has stopped; else save now."""
        if self._worker is None:
            self.save_model()
            return
        self._save_after_run = True
        self.stop()

    def _default_run(self) -> SessionRun | None:
        unsaved = self.unsaved_runs()
        current = self.run_of(self._current)
        if current in unsaved:
            return current
        return unsaved[-1] if unsaved else None

    def _open_save_dialog(self, run: SessionRun) -> None:
        from digitpad.gui.save_dialog import SaveModelDialog
        from digitpad.paths import user_store_dir

        started = run.label.started.replace(":", "")[:4]
        default = f"mlp-{time.strftime('%Y%m%d')}-{started}"
        dialog = SaveModelDialog(
            self.unsaved_runs(), run, default, self._exists, str(user_store_dir(self._store)), self
        )
        dialog.accepted.connect(
            lambda: self.save_model(dialog.name, dialog.run, overwrite=dialog.overwrite)
        )
        dialog.rejected.connect(self.save_abandoned)
        dialog.finished.connect(dialog.deleteLater)
        dialog.finished.connect(lambda _code: setattr(self, "save_dialog", None))
        self.save_dialog = dialog
        dialog.open()

    def _start_saving(self, run: SessionRun, name: str, store: str | None, overwrite: bool) -> None:
        # A run from the training process is saved there (the window never loads Keras); a
        # run trained in this process is rebuilt from its NumPy weights in the save thread.
        trained = run.result.finished.model
        model = trained if isinstance(trained, RemoteModel) else run.predictor
        assert run.result.meta is not None  # a run has weights, so it has its meta (make_run)
        saver = SaveWorker(name, model, run.result.meta, store, overwrite=overwrite)
        saver.saved.connect(lambda folder: self._on_saved(name, folder, run))
        saver.failed.connect(lambda message: self._show_save_error(message, run, name))
        saver.finished.connect(self._release_saver)
        self._saver = saver
        self.saveable_changed.emit(False)
        self._update_buttons()
        self.notice.show_message("info", f"Saving {run.label.name} as {name}…")
        saver.start()

    def _exists(self, name: str) -> bool:
        from digitpad.paths import user_store_dir
        from digitpad.store import ModelStore

        return name in ModelStore(user_store_dir(self._store))

    def _on_saved(self, name: str, folder: str, run: SessionRun) -> None:
        if self._closing:
            return
        run.saved_as = name
        self.runs_changed.emit()
        self.notice.show_message("info", f"Saved {run.label.name} as {name} in {folder}.")
        self._log(f"saved {run.label.name} as {name}: {folder}")
        self.message.emit(f"Saved model {name}")
        old = run.predictor
        self.model_saved.emit(
            Predictor(old.layers, old.activation, name, {**old.meta, "name": name})
        )

    def _show_save_error(
        self, message: str, run: SessionRun | None = None, name: str | None = None
    ) -> None:
        if self._closing:
            return
        self.save_abandoned.emit()
        if run is not None:
            message += (
                f"\n\n{run.label.name} is kept until you close digitpad (File › Open model): "
                "save it again, or in another folder."
            )
        self.notice.show_message("error", f"Could not save: {message}")
        # Non-blocking, so a test or a running training is never held up by the dialog.
        box = QMessageBox(
            QMessageBox.Icon.Warning, "Could not save the model", message, parent=self
        )
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.addButton(QMessageBox.StandardButton.Ok)
        if run is not None and name is not None:
            elsewhere = box.addButton("Save in another folder…", QMessageBox.ButtonRole.ActionRole)
            elsewhere.clicked.connect(lambda: self.save_elsewhere(run, name))
        box.open()
        self.error_box = box

    def save_elsewhere(self, run: SessionRun, name: str) -> None:
        """Ask for a folder and save ``run`` there as ``name`` (after the store failed)."""
        folder = QFileDialog.getExistingDirectory(self, f"Save {name} in folder")
        if not folder or self._saver is not None or not run.unsaved:
            return
        self._start_saving(run, name, folder, overwrite=False)

    def _release_saver(self) -> None:
        saver, self._saver = self._saver, None
        if saver is not None:
            saver.wait(2000)  # ``finished`` comes just before the thread really ends
        if not self._closing:
            self._update_buttons()
            self.saveable_changed.emit(self.can_save)
