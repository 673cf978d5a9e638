"""The Rasa server's logging: the shared text or JSON lines (core.logs), Rasa's structlog too.

Rasa logs through python logging and through structlog (``structlogger.debug("event", key=…)``).
Both end in the same root handlers, so under ``LOG_FORMAT=json`` every line is one JSON object
with the bot's fields, and identifiers are masked (``core.redaction``) on the way.
"""

from __future__ import annotations

import logging
from typing import Any

from core.logs import (
    LogSettings,
    configure_process_logging,
    propagate_to_root,
    reformat_all_handlers,
)

PROCESS_NAME = "rasa"
_DROPPED_KEYS = ("level", "timestamp", "logger", "logger_name")


def structlog_to_logging(_: Any, __: str, event_dict: dict[str, Any]) -> dict[str, Any]:
    """Last structlog processor: ``event key=value …`` as the message of a stdlib record."""
    event = str(event_dict.pop("event", ""))
    exc_info = event_dict.pop("exc_info", None)
    for key in _DROPPED_KEYS:
        event_dict.pop(key, None)
    details = " ".join(f"{key}={value!r}" for key, value in event_dict.items())
    return {"msg": f"{event} {details}".rstrip(), "exc_info": exc_info}


def configure_structlog(level: int) -> None:
    """Rasa's structlog pipeline (level filter, anonymizer, context), rendered into logging."""
    import structlog
    from rasa.utils.log_utils import _anonymizer

    structlog.configure(
        processors=[
            _anonymizer,
            structlog.stdlib.filter_by_level,
            structlog.contextvars.merge_contextvars,
            structlog.processors.StackInfoRenderer(),
            structlog.processors.UnicodeDecoder(),
            structlog.dev.set_exc_info,
            structlog_to_logging,
        ],
        context_class=dict,
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.make_filtering_bound_logger(level),
        cache_logger_on_first_use=True,
    )


def configure_logging(level_name: str | None = None) -> logging.Formatter:
    """LOG_LEVEL / LOG_FORMAT / LOG_DIR for Rasa; :class:`ValueError` names a wrong variable.

    Returns the formatter: call :func:`core.logs.reformat_all_handlers` with it once Sanic
    has installed its own handlers (when the app is built).
    """
    settings = LogSettings.from_env(level_name)
    formatter = configure_process_logging(PROCESS_NAME, settings)
    from rasa.utils.common import configure_logging_and_warnings  # after: its import warns

    level = logging.getLevelName(settings.level)
    # Rasa's levels for itself and its libraries, its repeated-log filter and warning filters.
    configure_logging_and_warnings(level, None, warn_only_once=True, filter_repeated_logs=True)
    configure_structlog(level)
    logging.getLogger("nlu").setLevel(level)
    return formatter


__all__ = [
    "configure_logging",
    "propagate_to_root",
    "reformat_all_handlers",
    "structlog_to_logging",
]
