"""``python -m sandbox.telegram --host 127.0.0.1 --port 8080``: serve the emulator."""

from __future__ import annotations

import argparse

from .emulator import create_app, make_server


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
    args = parser.parse_args(argv)
    server = make_server(create_app(callback_ttl=args.callback_ttl), args.host, args.port)
    # uvicorn installs SIGINT/SIGTERM handlers and returns normally (exit code 0) on either.
    server.run()


if __name__ == "__main__":
    main()
