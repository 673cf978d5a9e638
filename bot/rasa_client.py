"""The thin client for the Rasa server: the bot channel (messages, erasure) and ``/status``."""

from __future__ import annotations

import asyncio
import json
import logging
import time
import zlib
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, TypeVar
from urllib.parse import urlsplit

import httpx

from bot.http11 import CONNECTION_ERRORS, KeepAlivePool

logger = logging.getLogger(__name__)
T = TypeVar("T")


class RasaUnavailable(Exception):
    """Rasa is down, too slow, or answered something that is not a list of bot messages."""


class RasaHTTPError(Exception):
    """Rasa answered a message with an HTTP error status (the cause of a RasaUnavailable)."""


@dataclass(frozen=True)
class Button:
    """A quick-reply button: what the user sees and what is sent back to Rasa."""

    title: str
    payload: str


@dataclass(frozen=True)
class BotMessage:
    """One validated message from Rasa's bot channel (REST-channel format)."""

    text: str | None = None
    image: str | None = None
    buttons: tuple[Button, ...] = ()
    custom: dict[str, Any] | None = field(default=None, hash=False)


def parse_bot_messages(data: object) -> list[BotMessage]:
    """Validate Rasa's channel answer; unknown keys are ignored, wrong types are an error."""
    if not isinstance(data, list):
        raise RasaUnavailable("Rasa answered with something that is not a list")
    messages = []
    for item in data:
        if not isinstance(item, dict):
            raise RasaUnavailable("Rasa answered with a non-object message")
        text = item.get("text")
        image = item.get("image")
        custom = item.get("custom")
        raw_buttons = item.get("buttons") or []
        if text is not None and not isinstance(text, str):
            raise RasaUnavailable("message text is not a string")
        if image is not None and not isinstance(image, str):
            raise RasaUnavailable("image is not a string")
        if custom is not None and not isinstance(custom, dict):
            raise RasaUnavailable("custom payload is not an object")
        if not isinstance(raw_buttons, list):
            raise RasaUnavailable("buttons are not a list")
        buttons = []
        for raw in raw_buttons:
            if not isinstance(raw, dict):
                raise RasaUnavailable("button is not an object")
            title, payload = raw.get("title"), raw.get("payload")
            if not isinstance(title, str) or not isinstance(payload, str) or not payload:
                raise RasaUnavailable("button without title or payload")
            buttons.append(Button(title=title, payload=payload))
        if text is None and image is None and custom is None and not buttons:
            continue
        messages.append(BotMessage(text=text, image=image, buttons=tuple(buttons), custom=custom))
    return messages


def rasa_outcome(error: BaseException | None) -> str:
    """``ok`` or the kind of failure behind a :class:`RasaUnavailable` (a metrics label)."""
    if error is None:
        return "ok"
    cause = error.__cause__ if isinstance(error, RasaUnavailable) else error
    if isinstance(cause, httpx.TimeoutException | TimeoutError):
        return "timeout"
    if isinstance(cause, httpx.HTTPStatusError | RasaHTTPError):
        return "http_error"
    if isinstance(cause, httpx.TransportError | OSError | EOFError):
        return "unreachable"  # refused, reset, closed mid-answer (garbage is a bad answer)
    if isinstance(error, RasaUnavailable):
        return "bad_answer"
    return "error" if isinstance(error, Exception) else "cancelled"


# (operation, outcome, seconds) after each request; the bot passes BotMetrics.rasa_request.
RasaObserver = Callable[[str, str, float], None]


MESSAGE_PATH = "/webhooks/asisten/webhook"
POOL_SIZE = 64  # connections to Rasa: messages of different applicants go in parallel


