"""Rasa alone from a process of its own: the reference half of ``ops.bench_load``'s paired step.

Timed in the benchmark's driver, Rasa alone also paid for that process's other work (hundreds of
waiting senders, the Telegram half's injections on httpx), about 1 ms per turn: a relay with
nothing but the hops (``ops.floor_relay``) came out faster than Rasa alone. Here the messages go
out from a process that does nothing else, as the bot's Rasa calls do.

``python -m ops.rasa_alone`` reads a JSON job on stdin (``urls``, ``token``, ``rate``,
``seconds``, ``step``, ``start_at`` in epoch seconds) and prints the latencies in ms as a JSON
list.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from typing import Any

from bot.__main__ import use_uvloop
from ops.bench_load import FAQ, RasaChannel, rasa_step


async def measure(job: dict[str, Any]) -> list[float]:
    """Open the connections, wait for ``start_at``, run the step."""
    rasa = RasaChannel(job["urls"], job["token"])
    try:
        for process in range(len(job["urls"])):  # kept-alive connections before the clock
            await rasa.send(f"load-warmup-{process}", FAQ[0])
        await asyncio.sleep(max(0.0, job["start_at"] - time.time()))
        _, latencies = await rasa_step(rasa, job["rate"], job["seconds"], job["step"])
        return latencies
    finally:
        await rasa.aclose()


if __name__ == "__main__":
    use_uvloop()
    print(json.dumps(asyncio.run(measure(json.load(sys.stdin)))))
