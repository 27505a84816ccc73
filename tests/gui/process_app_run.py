"""Run by tests/gui/test_train_tab_process.py in a fresh Python: the real window trains in its
process, saves, starts another run and is closed mid-run. Prints one JSON line of what it saw.

A fresh process, because other tests in a pytest session import TensorFlow themselves.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import sys
import tempfile
import time

from gui_support import small_data
from PySide6.QtCore import QCoreApplication, QSettings
from PySide6.QtWidgets import QApplication

from digitpad.config import TrainConfig
from digitpad.gui import main_window
from digitpad.gui.main_window import MainWindow
from digitpad.training.events import EpochEnd, Progress, Started, Validated
from digitpad.training.process import TrainerProcess

TIMEOUT = 180.0


def wait_until(condition, timeout: float = TIMEOUT) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise SystemExit(f"timed out waiting for {condition}")
        QCoreApplication.processEvents()
        time.sleep(0.01)


def teach_from_the_window(window, saved) -> str | None:
    """Label a few quarter-turned MNIST digits, press Learn my handwriting; the taught model's
    name (or the message of what went wrong)."""
    import numpy as np

    from digitpad.data import load_mnist
    from digitpad.inference import load_predictor
    from digitpad.store import find_model
    from digitpad.teach import TeachSettings

    if saved is None:
        return None
    window.load_model_folder(find_model(saved.name))
    view = window.my_drawings
    test = load_mnist().test
    for digit in (2, 3):
        for i in np.flatnonzero(test.y == digit)[:4]:
            view.add_drawing(np.rot90(test.images[i]), digit)
    view._settings = TeachSettings(steps=20, chunk_steps=10, pool_size=200, replay_size=500)
    done: list = []
    view.model_taught.connect(done.append)
    view.start_teaching()
    wait_until(lambda: view.worker is None)
    if not done:
        return view.result_label.text()
    return load_predictor(done[0]).name


def main() -> None:
    app = QApplication.instance() or QApplication(sys.argv)
    settings = QSettings(
        os.path.join(tempfile.mkdtemp(), "settings.ini"), QSettings.Format.IniFormat
    )
    # Closing mid-run asks Save/Discard/Cancel: this script answers Discard, as a user would
    # who wants the window gone.
    main_window.ask_about_unsaved = lambda *_: main_window.Answer.Discard
    window = MainWindow(settings=settings, data_loader=small_data)
    window.show()
    tab = window.train_tab
    # The first run also writes TensorBoard logs (in the training process, never here).
    logs = os.path.join(tempfile.mkdtemp(), "tensorboard")
    tab.tensorboard.set_choice(True, logs)
    tab.use_training_process(TrainerProcess(small_data, nice=0))
    trainer = tab._trainer
    seen: list = []
    trained: list = []
    tab.model_trained.connect(trained.append)

    tab.form.set_config(TrainConfig(hidden=(16,), epochs=2, batch_size=50, validate_every=10))
    tab.start()
    tab.worker.progressed.connect(seen.append)
    wait_until(lambda: not tab.is_running)
    saved: list = []
    tab.model_saved.connect(saved.append)
    tab.save_model("from-the-window")
    wait_until(lambda: saved or (tab.error_box is not None))

    # Teaching the saved model some drawings goes through the same process.
    taught = teach_from_the_window(window, saved[0] if saved else None)

    tab.tensorboard.set_choice(False)
    tab.form.set_config(TrainConfig(hidden=(16,), epochs=1000, batch_size=50))
    tab.start()
    wait_until(lambda: tab.progress.maximum() > 0 and tab.progress.value() > 0)
    pid = trainer.pid
    started = time.monotonic()
    window.close()
    close_seconds = time.monotonic() - started
    try:
        os.kill(pid, 0)
        child_left = True
    except ProcessLookupError:
        child_left = False
    kinds = [type(e).__name__ for e in seen]
    progress = [e.step for e in seen if isinstance(e, Progress)]
    report = {
        "tensorflow": "tensorflow" in sys.modules,
        "keras": "keras" in sys.modules,
        "trained": len(trained),
        "accuracy": trained[0].test_accuracy if trained else None,
        "saved": saved[0].name if saved else None,
        "error": tab.error_box.text() if tab.error_box is not None else None,
        "first": kinds[0] if kinds else None,
        "progress_steps": progress,
        "epoch_ends": [e.epoch for e in seen if isinstance(e, EpochEnd)],
        "validations": len([e for e in seen if isinstance(e, Validated)]),
        "started_total": next((e.total_steps for e in seen if isinstance(e, Started)), None),
        "close_seconds": close_seconds,
        "child_left": child_left,
        "children": len(multiprocessing.active_children()),
        "taught": taught,
        "tensorboard_runs": sorted(os.listdir(logs)),
        "tensorboard_files": [
            len([f for f in os.listdir(os.path.join(logs, run)) if "tfevents" in f])
            for run in sorted(os.listdir(logs))
        ],
    }
    print(json.dumps(report), flush=True)
    app.quit()


if __name__ == "__main__":
    main()
