"""The main window: the Draw, Train, Mistakes, Data, Network, Runs and My drawings pages
around one current model.

The window wires the tabs together and owns what they share: the current model (a
:class:`CurrentModel` every tab listens to), the confidence threshold (a
:class:`ConfidenceThreshold` the Draw and Mistakes tabs both use), the menus, the status bar and
the remembered settings. Each tab does its own work.

Closing the window (or Ctrl+Q) asks Save… / Discard / Cancel when a run under way or a trained,
unsaved run would be lost, and nothing otherwise. The remembered settings go to the ini file
named by ``$DIGITPAD_SETTINGS`` if set, else to Qt's usual place; ``--store`` moves the models,
not the settings (they are the person's, whichever store they use).
"""

from __future__ import annotations

import contextlib
import json
import os
import time
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from PySide6.QtCore import QByteArray, QSettings
from PySide6.QtGui import QAction, QActionGroup, QCloseEvent, QKeySequence, QShortcut
from PySide6.QtWidgets import QLabel, QMainWindow, QMessageBox, QTabWidget

from digitpad import __version__
from digitpad.config import TrainConfig
from digitpad.errors import ConfigError, DigitpadError
from digitpad.gui.appearance import CHOICES, LABELS, apply_appearance
from digitpad.gui.confidence import ConfidenceThreshold
from digitpad.gui.current_model import CurrentModel
from digitpad.gui.data_tab import DataTab
from digitpad.gui.draw_tab import DrawTab
from digitpad.gui.focus import FocusRing
from digitpad.gui.lazy_page import LazyPage
from digitpad.gui.mistakes_tab import MistakesTab
from digitpad.gui.my_drawings import MyDrawingsView
from digitpad.gui.session_runs import SessionRun
from digitpad.gui.train_tab import TrainTab
from digitpad.gui.train_worker import DataLoader
from digitpad.inference import Predictor
from digitpad.paths import settings_file

if TYPE_CHECKING:
    from digitpad.gui.model_picker import ModelPickerDialog
    from digitpad.gui.network_tab import NetworkTab
    from digitpad.gui.runs_view import RunsView
    from digitpad.store import ModelInfo

SHUTDOWN_MS = 3000
STATUS_MS = 8000

_GEOMETRY = "window/geometry"
_TAB = "window/tab"
_CONFIG = "train/config"
_THRESHOLD = "draw/threshold"
_APPEARANCE = "view/appearance"
_PEN_WIDTH = "draw/pen_width"
_TENSORBOARD = "train/tensorboard"
_TENSORBOARD_DIR = "train/tensorboard_dir"

Answer = QMessageBox.StandardButton


def app_settings() -> QSettings:
    """Where the window remembers things: ``$DIGITPAD_SETTINGS`` (an ini file) if set, else
    the application's usual QSettings."""
    path = settings_file()
    if path is not None:
        return QSettings(str(path), QSettings.Format.IniFormat)
    return QSettings()


def _number(value: object) -> str | int | float:
    """A stored setting as ``int()`` or ``float()`` take it (an ini file gives text, this session
    a number); anything else raises TypeError, as ``int()`` of it would."""
    if isinstance(value, str | int | float):
        return value
    raise TypeError(f"not a number: {value!r}")


def _runs_view(store: str | None) -> RunsView:
    from digitpad.gui.runs_view import RunsView

    return RunsView(store=store)


def model_description(predictor: Predictor) -> str:
    """A model in a few lines: its network and every setting that differs from its preset."""
    from digitpad.network_summary import summary_from_predictor
    from digitpad.run_description import describe_run

    lines = [predictor.name or "unnamed", summary_from_predictor(predictor).one_line()]
    with contextlib.suppress(ConfigError, TypeError, ValueError, AttributeError):
        config = TrainConfig.from_dict(predictor.meta.get("config") or {})
        if predictor.meta.get("config"):
            lines.append(f"trained as: {describe_run(config)}")
    status = predictor.meta.get("status")
    if status and status != "completed":
        lines.append(f"a partial run ({status})")
    return "\n".join(lines)


