"""Reading numeric settings from the environment in the processes that have no settings class."""

from __future__ import annotations

import logging
import os

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
