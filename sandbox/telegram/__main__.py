"""``python -m sandbox.telegram --host 127.0.0.1 --port 8080``: serve the emulator."""

from __future__ import annotations

import argparse
import os

from .emulator import create_app, make_server
from .limits import TELEGRAM_PRESET, LimitConfig


def _env_flag(name: str) -> bool:
    return os.environ.get(name, "").strip().lower() in ("1", "true", "yes", "on")


def limits_from_args(args: argparse.Namespace) -> LimitConfig:
    """Flood caps: environment first, then ``--limits telegram``, then the single flags."""
    config = LimitConfig.from_env()
    if args.limits == "telegram":
        config = LimitConfig(**TELEGRAM_PRESET)
    changes = {
        "global_per_second": args.rate_limit,
        "paid_per_second": args.paid_rate_limit,
        "group_per_minute": args.group_rate_limit,
    }
    return config.updated({key: value for key, value in changes.items() if value is not None})


def main(argv: list[str] | None = None) -> None:
    """Parse arguments and run uvicorn until SIGINT/SIGTERM."""
    parser = argparse.ArgumentParser(description="Local Telegram Bot API emulator (sandbox)")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8080)
    parser.add_argument(
        "--callback-ttl",
        type=float,
        default=15.0,
        help="seconds a callback query may still be answered (Telegram: about 15)",
    )
    parser.add_argument(
        "--staff-group",
        action="store_true",
        default=_env_flag("TG_EMULATOR_STAFF_GROUP"),
        help="create the demo staff forum -1001000000001 (env TG_EMULATOR_STAFF_GROUP=1)",
    )
    parser.add_argument(
        "--limits",
        choices=("off", "telegram"),
        default=None,
        help="flood-limit preset: telegram = 30/s global, 1000/s paid, 20/min per group",
    )
    parser.add_argument(
        "--rate-limit",
        type=float,
        help="global sends per second (0 = off; env TG_EMULATOR_RATE_LIMIT)",
    )
    parser.add_argument(
        "--paid-rate-limit",
        type=float,
        help="sends per second with allow_paid_broadcast (env TG_EMULATOR_PAID_RATE_LIMIT)",
    )
    parser.add_argument(
        "--group-rate-limit",
        type=float,
        help="sends per minute into one group (env TG_EMULATOR_GROUP_RATE_LIMIT)",
    )
    args = parser.parse_args(argv)
    app = create_app(
        callback_ttl=args.callback_ttl,
        staff_group=args.staff_group,
        limits=limits_from_args(args),
    )
    server = make_server(app, args.host, args.port)
    # uvicorn installs SIGINT/SIGTERM handlers and returns normally (exit code 0) on either.
    server.run()


if __name__ == "__main__":
    main()
