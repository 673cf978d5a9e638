"""A Sanic middleware in front of Rasa's HTTP API: bearer token, then a short allow-list.

Rasa's ``--auth-token`` only takes a ``?token=`` query parameter (it ends up in access logs)
and, once given, opens every API route (``/model``, ``/model/parse``, ``/conversations/…/execute``
…). Here the API runs without Rasa's own check and this gate decides instead.
"""

from __future__ import annotations

from sanic import Sanic, response
from sanic.request import Request
from sanic.response import HTTPResponse

from core.secrets import bearer_matches
from nlu.server.channel import BotChannel, unauthorized

# (method, route pattern as Sanic's router names it) of the API routes that are served.
ALLOWED_API_ROUTES: frozenset[tuple[str, str]] = frozenset(
    {
        ("GET", "status"),  # readiness: the supervisor and the bot check a model is loaded
        ("GET", "version"),  # operators: which Rasa answers
        ("GET", "conversations/<conversation_id:path>/tracker"),  # operators and e2e tests
        ("PUT", "conversations/<conversation_id:path>/tracker/events"),  # operators: reset one
        # the bot pauses a conversation while staff handle a ticket and resumes it afterwards
        ("POST", "conversations/<conversation_id:path>/tracker/events"),
    }
)
# Appending events could forge user turns or slots: only these bodies may be POSTed there.
APPEND_ROUTE = ("POST", "conversations/<conversation_id:path>/tracker/events")
APPENDABLE_EVENTS = frozenset({"pause", "resume"})
CHANNEL_PREFIX = f"webhooks/{BotChannel.name()}"  # the channel checks the token itself


def route_pattern(request: Request) -> str | None:
    """The router's pattern of the matched route, without slashes at either end."""
    route = getattr(request, "route", None)
    if route is None:
        return None
    return str(route.path).strip("/")


def is_public(method: str, pattern: str) -> bool:
    """``GET /`` and the bot channel's own routes pass the gate unauthenticated."""
    if method == "GET" and pattern == "":
        return True
    return pattern == CHANNEL_PREFIX or pattern.startswith(CHANNEL_PREFIX + "/")


def is_pause_or_resume(request: Request) -> bool:
    """Whether the body is exactly one ``pause`` or ``resume`` event."""
    try:
        body = request.json
    except Exception:  # Sanic raises its own error for malformed JSON
        return False
    return (
        isinstance(body, dict)
        and set(body) <= {"event", "timestamp"}
        and body.get("event") in APPENDABLE_EVENTS
    )


def install_api_gate(app: Sanic, token: str) -> None:
    """Require ``Authorization: Bearer <token>`` and serve only :data:`ALLOWED_API_ROUTES`."""
    if not token:
        raise ValueError("the API gate needs a non-empty token")

    @app.middleware("request")
    async def api_gate(request: Request) -> HTTPResponse | None:
        """Runs after routing and before every handler."""
        pattern = route_pattern(request)
        method = request.method.upper()
        if pattern is None:
            # No route matched: Sanic runs request middleware again while answering its own
            # 404/405, and no handler runs, so let that error answer through.
            return None
        if is_public(method, pattern):
            return None
        if not bearer_matches(request.headers.get("Authorization"), token):
            return unauthorized()
        if (method, pattern) not in ALLOWED_API_ROUTES:
            return response.json({"error": "forbidden"}, status=403)
        if (method, pattern) == APPEND_ROUTE and not is_pause_or_resume(request):
            return response.json({"error": "forbidden"}, status=403)
        return None
