"""The floor under the bot layer: a relay that has nothing but the hops (a benchmark stand-in).

``python -m ops.bench_load --floor-relay`` (or ``--versus-floor``) runs this in the bot's place,
with the bot's environment: it long-polls the Bot API, posts each text to Rasa's channel as the
bot's sender id and with its metadata, and sends Rasa's texts back with sendMessage, all on
``bot.http11``. There is no python-telegram-bot, database, ordering, flood control, redaction or
rendering, so it is not a bot to run for anyone: what its "bot layer" still costs is what a
separate process between Telegram and Rasa costs on the machine (two more process wake-ups, four
socket operations, JSON).
"""

from __future__ import annotations

import asyncio
import json
import os
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from bot.__main__ import use_uvloop
from bot.config import Settings
from bot.http11 import KeepAlivePool
from bot.privacy import rasa_sender_id
from ops.bench_load import METADATA  # what the bot sends with an emulator applicant's message

JSON = "application/json"


async def relay() -> None:
    """Poll, relay, answer, until killed."""
    base = urlsplit(os.environ["TELEGRAM_BASE_URL"])  # http://host:port/bot
    methods = f"{base.path}{os.environ['TELEGRAM_BOT_TOKEN']}/"
    telegram = KeepAlivePool(f"{base.scheme}://{base.netloc}", size=16, user_agent="floor-relay")
    rasa = KeepAlivePool(
        os.environ["RASA_URL"].split(",")[0],
        size=16,
        user_agent="floor-relay",
        headers={"Authorization": f"Bearer {os.environ['RASA_TOKEN']}"},
    )
    # the bot's own sender ids: the same conversations, as long in Rasa as the bot's and Rasa
    # alone's (a conversation's first turns cost Rasa less than later ones)
    privacy_key = Settings().effective_privacy_key
    answering: set[asyncio.Task[None]] = set()

    async def answer(message: dict[str, Any]) -> None:
        chat_id = message["chat"]["id"]
        sender = rasa_sender_id(privacy_key, message["from"]["id"])
        body = {"sender": sender, "message": message["text"], "metadata": METADATA}
        path, data = "/webhooks/asisten/webhook", json.dumps(body).encode()
        _, replies = await rasa.post(path, data, time_limit=30, content_type=JSON)
        for reply in json.loads(replies):
            if reply.get("text"):
                request = {"chat_id": chat_id, "text": reply["text"]}
                await telegram.post(
                    methods + "sendMessage",
                    json.dumps(request).encode(),
                    time_limit=30,
                    content_type=JSON,
                )

    offset = 0
    while True:
        poll = json.dumps({"offset": offset, "timeout": 30}).encode()
        _, batch = await telegram.post(
            methods + "getUpdates", poll, time_limit=40, content_type=JSON
        )
        for update in json.loads(batch).get("result", []):
            offset = max(offset, update["update_id"] + 1)
            message = update.get("message") or {}
            if isinstance(message.get("text"), str):
                task = asyncio.create_task(answer(message))
                answering.add(task)
                task.add_done_callback(answering.discard)


if __name__ == "__main__":
    if ready := os.environ.get("BOT_READY_FILE"):
        Path(ready).write_text("ready\n")
    use_uvloop()
    asyncio.run(relay())
