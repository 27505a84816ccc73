"""One training setting's declaration: everything about a field of
:class:`~digitpad.config.TrainConfig` in one place.

A :class:`Setting` knows its kind, limits, choices, help, form label and CLI spelling; it reads
typed text (:meth:`Setting.parse`, shared by the ``train`` flags and the form's editors) and
checks values (:meth:`Setting.check`, which ``TrainConfig.validate`` calls per field). Text is
read exactly as typed: nothing is rounded or clamped, and a refusal says why.
"""

from __future__ import annotations

import dataclasses
import math
import re
import typing
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from digitpad.errors import ConfigError

_TRUE = ("1", "true", "yes", "on")
_FALSE = ("0", "false", "no", "off")


def format_number(value: float | int | None) -> str:
    """``value`` as short text that reads back as exactly the same number.

    Twelve significant digits when those are exact, else Python's shortest exact form (so
    ``0.1 + 0.2`` shows its true ``0.30000000000000004``); exponents unpadded (``1e-5``).
    """
    if value is None:
        return ""
    if isinstance(value, int):
        return str(value)
    text = f"{value:.12g}"
    if float(text) != value:
        text = repr(value)
    mantissa, e, exponent = text.partition("e")
    return f"{mantissa}e{int(exponent)}" if e else text


@dataclass(frozen=True)
class Setting:
    """Everything about one training setting; ``name``, ``kind`` and ``default`` come from
    the :class:`TrainConfig` field that declares it.

    Numbers lie in ``[low, high]``, each end excluded when its ``*_open`` flag is set; a list
    (``kind`` tuple) holds 1 to ``max_items`` whole numbers, each in ``[low, high]``.
    """

    label: str  # the form's row label
    help: str  # what it does, one line; the allowed values are added by help_text
    flags: tuple[str, ...] = ()  # CLI spellings; () means --name-with-dashes
    low: float | None = None
    high: float | None = None
    low_open: bool = False
    high_open: bool = False
    choices: Mapping[str, str] = dataclasses.field(default_factory=dict)  # key: readable label
    max_items: int = 1
    step: float = 1.0  # the form's Up/Down arrow step
    adaptive_step: bool = False  # step a tenth of the value's decade: 0.001 -> 0.0011
    unit: str = ""  # shown after the form's editor
    hint: str = ""  # the form's placeholder text, or a check box's caption
    used_when: tuple[str, str] | None = None  # (field, value): meaningful only then
    name: str = ""
    kind: type = object
    default: Any = None

    @property
    def cli_flags(self) -> tuple[str, ...]:
        return self.flags or ("--" + self.name.replace("_", "-"),)

    @property
    def help_text(self) -> str:
        """The help with the allowed values, for tooltips and ``--help``."""
        allowed = self.allowed_text()
        return f"{self.help}; {allowed}" if allowed else self.help

    def allowed_text(self) -> str:
        """The allowed values in words, e.g. ``in (0, 100]`` or ``1 to 1000``."""
        if self.choices:
            return "one of " + ", ".join(self.choices)
        if self.kind is tuple:
            return (
                f"1 to {self.max_items} widths, each {format_number(self.low)} "
                f"to {format_number(self.high)}"
            )
        if self.kind is int:
            return f"{format_number(self.low)} to {format_number(self.high)}"
        if self.kind is float:
            return f"in {self.interval()}"
        return ""

    def interval(self) -> str:
        left, right = "(" if self.low_open else "[", ")" if self.high_open else "]"
        return f"{left}{format_number(self.low)}, {format_number(self.high)}{right}"

    # --- text in, value out ---------------------------------------------------------------

    def parse(self, text: str) -> Any:
        """The value typed as ``text`` (a flag's argument, an editor's text), checked.

        Never rounds or clamps: a value that cannot be taken exactly as typed is a
        :class:`ConfigError` saying why.
        """
        stripped = text.strip()
        if self.kind is tuple:
            value: Any = parse_widths(stripped, self.name)
        elif self.kind is bool:
            if stripped.lower() not in _TRUE + _FALSE:
                raise self.error(f"expected true or false, not {text!r}")
            value = stripped.lower() in _TRUE
        elif self.kind is int:
            if not stripped:
                raise self.error("needs a whole number")
            try:
                value = int(stripped)
            except ValueError:
                raise self.error(f"{text!r} is not a whole number") from None
        elif self.kind is float:
            if not stripped:
                raise self.error("needs a number")
            try:
                value = float(stripped)
            except ValueError:
                raise self.error(f"{text!r} is not a number{_point_hint(stripped)}") from None
            if not math.isfinite(value):
                raise self.error(f"{text!r} is not a finite number")
        else:
            value = stripped
        self.check(value, shown=stripped)
        return value

    def format(self, value: Any) -> str:
        """``value`` as text that :meth:`parse` reads back as the same value."""
        if self.kind is tuple:
            return ",".join(str(item) for item in value)
        if self.kind is bool:
            return "true" if value else "false"
        if self.kind in (int, float):
            return format_number(value)
        return str(value)

    # --- checking a value -----------------------------------------------------------------

    def check(self, value: Any, *, shown: str | None = None) -> None:
        """Return if ``value`` is allowed, else raise :class:`ConfigError` naming this field.

        ``shown`` is the value as the user typed it, quoted instead of the number's own text.
        """
        if self.choices:
            if value not in self.choices:
                choices = ", ".join(self.choices)
                raise self.error(f"unknown value {value!r} (choose {choices})")
        elif self.kind is bool:
            if not isinstance(value, bool):
                raise self.error(f"must be true or false, not {value!r}")
        elif self.kind is tuple:
            self._check_items(value)
        elif self.kind is int:
            self._check_int(value, shown)
        elif self.kind is float:
            self._check_float(value, shown)

    def error(self, reason: str) -> ConfigError:
        return ConfigError(self.name, reason)

    def _check_float(self, value: Any, shown: str | None = None) -> None:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise self.error(f"{value!r} is not a number")
        if not math.isfinite(value):
            raise self.error(f"must be a finite number, not {value}")
        low, high = typing.cast(float, self.low), typing.cast(float, self.high)
        if value < low or (self.low_open and value == low):
            need = f"{'more than' if self.low_open else 'at least'} {format_number(low)}"
        elif value > high or (self.high_open and value == high):
            need = f"{'less than' if self.high_open else 'at most'} {format_number(high)}"
        else:
            return
        shown = shown or format_number(value)
        raise self.error(f"{shown} is outside {self.interval()}: must be {need}")

    def _check_int(self, value: Any, shown: str | None = None) -> None:
        if isinstance(value, bool) or not isinstance(value, int):
            raise self.error(f"{value!r} is not a whole number")
        if not self.low <= value <= self.high:  # type: ignore[operator]
            low, high = format_number(self.low), format_number(self.high)
            raise self.error(f"{shown or value} must be between {low} and {high}")

    def _check_items(self, value: Any) -> None:
        if not isinstance(value, tuple) or not value:
            raise self.error(f"needs at least one {self.label.lower().rstrip('s')} width")
        if len(value) > self.max_items:
            raise self.error(f"at most {self.max_items} {self.label.lower()}, not {len(value)}")
        for item in value:
            if isinstance(item, bool) or not isinstance(item, int):
                raise self.error(f"width {item!r} is not a whole number")
            if not self.low <= item <= self.high:  # type: ignore[operator]
                raise self.error(
                    f"width {item} must be between {format_number(self.low)} "
                    f"and {format_number(self.high)}"
                )


