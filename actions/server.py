"""The action server's Sanic app: rasa-sdk's endpoint with a bearer token on its webhook."""

from __future__ import annotations

import logging

from rasa_sdk.endpoint import create_app
from rasa_sdk.plugin import plugin_manager
from sanic import Sanic, response
from sanic.request import Request
from sanic.response import HTTPResponse

from core.secrets import bearer_matches

logger = logging.getLogger(__name__)

OPEN_PATHS = frozenset({"/health"})  # everything else the app serves needs the token


def install_webhook_auth(app: Sanic, token: str) -> None:
    """Reject every request but ``/health`` without ``Authorization: Bearer <token>`` (401)."""
    if not token:
        raise ValueError("the action server needs a non-empty token")

    @app.middleware("request")
    async def require_token(request: Request) -> HTTPResponse | None:
        """Runs before the handlers (after routing: unknown paths are already 404)."""
        if request.path in OPEN_PATHS:
            return None
        if bearer_matches(request.headers.get("Authorization"), token):
            return None
        return response.json(
            {"error": "unauthorized"}, status=401, headers={"WWW-Authenticate": "Bearer"}
        )


def build_app(token: str, package: str = "actions") -> Sanic:
    """rasa-sdk's app for ``package`` with the token check (no CORS: only Rasa calls it)."""
    app = create_app(package, cors_origins=None)
    install_webhook_auth(app, token)
    plugin_manager().hook.attach_sanic_app_extensions(app=app)
    return app


def configure_framework_logging() -> None:
    """rasa-sdk's loggers at our level, Sanic's at LOG_LEVEL_LIBRARIES (default ERROR)."""
    from rasa_sdk import utils
    from rasa_sdk.constants import APPLICATION_ROOT_LOGGER_NAME

    logging.getLogger(APPLICATION_ROOT_LOGGER_NAME).setLevel(logging.root.level)
    logging.getLogger("matplotlib").setLevel(logging.WARNING)
    utils.update_sanic_log_level()


def serve(host: str, port: int, token: str, formatter: logging.Formatter) -> None:
    """Build the app, let Sanic's own handlers write our format, and serve until stopped."""
    from rasa_sdk import utils

    from core.logs import propagate_to_root, reformat_all_handlers

    configure_framework_logging()
    app = build_app(token)
    propagate_to_root()  # Sanic's access and error logs in our format, masked
    reformat_all_handlers(formatter)
    logger.info("Action server on http://%s:%d (webhook needs a bearer token)", host, port)
    app.run(host, port, workers=utils.number_of_sanic_workers())
