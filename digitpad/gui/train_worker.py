"""Thin Qt workers: run the training generator and the model save off the GUI thread.

The work itself (``digitpad.training.train``, ``ModelStore.save``) knows nothing of Qt; these
classes only run it in a ``QThread`` and forward what it yields or raises as signals. Pause and
stop go through the thread-safe :class:`~digitpad.training.TrainControl` and take effect
between chunks.

Two places to train, one interface: given a :class:`TrainerProcess`, the worker only talks to
that process (the app's own process never imports TensorFlow: the events come over a pipe, the
model comes back as NumPy weights, and the process saves it); without one, it runs ``train()``
in this thread (for tests that need no isolation). Either way nothing touches TensorFlow on the
GUI thread.
"""

from __future__ import annotations

import contextlib
import os
import pickle
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, QThread, QTimer, Signal

from digitpad.errors import ConfigError, DigitpadError
from digitpad.gui.errors import error_message, report_exception
from digitpad.training.process import (
    STOP_SECONDS,
    ControlState,
    RemoteControl,
    RemoteModel,
    RunFailed,
    RunResult,
    TrainerDied,
    TrainerProcess,
    report_bug,
)

if TYPE_CHECKING:
    from digitpad.config import TrainConfig
    from digitpad.data import Mnist
    from digitpad.gui.config_form import ConfigForm
    from digitpad.inference import Predictor
    from digitpad.training import Finished, TrainControl

WARM_DELAY_MS = 400
"""After the settings change, wait this long for more changes before warming for them."""

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


def _default_loader() -> Mnist:
    from digitpad.data import load_mnist

    return load_mnist()


