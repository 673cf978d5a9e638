"""Local Telegram Bot API emulator with a ``/sim`` API and an Indonesian web chat page.

Run with ``python -m sandbox.telegram --host 127.0.0.1 --port 8080`` and point the bot at
``base_url="http://127.0.0.1:8080/bot"``.
"""

from .emulator import create_app

__all__ = ["create_app"]
