"""Training in its own process: the app sends a config and control, the process sends events.

Like a notebook's front end and kernel: the window never imports TensorFlow, never holds the
GIL for a compile, and a crashed or killed trainer costs one line of text, not the app.

- :class:`TrainerProcess` (app side, no Qt): starts the process (``spawn``) at low priority,
  asks it to warm up for a config (import TensorFlow, load the data, build and compile the
  engine) before anyone presses Start, starts runs, steers them, saves models through it,
  and notices when it dies. Start it again by simply using it: a dead process is replaced.
- :class:`RemoteControl`: a :class:`TrainControl` whose pause, resume, cancel, step, learning
  rate and snapshot requests also go to the process.
- :func:`_serve` (the process): the ``train()`` generator, unchanged; each event it yields is
  sent as it is (the events are plain picklable dataclasses). :class:`Finished` crosses
  without its Keras model, as :class:`RunResult` with the final weights as NumPy (kernel,
  bias) pairs and the metadata computed where TensorFlow is.

Messages, app to process: ``("warm", config, loader)``, ``("start", config, loader, state)``
(``state``: the control's state, and ``"tensorboard"``, a folder for the run's logs, if any),
``("control", name, value)``, ``("save", id, SaveRequest)``, ``("teach", TeachRequest,
loader)``, ``("quit",)``. Process to app: the events, :class:`ControlState`,
:class:`RunResult`, :class:`RunFailed`, :class:`Warmed`, :class:`SaveReply`; a teaching run
sends ``digitpad.teach``'s events and ends with a :class:`TeachResult`. ``loader`` is None
(the full MNIST) or a picklable callable returning a :class:`~digitpad.data.Mnist` (tests
pass a module-level function that loads a subset).
"""

from __future__ import annotations

import contextlib
import itertools
import multiprocessing
import os
import queue
import signal
import sys
import threading
import time
import traceback
from collections.abc import Callable
from concurrent.futures import Future
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass, replace
from multiprocessing.connection import Connection
from multiprocessing.reduction import ForkingPickler
from pathlib import Path
from typing import TYPE_CHECKING, Any

from digitpad.config import TrainConfig
from digitpad.errors import DigitpadError, StoreError
from digitpad.priority import BACKGROUND_NICE
from digitpad.training.control import TrainControl
from digitpad.training.events import Event, Finished, History, Layers, Outcome, Snapshot
from digitpad.training.scratch import make_scratch, remove_scratch, sweep_scratch, use_scratch

if TYPE_CHECKING:
    from digitpad.data import Mnist

NICE = BACKGROUND_NICE
"""How much lower the trainer's priority is than the app's: drawing comes first."""
STOP_SECONDS = 0.6
"""A stopped run that has not ended after this long is ended with its process (which takes
0.1-0.3 s more): Stop never takes more than about a second."""
CLOSE_SECONDS = 3.0
TRAINER_MMAP_THRESHOLD = 32 * 1024 * 1024
TRAINER_TRIM_THRESHOLD = 32 * 1024 * 1024
QUIT_SECONDS = 0.2
"""On close, how long the process has to quit by itself before it is terminated."""

Loader = Callable[[], Any] | None


# --- messages --------------------------------------------------------------------------------


@dataclass(frozen=True)
class ControlState:
    """The run's own view of its control, sent before an EpochEnd at which a step paused it."""

    paused: bool
    stepping: bool


@dataclass(frozen=True)
class RunResult:
    """A run's end: ``finished`` without its Keras model, the weights and meta beside it."""

    finished: Finished
    layers: Layers | None
    meta: dict[str, Any] | None
    data_sha256: str


@dataclass(frozen=True)
class RunFailed:
    """A run raised: ``message`` is one readable line; ``details`` a traceback for a bug."""

    message: str
    details: str | None


@dataclass(frozen=True)
class Warmed:
    """The process is ready for ``config``'s shape (or could not get ready: ``error``)."""

    config: TrainConfig
    seconds: float
    error: str | None = None


