"""Thin Qt workers: run the training generator and the model save off the GUI thread.

The work itself (``digitpad.training.train``, ``ModelStore.save``) knows nothing of Qt; these
classes only run it in a ``QThread`` and forward what it yields or raises as signals. Pause and
stop go through the thread-safe :class:`~digitpad.training.TrainControl` and take effect
between chunks. Everything that touches TensorFlow (data to tensors, training, reading the
trained weights, the run's metadata, saving) happens here, never on the GUI thread.
"""

from __future__ import annotations

import sys
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, QThread, Signal

from digitpad.errors import DigitpadError

if TYPE_CHECKING:
    from digitpad.config import TrainConfig
    from digitpad.data import Mnist
    from digitpad.inference import Predictor
    from digitpad.training import Finished, TrainControl

DataLoader = Callable[[], "Mnist"]


@dataclass(frozen=True)
class TrainResult:
    """The end of a run, with everything the GUI needs already computed in the worker.

    ``predictor`` and ``meta`` are None when the run stopped before its first step.
    """

    finished: Finished
    predictor: Predictor | None
    meta: dict[str, Any] | None
    data_sha256: str


def error_message(exc: BaseException) -> str:
    """A user-readable line: a :class:`DigitpadError` as is, anything else with its type."""
    if isinstance(exc, DigitpadError):
        return str(exc)
    return f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__


def _report_bug(exc: BaseException) -> None:
    # Not the user's fault: keep the traceback for whoever fixes it.
    print("digitpad: unexpected error in a worker thread:", file=sys.stderr)
    traceback.print_exception(exc, file=sys.stderr)


def _default_loader() -> Mnist:
    from digitpad.data import load_mnist

    return load_mnist()


class TrainWorker(QThread):
    """Trains one model for ``config`` in its own thread.

    Signals, all delivered to the GUI thread: ``event`` for each Started, Progress, Validated
    and EpochEnd; ``result`` once with a :class:`TrainResult` when the run ends (completed,
    cancelled or diverged); ``failed`` with a readable message if it raised; ``done`` last,
    always. A worker runs once; make a new one for the next run.
    """

    event = Signal(object)
    result = Signal(object)
    failed = Signal(str)
    done = Signal()

    def __init__(
        self,
        config: TrainConfig,
        data_loader: DataLoader | None = None,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        from digitpad.training import TrainControl

        self.setObjectName("digitpad-train")
        self._config = config
        self._load = data_loader or _default_loader
        self._control = TrainControl()

    # Safe from any thread: TrainControl only sets threading.Events.
    def pause(self) -> None:
        self._control.pause()

    def resume(self) -> None:
        self._control.resume()

    def stop(self) -> None:
        self._control.cancel()

    @property
    def control(self) -> TrainControl:
        """The run's thread-safe control: stepping, learning rate, weight snapshots."""
        return self._control

    @property
    def paused(self) -> bool:
        return self._control.paused

    @property
    def stopping(self) -> bool:
        return self._control.cancelled

    def run(self) -> None:
        try:
            self._train()
        except Exception as exc:
            if not isinstance(exc, DigitpadError):
                _report_bug(exc)
            self.failed.emit(error_message(exc))
        finally:
            self.done.emit()

    def _train(self) -> None:
        from digitpad import training

        data = self._load()
        if self._control.cancelled:
            return  # stopped while the data loaded: do not even start TensorFlow
        events = training.train(self._config, data, self._control)
        try:
            for event in events:
                if isinstance(event, training.Finished):
                    self.result.emit(self._result(event, data.sha256))
                else:
                    self.event.emit(event)
        finally:
            events.close()  # if we raised mid-run, the engine's helper threads end now

    @staticmethod
    def _result(finished: Finished, data_sha256: str) -> TrainResult:
        from digitpad.inference import predictor_from_model

        if finished.model is None:
            return TrainResult(finished, None, None, data_sha256)
        # Both read Keras variables (and meta imports TensorFlow): done here, not in the GUI.
        meta = finished.meta(data_sha256)
        name = f"unsaved run {time.strftime('%H:%M')}"
        predictor = predictor_from_model(finished.model, name, meta)
        return TrainResult(finished, predictor, meta, data_sha256)


def _as_keras(model: Any, meta: dict[str, Any]) -> Any:
    """A Keras model for ``model``: as is, or rebuilt from a :class:`Predictor`'s weights and
    the run's config (so a kept run needs no Keras object until it is saved)."""
    from digitpad.inference import Predictor

    if not isinstance(model, Predictor):
        return model
    from digitpad.config import TrainConfig
    from digitpad.model import build_model

    keras_model = build_model(TrainConfig.from_dict(meta["config"]))
    keras_model.set_weights([array for pair in model.layers for array in pair])
    return keras_model


class SaveWorker(QThread):
    """Saves a trained model (Keras, or a :class:`Predictor` of a kept run) to the user's store
    in its own thread.

    ``saved`` carries the model's folder (as a string); ``failed`` a readable message.
    """

    saved = Signal(str)
    failed = Signal(str)

    def __init__(
        self,
        name: str,
        model: Any,
        meta: dict[str, Any],
        store: str | None = None,
        *,
        overwrite: bool = False,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("digitpad-save")
        self.name = name
        self._model = model
        self._meta = meta
        self._store = store
        self._overwrite = overwrite

    def run(self) -> None:
        from digitpad.paths import user_store_dir
        from digitpad.store import ModelStore

        try:
            store = ModelStore(user_store_dir(self._store))
            model = _as_keras(self._model, self._meta)
            folder = store.save(self.name, model, self._meta, overwrite=self._overwrite)
        except Exception as exc:
            if not isinstance(exc, DigitpadError):
                _report_bug(exc)
            self.failed.emit(error_message(exc))
        else:
            self.saved.emit(str(folder))
