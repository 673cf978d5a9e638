"""Base class of every custom action: run() never raises and ends within ACTION_DEADLINE."""

# An exception out of run() makes rasa-sdk answer HTTP 500 with the whole request body (the
# tracker: messages, metadata) and Rasa log it; a slow action makes the bot give up on Rasa
# while the answer is still recorded. So every action runs under a budget, on a dispatcher of
# its own, and any failure becomes one polite message and one log line without identifiers.

from __future__ import annotations

import abc
import asyncio
import logging
import traceback
from pathlib import Path
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.interfaces import ActionExecutionRejection

from actions.texts import ACTION_FAILED_TEXT, Button
from core.env import env_seconds

log = logging.getLogger(__name__)

ACTION_DEADLINE_ENV = "ACTION_DEADLINE"
# Above the program API client's own total deadline (PROGRAM_API_DEADLINE, 6 s), below the bot's
# RASA_TIMEOUT (10 s): a last line of defence, not the normal way out.
DEFAULT_ACTION_DEADLINE = 8.0


def action_deadline() -> float:
    """Seconds one action may take: ACTION_DEADLINE if it is a positive number, else 8."""
    return env_seconds(ACTION_DEADLINE_ENV, DEFAULT_ACTION_DEADLINE)


def _where(exc: BaseException) -> str:
    """'file.py:123' of the innermost frame: enough to find a bug, free of user data."""
    frames = traceback.extract_tb(exc.__traceback__)
    if not frames:
        return "?"
    return f"{Path(frames[-1].filename).name}:{frames[-1].lineno}"


class SafeAction(Action, metaclass=abc.ABCMeta):
    """A custom action whose `act` may fail or hang; `run` still answers politely."""

    # What the user reads when `act` fails; subclasses pick words that fit their topic.
    failure_text: str = ACTION_FAILED_TEXT
    failure_buttons: tuple[Button, ...] = ()

    @abc.abstractmethod
    def name(self) -> str:
        """The action's name in domain.yml."""

    @abc.abstractmethod
    async def act(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        """The action itself; may raise anything."""

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        """Run `act` within the budget; on any failure, apologise and return no events."""
        budget = action_deadline()
        # Messages are kept apart until `act` succeeds: half an answer plus an apology confuses.
        own = CollectingDispatcher()
        loop = asyncio.get_running_loop()
        started = loop.time()
        try:
            events = await asyncio.wait_for(self.act(own, tracker, domain), budget)
            if not isinstance(events, list):
                raise TypeError(f"events must be a list, not {type(events).__name__}")
        except ActionExecutionRejection:
            raise  # a deliberate signal to Rasa (forms), not a failure
        except Exception as exc:
            if isinstance(exc, asyncio.TimeoutError) and loop.time() - started >= budget:
                log.warning("action %s ran out of its %.1f s budget", self.name(), budget)
            else:
                # Type and place only: the exception's text may hold a reference or user input.
                where = _where(exc)
                log.error("action %s failed: %s at %s", self.name(), type(exc).__name__, where)
        else:
            dispatcher.messages.extend(own.messages)
            return events
        dispatcher.utter_message(
            text=self.failure_text, buttons=[dict(b) for b in self.failure_buttons]
        )
        return []