@dataclass(frozen=True)
class SaveRequest:
    name: str
    config: TrainConfig
    layers: Layers
    meta: dict[str, Any]
    store: str
    overwrite: bool


@dataclass(frozen=True)
class SaveReply:
    id: int
    folder: str | None
    error: str | None
    details: str | None = None


@dataclass(frozen=True)
class TeachRequest:
    """Fine-tune a stored model on the user's drawings (``digitpad.teach.teach``'s arguments);
    the taught model is saved in ``store`` by the process."""

    drawings: Any
    """A :class:`~digitpad.drawings.DrawingSet`."""
    base: str | None
    user_store: str | None
    store: str
    name: str | None = None
    overwrite: bool = True
    settings: Any = None
    """A :class:`~digitpad.teach.TeachSettings` (None: the defaults)."""


@dataclass(frozen=True)
class TeachResult:
    """A teaching run's end: its ``TeachFinished`` without the Keras model (it is saved)."""

    finished: Any


class TrainerDied(DigitpadError):
    """The training process ended while the app waited for it."""


def error_message(exc: BaseException) -> str:
    """A user-readable line: a :class:`DigitpadError` as is, anything else with its type."""
    if isinstance(exc, DigitpadError):
        return str(exc)
    return f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__


def death_message(exitcode: int | None) -> str:
    """One line for a training process that ended on its own."""
    if exitcode is not None and exitcode < 0:
        try:
            name = signal.Signals(-exitcode).name
        except ValueError:
            name = f"signal {-exitcode}"
        why = f"was killed ({name}"
        why += ", perhaps for lack of memory)" if name == "SIGKILL" else ")"
    elif exitcode is None:
        why = "stopped answering"
    else:
        why = f"ended unexpectedly (exit code {exitcode})"
    return f"the training process {why}; your models are kept, and Start begins a new one"


# --- the app's side ----------------------------------------------------------------------------


class RemoteControl(TrainControl):
    """A :class:`TrainControl` for a run in the training process.

    It keeps the same state locally (so ``paused``, ``stepping``, ``cancelled`` and
    ``snapshot_seconds`` read at once) and sends each change to the process once the run has
    begun; what was set before goes with the start message.
    """

    def __init__(self, snapshot_seconds: float | None = None) -> None:
        self._send: Callable[[tuple], None] | None = None
        self._remote_lock = threading.Lock()
        self.cancelled_at: float | None = None
        super().__init__(snapshot_seconds)

    def _tell(self, name: str, value: Any = None) -> None:
        send = self._send
        if send is not None:
            # If the process is gone, the run's reader finds out and says so.
            with contextlib.suppress(OSError, ValueError):
                send(("control", name, value))

    @property
    def begun(self) -> bool:
        """Whether the run was sent to the process (changes now go there as messages)."""
        return self._send is not None

    def begin(self, send: Callable[[tuple], None]) -> dict[str, Any]:
        """From now on changes go through ``send``; returns the state to start the run with."""
        with self._remote_lock:
            self._send = send
            return {
                "paused": self.paused,
                "stepping": self.stepping,
                "snapshot_seconds": self.snapshot_seconds,
                "learning_rate": self.take_learning_rate(),
            }

    def pause(self) -> None:
        with self._remote_lock:
            super().pause()
            self._tell("pause")

    def resume(self) -> None:
        with self._remote_lock:
            super().resume()
            self._tell("resume")

    def step_epoch(self) -> None:
        with self._remote_lock:
            super().step_epoch()
            self._tell("step_epoch")

    def cancel(self) -> None:
        with self._remote_lock:
            if self.cancelled_at is None:
                self.cancelled_at = time.monotonic()
            super().cancel()
            self._tell("cancel")

    def set_learning_rate(self, value: float) -> None:
        with self._remote_lock:
            super().set_learning_rate(value)
            if self._send is not None:
                self.take_learning_rate()  # the process applies it, not this copy
                self._tell("learning_rate", value)

    @property
    def snapshot_seconds(self) -> float | None:
        return self._snapshot_seconds

    @snapshot_seconds.setter
    def snapshot_seconds(self, value: float | None) -> None:
        # mypy sees a property with a setter as an overload, which has no fset.
        TrainControl.snapshot_seconds.fset(self, value)  # type: ignore[attr-defined]
        self._tell("snapshot_seconds", value)

    def apply(self, state: ControlState) -> None:
        """Take the run's own state: a step paused it at an epoch's end."""
        with self._remote_lock:
            if state.paused and not state.stepping and not self.cancelled:
                TrainControl.pause(self)


