"""Reading numeric settings from the environment in the processes that have no settings class."""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from typing import TypeVar

Number = TypeVar("Number", int, float)

log = logging.getLogger(__name__)


def env_seconds(name: str, default: float) -> float:
    """A positive number of seconds from the environment variable ``name``, else ``default``."""
    raw = os.environ.get(name)
    if raw is None or not raw.strip():
        return default
    try:
        value = float(raw)
    except ValueError:
        value = -1.0
    if not value > 0:  # also rejects NaN
        log.warning("%s=%r is not a positive number of seconds; using %s", name, raw, default)
        return default
    return value


def env_number(
    name: str, default: Number, convert: Callable[[str], Number], minimum: Number, what: str
) -> Number:
    """``name`` from the environment as a number of at least ``minimum`` (``default`` if unset).

    A wrong value is a :class:`ValueError` whose text is one sentence naming the variable
    (``LOG_MAX_BYTES must be a whole number, not 'big'.``), for start-up to print and stop.
    """
    raw = (os.environ.get(name) or "").strip()
    if not raw:
        return default
    try:
        value = convert(raw)
    except ValueError:
        raise ValueError(f"{name} must be {what}, not {raw[:20]!r}.") from None
    if not value >= minimum:  # also rejects NaN
        raise ValueError(f"{name} must be at least {minimum}, not {raw[:20]!r}.")
    return value