def _docs_url() -> str:
    """The README as a file URL: the documentation that ships with this copy."""
    from digitpad.paths import assets_dir

    readme = assets_dir().parent / "README.md"
    return readme.as_uri() if readme.exists() else "https://pypi.org/project/digitpad/"


def _mnemonic(title: str) -> str:
    """The letter after '&' in a tab title: its Alt+ key."""
    return title[title.index("&") + 1].upper() if "&" in title else ""


def ask_about_unsaved(parent: QMainWindow, text: str) -> QMessageBox.StandardButton:
    """The usual desktop question before closing: Save, Discard or Cancel (tests replace it)."""
    return QMessageBox.question(
        parent,
        "Close digitpad",
        text,
        Answer.Save | Answer.Discard | Answer.Cancel,
        Answer.Save,
    )


class MainWindow(QMainWindow):
    """The app window.

    ``store`` is the user's model store folder (None: ``$DIGITPAD_STORE`` or the default);
    ``settings`` where to remember geometry, tab and training settings (None: the app's
    QSettings); ``data_loader`` replaces ``load_mnist`` for training and the Data tab (tests
    pass a subset).
    """

    def __init__(
        self,
        store: str | None = None,
        settings: QSettings | None = None,
        data_loader: DataLoader | None = None,
    ) -> None:
        super().__init__()
        self.setWindowTitle("digitpad")
        self._store = store
        self._settings = settings if settings is not None else app_settings()
        self._close_after_save = False
        self.current_model = CurrentModel(parent=self)
        self.threshold = ConfidenceThreshold(parent=self)

        self.draw_tab = DrawTab(threshold=self.threshold)
        self.train_tab = TrainTab(data_loader=data_loader, store=store)
        self.mistakes_tab = MistakesTab(threshold=self.threshold)
        self.data_tab = DataTab(loader=data_loader)
        self._data_loader = data_loader
        # The pages that draw with matplotlib are built when first opened (start-up stays fast).
        self.network_page = LazyPage(self._make_network_tab)
        self.runs_page = LazyPage(lambda: _runs_view(store))
        self.my_drawings = MyDrawingsView(store=store, data_loader=data_loader)
        self.tabs = QTabWidget()
        self.tabs.setDocumentMode(True)
        for index, (tab, title, tip) in enumerate(
            (
                (self.draw_tab, "&Draw", "draw a digit or a number and see it read"),
                (self.train_tab, "&Train", "train a network and watch it learn"),
                (self.mistakes_tab, "&Mistakes", "the test images the network gets wrong"),
                (self.data_tab, "D&ata", "what the network learns from"),
                (self.network_page, "&Network", "its size, hidden map, breaking it, robustness"),
                (self.runs_page, "&Runs", "the runs and stored models side by side"),
                (self.my_drawings, "M&y drawings", "your labelled drawings; teach your hand"),
            )
        ):
            self.tabs.addTab(tab, title)
            self.tabs.setTabToolTip(index, f"{tip} (Ctrl+{index + 1}, Alt+{_mnemonic(title)})")
            shortcut = QShortcut(QKeySequence(f"Ctrl+{index + 1}"), self)
            shortcut.activated.connect(lambda i=index: self.tabs.setCurrentIndex(i))
        # QTabWidget switches on Ctrl+Tab and Ctrl+PgDown only while it has the key event; a
        # spin box or the log can take them first, so the window owns them.
        for keys, step in (
            ("Ctrl+PgDown", 1),
            ("Ctrl+Tab", 1),
            ("Ctrl+PgUp", -1),
            ("Ctrl+Shift+Tab", -1),
            ("Ctrl+Backtab", -1),
        ):
            shortcut = QShortcut(QKeySequence(keys), self)
            shortcut.activated.connect(lambda step=step: self.step_tab(step))
        self.setCentralWidget(self.tabs)
        self.focus_ring = FocusRing(self)  # visible focus on the tab bar, lists, tables, log

        self.current_model.changed.connect(self.draw_tab.set_predictor)
        self.current_model.changed.connect(self.mistakes_tab.set_predictor)
        self.current_model.changed.connect(self.train_tab.show_model)
        self.current_model.changed.connect(self._show_model)
        self.mistakes_tab.open_in_canvas.connect(self.open_in_canvas)
        self.train_tab.model_trained.connect(self.current_model.set)
        self.train_tab.model_saved.connect(self._on_model_saved)
        self.train_tab.message.connect(lambda text: self.statusBar().showMessage(text, STATUS_MS))
        self.train_tab.save_abandoned.connect(lambda: setattr(self, "_close_after_save", False))
        self.train_tab.model_trained.connect(self._remember_session_run)
        self.current_model.changed.connect(self._current_to_pages)
        self.draw_tab.labelled.connect(self._add_labelled_drawing)
        self.draw_tab.unlabelled.connect(self._take_back_labelled_drawing)
        self.draw_tab.selection_changed.connect(self._drawing_to_network)
        # Teaching is training: it runs in the training process too, when there is one.
        self.my_drawings.trainer = lambda: self.train_tab.training_process
        self.my_drawings.teach_progressed.connect(self.train_tab.show_teaching)
        self.my_drawings.teaching_ended.connect(self.train_tab.teaching_ended)
        self.my_drawings.model_taught.connect(self._on_model_taught)
        self.my_drawings.use_model.connect(self.load_model_folder)  # "Use <base> again"
        self.my_drawings.message.connect(lambda text: self.statusBar().showMessage(text, STATUS_MS))
        self.network_page.built.connect(self._wire_network_tab)
        self.runs_page.built.connect(self._wire_runs_view)

        self._build_menus()
        self.model_label = QLabel()
        self.statusBar().addPermanentWidget(self.model_label)
        self._restore_settings()
        self._load_default_model()

    def step_tab(self, step: int) -> None:
        """Show the tab ``step`` places to the right (negative: left), wrapping around."""
        self.tabs.setCurrentIndex((self.tabs.currentIndex() + step) % self.tabs.count())

    # --- menus --------------------------------------------------------------------------

    def _build_menus(self) -> None:
        file_menu = self.menuBar().addMenu("&File")
        self.open_action = QAction("&Open model…", self)
        self.open_action.setShortcut(QKeySequence.StandardKey.Open)
        self.open_action.triggered.connect(self.open_model)
        self.save_action = QAction("&Save model…", self)
        self.save_action.setShortcut(QKeySequence.StandardKey.Save)
        self.save_action.setEnabled(False)
        self.save_action.triggered.connect(lambda: self.train_tab.save_model())
        self.train_tab.saveable_changed.connect(self.save_action.setEnabled)
        self.quit_action = quit_action = QAction("&Quit", self)
        quit_action.setShortcut(QKeySequence("Ctrl+Q"))
        quit_action.setMenuRole(QAction.MenuRole.QuitRole)
        quit_action.triggered.connect(self.close)
        self.export_action = QAction("&Export model…", self)
        self.export_action.setShortcut(QKeySequence("Ctrl+Shift+E"))
        self.export_action.setToolTip("the current model as a SavedModel, .tflite or NumPy file")
        self.export_action.triggered.connect(self.export_model)
        file_menu.addActions([self.open_action, self.save_action, self.export_action])
        file_menu.addSeparator()
        file_menu.addAction(quit_action)

        view_menu = self.menuBar().addMenu("&View")
        appearance = view_menu.addMenu("&Appearance")
        group = QActionGroup(self)
        self.appearance_actions: dict[str, QAction] = {}
        for choice in CHOICES:
            action = QAction(LABELS[choice], self, checkable=True)
            action.triggered.connect(lambda _checked, c=choice: self.set_appearance(c))
            group.addAction(action)
            appearance.addAction(action)
            self.appearance_actions[choice] = action

        help_menu = self.menuBar().addMenu("&Help")
        about = QAction("&About digitpad", self)
        about.setMenuRole(QAction.MenuRole.AboutRole)
        about.triggered.connect(self._about)
        help_menu.addAction(about)

    def _about(self) -> None:
        QMessageBox.about(
            self,
            "About digitpad",
            f"<b>digitpad {__version__}</b><p>Draw a digit or a number, train a multilayer "
            "perceptron on MNIST, and see why the network answers as it does.</p>"
            "<p>Draw: the current model reads what you write and shows which units fire and "
            "which pixels decided; press a digit key to teach it your hand. Train: build and "
            "train a model and watch its curves and weights. Mistakes: the test images it gets "
            "wrong. Data: what it learns from. Network: its size, a map of what it makes of "
            "the digits, breaking it on purpose, how robust it is. Runs: runs side by side. "
            "My drawings: your own labelled digits.</p>"
            "<p>The MNIST database of handwritten digits is by Yann LeCun, Corinna Cortes and "
            "Christopher J. C. Burges, used under the "
            '<a href="https://creativecommons.org/licenses/by-sa/3.0/">CC BY-SA 3.0</a> '
            "licence.</p>"
            f'<p>Documentation: the README.md of digitpad (<a href="{_docs_url()}">'
            "open</a>), and <code>digitpad --help</code>.</p>",
        )

    def set_appearance(self, choice: str) -> None:
        """System, light or dark colours for the whole app; remembered."""
        choice = apply_appearance(choice)
        self.appearance_actions[choice].setChecked(True)
        self._settings.setValue(_APPEARANCE, choice)

    def export_model(self) -> None:
        """File › Export…: export the current model if it is stored (else say to save it)."""
        from digitpad.gui.export_dialog import ExportDialog
        from digitpad.store import find_model

        current = self.current_model.predictor
        folder = None
        if current is not None and self.train_tab.run_of(current) is None:
            with contextlib.suppress(DigitpadError):
                folder = find_model(current.name, self._store)
        if current is None or folder is None:
            QMessageBox.information(
                self,
                "Export model",
                "Only a stored model can be exported: save this run first (File › Save model…).",
            )
            return
        dialog = ExportDialog(folder, current.name, self)
        dialog.exported.connect(lambda path: self.statusBar().showMessage(f"Exported to {path}"))
        dialog.open()
        self.export_dialog = dialog

    # --- the pages built on demand, and what flows between pages ----------------------

    def _make_network_tab(self) -> NetworkTab:
        from digitpad.gui.network_tab import NetworkTab

        loader = self._data_loader
        return NetworkTab(
            test_loader=(lambda: loader().test) if loader else None, store=self._store
        )

    @property
    def network_tab(self) -> NetworkTab:
        """The Network page (built now if it was not yet)."""
        return self.network_page.build()

    @property
    def runs_view(self) -> RunsView:
        """The Runs page (built now if it was not yet)."""
        return self.runs_page.build()

    def _wire_network_tab(self, tab: NetworkTab) -> None:
        tab.open_in_canvas.connect(self.open_in_canvas)
        tab.model_saved.connect(lambda _folder: self._models_changed())
        tab.set_predictor(self.current_model.predictor)
        tab.set_drawing(self.draw_tab.network_input)

    def _wire_runs_view(self, view: RunsView) -> None:
        view.open_requested.connect(self.load_model_folder)
        for run in self.train_tab.runs:
            if run.result.meta is not None:
                view.add_session_run(run.label.name, run.result.meta)

    def _current_to_pages(self, predictor: Predictor | None) -> None:
        self.my_drawings.set_predictor(predictor, predictor.name if predictor else None)
        if self.network_page.page is not None:
            self.network_page.page.set_predictor(predictor)

    def _drawing_to_network(self, image: np.ndarray | None) -> None:
        if self.network_page.page is not None:
            self.network_page.page.set_drawing(image)

    def _remember_session_run(self, predictor: Predictor) -> None:
        if self.runs_page.page is not None and predictor.meta:
            self.runs_page.page.add_session_run(predictor.name, predictor.meta)

    def _models_changed(self) -> None:
        if self.runs_page.page is not None:
            self.runs_page.page.refresh()

    def _add_labelled_drawing(self, image: np.ndarray, digit: int) -> None:
        drawing = self.my_drawings.add_drawing(image, digit)
        if drawing is not None:
            self.statusBar().showMessage(
                f"Kept as a {digit} in My drawings ({self.my_drawings.folder.root}); "
                "Ctrl+Z takes it back",
                STATUS_MS,
            )

    def _take_back_labelled_drawing(self) -> None:
        if self.my_drawings.undo_last():
            self.statusBar().showMessage("Took the drawing back from My drawings", STATUS_MS)

    def _on_model_taught(self, folder: str) -> None:
        if self.load_model_folder(folder):
            self._models_changed()

    # --- the current model --------------------------------------------------------------

    def _load_default_model(self) -> None:
        from digitpad.inference import load_predictor
        from digitpad.paths import user_store_dir
        from digitpad.store import check_store_root

        try:
            check_store_root(user_store_dir(self._store))
        except DigitpadError as exc:
            # The bundled model still works; say now why nothing can be saved.
            self.statusBar().showMessage(f"{exc}: trained models cannot be saved there")
        try:
            predictor = load_predictor(None, self._store)
        except DigitpadError as exc:
            self.model_label.setText("No model")
            self.statusBar().showMessage(f"Could not load the default model: {exc}")
            return
        self.current_model.set(predictor)

    def model_picker(self) -> ModelPickerDialog:
        """A picker over this session's runs and the stored models (not yet shown)."""
        from digitpad.gui.model_picker import ModelPickerDialog
        from digitpad.paths import bundled_store_dir
        from digitpad.store import ModelStore, list_models

        try:
            infos = list_models(self._store)
        except DigitpadError as exc:
            self.statusBar().showMessage(str(exc), STATUS_MS)
            infos = ModelStore(bundled_store_dir(), writable=False).list()
        current = self.current_model.predictor
        run = self.train_tab.run_of(current)
        chosen: str | SessionRun | None = run or (current.name if current else None)
        return ModelPickerDialog(infos, chosen, self, runs=self.train_tab.runs)

    def open_model(self) -> None:
        """Ask for a run of this session or a stored model and make it current."""
        dialog = self.model_picker()
        accepted = dialog.exec() == dialog.DialogCode.Accepted
        chosen = dialog.selected()
        dialog.deleteLater()
        if accepted and chosen is not None:
            self.use(chosen)

    def use(self, chosen: ModelInfo | SessionRun) -> bool:
        """Make a picked entry (a session run or a stored model) the current model."""
        if isinstance(chosen, SessionRun):
            self.current_model.set(chosen.predictor)
            return True
        return self.load_model_folder(chosen.path)

    def load_model_folder(self, folder: str | os.PathLike[str]) -> bool:
        """Make the model stored in ``folder`` current; a dialog explains a failure."""
        from digitpad.inference import predictor_from_folder

        try:
            predictor = predictor_from_folder(Path(folder))
        except DigitpadError as exc:
            QMessageBox.warning(self, "Could not open the model", str(exc))
            return False
        self.current_model.set(predictor)
        return True

    def _on_model_saved(self, predictor: Predictor) -> None:
        # Rename the current model only if it is still the run that was saved.
        current = self.current_model.predictor
        if current is not None and current.layers is predictor.layers:
            self.current_model.set(predictor)
        if self._close_after_save:
            self._close_after_save = False
            self.close()  # asks again if another run is still unsaved

    def _show_model(self, predictor: Predictor) -> None:
        accuracy = predictor.test_accuracy
        text = f"Model: {predictor.name or 'unnamed'}"
        if accuracy is not None:
            text += f"  ·  test accuracy {accuracy:.2%}"
        self.model_label.setText(text)
        self.model_label.setToolTip(model_description(predictor))

    def open_in_canvas(self, image: np.ndarray) -> None:
        """Show ``image`` (28×28 float32) on the Draw tab and switch to it."""
        self.draw_tab.load_image(image)
        self.tabs.setCurrentWidget(self.draw_tab)

    # --- settings and closing -----------------------------------------------------------

    def _restore_settings(self) -> None:
        geometry = self._settings.value(_GEOMETRY)
        if isinstance(geometry, QByteArray | bytes) and geometry:
            self.restoreGeometry(geometry)
        else:
            self.resize(1200, 820)
        try:
            tab = int(_number(self._settings.value(_TAB, 0)))
        except (TypeError, ValueError):
            tab = 0
        if 0 <= tab < self.tabs.count():
            self.tabs.setCurrentIndex(tab)
        appearance = self._settings.value(_APPEARANCE, "system")
        choice = appearance if appearance in CHOICES else "system"
        if choice != "system":
            apply_appearance(choice)
        self.appearance_actions[choice].setChecked(True)
        # A garbled value keeps "always answer".
        with contextlib.suppress(TypeError, ValueError):
            self.threshold.set_value(float(_number(self._settings.value(_THRESHOLD, 0.0))))
        with contextlib.suppress(TypeError, ValueError):
            self.draw_tab.set_pen_width(float(_number(self._settings.value(_PEN_WIDTH, "nan"))))
        folder = self._settings.value(_TENSORBOARD_DIR, "")
        self.train_tab.tensorboard.set_choice(
            str(self._settings.value(_TENSORBOARD, "false")).lower() == "true",
            folder if isinstance(folder, str) else None,
        )
        text = self._settings.value(_CONFIG)
        if isinstance(text, str) and text:
            # Settings from another version may not parse: then the defaults stay.
            with contextlib.suppress(ValueError, TypeError, ConfigError):
                self.train_tab.form.set_config(TrainConfig.from_dict(json.loads(text)))

    def save_settings(self) -> None:
        """Remember geometry, the open tab and the training settings (if they are valid)."""
        self._settings.setValue(_GEOMETRY, self.saveGeometry())
        self._settings.setValue(_TAB, self.tabs.currentIndex())
        self._settings.setValue(_THRESHOLD, self.threshold.value)
        self._settings.setValue(_PEN_WIDTH, self.draw_tab.pen_width)
        self._settings.setValue(_TENSORBOARD, self.train_tab.tensorboard.enabled)
        self._settings.setValue(_TENSORBOARD_DIR, self.train_tab.tensorboard.chosen_folder)
        try:
            config = self.train_tab.form.config()
        except ConfigError:
            pass  # keep the last valid settings rather than store a broken form
        else:
            self._settings.setValue(_CONFIG, json.dumps(config.to_dict()))
        self._settings.sync()

    def unsaved_work(self) -> str:
        """What closing now would lose, in a sentence ("" if nothing)."""
        lines = []
        if self.train_tab.is_running:
            lines.append("A training run is under way.")
        unsaved = self.train_tab.unsaved_runs()
        if unsaved:
            lines.append(
                "This run is not saved:" if len(unsaved) == 1 else "These runs are not saved:"
            )
            lines.extend(f"  {run.text()}" for run in unsaved)
        return "\n".join(lines)

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 (Qt override)
        lost = self.unsaved_work()
        if lost:
            answer = ask_about_unsaved(
                self, f"{lost}\n\nSave before closing? Unsaved runs are lost when digitpad closes."
            )
            if answer == Answer.Cancel:
                event.ignore()
                return
            if answer == Answer.Save:
                event.ignore()
                self._close_after_save = True
                self.train_tab.save_after_run()
                return
        self.save_settings()
        # Bounded: a run in the middle of importing TensorFlow cannot stop at once; run_app
        # waits for it after the window is gone rather than keep the user here.
        deadline = time.monotonic() + SHUTDOWN_MS / 1000
        self.train_tab.shutdown(SHUTDOWN_MS)
        self.my_drawings.shutdown(max(0, int((deadline - time.monotonic()) * 1000)))
        if self.network_page.page is not None:
            self.network_page.page.shutdown(max(0, int((deadline - time.monotonic()) * 1000)))
        self.mistakes_tab.wait_for_background(max(0, int((deadline - time.monotonic()) * 1000)))
        self.data_tab.wait_for_background(max(0, int((deadline - time.monotonic()) * 1000)))
        event.accept()
