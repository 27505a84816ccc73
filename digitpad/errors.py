"""Errors a user can act on.

Everything raised as a :class:`DigitpadError` is the user's to fix (a bad file, a bad setting, an
unknown model name); the CLI prints it as one line and exits with status 2, and the GUI shows it
in a dialog. Anything else is a bug and keeps its traceback.
"""


class DigitpadError(Exception):
    """A problem with the user's input or files, described in one readable line."""


class DataError(DigitpadError):
    """The MNIST data is missing, unreadable, malformed or altered."""


class ConfigError(DigitpadError):
    """A training setting is invalid; ``field`` names it."""

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(f"{field}: {reason}")
        self.field = field
        self.reason = reason


class StoreError(DigitpadError):
    """A model could not be found, read or written."""