def _point_hint(text: str) -> str:
    """A hint for a decimal comma (``0,5``): the numbers here are written with a point."""
    try:
        float(text.replace(",", "."))
    except ValueError:
        return ""
    return f" (write {text.replace(',', '.')})" if text.count(",") == 1 else ""


def setting(default: Any, label: str, help: str, **details: Any) -> Any:
    """A :class:`TrainConfig` field with its :class:`Setting` (see there for ``details``)."""
    return dataclasses.field(
        default=default, metadata={"setting": Setting(label=label, help=help, **details)}
    )


def parse_widths(value: Any, name: str = "hidden") -> tuple[int, ...]:
    """Layer widths from ``"200"``, ``"50,30"``, ``"50-30"`` or a sequence of ints (unchecked:
    :meth:`Setting.check` says whether they are allowed)."""
    if isinstance(value, str):
        if re.search(r"(^|[,\s])-", value.strip()):  # "-5" is a negative width, not "5"
            raise ConfigError(name, f"{value!r}: widths must be positive")
        parts = [p for p in value.replace("-", ",").replace(" ", ",").split(",") if p]
        try:
            value = [int(p) for p in parts]
        except ValueError:
            raise ConfigError(name, f"{value!r} is not a list of whole numbers") from None
    try:
        widths = tuple(value)
    except TypeError:
        raise ConfigError(name, f"{value!r} is not a list of widths") from None
    return widths