class RasaClient:
    """Talks to one Rasa server: messages on kept-alive raw HTTP/1.1, the rest through httpx.

    A message is the hot path: ``bot.http11`` costs a tenth of httpx's CPU per request. The rare
    operations (erasure, tracker, pause/resume, ``/status``) stay on a shared
    ``httpx.AsyncClient``. Given a test ``transport``, messages go through httpx too.
    """

    def __init__(
        self,
        base_url: str,
        token: str | None,
        *,
        timeout: float = 10.0,
        transport: httpx.AsyncBaseTransport | None = None,
        observer: RasaObserver | None = None,
    ) -> None:
        self._observer = observer
        # Every route the bot uses needs the bearer token (nlu/server); without one Rasa
        # answers 401, which surfaces as RasaUnavailable.
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        self._timeout = timeout
        self._http = httpx.AsyncClient(
            headers=headers,
            base_url=base_url.rstrip("/"),
            timeout=httpx.Timeout(timeout, connect=min(timeout, 3.0)),
            transport=transport,
            limits=httpx.Limits(max_connections=POOL_SIZE, max_keepalive_connections=8),
            trust_env=False,  # like the message pool: Rasa is beside the bot, never via a proxy
        )
        url = urlsplit(base_url.rstrip("/"))
        self._message_path = url.path + MESSAGE_PATH  # RASA_URL may carry a path prefix
        self._messages = (
            KeepAlivePool(
                f"{url.scheme}://{url.netloc}",
                size=POOL_SIZE,
                user_agent="asisten-prakerja-bot",
                headers=headers,
            )
            if transport is None
            else None
        )

    @contextmanager
    def _measured(self, operation: str) -> Iterator[None]:
        """Time one request and tell the observer how it ended."""
        began = time.perf_counter()
        error: BaseException | None = None
        try:
            yield
        except BaseException as exc:
            error = exc
            raise
        finally:
            if self._observer is not None:
                self._observer(operation, rasa_outcome(error), time.perf_counter() - began)

    async def _call(
        self, method: str, path: str, what: str, *, json: Any, parse: bool = True
    ) -> Any:
        """One request to Rasa; any failure (timeout, refusal, HTTP error, non-JSON) is
        :class:`RasaUnavailable`, so callers handle one exception."""
        try:
            response = await self._http.request(method, path, json=json)
            response.raise_for_status()
            return response.json() if parse else None
        except httpx.TimeoutException as exc:
            raise RasaUnavailable("Rasa did not answer in time") from exc
        except (httpx.HTTPError, ValueError) as exc:
            raise RasaUnavailable(f"Rasa {what} failed: {type(exc).__name__}") from exc

    async def send_message(
        self, sender: str, text: str, metadata: dict[str, Any] | None = None
    ) -> list[BotMessage]:
        """Send one user message to the bot channel and return the bot's answers."""
        with self._measured("message"):
            body: dict[str, Any] = {"sender": sender, "message": text}
            if metadata:
                body["metadata"] = metadata
            if self._messages is None:
                data = await self._call("POST", MESSAGE_PATH, "request", json=body)
            else:
                data = await self._post_message(body)
            return parse_bot_messages(data)

    async def _post_message(self, body: dict[str, Any]) -> Any:
        """A message on the kept-alive pool; failures are :class:`RasaUnavailable` as in _call."""
        assert self._messages is not None
        try:
            status, answer = await self._messages.post(
                self._message_path,
                json.dumps(body).encode(),
                time_limit=self._timeout,
                content_type="application/json",
            )
        except TimeoutError as exc:
            raise RasaUnavailable("Rasa did not answer in time") from exc
        except CONNECTION_ERRORS as exc:
            raise RasaUnavailable(f"Rasa request failed: {type(exc).__name__}") from exc
        if not 200 <= status < 300:
            raise RasaUnavailable("Rasa request failed") from RasaHTTPError(status)
        try:
            return json.loads(answer)
        except ValueError:
            raise RasaUnavailable("Rasa answered something that is not JSON") from None

    async def erase_conversation(self, sender: str) -> int:
        """Delete every event Rasa stored for ``sender``; the number of events deleted."""
        with self._measured("erase"):
            data = await self._call(
                "POST", "/webhooks/asisten/erase", "erase", json={"sender": sender}
            )
            erased = data.get("erased_events") if isinstance(data, dict) else None
            if not isinstance(erased, int) or isinstance(erased, bool) or erased < 0:
                raise RasaUnavailable("Rasa answered erase without an event count")
            return erased

    async def get_tracker(self, sender: str) -> dict[str, Any]:
        """The conversation's tracker (events included) from Rasa's HTTP API."""
        with self._measured("tracker"):
            data = await self._call(
                "GET", f"/conversations/{sender}/tracker", "tracker request", json=None
            )
            if not isinstance(data, dict):
                raise RasaUnavailable("Rasa answered the tracker with something not an object")
            return data

    async def _append_event(self, sender: str, event: str) -> None:
        """Append one ``pause``/``resume`` event to the conversation's tracker."""
        with self._measured(event):
            await self._call(
                "POST",
                f"/conversations/{sender}/tracker/events",
                event,
                json={"event": event},
                parse=False,
            )

    async def pause_conversation(self, sender: str) -> None:
        """Mark the conversation as handed to a person (Rasa's ``pause`` event)."""
        await self._append_event(sender, "pause")

    async def resume_conversation(self, sender: str) -> None:
        """Give the conversation back to the assistant (Rasa's ``resume`` event)."""
        await self._append_event(sender, "resume")

    async def is_ready(self, seconds: float | None = None) -> bool:
        """Whether the HTTP API answers ``/status`` with a loaded model (within ``seconds``)."""
        try:
            if seconds is None:
                response = await self._http.get("/status")
            else:
                response = await self._http.get("/status", timeout=seconds)
            return response.status_code == 200 and bool(response.json().get("model_file"))
        except (httpx.HTTPError, ValueError, AttributeError):
            return False

    async def aclose(self) -> None:
        """Close the connection pools."""
        await self._http.aclose()
        if self._messages is not None:
            await self._messages.aclose()


