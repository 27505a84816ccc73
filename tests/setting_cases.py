"""Values just inside and just outside every limit of a training setting, from its declaration.

Shared by ``test_settings.py`` (the CLI and the dataclass) and ``gui/test_config_form.py``
(the form), so that both walk the same edges of every field, including fields added later.
"""

from __future__ import annotations

import math
from typing import Any

from digitpad.config import SETTINGS
from digitpad.setting import Setting


def inside(spec: Setting) -> list[Any]:
    """Allowed values at (or a hair inside) each limit."""
    if spec.choices:
        return list(spec.choices)
    if spec.kind is bool:
        return [True, False]
    low, high = spec.low, spec.high
    if spec.kind is tuple:
        return [(int(low),), (int(high),), (int(low),) * spec.max_items]
    if spec.kind is int:
        return [int(low), int(high)]
    return [
        math.nextafter(low, math.inf) if spec.low_open else low,
        math.nextafter(high, -math.inf) if spec.high_open else high,
    ]


def outside(spec: Setting) -> list[Any]:
    """Refused values at (or a hair outside) each limit."""
    if spec.choices:
        return ["no-such-" + spec.name]
    if spec.kind is bool:
        return []  # a switch cannot be set to anything else
    low, high = spec.low, spec.high
    if spec.kind is tuple:
        return [(int(low) - 1,), (int(high) + 1,), (int(low),) * (spec.max_items + 1)]
    if spec.kind is int:
        return [int(low) - 1, int(high) + 1]
    return [
        low if spec.low_open else math.nextafter(low, -math.inf),
        high if spec.high_open else math.nextafter(high, math.inf),
    ]


# Text a person types that must be refused, whatever the number field.
GARBAGE = ["", "abc", "nan", "inf", "-inf", "1,5"]

NUMBER_FIELDS = [name for name, spec in SETTINGS.items() if spec.kind in (int, float)]
