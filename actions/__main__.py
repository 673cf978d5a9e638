"""``python -m actions``: the rasa-sdk action server with a bearer token on its webhook.

``rasa run actions`` runs any action for any caller. Here ``/webhook`` and ``/actions`` need
``Authorization: Bearer <ACTION_SERVER_TOKEN>`` (from the environment or
``ACTION_SERVER_TOKEN_FILE``, never argv); ``/health`` stays open for the supervisor.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys

from rasa_sdk import utils
from rasa_sdk.constants import APPLICATION_ROOT_LOGGER_NAME, DEFAULT_SERVER_PORT
from rasa_sdk.endpoint import create_app
from rasa_sdk.plugin import plugin_manager
from sanic import Sanic, response
from sanic.request import Request
from sanic.response import HTTPResponse

from core.secrets import MissingSecret, bearer_matches, require_secret

logger = logging.getLogger(__name__)

OPEN_PATHS = frozenset({"/health"})  # everything else the app serves needs the token


def install_log_redaction() -> None:
    """The shared redaction filters if available; else keep httpx from logging request URLs."""
    try:
        from core.redaction import install_log_redaction as install
    except ImportError:
        for name in ("httpx", "httpcore"):
            logging.getLogger(name).setLevel(logging.WARNING)
        return
    install()


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


def main(argv: list[str] | None = None) -> int:
    """Parse the port, read the token, configure logging and serve."""
    parser = argparse.ArgumentParser(prog="python -m actions", description=__doc__)
    parser.add_argument("--port", type=int, default=DEFAULT_SERVER_PORT)
    parser.add_argument("--host", default=os.environ.get("SANIC_HOST", "127.0.0.1"))
    parser.add_argument("--log-level", default=os.environ.get("LOG_LEVEL", "INFO").upper())
    args = parser.parse_args(argv)
    try:
        token = require_secret("ACTION_SERVER_TOKEN")
    except MissingSecret as exc:
        print(f"actions: {exc}", file=sys.stderr)
        return 2
    logging.getLogger("matplotlib").setLevel(logging.WARNING)
    utils.configure_colored_logging(args.log_level)
    utils.configure_file_logging(
        logging.getLogger(APPLICATION_ROOT_LOGGER_NAME), None, args.log_level, None
    )
    utils.update_sanic_log_level()
    install_log_redaction()
    app = build_app(token)
    logger.info(
        "Action server on http://%s:%d (webhook needs a bearer token)", args.host, args.port
    )
    app.run(args.host, args.port, workers=utils.number_of_sanic_workers())
    return 0


if __name__ == "__main__":
    sys.exit(main())
