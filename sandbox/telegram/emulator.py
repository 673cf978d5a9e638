"""Local Telegram Bot API emulator: Starlette app factory, Bot API dispatch and webhook delivery.

The real bot talks to ``/bot{token}/{method}`` exactly as to ``api.telegram.org``; tests and the
web page act as applicants through ``/sim/...`` (see :mod:`sandbox.telegram.sim`).
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import uvicorn
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .botapi import METHODS, _deliverable
from .forum import seed_staff_group
from .limits import LimitConfig
from .params import read_params
from .sim import ROUTES as SIM_ROUTES
from .sim_groups import ROUTES as GROUP_ROUTES
from .state import ApiError, EmulatorState, make_bot_user, now
from .updates import SimError

TOKEN_RE = re.compile(r"^\d+:[A-Za-z0-9_-]+$")
STATIC_DIR = Path(__file__).parent / "static"
WEBHOOK_RETRY_SECONDS = 1.0


class WireTimes:
    """Times taken as near the socket as an ASGI app gets: when a request arrived
    (``scope["arrived_at"]``, as uvicorn hands it over) and when a getUpdates answer was written
    (its updates' hand-over to the bot).

    Benchmarks tell the bot's time from Telegram's with these; stamped inside the endpoint, they
    also counted the emulator's own routing, parsing and response rendering as the bot's.
    """

    def __init__(self, app: ASGIApp, state: EmulatorState) -> None:
        self.app, self.state = app, state

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        scope["arrived_at"] = time.time()

        async def send_stamped(message: Message) -> None:
            handing_over = scope.get("handing_over")
            if (
                handing_over is None
                or message["type"] != "http.response.body"
                or message.get("more_body", False)
            ):
                await send(message)
                return
            at = time.time()
            await send(message)  # uvicorn writes to the transport here
            self.state.note_handed_over(handing_over, at)

        await self.app(scope, receive, send_stamped)


def _state(request: Request) -> EmulatorState:
    state: EmulatorState = request.app.state.emulator
    return state


async def _apply_faults(state: EmulatorState, method: str) -> None:
    """Consume one injected fault for ``method`` (delay first, then error if any)."""
    queue = state.faults.get(method.lower())
    if not queue:
        return
    fault = queue[0]
    if fault.times > 0:
        fault.times -= 1
        if fault.times == 0:
            queue.pop(0)
    if fault.delay:
        await asyncio.sleep(fault.delay)
    if fault.error_code is not None:
        raise ApiError(fault.error_code, fault.description, fault.parameters)


async def bot_endpoint(request: Request) -> Response:
    """``GET|POST /bot{token}/{method}``: one Bot API call."""
    token = request.path_params["token"]
    method = request.path_params["method"]
    if not TOKEN_RE.match(token):
        return JSONResponse(ApiError(401, "Unauthorized").payload(), status_code=401)
    handler = METHODS.get(method.lower())
    if handler is None:
        return JSONResponse(ApiError(404, "Not Found").payload(), status_code=404)
    state = _state(request)
    state.bot_user = make_bot_user(int(token.split(":", 1)[0]))
    # when the request reached the server (WireTimes), else now
    record: dict[str, Any] = {"method": method, "ts": request.scope.get("arrived_at", time.time())}
    error: ApiError | None = None
    try:
        params = await read_params(request)
    except ValueError:
        params = {}
        error = ApiError(400, "Bad Request: can't parse request body")
    record["params"] = params
    try:
        if error is not None:
            raise error
        await _apply_faults(state, method)
        state.limiter.check(method, params, _chat_type(state, params), state.stats)
        result = await handler(state, params)
    except ApiError as exc:
        error = exc
    else:
        record.update(ok=True, result=result)
        if method.lower() == "getupdates" and result:
            request.scope["handing_over"] = result  # noted as the answer is written (WireTimes)
        _log(state, record)
        state.stats.record(method, params, None)
        return JSONResponse({"ok": True, "result": result})
    record.update(ok=False, error_code=error.code, description=error.description)
    _log(state, record)
    state.stats.record(method, params, error)
    return JSONResponse(error.payload(), status_code=error.code)


def _chat_type(state: EmulatorState, params: dict[str, Any]) -> str | None:
    """Type of the target chat (for the per-group cap); None if unknown."""
    try:
        chat = state.chats.get(int(params.get("chat_id")))  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    return str(chat.info.get("type")) if chat is not None else None


def _log(state: EmulatorState, record: dict[str, Any]) -> None:
    """Append to the outbox; ``seq`` equals the 1-based position, so reads can slice."""
    record["seq"] = len(state.outbox) + 1
    record.setdefault("params", {})
    state.outbox.append(record)


class _NoteWhenWritten:
    """httpcore's trace hook: notes the update handed over once the request's body is written."""

    def __init__(self, state: EmulatorState, update: dict[str, Any]) -> None:
        self.state, self.update = state, update

    async def __call__(self, event: str, info: dict[str, Any]) -> None:
        if event == "http11.send_request_body.complete":
            self.state.note_handed_over([self.update], time.time())


async def deliver_webhooks(state: EmulatorState, client: httpx.AsyncClient) -> None:
    """POST queued updates, in order, to the webhook; retry failures like Telegram does."""
    while not state.closing:
        await state.wait_until(lambda: state.webhook is not None and bool(_deliverable(state)), 60)
        hook = state.webhook
        pending = _deliverable(state)
        if hook is None or not pending:
            continue
        update = pending[0]
        headers = {}
        if hook.secret_token:
            headers["X-Telegram-Bot-Api-Secret-Token"] = hook.secret_token
        note = _NoteWhenWritten(state, update)
        try:
            response = await client.post(
                hook.url, json=update, headers=headers, timeout=10, extensions={"trace": note}
            )
            failure = (
                None
                if 200 <= response.status_code < 300
                else f"Wrong response from the webhook: {response.status_code} "
                f"{response.reason_phrase}"
            )
        except httpx.HTTPError as exc:
            failure = f"Connection failed: {exc.__class__.__name__}"
        if failure is None:
            if state.updates and state.updates[0] is update:
                state.updates.pop(0)
            await state.notify()
            continue
        if state.webhook is hook:
            hook.last_error_date = now()
            hook.last_error_message = failure
        await asyncio.sleep(WEBHOOK_RETRY_SECONDS)


async def index(request: Request) -> Response:
    """The applicant chat page."""
    return FileResponse(STATIC_DIR / "chat.html", media_type="text/html; charset=utf-8")


async def staff_page(request: Request) -> Response:
    """The staff forum page (``/staff``)."""
    return FileResponse(STATIC_DIR / "staff.html", media_type="text/html; charset=utf-8")


async def _sim_error_handler(request: Request, exc: Exception) -> Response:
    return JSONResponse({"ok": False, "error": str(exc)}, status_code=400)


def create_app(
    callback_ttl: float = 15.0,
    *,
    staff_group: bool = False,
    limits: LimitConfig | None = None,
) -> Starlette:
    """Build a fresh emulator app with its own in-memory state.

    ``callback_ttl`` is how long a callback query may be answered (Telegram: ~15 s);
    ``staff_group`` creates the demo staff forum (id -1001000000001), again after every
    ``/sim/reset``; ``limits`` are the start-up flood caps (default: all off).
    """
    state = EmulatorState(callback_ttl=callback_ttl, limits=limits)
    if staff_group:
        state.on_reset.append(seed_staff_group)
        state.reset()

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        async with httpx.AsyncClient() as client:
            task = asyncio.create_task(deliver_webhooks(state, client))
            try:
                yield
            finally:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task

    routes = [
        Route("/", index),
        Route("/staff", staff_page),
        Route("/bot{token}/{method}", bot_endpoint, methods=["GET", "POST"]),
        *SIM_ROUTES,
        *GROUP_ROUTES,
        Mount("/static", StaticFiles(directory=STATIC_DIR), name="static"),
    ]
    app = Starlette(
        routes=routes,
        middleware=[Middleware(WireTimes, state=state)],
        lifespan=lifespan,
        exception_handlers={SimError: _sim_error_handler, ValueError: _sim_error_handler},
    )
    app.state.emulator = state
    return app


class EmulatorServer(uvicorn.Server):
    """uvicorn server that first releases pending long-polls when asked to stop.

    Without this, a bot's pending ``getUpdates`` (or the page's long-poll) would be cancelled
    only after the graceful-shutdown timeout, with tracebacks in the log.
    """

    def __init__(self, config: uvicorn.Config, state: EmulatorState) -> None:
        super().__init__(config)
        self.emulator_state = state

    async def shutdown(self, sockets: Any = None) -> None:
        await self.emulator_state.close()
        await super().shutdown(sockets)


def make_server(app: Starlette, host: str, port: int) -> EmulatorServer:
    """A configured (not yet started) server for ``app``; call ``.run()`` or ``.serve()``."""
    config = uvicorn.Config(
        app,
        host=host,
        port=port,
        log_level="warning",
        # Safety net only: close() already ends our own long-polls immediately.
        timeout_graceful_shutdown=2,
    )
    return EmulatorServer(config, app.state.emulator)
