"""Tests for the clarification flow in actions/fallback.py (engine venv)."""

from typing import Any

import pytest
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.fallback import ActionClarifyIntent, consecutive_misses, top_topics
from actions.texts import INTENT_LABELS

RANKING = [
    {"name": "nlu_fallback", "confidence": 0.5},
    {"name": "ask_announcement", "confidence": 0.41},
    {"name": "out_of_scope", "confidence": 0.2},
    {"name": "check_status", "confidence": 0.35},
    {"name": "greet", "confidence": 0.01},
]


def user(intent: str, text: str = "x") -> dict[str, Any]:
    return {
        "event": "user",
        "text": text,
        "parse_data": {"intent": {"name": intent, "confidence": 0.4}, "intent_ranking": RANKING},
    }


def action(name: str) -> dict[str, Any]:
    return {"event": "action", "name": name}


def tracker(events: list[dict[str, Any]]) -> Tracker:
    latest = events[-1]["parse_data"] if events and events[-1]["event"] == "user" else {}
    return Tracker(
        sender_id="t",
        slots={},
        latest_message={**latest, "text": "x"},
        events=events,
        paused=False,
        followup_action=None,
        active_loop={},
        latest_action_name="action_listen",
    )


def run(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    dispatcher = CollectingDispatcher()
    result = ActionClarifyIntent().run(dispatcher, tracker(events), {})
    import asyncio

    events_out = asyncio.run(result)
    assert events_out == []
    return dispatcher.messages


def test_name_follows_convention() -> None:
    assert ActionClarifyIntent().name() == "action_clarify_intent"


def test_top_topics_skips_non_topics_and_sorts() -> None:
    assert top_topics(RANKING) == ["ask_announcement", "check_status"]


def test_top_topics_empty() -> None:
    assert top_topics([]) == []


def test_first_miss_offers_two_topics_as_buttons() -> None:
    msgs = run(
        [
            action("action_listen"),
            user("greet"),
            action("utter_greet"),
            action("action_listen"),
            user("nlu_fallback"),
        ]
    )
    assert len(msgs) == 1
    payloads = [b["payload"] for b in msgs[0]["buttons"]]
    assert payloads[:2] == ["/ask_announcement", "/check_status"]
    assert "/request_human" not in payloads
    assert msgs[0]["buttons"][0]["title"] == INTENT_LABELS["ask_announcement"]


def test_second_miss_in_a_row_offers_human() -> None:
    events = [
        action("action_listen"),
        user("nlu_fallback"),
        action("action_clarify_intent"),
        action("action_listen"),
        user("nlu_fallback"),
    ]
    assert consecutive_misses(tracker(events)) == 2
    msgs = run(events)
    payloads = [b["payload"] for b in msgs[0]["buttons"]]
    assert "/request_human" in payloads


def test_deny_after_clarification_keeps_the_streak() -> None:
    events = [
        user("nlu_fallback"),
        action("action_clarify_intent"),
        action("action_listen"),
        user("deny"),
        action("utter_deny"),
        action("action_listen"),
        user("nlu_fallback"),
    ]
    assert consecutive_misses(tracker(events)) == 2


def test_a_understood_message_resets_the_streak() -> None:
    events = [
        user("nlu_fallback"),
        action("action_clarify_intent"),
        action("action_listen"),
        user("ask_benefits"),
        action("utter_ask_benefits"),
        action("action_listen"),
        user("nlu_fallback"),
    ]
    assert consecutive_misses(tracker(events)) == 1
    msgs = run(events)
    assert "/request_human" not in [b["payload"] for b in msgs[0]["buttons"]]


def test_new_session_resets_the_streak() -> None:
    events = [
        user("nlu_fallback"),
        action("action_clarify_intent"),
        {"event": "session_started"},
        action("action_listen"),
        user("nlu_fallback"),
    ]
    assert consecutive_misses(tracker(events)) == 1


@pytest.mark.parametrize("payload_intent", sorted(INTENT_LABELS))
def test_payloads_fit_telegram_limit(payload_intent: str) -> None:
    assert len(f"/{payload_intent}".encode()) <= 60
    assert len(INTENT_LABELS[payload_intent]) <= 40


def test_no_topics_asks_to_rephrase() -> None:
    events = [user("nlu_fallback")]
    events[0]["parse_data"]["intent_ranking"] = [{"name": "nlu_fallback", "confidence": 0.9}]
    msgs = run(events)
    assert "buttons" not in msgs[0] or not msgs[0]["buttons"]
    assert "tulis ulang" in msgs[0]["text"]


def test_every_answerable_domain_intent_has_a_label() -> None:
    from pathlib import Path

    import yaml

    domain = yaml.safe_load((Path(__file__).resolve().parents[2] / "domain.yml").read_text())
    conversational = {
        "greet",
        "goodbye",
        "thank",
        "affirm",
        "deny",
        "bot_challenge",
        "out_of_scope",
        "unclear",
        "status_verified",
    }
    missing = [i for i in domain["intents"] if i not in conversational and i not in INTENT_LABELS]
    assert missing == []
    assert set(INTENT_LABELS) <= set(domain["intents"])


def test_a_vague_follow_up_counts_as_a_miss() -> None:
    events = [
        {"event": "user", "parse_data": {"intent": {"name": "unclear"}}},
        {"event": "action", "name": "action_clarify_intent"},
        {"event": "action", "name": "action_listen"},
        {"event": "user", "parse_data": {"intent": {"name": "unclear"}}},
    ]
    tracker = Tracker("s", {}, {}, events, False, None, {}, "action_listen")
    assert consecutive_misses(tracker) == 2
