"""What a finished training run is worth keeping, and how to call it before it has a name.

A run is described by what survives it whatever runs it (this process or another): its status
(``completed``, ``cancelled``, ``diverged``), its test accuracy and its step counts. No Keras
objects here, so the window and the command line judge runs the same way.
"""

from __future__ import annotations

from dataclasses import dataclass

UNTRAINED_ACCURACY = 0.2
"""Ten digits: guessing scores 10%. A diverged run no better than twice that never learned."""


def untrained_reason(status: str, test_accuracy: float | None) -> str | None:
    """Why a run's weights are not a model worth saving, or None if they are.

    A run that diverged keeps its last finite weights; when those read digits no better than
    guessing, saving them would only put a useless model among the good ones.
    """
    if test_accuracy is None:
        return "the run stopped before its first step: there are no weights"
    if status == "diverged" and test_accuracy <= UNTRAINED_ACCURACY:
        return (
            f"the run diverged before it learned anything (test accuracy {test_accuracy:.2%}); "
            "lower the learning rate and train again"
        )
    return None


@dataclass(frozen=True)
class RunLabel:
    """How an unsaved run is called in the window: ``unsaved run 02:48 · 97.93%``."""

    started: str
    """The wall-clock time the run started, ``HH:MM`` (``HH:MM:SS`` when minutes collide)."""
    status: str
    test_accuracy: float | None
    steps: int = 0
    total_steps: int = 0

    @property
    def partial(self) -> bool:
        return self.status != "completed"

    @property
    def name(self) -> str:
        return f"unsaved run {self.started}"

    def text(self) -> str:
        """The name, accuracy and, for a run that did not complete, what it is."""
        parts = [self.name]
        if self.test_accuracy is not None:
            parts.append(f"{self.test_accuracy:.2%}")
        if self.status == "cancelled":
            where = f" at step {self.steps:,} of {self.total_steps:,}" if self.total_steps else ""
            parts.append(f"partial: stopped{where}")
        elif self.status == "diverged":
            parts.append("partial: diverged (last good weights)")
        return " · ".join(parts)


def plural(count: int, word: str) -> str:
    """``1 step``, ``2 steps``, ``1,000 steps``."""
    return f"{count:,} {word}{'' if count == 1 else 's'}"
