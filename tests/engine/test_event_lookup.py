"""nlu.server.events: Event.resolve_by_type remembers classes and answers as Rasa's own."""

from __future__ import annotations

import pytest
from rasa.shared.core.events import BotUttered, Event, UserUttered

from nlu.server.events import install_event_lookup

NAMES = [
    *("user", "bot", "action", "slot", "session_started", "pause", "resume", "restart"),
    *("user_featurization", "active_loop", "followup", "reset_slots", "rewind", "undo"),
]


def test_the_remembered_lookup_finds_the_classes_rasa_finds() -> None:
    expected = {name: Event.resolve_by_type(name) for name in NAMES}
    install_event_lookup()
    install_event_lookup()  # a second install changes nothing
    assert {name: Event.resolve_by_type(name) for name in NAMES} == expected
    assert {name: Event.resolve_by_type(name) for name in NAMES} == expected  # remembered
    assert UserUttered.resolve_by_type("bot") is BotUttered


def test_names_without_a_class_answer_as_before() -> None:
    install_event_lookup()
    assert Event.resolve_by_type("topic") is None
    assert Event.resolve_by_type("no_such_event", default=BotUttered) is BotUttered
    with pytest.raises(ValueError, match="Unknown event name"):
        Event.resolve_by_type("no_such_event")


def test_stored_events_read_back_the_same() -> None:
    install_event_lookup()
    events = [UserUttered("halo", {"name": "greet", "confidence": 1.0}), BotUttered("Halo!")]
    dumped = [event.as_dict() for event in events]
    assert [Event.from_parameters(d) for d in dumped] == events
