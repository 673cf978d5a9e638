"""The bot's authenticated conversation channel: ``/webhooks/asisten/webhook`` and ``/erase``.

It replaces Rasa's REST channel, which lets anyone converse as any sender with any metadata
(including a forged ``applicant_ref``). Every request needs ``Authorization: Bearer
<RASA_TOKEN>``; without it nothing reaches the agent.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from rasa.core.channels.channel import CollectingOutputChannel, InputChannel, UserMessage
from rasa.shared.exceptions import RasaException
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from core.secrets import MissingSecret, bearer_matches, require_secret
from nlu.server.trackers import erase_conversation

logger = logging.getLogger(__name__)

MAX_SENDER_LENGTH = 255  # the width of ``events.sender_id`` in Rasa's SQL tracker store


def unauthorized() -> HTTPResponse:
    """The answer to a request without the right bearer token."""
    return response.json(
        {"error": "unauthorized"}, status=401, headers={"WWW-Authenticate": "Bearer"}
    )


def bad_request(reason: str) -> HTTPResponse:
    """The answer to a malformed body."""
    return response.json({"error": reason}, status=400)


def _json_body(request: Request) -> dict[str, Any] | None:
    """The request's JSON object, or None when the body is not one."""
    try:
        body = request.json
    except Exception:  # Sanic raises its own InvalidUsage on broken JSON
        return None
    return body if isinstance(body, dict) else None


def _valid_sender(sender: object) -> bool:
    """A non-empty string that fits Rasa's SQL ``sender_id`` column."""
    return isinstance(sender, str) and 0 < len(sender) <= MAX_SENDER_LENGTH


class BotChannel(InputChannel):
    """Rasa input channel for the bot: REST-channel semantics behind a bearer token."""

    def __init__(self, token: str) -> None:
        """Keep the token every request must carry."""
        if not token:
            raise RasaException("BotChannel needs a non-empty RASA_TOKEN")
        self._token = token

    @classmethod
    def name(cls) -> str:
        """Routes live under ``/webhooks/asisten/``."""
        return "asisten"

    @classmethod
    def from_credentials(cls, credentials: dict[str, Any] | None) -> BotChannel:
        """The token from ``RASA_TOKEN`` / ``RASA_TOKEN_FILE``, never from credentials.yml."""
        try:
            return cls(require_secret("RASA_TOKEN"))
        except MissingSecret as exc:
            raise RasaException(str(exc)) from exc

    def authorized(self, request: Request) -> bool:
        """Whether the request carries ``Authorization: Bearer <RASA_TOKEN>``."""
        return bearer_matches(request.headers.get("Authorization"), self._token)

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        """The channel's routes: health, webhook and erase."""
        module = inspect.getmodule(self)
        bp = Blueprint(
            f"asisten_webhook_{type(self).__name__}", module.__name__ if module else None
        )

        @bp.route("/", methods=["GET"])
        async def health(request: Request) -> HTTPResponse:
            """Liveness of the channel (no data, so no token)."""
            return response.json({"status": "ok"})

        @bp.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> HTTPResponse:
            """One user message in, the bot's answers out (the REST channel's list)."""
            if not self.authorized(request):
                return unauthorized()
            body = _json_body(request)
            if body is None:
                return bad_request("body must be a JSON object")
            sender, text = body.get("sender"), body.get("message")
            metadata = body.get("metadata")
            if not _valid_sender(sender):
                return bad_request("sender must be a non-empty string")
            if not isinstance(text, str):
                return bad_request("message must be a string")
            if metadata is not None and not isinstance(metadata, dict):
                return bad_request("metadata must be an object")
            collector = CollectingOutputChannel()
            try:
                await on_new_message(
                    UserMessage(
                        text, collector, sender, input_channel=self.name(), metadata=metadata
                    )
                )
            except asyncio.CancelledError:
                logger.error("asisten channel: message processing timed out")
            except Exception:
                # Like the REST channel: answer what was collected; never log the text.
                logger.exception("asisten channel: message processing failed")
            return response.json(collector.messages)

        @bp.route("/erase", methods=["POST"])
        async def erase(request: Request) -> HTTPResponse:
            """Delete every stored event of one sender from the tracker store."""
            if not self.authorized(request):
                return unauthorized()
            body = _json_body(request)
            sender = body.get("sender") if body else None
            if not _valid_sender(sender):
                return bad_request("sender must be a non-empty string")
            agent = getattr(request.app.ctx, "agent", None)
            if agent is None or agent.tracker_store is None:
                return response.json({"error": "agent not ready"}, status=503)
            erased = await erase_conversation(agent.tracker_store, agent.lock_store, sender)
            logger.info("asisten channel: erased a conversation (%d events)", erased)
            return response.json({"erased_events": erased})

        return bp