class _Generation:
    """One training process and the app's ends of its two pipes."""

    def __init__(self, context, nice: int, threads: int) -> None:
        commands_out, commands_in = context.Pipe(duplex=False)
        events_out, events_in = context.Pipe(duplex=False)
        self.threads = threads
        self.running = False  # a run started and its end not yet read
        self.scratch = make_scratch()
        self.process = context.Process(
            target=_serve,
            args=(commands_out, events_in, nice, threads, self.scratch),
            name="digitpad-trainer",
            daemon=True,  # multiprocessing ends it at exit should everything else fail
        )
        self.process.start()
        # Only the child may hold these ends: then its death is an EOF here.
        commands_out.close()
        events_in.close()
        self.commands = commands_in
        self.events = events_out
        # Messages go out through a thread of their own: a pipe blocks the sender once its
        # buffer (64 KB) is full, e.g. a save's weights while the process imports TensorFlow,
        # and a Pause or Stop from the GUI thread must never wait for that.
        self.outbox: queue.SimpleQueue[memoryview | None] = queue.SimpleQueue()
        self.writer = threading.Thread(
            target=self._write, name=f"digitpad-trainer-send-{self.process.pid}", daemon=True
        )
        self.writer.start()
        self.runs: queue.Queue = queue.Queue()
        self.saves: dict[int, Future] = {}
        self.warm: Warmed | None = None
        self.died: str | None = None
        self.closing = False
        self.reader = threading.Thread(
            target=self._read, name=f"digitpad-trainer-{self.process.pid}", daemon=True
        )
        self.reader.start()

    def send(self, message: tuple) -> None:
        """Queue ``message``; pickled here, so what cannot be sent raises at once."""
        if self.closing and message[0] != "quit":
            raise ValueError("the training process is closing")
        self.outbox.put(ForkingPickler.dumps(message))

    def _write(self) -> None:
        while (data := self.outbox.get()) is not None:
            try:
                self.commands.send_bytes(data)
            except (OSError, ValueError):
                return  # the process is gone: the reader says so

    def _read(self) -> None:
        while True:
            try:
                message = self.events.recv()
            except (EOFError, OSError):
                break
            except Exception as exc:  # an event that does not unpickle: a bug, say so
                self.runs.put(RunFailed(error_message(exc), traceback.format_exc()))
                continue
            if isinstance(message, SaveReply):
                future = self.saves.pop(message.id, None)
                if future is not None:
                    future.set_result(message)
            elif isinstance(message, Warmed):
                self.warm = message
            else:
                self.runs.put(message)
        self.process.join(1.0)
        if self.process.exitcode is not None:
            remove_scratch(self.scratch)
        self.died = death_message(self.process.exitcode)
        error = TrainerDied(self.died)
        for future in list(self.saves.values()):
            future.set_exception(error)
        self.saves.clear()
        self.runs.put(error)

    @property
    def alive(self) -> bool:
        return self.died is None and self.process.is_alive()

    def close(self, timeout: float) -> None:
        """End the process: saves under way may finish within ``timeout``; anything else
        (a run, a warm-up, TensorFlow's import) is not worth waiting for."""
        self.closing = True
        deadline = time.monotonic() + timeout
        for future in list(self.saves.values()):
            with contextlib.suppress(Exception):
                future.result(timeout=max(0.0, deadline - time.monotonic()))
        with contextlib.suppress(OSError, ValueError):
            self.send(("quit",))
        # Idle, it quits at once; busy, it would answer only after the task under way.
        self.process.join(min(QUIT_SECONDS, max(0.0, deadline - time.monotonic())))
        if self.process.is_alive():
            self.process.terminate()
            self.process.join(0.5)
        if self.process.is_alive():
            self.process.kill()
            self.process.join()
        remove_scratch(self.scratch)
        self.outbox.put(None)
        self.writer.join(2.0)
        self.reader.join(2.0)
        self.commands.close()
        self.events.close()
        self.process.close()


