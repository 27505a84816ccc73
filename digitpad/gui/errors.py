"""How a worker thread's failure reaches people: one readable line, and a traceback for bugs."""

from __future__ import annotations

import sys
import traceback


def error_message(exc: BaseException) -> str:
    """A user-readable line: a :class:`DigitpadError` as is, anything else with its type."""
    # Imported here: the wording lives with the training process, which the views load lazily.
    from digitpad.training.process import error_message as message

    return message(exc)


def report_exception(exc: BaseException) -> None:
    """Print ``exc``'s traceback on stderr: not the user's fault, so keep it for whoever
    fixes it."""
    print("digitpad: unexpected error in a worker thread:", file=sys.stderr)
    traceback.print_exception(exc, file=sys.stderr)
