"""Clarification flow for low-confidence messages (nlu_fallback and core fallback)."""

from __future__ import annotations

import logging
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.base import SafeAction
from actions.texts import (
    B_HUMAN,
    B_NONE_OF_THESE,
    CLARIFY_ASK_TEXT,
    CLARIFY_OFFER_HUMAN_TEXT,
    CLARIFY_REPHRASE_TEXT,
    INTENT_LABELS,
    button,
)

logger = logging.getLogger(__name__)

# never offered as a topic button
_NOT_OFFERED = {
    "nlu_fallback",
    "unclear",
    "out_of_scope",
    "status_verified",
    "greet",
    "goodbye",
    "thank",
    "affirm",
    "deny",
    "bot_challenge",
}


# a message the assistant could not place: low confidence, or a vague follow-up
MISSED_INTENTS = frozenset({"nlu_fallback", "unclear"})


def top_topics(intent_ranking: list[dict[str, Any]], n: int = 2) -> list[str]:
    """Return the n most likely answerable intents from an NLU intent ranking."""
    ranked = sorted(intent_ranking or [], key=lambda r: r.get("confidence") or 0.0, reverse=True)
    topics: list[str] = []
    for item in ranked:
        name = item.get("name")
        if name in INTENT_LABELS and name not in _NOT_OFFERED and name not in topics:
            topics.append(name)
        if len(topics) == n:
            break
    return topics


def consecutive_misses(tracker: Tracker) -> int:
    """Count the user turns in a row (latest included) that ended in a clarification."""
    misses = 0
    user_turn_missed = False
    for event in reversed(tracker.events):
        etype = event.get("event")
        if etype == "action" and event.get("name") == ActionClarifyIntent.NAME:
            user_turn_missed = True
        elif etype == "user":
            intent = (event.get("parse_data") or {}).get("intent", {}).get("name")
            if intent == "deny" and not user_turn_missed:
                # "none of these" after a clarification keeps the streak going
                continue
            if intent in MISSED_INTENTS or user_turn_missed:
                misses += 1
                user_turn_missed = False
            else:
                break
        elif etype in ("session_started", "restart"):
            break
    return misses


class ActionClarifyIntent(SafeAction):
    """Ask which topic was meant; after a second miss in a row offer staff."""

    NAME = "action_clarify_intent"
    # If even the clarification breaks, asking to rephrase is still the right answer.
    failure_text = CLARIFY_REPHRASE_TEXT

    def name(self) -> str:
        """Name in domain.yml."""
        return self.NAME

    async def act(
        self,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: dict[str, Any],
    ) -> list[dict[str, Any]]:
        """Offer the likeliest topics as buttons, or staff after repeated misses."""
        ranking = tracker.latest_message.get("intent_ranking") or []
        misses = consecutive_misses(tracker)
        # the current message is the latest user event; count it even if the action
        # event for it is not in the tracker yet
        if misses == 0:
            misses = 1
        topics = top_topics(ranking)
        logger.debug("clarify: misses=%s topics=%s", misses, topics)

        if misses >= 2:
            buttons = [button(INTENT_LABELS[t], t) for t in topics[:1]] + [dict(B_HUMAN)]
            dispatcher.utter_message(text=CLARIFY_OFFER_HUMAN_TEXT, buttons=buttons)
            return []

        if topics:
            buttons = [button(INTENT_LABELS[t], t) for t in topics]
            buttons.append(dict(B_NONE_OF_THESE))
            dispatcher.utter_message(text=CLARIFY_ASK_TEXT, buttons=buttons)
        else:
            dispatcher.utter_message(text=CLARIFY_REPHRASE_TEXT)
        return []
