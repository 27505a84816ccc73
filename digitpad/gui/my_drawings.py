"""My drawings: the user's labelled drawings by digit, and "Learn my handwriting".

A thin view over ``digitpad.drawings`` (the folder on disk) and ``digitpad.teach`` (the
fine-tuning generator): the grid shows each drawing as the network sees it, with its label and
what the current model answers (wrong ones in red); Delete and Relabel act on the selected one;
the button runs ``teach`` in a :class:`TeachWorker` thread and shows its progress and the
before/after result. TensorFlow runs only in that thread. After a run, one button switches
between the base model and the taught one, the before/after line beside it.
"""

from __future__ import annotations

import sys
import traceback
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np
from PySide6.QtCore import (
    QAbstractListModel,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    QSize,
    Qt,
    QThread,
    Signal,
    Slot,
)
from PySide6.QtGui import QColor, QPixmap
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QListView,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from digitpad.drawings import Drawing, DrawingFolder, DrawingSet, load_drawings
from digitpad.errors import DigitpadError
from digitpad.gui.digit_image import digit_qimage

if TYPE_CHECKING:
    from digitpad.data import Mnist
    from digitpad.inference import Predictor
    from digitpad.teach import TeachFinished
    from digitpad.training.process import TrainerProcess

THUMBNAIL_SCALE = 3
_WRONG_COLOUR = QColor(214, 69, 65)
_Index = QModelIndex | QPersistentModelIndex


