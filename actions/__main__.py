"""``python -m actions``: the rasa-sdk action server with a bearer token on its webhook.

``rasa run actions`` runs any action for any caller. Here ``/webhook`` and ``/actions`` need
``Authorization: Bearer <ACTION_SERVER_TOKEN>`` (from the environment or
``ACTION_SERVER_TOKEN_FILE``, never argv); ``/health`` stays open for the supervisor.
Logging (LOG_LEVEL, LOG_FORMAT, LOG_DIR) is configured before rasa-sdk is imported, so even
its import-time warnings are written in the chosen format.
"""

from __future__ import annotations

import argparse
import os
import sys

from core.logs import LogSettings, configure_process_logging
from core.secrets import MissingSecret, require_secret

PROCESS_NAME = "action-server"
DEFAULT_PORT = 5055  # rasa_sdk.constants.DEFAULT_SERVER_PORT


def main(argv: list[str] | None = None) -> int:
    """Parse the port, read the token, configure logging and serve."""
    parser = argparse.ArgumentParser(prog="python -m actions", description=__doc__)
    parser.add_argument("--port", type=int, default=DEFAULT_PORT)
    parser.add_argument("--host", default=os.environ.get("SANIC_HOST", "127.0.0.1"))
    parser.add_argument("--log-level", default=None, help="default: LOG_LEVEL (INFO)")
    args = parser.parse_args(argv)
    try:
        token = require_secret("ACTION_SERVER_TOKEN")
        formatter = configure_process_logging(PROCESS_NAME, LogSettings.from_env(args.log_level))
    except (MissingSecret, ValueError) as exc:
        print(f"actions: {exc}", file=sys.stderr)
        return 2
    from actions.server import serve

    serve(args.host, args.port, token, formatter)
    return 0


if __name__ == "__main__":
    sys.exit(main())
