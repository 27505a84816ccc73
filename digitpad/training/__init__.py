"""Training: ``train(config, data)`` yields progress events; see the modules for each part.

- :mod:`~digitpad.training.events`: what a run reports (no TensorFlow; views import these).
- :mod:`~digitpad.training.control`: :class:`TrainControl`, steering a run from another thread.
- :mod:`~digitpad.training.engine`: the TensorFlow model, optimizer and compiled steps.
- :mod:`~digitpad.training.loop`: the loop itself, :func:`train` and :func:`train_to_end`.
"""

from digitpad.training.control import TrainControl
from digitpad.training.events import (
    DEAD_UNIT_IMAGES,
    EpochEnd,
    Event,
    Finished,
    History,
    Layers,
    LearningRateChanged,
    Outcome,
    Progress,
    Snapshot,
    Started,
    Validated,
)

_LOOP = ("chunk_steps", "train", "train_to_end")


def __getattr__(name: str):
    # The loop (and through it the engine) loads on first use, so that importing the event
    # types, as every view does, does not load the training machinery.
    if name in _LOOP:
        from digitpad.training import loop

        return getattr(loop, name)
    raise AttributeError(f"module 'digitpad.training' has no attribute {name!r}")


__all__ = [
    "DEAD_UNIT_IMAGES",
    "EpochEnd",
    "Event",
    "Finished",
    "History",
    "Layers",
    "LearningRateChanged",
    "Outcome",
    "Progress",
    "Snapshot",
    "Started",
    "TrainControl",
    "Validated",
    "chunk_steps",
    "train",
    "train_to_end",
]