class TrainerProcess:
    """The app's handle on its training process (thread-safe; no Qt).

    Nothing starts until :meth:`ensure_started` (or :meth:`warm`, :meth:`start_run`,
    :meth:`save`); a process that died is replaced by the next of those calls. ``loader`` is
    the data the runs use (None: the full MNIST); it must be picklable.
    """

    def __init__(self, loader: Loader = None, *, nice: int = NICE) -> None:
        self.loader = loader
        self._nice = nice
        self._context = multiprocessing.get_context("spawn")
        self._lock = threading.Lock()
        self._generation: _Generation | None = None
        self._closed = False
        self._ids = itertools.count(1)

    def _current(self, config: TrainConfig | None = None) -> _Generation:
        """The live process; a new one if it died, or if ``config`` (a warm-up's) wants
        another thread count and the process is idle (threads are fixed when TF starts)."""
        from digitpad.training.tuning import threads_for

        with self._lock:
            if self._closed:
                raise TrainerDied("the training process has been shut down")
            generation = self._generation
            threads = threads_for(config) if config is not None else None
            if generation is not None and generation.alive:
                busy = generation.running or bool(generation.saves)
                if threads is None or threads == generation.threads or busy:
                    return generation
            if generation is not None:
                generation.close(0.0)  # idle or dead: nothing to wait for
            else:
                sweep_scratch()  # what training processes of apps no longer running left
            if threads is None:
                threads = generation.threads if generation is not None else 0
            generation = self._generation = _Generation(self._context, self._nice, threads)
            return generation

    def ensure_started(self, config: TrainConfig | None = None) -> None:
        """Start the process (with the threads ``config`` trains best with) if it is not up."""
        self._current(config)

    @property
    def pid(self) -> int | None:
        generation = self._generation
        return generation.process.pid if generation is not None else None

    @property
    def alive(self) -> bool:
        generation = self._generation
        return generation is not None and generation.alive

    @property
    def warmed(self) -> Warmed | None:
        """The last warm-up the process finished (None before its first)."""
        generation = self._generation
        return generation.warm if generation is not None else None

    def warm(self, config: TrainConfig) -> None:
        """Have the process get ready for ``config`` in the background (skipped if it is)."""
        self._current(config).send(("warm", config, self.loader))

    def start_run(
        self,
        config: TrainConfig,
        control: RemoteControl,
        tensorboard: str | os.PathLike[str] | None = None,
    ) -> RunStream:
        """Start training ``config``; read its events from the returned stream.

        ``tensorboard``: a folder (made beforehand, see
        :func:`digitpad.tensorboard_log.run_logdir`) the process writes the run's TensorBoard
        logs into; the snapshots the app gets are still only those ``control`` asks for.
        """
        generation = self._current()
        if generation.running:
            raise DigitpadError("the training process is busy teaching: start when it is done")
        while not generation.runs.empty():  # e.g. a warm-up's failure nobody read
            generation.runs.get_nowait()
        state = control.begin(generation.send)
        if tensorboard is not None:
            state["tensorboard"] = os.fspath(tensorboard)
        generation.running = True
        generation.send(("start", config, self.loader, state))
        return RunStream(generation)

    def start_teach(self, request: TeachRequest) -> RunStream:
        """Start teaching the user's handwriting in the process (one thing at a time: raises
        if a run is under way); read its events from the returned stream, cancel it there."""
        generation = self._current()
        if generation.running:
            raise DigitpadError("training is running: teach when it has finished")
        while not generation.runs.empty():
            generation.runs.get_nowait()
        generation.running = True
        try:
            generation.send(("teach", request, self.loader))
        except BaseException:
            generation.running = False
            raise
        return RunStream(generation)

    def save(self, request: SaveRequest) -> Future:
        """Save a model in the process; the future's result is a :class:`SaveReply`."""
        generation = self._current()
        future: Future = Future()
        request_id = next(self._ids)
        generation.saves[request_id] = future
        try:
            generation.send(("save", request_id, request))
        except BaseException:
            generation.saves.pop(request_id, None)
            raise
        return future

    def end_current(self) -> None:
        """End the process now (a run that does not stop in time); the next use starts anew."""
        with self._lock:
            generation, self._generation = self._generation, None
        if generation is not None:
            if not generation.saves:
                # Abandoned anyway: SIGKILL ends it at once, where SIGTERM may take a while
                # for a process in the middle of loading TensorFlow.
                with contextlib.suppress(OSError, ValueError):
                    generation.process.kill()
            generation.close(0.0)

    def close(self, timeout: float = CLOSE_SECONDS) -> None:
        """End the process: a save under way may finish within ``timeout``, a run is stopped.

        Idempotent; after it the handle starts nothing.
        """
        with self._lock:
            self._closed = True
            generation, self._generation = self._generation, None
        if generation is not None:
            generation.close(timeout)


