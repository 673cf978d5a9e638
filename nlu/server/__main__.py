"""``python -m nlu.server``: the Rasa server, as ``rasa run --enable-api`` but locked down.

Differences from ``rasa run``: the token comes from ``RASA_TOKEN`` / ``RASA_TOKEN_FILE`` (never
argv, which every local user can read in ``ps``); only the bot channel may be configured; the
HTTP API sits behind :mod:`nlu.server.gate`; a retention task prunes old tracker events; the
prediction graph runs without dask (:mod:`nlu.server.runner`).
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from functools import partial

logger = logging.getLogger("nlu.server")

CHANNEL_PATH = "nlu.server.channel.BotChannel"


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Where the model and configuration are and where to listen (no secrets here)."""
    parser = argparse.ArgumentParser(prog="python -m nlu.server", description=__doc__)
    parser.add_argument("--model", required=True, help="trained model archive")
    parser.add_argument("--endpoints", default=None, help="endpoints.yml")
    parser.add_argument("--credentials", required=True, help="credentials.yml (bot channel)")
    parser.add_argument("--interface", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=5005)
    parser.add_argument(
        "--log-level",
        default=None,
        choices=["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"],
        help="default: LOG_LEVEL (INFO); LOG_FORMAT=json writes one JSON object per line",
    )
    return parser.parse_args(argv)


def check_credentials(path: str) -> None:
    """Only the bot channel may be enabled: any other channel would bypass the token."""
    import rasa.shared.utils.io

    channels = rasa.shared.utils.io.read_config_file(path) or {}
    others = sorted(name for name in channels if name != CHANNEL_PATH)
    if CHANNEL_PATH not in channels or others:
        raise SystemExit(
            f"{path} must enable exactly one channel, {CHANNEL_PATH} "
            f"(found: {', '.join(sorted(channels)) or 'none'})"
        )


def main(argv: list[str] | None = None) -> int:
    """Build Rasa's app with ``configure_app``, add the gate and retention, then serve it."""
    args = parse_args(argv)
    # First: Rasa's imports warn, and every line must already be in the chosen format.
    from nlu.server.logs import configure_logging, propagate_to_root, reformat_all_handlers

    try:
        formatter = configure_logging(args.log_level)
    except ValueError as exc:
        print(f"nlu.server: {exc}", file=sys.stderr)
        return 2
    from core.secrets import MissingSecret, read_secret, require_secret

    try:
        token = require_secret("RASA_TOKEN")
    except MissingSecret as exc:
        print(f"nlu.server: {exc}", file=sys.stderr)
        return 2
    from nlu.server.bounded import install_bounded_trackers, max_events_from_env
    from nlu.server.retention import install_retention, retention_days_from_env

    try:
        retention_days = retention_days_from_env()
        max_events = max_events_from_env()
    except ValueError as exc:
        print(f"nlu.server: {exc}", file=sys.stderr)
        return 2
    check_credentials(args.credentials)
    # endpoints.yml names the action server's token as ${ACTION_SERVER_TOKEN}; Rasa expands it
    # from this process's environment, so a token kept in a file is loaded there first.
    if not os.environ.get("ACTION_SERVER_TOKEN"):
        try:
            action_token = read_secret("ACTION_SERVER_TOKEN")
        except MissingSecret as exc:
            print(f"nlu.server: {exc}", file=sys.stderr)
            return 2
        if action_token:
            os.environ["ACTION_SERVER_TOKEN"] = action_token

    import rasa.core.utils
    import rasa.telemetry
    import rasa.utils.common
    import rasa.utils.tensorflow.environment as tf_env
    from rasa.core.run import (
        close_resources,
        configure_app,
        create_http_input_channels,
        load_agent_on_start,
    )
    from rasa.core.utils import AvailableEndpoints

    from nlu.server.events import install_event_lookup
    from nlu.server.gate import install_api_gate
    from nlu.server.redis_lock import use_atomic_redis_lock
    from nlu.server.runner import install_sequential_runner
    from nlu.server.sql_store import install_sql_store_speed_up

    tf_env.setup_tf_environment()
    sys.path.insert(1, os.getcwd())  # custom NLU components, as `rasa` does
    rasa.telemetry.initialize_telemetry()  # honours RASA_TELEMETRY_ENABLED=false

    endpoints = AvailableEndpoints.read_endpoints(args.endpoints)
    if use_atomic_redis_lock(endpoints.lock_store):  # Rasa's `type: redis`, atomic and cheaper
        logger.info("Redis lock store: one atomic lock per conversation")
    input_channels = create_http_input_channels(None, args.credentials)
    # The API is enabled without Rasa's auth_token: the gate checks a bearer header instead of
    # a query parameter and serves only an allow-list.
    app = configure_app(
        input_channels,
        cors=None,
        auth_token=None,
        enable_api=True,
        port=args.port,
        endpoints=endpoints,
    )
    install_api_gate(app, token)
    install_sequential_runner()  # before the model is loaded (before_server_start)
    install_event_lookup()
    app.register_listener(
        partial(load_agent_on_start, args.model, endpoints, None), "before_server_start"
    )
    install_retention(app, retention_days)
    install_sql_store_speed_up(app)  # before the bound, which wraps its retrieve
    install_bounded_trackers(app, max_events)
    app.register_listener(close_resources, "after_server_stop")
    # Handlers a library added while the model loaded write the same format too.
    app.register_listener(lambda *_: reformat_all_handlers(formatter), "after_server_start")
    workers = rasa.core.utils.number_of_sanic_workers(endpoints.lock_store)
    rasa.utils.common.update_sanic_log_level()  # LOG_LEVEL_LIBRARIES (default ERROR) for Sanic
    propagate_to_root()  # Sanic's access and error logs in our format, masked
    reformat_all_handlers(formatter)
    logger.info(
        "Starting Rasa server on http://%s:%d (bot channel, gated API, retention %g days)",
        args.interface,
        args.port,
        retention_days,
    )
    app.run(
        host=args.interface,
        port=args.port,
        backlog=int(os.environ.get("SANIC_BACKLOG", "100")),
        workers=workers,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