def never_reached(error: RasaUnavailable) -> bool:
    """Whether Rasa refused the connection, so it cannot have seen the message (safe to send it
    to another Rasa process). A timeout or a broken answer may come after Rasa handled it."""
    cause = error.__cause__
    return isinstance(cause, ConnectionRefusedError | httpx.ConnectError)


class RasaRouter:
    """Several Rasa processes (``RASA_URL`` with comma-separated addresses), one client each.

    Each sender always goes to the same process (a stable hash of the sender id), so one
    applicant's turns stay in order on one conversation and its lock; the bot already handles a
    chat's updates one at a time. A process that refuses connections is skipped for
    ``down_seconds`` and its senders go to the next process meanwhile (with in-memory tracker
    stores they start a fresh conversation there; production's shared PostgreSQL tracker store
    keeps it). Erasure asks every process, so no copy is left behind.
    """

    def __init__(
        self,
        clients: list[RasaClient],
        *,
        down_seconds: float = 5.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if not clients:
            raise ValueError("at least one Rasa client")
        self.clients = clients
        self._down_until = [0.0] * len(clients)
        self._down_seconds = down_seconds
        self._clock = clock

    def home(self, sender: str) -> int:
        """The index of ``sender``'s own process (CRC-32: stable across restarts and replicas)."""
        return zlib.crc32(sender.encode()) % len(self.clients)

    def _route(self, sender: str) -> list[int]:
        """The processes to try for ``sender``: its own first, then the others in ring order;
        those marked down go last (still tried when every one is marked)."""
        count = len(self.clients)
        first = self.home(sender)
        order = [(first + step) % count for step in range(count)]
        now = self._clock()
        return sorted(order, key=lambda index: self._down_until[index] > now)

    async def _routed(self, sender: str, call: Callable[[RasaClient], Awaitable[T]]) -> T:
        """``call`` on the sender's process, on the next one when it refuses the connection."""
        refused: RasaUnavailable | None = None
        for index in self._route(sender):
            try:
                result = await call(self.clients[index])
            except RasaUnavailable as exc:
                if not never_reached(exc):
                    raise
                if self._down_until[index] <= self._clock():
                    logger.warning("Rasa process %d refused the connection; trying another", index)
                self._down_until[index] = self._clock() + self._down_seconds
                refused = exc
                continue
            self._down_until[index] = 0.0
            return result
        assert refused is not None
        raise refused

    async def send_message(
        self, sender: str, text: str, metadata: dict[str, Any] | None = None
    ) -> list[BotMessage]:
        """Send one user message to the sender's Rasa process; its answers."""
        return await self._routed(sender, lambda rasa: rasa.send_message(sender, text, metadata))

    async def erase_conversation(self, sender: str) -> int:
        """Erase the conversation on every process (any may hold a copy after a failover)."""
        counts = await asyncio.gather(*(c.erase_conversation(sender) for c in self.clients))
        return sum(counts)

    async def get_tracker(self, sender: str) -> dict[str, Any]:
        """The conversation's tracker, from the sender's process."""
        return await self._routed(sender, lambda rasa: rasa.get_tracker(sender))

    async def pause_conversation(self, sender: str) -> None:
        """Rasa's ``pause`` event, on the sender's process."""
        await self._routed(sender, lambda rasa: rasa.pause_conversation(sender))

    async def resume_conversation(self, sender: str) -> None:
        """Rasa's ``resume`` event, on the sender's process."""
        await self._routed(sender, lambda rasa: rasa.resume_conversation(sender))

    async def is_ready(self, seconds: float | None = None) -> bool:
        """Whether any process answers with a loaded model (the others are failed over)."""
        answers = await asyncio.gather(*(c.is_ready(seconds) for c in self.clients))
        return any(answers)

    async def aclose(self) -> None:
        """Close every client."""
        for client in self.clients:
            await client.aclose()


def split_rasa_urls(value: str) -> list[str]:
    """The addresses in ``RASA_URL`` (one, or several separated by commas)."""
    return [part.strip() for part in value.split(",") if part.strip()]