class RunStream:
    """The messages of one run, in order: events, then one RunResult, RunFailed or death."""

    def __init__(self, generation: _Generation) -> None:
        self._generation = generation
        self._initial: Layers | None = None

    def cancel(self) -> None:
        """Ask the run under way to stop (a teaching run: it then saves nothing)."""
        with contextlib.suppress(OSError, ValueError):
            self._generation.send(("control", "cancel", None))

    def next(self, timeout: float) -> Any:
        """The next message, or None after ``timeout`` seconds; raises :class:`TrainerDied`."""
        try:
            message = self._generation.runs.get(timeout=timeout)
        except queue.Empty:
            return None
        if isinstance(message, TrainerDied):
            raise message
        if isinstance(message, RunResult | RunFailed | TeachResult):
            self._generation.running = False
        if isinstance(message, Snapshot):
            if message.initial is None:
                message = replace(message, initial=self._initial)
            self._initial = message.initial
        return message


def wait_for_save(future: Future, poll: float = 0.1) -> SaveReply:
    """The save's reply, or :class:`TrainerDied` if the process ended first."""
    while True:
        try:
            return future.result(timeout=poll)
        except FutureTimeout:
            continue


@dataclass(frozen=True, eq=False)
class RemoteModel:
    """A model trained in the training process, held by the app as its NumPy weights.

    It stands where a Keras model would (``Finished.model``); saving it to ``.keras`` is done
    by the training process, so the app never needs Keras.
    """

    config: TrainConfig
    layers: Layers
    trainer: TrainerProcess

    def save(
        self,
        store: str | os.PathLike[str],
        name: str,
        meta: dict[str, Any],
        *,
        overwrite: bool = False,
    ) -> Path:
        """Save under ``name`` in ``store``; returns the folder, raises :class:`StoreError`."""
        request = SaveRequest(name, self.config, self.layers, meta, os.fspath(store), overwrite)
        reply = wait_for_save(self.trainer.save(request))
        if reply.error is not None:
            if reply.details:
                report_bug(reply.details)
            raise StoreError(reply.error)
        assert reply.folder is not None
        return Path(reply.folder)


# --- the training process -----------------------------------------------------------------


def _serve(
    commands: Connection, events: Connection, nice: int, threads: int, scratch: Path | None
) -> None:
    """The training process: answer the app's messages until it quits or goes away."""
    use_scratch(scratch)
    with contextlib.suppress(OSError):
        os.nice(nice)
    # Ctrl+C in a terminal reaches the whole process group: the app decides, then ends us.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    from digitpad.memory import return_big_blocks_to_the_system
    from digitpad.training.tuning import configure_tensorflow

    # A long-lived process: the epochs, snapshots and evaluations of one run must not stay
    # resident until the next. Blocks of 32 MB and up are mapped and given back; below that
    # they stay in the heap (a chunk's ~17 MB of temporaries each call), and so do up to 32 MB
    # free at its top: with glibc giving back everything over 128 KB, as it does once the
    # threshold is fixed, pages were faulted in again every chunk and training lost a third.
    return_big_blocks_to_the_system(TRAINER_MMAP_THRESHOLD, TRAINER_TRIM_THRESHOLD)

    configure_tensorflow(threads)
    _Trainer(commands, events).serve()


