"""Running the Bot API emulator in-process for tests (uvicorn in a background thread)."""

from __future__ import annotations

import socket
import threading
import time

import uvicorn


def free_port() -> int:
    """A currently free loopback TCP port."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def serve_in_thread(server: uvicorn.Server) -> threading.Thread:
    """Start ``server`` in a daemon thread and wait until it accepts connections."""
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline:
            raise RuntimeError("server did not start")
        time.sleep(0.02)
    return thread
