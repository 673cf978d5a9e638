"""Event classes looked up once per name, not by walking every Event subclass per event.

Reading a stored tracker turns each event's JSON back into an ``Event``, and for each one Rasa's
``Event.resolve_by_type`` lists all Event subclasses again (recursively, checking each for
abstract methods) to find the one of that name. Once a conversation had a few turns this was a
fifth of a turn's CPU, and most of why a turn cost more the longer the conversation (below the
bound of ``bounded.py``). The class found for a name is remembered; a name that matches no class
(``topic``, an unknown one) is looked up the original way each time, so it answers as before.
"""

from __future__ import annotations

from typing import Any

from rasa.shared.core.events import Event

_CLASSES: dict[str, type[Event]] = {}


def install_event_lookup() -> None:
    """Make ``Event.resolve_by_type`` remember the class of each event name (idempotent)."""
    current = Event.__dict__["resolve_by_type"].__func__
    if getattr(current, "_remembers", False):
        return

    def resolve_by_type(type_name: str, default: Any = None) -> Any:
        found = _CLASSES.get(type_name)
        if found is not None:
            return found
        cls = current(type_name, default)
        if cls is not None and getattr(cls, "type_name", None) == type_name:
            _CLASSES[type_name] = cls
        return cls

    resolve_by_type._remembers = True  # type: ignore[attr-defined]
    resolve_by_type.__doc__ = current.__doc__
    Event.resolve_by_type = staticmethod(resolve_by_type)  # type: ignore[method-assign,assignment]
