"""The runs trained since the window opened: each stays selectable until the window closes.

A run is its :class:`TrainResult` (what the worker hands back, whoever ran it), the label it is
shown under, and the name it was saved as, if it was. Nothing here touches Keras or Qt
widgets: the Train tab keeps the list, the model picker and the save dialog show it.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from digitpad.gui.train_worker import TrainResult
from digitpad.inference import Predictor
from digitpad.runs import RunLabel, untrained_reason
from digitpad.training.process import RemoteModel


@dataclass(eq=False)
class SessionRun:
    """One finished (or stopped, or diverged) run that produced weights."""

    result: TrainResult
    label: RunLabel
    predictor: Predictor
    """The run's weights under the label's name (the current model when the app adopts it)."""
    saved_as: str | None = None

    @property
    def test_accuracy(self) -> float | None:
        return self.label.test_accuracy

    @property
    def not_saveable(self) -> str | None:
        """Why this run's weights are not worth saving, or None."""
        finished = self.result.finished
        if finished.status == "diverged" and not finished.weights_trained:
            suggestion = finished.suggested_learning_rate
            hint = f" (try {suggestion:g})" if suggestion else ""
            return (
                "the run diverged before its first step trained: these are the initial "
                f"weights; lower the learning rate{hint} and train again"
            )
        return untrained_reason(self.label.status, self.label.test_accuracy)

    @property
    def unsaved(self) -> bool:
        """A model worth keeping that would be lost when the window closes."""
        return self.saved_as is None and self.not_saveable is None

    def text(self) -> str:
        """``unsaved run 02:48 · 97.93%`` (with ``partial: …`` for a run that did not finish)."""
        if self.saved_as:
            return f"{self.label.text()} · saved as {self.saved_as}"
        return self.label.text()


def make_run(result: TrainResult, started: str, total_steps: int, taken: set[str]) -> SessionRun:
    """The session entry for ``result`` of a run started at ``started`` (``HH:MM:SS``).

    Named ``unsaved run HH:MM``, or ``HH:MM:SS`` when another run of the session has that name.
    """
    assert result.predictor is not None
    finished = result.finished
    accuracy = finished.evaluation.accuracy if finished.evaluation else None
    label = RunLabel(started[:5], finished.status, accuracy, finished.steps, total_steps)
    if label.name in taken:
        label = RunLabel(started, finished.status, accuracy, finished.steps, total_steps)
    number = 2
    while label.name in taken:  # two runs started within one second: quick clicks
        label = RunLabel(f"{started} ({number})", finished.status, accuracy, finished.steps,
                         total_steps)  # fmt: skip
        number += 1
    old = result.predictor
    predictor = Predictor(old.layers, old.activation, label.name, dict(old.meta))
    # The run is its weights and meta from here on: a Keras model (megabytes, from a run in
    # this process) is let go and a save rebuilds it from the weights; a run from the training
    # process keeps its handle, so that it is saved there and Keras never loads here.
    model = finished.model if isinstance(finished.model, RemoteModel) else None
    kept = replace(result, finished=replace(finished, model=model))
    return SessionRun(kept, label, predictor)