class TrainWorker(QThread):
    """Trains one model for ``config``: in ``trainer``'s process if given, else in this thread.

    Signals, all delivered to the GUI thread: ``progressed`` for each Started, Progress, Validated
    and EpochEnd; ``result`` once with a :class:`TrainResult` when the run ends (completed,
    cancelled or diverged); ``failed`` with a readable message if it raised or the training
    process died; ``done`` last, always. A worker runs once; make a new one for the next run.

    ``tensorboard``: a folder for the run's TensorBoard logs (made beforehand, see
    :func:`digitpad.tensorboard_log.run_logdir`), written where the run trains.
    """

    progressed = Signal(object)
    result = Signal(object)
    failed = Signal(str)
    done = Signal()

    def __init__(
        self,
        config: TrainConfig,
        data_loader: DataLoader | None = None,
        parent: QObject | None = None,
        *,
        trainer: TrainerProcess | None = None,
        tensorboard: str | os.PathLike[str] | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("digitpad-train")
        self._config = config
        self._load = data_loader or _default_loader
        self._trainer = trainer
        self._tensorboard = tensorboard
        if trainer is not None:
            self._control: TrainControl = RemoteControl()
        elif tensorboard is not None:
            from digitpad.tensorboard_log import LoggedControl

            # Weights every chunk for the log, whatever the Inside page sets (that only thins
            # the snapshots it is sent).
            self._control = LoggedControl()
        else:
            from digitpad.training.control import TrainControl

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
            if self._trainer is not None:
                self._train_in_process(self._trainer)
            else:
                self._train()
        except Exception as exc:
            if not isinstance(exc, DigitpadError):
                report_exception(exc)
            self.failed.emit(error_message(exc))
        finally:
            self.done.emit()

    def _train(self) -> None:
        from digitpad import training

        data = self._load()
        if self._control.cancelled:
            return  # stopped while the data loaded: do not even start TensorFlow
        events = training.train(self._config, data, self._control)
        if self._tensorboard is not None:
            from digitpad.tensorboard_log import record

            events = record(events, os.fspath(self._tensorboard), self._control)
        try:
            for event in events:
                if isinstance(event, training.Finished):
                    self.result.emit(self._result(event, data.sha256))
                else:
                    self.progressed.emit(event)
        finally:
            events.close()  # if we raised mid-run, the engine's helper threads end now

    def _train_in_process(self, trainer: TrainerProcess) -> None:
        control = self._control
        assert isinstance(control, RemoteControl)
        if control.cancelled:
            self.result.emit(_ended(self._config, None, None))  # stopped before it began
            return
        try:
            stream = trainer.start_run(self._config, control, self._tensorboard)
        except (OSError, ValueError, TypeError, AttributeError, pickle.PicklingError) as exc:
            # e.g. a data loader that does not pickle: the process cannot have it
            message = f"cannot start the training process: {error_message(exc)}"
            raise DigitpadError(message) from None
        started = None
        while True:
            try:
                message = stream.next(timeout=0.05)
            except TrainerDied as exc:
                if control.cancelled and control.cancelled_at is not None:
                    self.result.emit(_ended(self._config, started, "its process was ended"))
                    return
                raise DigitpadError(str(exc)) from None
            if message is None:
                waited = control.cancelled_at and time.monotonic() - control.cancelled_at
                if waited and waited > STOP_SECONDS:
                    # Busy (importing TensorFlow, compiling) past the promise: end it; the
                    # next Start or warm-up brings up a fresh one.
                    trainer.end_current()
                    busy = "its process, busy for over a second, was ended"
                    self.result.emit(_ended(self._config, started, busy))
                    return
                continue
            if isinstance(message, RunResult):
                self.result.emit(self._remote_result(message, trainer))
                return
            if isinstance(message, RunFailed):
                if message.details:
                    report_bug(message.details)
                raise DigitpadError(message.message)
            if isinstance(message, ControlState):
                control.apply(message)  # before the EpochEnd it precedes, as in-process
                continue
            if started is None and type(message).__name__ == "Started":
                started = message
            self.progressed.emit(message)

    @staticmethod
    def _remote_result(message: RunResult, trainer: TrainerProcess) -> TrainResult:
        from digitpad.inference import Predictor

        finished = message.finished
        if message.layers is None or message.meta is None:
            return TrainResult(finished, None, None, message.data_sha256)
        layers = message.layers
        finished = replace(finished, model=RemoteModel(finished.config, layers, trainer))
        name = f"unsaved run {time.strftime('%H:%M')}"
        activation = finished.config.activation
        predictor = Predictor(list(layers), activation, name, dict(message.meta))
        return TrainResult(finished, predictor, message.meta, message.data_sha256)

    @staticmethod
    def _result(finished: Finished, data_sha256: str) -> TrainResult:
        from digitpad.inference import predictor_from_model

        if finished.model is None:
            return TrainResult(finished, None, None, data_sha256)
        # Both read Keras variables (and meta imports TensorFlow): done here, not in the GUI.
        from digitpad.store import run_meta

        meta = run_meta(finished, data_sha256)
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
            folder_of_store = user_store_dir(self._store)
            if isinstance(self._model, RemoteModel):
                # Trained in the training process: saved there too (Keras stays out of here).
                folder = self._model.save(
                    folder_of_store, self.name, self._meta, overwrite=self._overwrite
                )
            else:
                store = ModelStore(folder_of_store)
                model = _as_keras(self._model, self._meta)
                folder = store.save(self.name, model, self._meta, overwrite=self._overwrite)
        except Exception as exc:
            if not isinstance(exc, DigitpadError):
                report_exception(exc)
            self.failed.emit(error_message(exc))
        else:
            self.saved.emit(str(folder))


def _ended(config: TrainConfig, started: Any, why: str | None) -> TrainResult:
    """The result of a run stopped before it began, or whose process was ended on Stop:
    nothing trained is kept."""
    from digitpad.training.events import Finished, History, Outcome

    message = "before its first step" if started is None else "at once, keeping nothing"
    if why:
        message += f": {why}"
    finished = Finished(Outcome.CANCELLED, message, config, None, History(), None, 0.0, 0)
    return TrainResult(finished, None, None, "")


class ProcessWarmer(QObject):
    """Keeps the training process ready for the form's settings.

    Asks it to warm up now, again a moment after the settings change (the process skips a
    shape it already has compiled), and after each run (which brings up a new process if the
    last one died).
    """

    def __init__(self, trainer: TrainerProcess, form: ConfigForm, parent: QObject | None = None):
        super().__init__(parent)
        self._trainer = trainer
        self._form = form
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(WARM_DELAY_MS)
        self._timer.timeout.connect(self.warm_now)
        form.changed.connect(self._timer.start)

    def warm_now(self) -> None:
        if not self._form.is_valid:
            return
        try:
            config = self._form.config()
        except ConfigError:
            return
        # Shut down, gone, or data it cannot be sent: the next Start says so if it matters.
        unsent = (DigitpadError, OSError, ValueError, TypeError, AttributeError)
        with contextlib.suppress(*unsent, pickle.PicklingError):
            self._trainer.warm(config)

    def stop(self) -> None:
        self._timer.stop()