class _Trainer:
    def __init__(self, commands: Connection, events: Connection) -> None:
        self._commands = commands
        self._events = events
        self._send_lock = threading.Lock()
        self._loader: Loader = None
        self._data: Mnist | None = None
        self._warm_key: tuple | None = None
        self._saves: list[threading.Thread] = []
        self._later: list[tuple] = []

    def send(self, message: Any) -> None:
        with self._send_lock:
            self._events.send(message)

    def serve(self) -> None:
        try:
            while True:
                if self._later:
                    message = self._later.pop(0)
                else:
                    try:
                        message = self._commands.recv()
                    except (EOFError, OSError):
                        return  # the app is gone: so are we
                kind = message[0]
                if kind == "quit":
                    return
                if kind == "warm":
                    self._warm(message[1], message[2])
                elif kind == "start":
                    if self._run(*message[1:]):
                        return
                elif kind == "teach":
                    if self._teach(message[1], message[2]):
                        return
                elif kind == "save":
                    self._save_in_background(message[1], message[2])
                # control outside a run (a late Stop, say) means nothing
        finally:
            for thread in self._saves:
                thread.join()

    # data and warming

    def _data_for(self, loader: Loader):
        if self._data is None or loader is not self._loader:
            from digitpad.data import load_mnist

            self._data = None  # let the old set go before the new one loads
            self._data = loader() if loader is not None else load_mnist()
            self._loader = loader
        return self._data

    @staticmethod
    def _key_of(config: TrainConfig, loader: Loader) -> tuple:
        """What a warm engine depends on: its compiled functions, their shapes, the data."""
        from digitpad.training.engine import Engine

        return (Engine.key_of(config), config.batch_size, config.validate_every, loader)

    def _warm(self, config: TrainConfig, loader: Loader) -> None:
        """Run the real loop for ``config`` up to its first validation, then cancel it: every
        function the run needs is traced and compiled, nothing of it is kept."""
        from digitpad.training import loop
        from digitpad.training.events import Validated

        key = self._key_of(config, loader)
        if key == self._warm_key:
            return
        start = time.perf_counter()
        completed = False
        try:
            data = self._data_for(loader)
            steps_per_epoch = len(data.train) // config.batch_size
            if steps_per_epoch == 0:
                return
            per_chunk = loop.chunk_steps(config, steps_per_epoch)
            # Validating after the first chunk compiles validation too, same chunk size.
            warm = replace(config, epochs=1, validate_every=config.validate_every or per_chunk)
            if loop.chunk_steps(warm, steps_per_epoch) != per_chunk:
                warm = replace(config, epochs=1)
            control = TrainControl()
            run = loop.train(warm, data, control)
            try:
                for event in run:
                    if self._other_shape_waits(key):
                        control.cancel()  # another shape is wanted now: stop warming this
                    if isinstance(event, Validated):
                        control.cancel()
                        completed = True
            finally:
                run.close()
        except Exception as exc:
            self.send(Warmed(config, time.perf_counter() - start, error_message(exc)))
            return
        if completed:
            self._warm_key = key
        self.send(Warmed(config, time.perf_counter() - start))

    def _other_shape_waits(self, key: tuple) -> bool:
        """Read what came in meanwhile (kept for later); True if it wants another shape.

        A Start for the shape being warmed lets the warm-up finish: that is the work it needs.
        """
        other = False
        while True:
            try:
                if not self._commands.poll():
                    return other
                message = self._commands.recv()
            except (EOFError, OSError):
                self._later.append(("quit",))
                return True
            self._later.append(message)
            if message[0] == "quit":
                return True
            if message[0] in ("warm", "start") and self._key_of(message[1], message[2]) != key:
                other = True

    # running

    def _run(self, config: TrainConfig, loader: Loader, state: dict[str, Any]) -> bool:
        """One run; True if the app asked to quit meanwhile."""
        logdir = state.get("tensorboard")
        if logdir is not None:
            from digitpad.tensorboard_log import LoggedControl

            # The log needs the weights every chunk; the app's wish only thins what is sent.
            control: TrainControl = LoggedControl(state.get("snapshot_seconds"))
        else:
            control = TrainControl(state.get("snapshot_seconds"))
        if state.get("learning_rate") is not None:
            control.set_learning_rate(state["learning_rate"])
        if state.get("paused"):
            control.pause()
        if state.get("stepping"):
            control.step_epoch()
        return self._controlled(control, lambda: self._train(config, loader, control, logdir))

    def _controlled(self, control: Any, work: Callable[[], Any]) -> bool:
        """Do ``work`` (a run) with the app's control messages applied to ``control``; send
        the message it returns (or a RunFailed) last. True if the app asked to quit meanwhile.
        """
        listener = _ControlListener(self._commands, control, self._during_run)
        # What came while a warm-up finished: this run's control first, the rest after it.
        pending, self._later = self._later, []
        for message in pending:
            if not listener.handle(message):
                break
        listener.start()
        # The run's last message goes out only once its listener has stopped: the app may
        # start the next run the moment it reads it, and a Stop for that run must not be
        # taken by this run's listener.
        last = None
        try:
            last = work()
        except Exception as exc:
            details = None if isinstance(exc, DigitpadError) else traceback.format_exc()
            last = RunFailed(error_message(exc), details)
        finally:
            listener.stop()
            if last is not None:
                self.send(last)
        return listener.quit

    def _train(
        self, config: TrainConfig, loader: Loader, control: TrainControl, logdir: str | None
    ) -> RunResult | None:
        """Send a run's events; its RunResult is returned, to be sent last."""
        from digitpad import training

        data = self._data_for(loader)
        if control.cancelled:
            return RunResult(_not_started(config), None, None, data.sha256)
        events = training.train(config, data, control)
        if logdir is not None:
            from digitpad.tensorboard_log import record

            events = record(events, logdir, control)
        last = None
        initial_sent = None
        try:
            for event in events:
                if isinstance(event, training.Finished):
                    last = self._result(event, data.sha256)
                    continue
                if isinstance(event, training.EpochEnd) and control.paused:
                    self.send(ControlState(control.paused, control.stepping))
                if isinstance(event, training.Snapshot):
                    # The initial weights are the same in every snapshot of a run (5 MB
                    # for 800-800): sent once, put back by RunStream on the app's side.
                    if event.initial is initial_sent:
                        # Readers always get Layers; None exists only in transit.
                        event = replace(event, initial=None)  # type: ignore[arg-type]
                    else:
                        initial_sent = event.initial
                self.send(event)
        finally:
            events.close()
        self._warm_key = self._key_of(config, loader)  # its engine stays compiled
        return last

    def _during_run(self, message: tuple) -> None:
        if message[0] == "save":
            self._save_in_background(message[1], message[2])
        else:
            self._later.append(message)  # a warm-up, say: after this run

    @staticmethod
    def _result(finished: Finished, data_sha256: str) -> RunResult:
        if finished.model is None:
            return RunResult(finished, None, None, data_sha256)
        from digitpad.model import dense_weights
        from digitpad.store import run_meta

        meta = run_meta(finished, data_sha256)
        layers = tuple(dense_weights(finished.model))
        return RunResult(replace(finished, model=None), layers, meta, data_sha256)

    # teaching

    def _teach(self, request: TeachRequest, loader: Loader) -> bool:
        """One teaching run; True if the app asked to quit meanwhile."""
        from digitpad import teach

        control = teach.TeachControl()
        return self._controlled(control, lambda: self._taught(request, loader, control))

    def _taught(self, request: TeachRequest, loader: Loader, control: Any) -> TeachResult | None:
        """Send a teaching run's events; its TeachResult is returned, to be sent last."""
        from digitpad import teach
        from digitpad.store import ModelStore

        events = teach.teach(
            request.drawings,
            self._data_for(loader),
            base=request.base,
            user_store=request.user_store,
            store=ModelStore(request.store),
            name=request.name,
            overwrite=request.overwrite,
            settings=request.settings,
            control=control,
        )
        last = None
        try:
            for event in events:
                if isinstance(event, teach.TeachFinished):
                    # Saved here already; the app reads it back with the NumPy predictor.
                    last = TeachResult(replace(event, model=None))
                else:
                    self.send(event)
        finally:
            events.close()
        return last

    # saving

    def _save_in_background(self, request_id: int, request: SaveRequest) -> None:
        # Its own thread: a save during a run neither waits for the run nor holds it up.
        thread = threading.Thread(
            target=self._save, args=(request_id, request), name="digitpad-save", daemon=True
        )
        self._saves = [t for t in self._saves if t.is_alive()]
        self._saves.append(thread)
        thread.start()

    def _save(self, request_id: int, request: SaveRequest) -> None:
        try:
            folder = save_weights(request)
        except Exception as exc:
            details = None if isinstance(exc, DigitpadError) else traceback.format_exc()
            self.send(SaveReply(request_id, None, error_message(exc), details))
        else:
            self.send(SaveReply(request_id, str(folder), None))


