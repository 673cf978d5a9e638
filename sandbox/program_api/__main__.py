"""Run the sandbox: python -m sandbox.program_api --host 127.0.0.1 --port 8081 [--db PATH]."""

import argparse
import logging
from pathlib import Path

import uvicorn

from .app import create_app
from .db import DEFAULT_DB


def main(argv: list[str] | None = None) -> None:
    """Parse arguments, seed the database and serve until interrupted."""
    parser = argparse.ArgumentParser(prog="python -m sandbox.program_api", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8081)
    parser.add_argument("--db", type=Path, default=DEFAULT_DB, help=f"default: {DEFAULT_DB}")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    app = create_app(args.db)
    # Short graceful timeout: requests parked by the `timeout` fault must not block shutdown.
    uvicorn.run(app, host=args.host, port=args.port, timeout_graceful_shutdown=2)


if __name__ == "__main__":
    main()
