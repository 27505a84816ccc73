"""Progress of long NumPy work that runs as a generator.

The take-apart computations (the hidden map, pruning and robustness curves) are generators
that yield :class:`Progress` between steps and their result last. The caller decides what to
do with them: the GUI's worker forwards each as a signal and stops between steps when asked;
a test or benchmark just keeps the last item (:func:`run_to_end`).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Progress:
    """``done`` of ``total`` steps, and what is being done."""

    done: int
    total: int
    message: str = ""

    @property
    def fraction(self) -> float:
        return self.done / self.total if self.total else 1.0


def run_to_end(steps: Iterable[Any]) -> Any:
    """Run a progress generator to its end and return its last item (the result)."""
    result = None
    for item in steps:
        result = item
    return result