def save_weights(request: SaveRequest) -> Path:
    """Build the Keras model for ``request`` from its weights and save it in its store."""
    from digitpad.model import build_model
    from digitpad.store import ModelStore, check_name

    check_name(request.name)
    model = build_model(request.config)
    model.set_weights([array for pair in request.layers for array in pair])
    store = ModelStore(request.store)
    return store.save(request.name, model, request.meta, overwrite=request.overwrite)


def _not_started(config: TrainConfig) -> Finished:
    return Finished(
        Outcome.CANCELLED, "before its first step", config, None, History(), None, 0.0, 0
    )


class _ControlListener:
    """During a run, applies the app's control messages to the run's control: a TrainControl,
    or a teaching run's, which only cancels."""

    def __init__(self, commands: Connection, control: Any, other: Callable[[tuple], None]) -> None:
        self._commands = commands
        self._control = control
        self._other = other
        self._stop = threading.Event()
        self.quit = False
        self._thread = threading.Thread(target=self._listen, name="digitpad-control", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()

    def _listen(self) -> None:
        while not self._stop.is_set():
            try:
                if not self._commands.poll(0.05):
                    continue
                message = self._commands.recv()
            except (EOFError, OSError):
                message = ("quit",)  # the app is gone: end the run, then the process
            if not self.handle(message):
                return

    def handle(self, message: tuple) -> bool:
        """Apply one message; False once the app asked to quit."""
        control = self._control
        if message[0] == "quit":
            self.quit = True
            control.cancel()
            return False
        if message[0] != "control":
            self._other(message)
            return True
        _, name, value = message
        if name == "cancel":
            control.cancel()
        elif not isinstance(control, TrainControl):
            pass  # a teaching run is only ever stopped
        elif name == "pause":
            control.pause()
        elif name == "resume":
            control.resume()
        elif name == "step_epoch":
            control.step_epoch()
        elif name == "learning_rate":
            control.set_learning_rate(value)
        elif name == "snapshot_seconds":
            control.snapshot_seconds = value
        return True


def report_bug(details: str) -> None:
    """A bug in the training process: its traceback goes to the app's stderr."""
    print("digitpad: unexpected error in the training process:", file=sys.stderr)
    print(details, file=sys.stderr, end="" if details.endswith("\n") else "\n")


__all__ = [
    "ControlState",
    "Event",
    "RemoteControl",
    "RemoteModel",
    "RunFailed",
    "RunResult",
    "RunStream",
    "SaveReply",
    "SaveRequest",
    "TeachRequest",
    "TeachResult",
    "TrainerDied",
    "TrainerProcess",
    "Warmed",
    "death_message",
    "save_weights",
    "wait_for_save",
]