class DrawingListModel(QAbstractListModel):
    """The drawings of a :class:`DrawingSet`, each a thumbnail captioned "label → answer"."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._set = DrawingSet(np.zeros((0, 28, 28), np.float32), np.zeros(0, np.int64), ())
        self._answers: np.ndarray | None = None
        self._thumbnails: dict[int, QPixmap] = {}

    def set_drawings(self, drawings: DrawingSet, answers: np.ndarray | None) -> None:
        self.beginResetModel()
        self._set, self._answers = drawings, answers
        self._thumbnails.clear()
        self.endResetModel()

    def drawing(self, row: int) -> Drawing:
        return self._set.drawings[row]

    def rowCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008 (Qt's signature)
        return 0 if parent.isValid() else len(self._set)

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> object:
        if not index.isValid():
            return None
        row = index.row()
        label = int(self._set.labels[row])
        answer = None if self._answers is None else int(self._answers[row])
        if role == Qt.ItemDataRole.DisplayRole:
            return f"{label}" if answer is None else f"{label} → {answer}"
        if role == Qt.ItemDataRole.DecorationRole:
            if row not in self._thumbnails:
                self._thumbnails[row] = QPixmap.fromImage(
                    digit_qimage(self._set.images[row], THUMBNAIL_SCALE)
                )
            return self._thumbnails[row]
        if role == Qt.ItemDataRole.ToolTipRole:
            name = self._set.drawings[row].path.name
            read = "" if answer is None else f", read as {answer}"
            return f"A {label}{read} ({name})"
        if role == Qt.ItemDataRole.ForegroundRole and answer is not None and answer != label:
            return _WRONG_COLOUR
        return None


class TeachWorker(QThread):
    """Runs ``digitpad.teach.teach``: in the app's training process when there is one (so the
    window's process never imports TensorFlow), otherwise in this thread (tests, scripts).

    Signals, delivered to the GUI thread: ``progressed`` for each TeachStarted, TeachProgress and
    TeachValidated; ``result`` once with the TeachFinished (completed or cancelled; the model
    is already saved when completed); ``failed`` with a readable message; ``done`` last, always.
    """

    progressed = Signal(object)
    result = Signal(object)
    failed = Signal(str)
    done = Signal()

    def __init__(
        self,
        drawings: DrawingSet,
        *,
        base: str | None,
        store: str | None = None,
        name: str | None = None,
        data_loader: Callable[[], Mnist] | None = None,
        settings: Any = None,
        trainer: TrainerProcess | None = None,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        from digitpad.teach import TeachControl

        self.setObjectName("digitpad-teach")
        self._drawings = drawings
        self._base = base
        self._store = store
        self._name = name
        self._load = data_loader
        self._settings = settings
        self._trainer = trainer
        self._control = TeachControl()

    def stop(self) -> None:
        """Cancel between chunks; a cancelled run saves nothing. Safe from any thread."""
        self._control.cancel()

    def run(self) -> None:
        try:
            self._teach()
        except Exception as exc:
            if not isinstance(exc, DigitpadError):
                print("digitpad: unexpected error while teaching:", file=sys.stderr)
                traceback.print_exception(exc, file=sys.stderr)
            self.failed.emit(str(exc) if isinstance(exc, DigitpadError) else repr(exc))
        finally:
            self.done.emit()

    def _teach(self) -> None:
        if self._trainer is not None:
            self._teach_in_process(self._trainer)
            return
        from digitpad import teach
        from digitpad.data import load_mnist
        from digitpad.paths import user_store_dir
        from digitpad.store import ModelStore

        data = self._load() if self._load else load_mnist()
        events = teach.teach(
            self._drawings,
            data,
            base=self._base,
            user_store=self._store,
            store=ModelStore(user_store_dir(self._store)),
            name=self._name,
            overwrite=True,
            settings=self._settings,
            control=self._control,
        )
        try:
            for event in events:
                if isinstance(event, teach.TeachFinished):
                    self.result.emit(event)
                else:
                    self.progressed.emit(event)
        finally:
            events.close()

    def _teach_in_process(self, trainer: TrainerProcess) -> None:
        from digitpad.paths import user_store_dir
        from digitpad.training.process import RunFailed, TeachRequest, TeachResult, report_bug

        request = TeachRequest(
            self._drawings,
            base=self._base,
            user_store=self._store,
            store=str(user_store_dir(self._store)),
            name=self._name,
            overwrite=True,
            settings=self._settings,
        )
        stream = trainer.start_teach(request)
        asked_to_stop = False
        while True:
            if self._control.cancelled and not asked_to_stop:
                stream.cancel()
                asked_to_stop = True
            message = stream.next(timeout=0.1)  # raises TrainerDied, a DigitpadError
            if message is None:
                continue
            if isinstance(message, TeachResult):
                self.result.emit(message.finished)
                return
            if isinstance(message, RunFailed):
                if message.details:
                    report_bug(message.details)
                raise DigitpadError(message.message)
            self.progressed.emit(message)


class MyDrawingsView(QWidget):
    """Every labelled drawing by digit, the current model's answers, and the teach button.

    ``folder`` is where drawings live (default: the user's); ``store`` the user's model store
    folder. Call :meth:`set_predictor` with the current model and its name or folder.
    Signals: ``counts_changed(list)`` (drawings per digit, after any change),
    ``teach_progressed(object)`` (each event of a teaching run, for the Train tab's curves),
    ``teaching_ended(str)`` (how the run ended, in words),
    ``model_taught(str)`` (the folder of a newly saved taught model), ``use_model(str)`` (the
    folder of the base or the taught model, chosen with the switch button), ``message(str)``.
    """

    counts_changed = Signal(list)
    teach_progressed = Signal(object)
    teaching_ended = Signal(str)
    model_taught = Signal(str)
    use_model = Signal(str)
    message = Signal(str)

    def __init__(
        self,
        folder: DrawingFolder | None = None,
        *,
        store: str | None = None,
        data_loader: Callable[[], Mnist] | None = None,
        teach_settings: Any = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.trainer: Callable[[], TrainerProcess | None] = lambda: None
        """Where teaching runs: the app's training process (set by the window), or None for
        a thread of this process."""
        self.folder = folder or DrawingFolder()
        self._store = store
        self._load = data_loader
        self._settings = teach_settings
        self._predictor: Predictor | None = None
        self._base: str | None = None
        self._drawings: DrawingSet | None = None
        self._undo: list[Drawing] = []
        self.worker: TeachWorker | None = None
        # The last run's two models as (name, folder): the base first, then the taught one.
        self._pair: tuple[tuple[str, str], tuple[str, str]] | None = None

        self.counts_label = QLabel()
        self.model = DrawingListModel(self)
        self.grid = QListView()
        self.grid.setModel(self.model)
        self.grid.setViewMode(QListView.ViewMode.IconMode)
        self.grid.setMovement(QListView.Movement.Static)
        self.grid.setResizeMode(QListView.ResizeMode.Adjust)
        self.grid.setUniformItemSizes(True)
        side = 28 * THUMBNAIL_SCALE
        self.grid.setIconSize(QSize(side, side))
        self.grid.setGridSize(QSize(side + 18, side + self.grid.fontMetrics().height() + 12))
        self.delete_button = QPushButton("Delete")
        self.relabel_box = QComboBox()
        self.relabel_box.addItems([str(d) for d in range(10)])
        self.relabel_button = QPushButton("Relabel as")
        self.teach_button = QPushButton("Learn my handwriting")
        self.stop_button = QPushButton("Stop")
        self.progress = QProgressBar()
        self.result_label = QLabel()
        self.result_label.setWordWrap(True)
        self.switch_button = QPushButton()
        self.switch_button.hide()
        self.problems_label = QLabel()
        self.problems_label.setWordWrap(True)

        actions = QHBoxLayout()
        for widget in (self.delete_button, self.relabel_button, self.relabel_box):
            actions.addWidget(widget)
        actions.addStretch(1)
        actions.addWidget(self.teach_button)
        actions.addWidget(self.stop_button)
        layout = QVBoxLayout(self)
        layout.addWidget(self.counts_label)
        layout.addWidget(self.grid, 1)
        layout.addLayout(actions)
        layout.addWidget(self.progress)
        result_row = QHBoxLayout()
        result_row.addWidget(self.result_label, 1)
        result_row.addWidget(self.switch_button, 0, Qt.AlignmentFlag.AlignTop)
        layout.addLayout(result_row)
        layout.addWidget(self.problems_label)

        self.delete_button.clicked.connect(self.delete_selected)
        self.relabel_button.clicked.connect(
            lambda: self.relabel_selected(self.relabel_box.currentIndex())
        )
        self.teach_button.clicked.connect(self.start_teaching)
        self.stop_button.clicked.connect(self.stop_teaching)
        self.switch_button.clicked.connect(self.switch_model)
        self.grid.selectionModel().selectionChanged.connect(self._update_buttons)
        self.progress.hide()
        self.refresh()

    # --- state ------------------------------------------------------------------------------

    @property
    def drawings(self) -> DrawingSet:
        assert self._drawings is not None
        return self._drawings

    @Slot(object, str)
    def set_predictor(self, predictor: Predictor | None, base: str | None = None) -> None:
        """The current model (its answers are shown) and the name or folder teaching starts
        from (default: the predictor's name)."""
        self._predictor = predictor
        self._base = base or (predictor.name if predictor is not None else None)
        self._show()
        self._update_switch()

    @Slot()
    def refresh(self) -> None:
        """Re-read the folder (e.g. after files were added outside the app)."""
        try:
            listing = self.folder.list()
        except DigitpadError as exc:
            listing = None
            self.problems_label.setText(str(exc))
        drawings = listing.drawings if listing else ()
        self._drawings = load_drawings(drawings, listing.skipped if listing else ())
        self._show()

    @Slot(object, int)
    def add_drawing(self, image: np.ndarray, label: int) -> Drawing | None:
        """Save a labelled drawing (the canvas rasterised); None, with a message, if it cannot
        be saved. The last additions can be undone with :meth:`undo_last`."""
        try:
            drawing = self.folder.add(image, label)
        except DigitpadError as exc:
            self.message.emit(f"Not saved: {exc}")
            return None
        self._undo.append(drawing)
        self.refresh()
        self.message.emit(f"Added to My drawings as a {label}")
        return drawing

    @Slot()
    def undo_last(self) -> bool:
        """Remove the drawing added last (Ctrl+Z of a labelling); False if there is none."""
        while self._undo:
            drawing = self._undo.pop()
            try:
                self.folder.delete(drawing)
            except DigitpadError:
                continue  # already deleted or relabelled from the grid: try the one before
            self.refresh()
            self.message.emit(f"Removed the {drawing.label} just added")
            return True
        return False

    def selected_row(self) -> int | None:
        rows = self.grid.selectionModel().selectedRows()
        return rows[0].row() if rows else None

    @Slot()
    def delete_selected(self) -> None:
        row = self.selected_row()
        if row is None:
            return
        try:
            self.folder.delete(self.model.drawing(row))
        except DigitpadError as exc:
            self.message.emit(str(exc))
        self.refresh()

    @Slot(int)
    def relabel_selected(self, label: int) -> None:
        row = self.selected_row()
        if row is None:
            return
        try:
            self.folder.relabel(self.model.drawing(row), label)
        except DigitpadError as exc:
            self.message.emit(str(exc))
        self.refresh()

    # --- teaching ---------------------------------------------------------------------------

    @Slot()
    def start_teaching(self) -> None:
        if self.worker is not None or not len(self.drawings):
            return
        self.worker = TeachWorker(
            self.drawings,
            base=self._base,
            store=self._store,
            data_loader=self._load,
            settings=self._settings,
            trainer=self.trainer(),
            parent=self,
        )
        self.worker.progressed.connect(self._on_event)
        self.worker.result.connect(self._on_result)
        self.worker.failed.connect(self._on_failed)
        self.worker.done.connect(self._on_done)
        self.progress.setRange(0, 0)
        self.progress.show()
        self.result_label.setText("Scoring the current model on your drawings…")
        self.worker.start()
        self._update_buttons()

    @Slot()
    def stop_teaching(self) -> None:
        if self.worker is not None:
            self.worker.stop()

    def shutdown(self, timeout_ms: int = 10_000) -> bool:
        """Stop a run and wait for its thread (for the window's closeEvent); True if it ended."""
        if self.worker is None:
            return True
        self.worker.stop()
        return self.worker.wait(timeout_ms)

    def _on_event(self, event: object) -> None:
        from digitpad import teach

        self.teach_progressed.emit(event)
        if isinstance(event, teach.TeachStarted):
            self.progress.setRange(0, event.total_steps)
            held = sum(event.held_out_counts)
            before = event.before.personal_accuracy
            text = f"Learning from {sum(event.train_counts)} drawings"
            text += f"; {held} held out to test" if held else f"; {event.note}"
            if before is not None:
                text += f" (the current model reads {before:.0%} of them)"
            self.result_label.setText(text)
        elif isinstance(event, teach.TeachProgress):
            self.progress.setValue(event.step)

    def _on_result(self, finished: TeachFinished) -> None:
        if not finished.ok:
            self.result_label.setText(f"Stopped: {finished.message}")
            return
        changed = len(finished.changes)
        self.result_label.setText(
            f"{finished.message}. {changed} of your drawings changed answer. "
            f"Saved as {finished.path.name if finished.path else '-'}."
        )
        if finished.path is not None:
            base_folder = self._base_folder(finished)
            if base_folder is not None:
                taught = (finished.path.name, str(finished.path))
                self._pair = ((finished.base, base_folder), taught)
            self.model_taught.emit(str(finished.path))
            self._update_switch()

    def _base_folder(self, finished: TeachFinished) -> str | None:
        # The folder the run started from, as its meta.json records it; by name if it does not.
        recorded = finished.meta.get("taught", {}).get("base_path")
        if recorded:
            return str(recorded)
        from digitpad.store import find_model

        try:
            return str(find_model(finished.base, self._store))
        except DigitpadError:
            return None

    @Slot()
    def switch_model(self) -> None:
        """Make the other model of the last run current: the base after teaching, the taught
        one again after that (``use_model``)."""
        target = self._switch_target()
        if target is not None:
            self.use_model.emit(target[1])

    def _switch_target(self) -> tuple[str, str] | None:
        """The model the switch button offers: the base while the taught one is current, and
        the other way round; None when neither is current (another model was opened)."""
        if self._pair is None or self._predictor is None:
            return None
        (base, base_folder), (taught, taught_folder) = self._pair
        current = self._predictor.name
        if current == taught:
            return base, base_folder
        if current == base:
            return taught, taught_folder
        return None

    def _update_switch(self) -> None:
        target = self._switch_target()
        self.switch_button.setVisible(target is not None)
        if target is not None:
            name, folder = target
            self.switch_button.setText(f"Use {name} again")
            self.switch_button.setToolTip(f"make {name} the current model ({folder})")

    def _on_failed(self, message: str) -> None:
        self.result_label.setText(f"Could not learn: {message}")

    def _on_done(self) -> None:
        if self.worker is not None:
            self.worker.wait()
            self.worker.deleteLater()
        self.worker = None
        self.progress.hide()
        self._update_buttons()
        self.teaching_ended.emit(self.result_label.text())

    # --- display ----------------------------------------------------------------------------

    def _show(self) -> None:
        drawings = self.drawings
        answers = None
        if self._predictor is not None and len(drawings):
            answers = self._predictor.predict_proba(drawings.images).argmax(axis=1)
        self.model.set_drawings(drawings, answers)
        counts = drawings.counts()
        wrong = "" if answers is None else f"; {int(np.sum(answers != drawings.labels))} misread"
        self.counts_label.setText(
            "  ".join(f"{d}: {n}" for d, n in enumerate(counts))
            + f"  ({len(drawings)} drawings{wrong})"
        )
        skipped = drawings.skipped
        self.problems_label.setText(
            ""
            if not skipped
            else f"Skipped {len(skipped)}: " + "; ".join(str(s) for s in skipped[:5])
        )
        self.counts_changed.emit(counts)
        self._update_buttons()

    def _update_buttons(self) -> None:
        running = self.worker is not None
        selected = self.selected_row() is not None
        self.delete_button.setEnabled(selected and not running)
        self.relabel_button.setEnabled(selected and not running)
        self.teach_button.setEnabled(not running and bool(len(self.drawings)))
        self.stop_button.setEnabled(running)
