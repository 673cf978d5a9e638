"""Reply latency through the Telegram emulator: `make bench` (or `python -m ops.bench_latency`).

Starts the whole stack on free ports (sandboxes, action server, Rasa, bot), then one applicant
sends messages one after another; each latency is the time from the emulator receiving the user's
message to the bot's first reply arriving in the chat (what a person waits for).
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import httpx

from ops.services import stop_all
from ops.stack import StackConfig, build_stack

MESSAGES = [
    "halo",
    "syarat ikut prakerja apa aja",
    "cara daftar prakerja gmn",
    "gelombang brp yg lg buka?",
    "insentifnya dapet brp",
    "makasih ya",
]


def measure(sim: httpx.Client, user_id: int, rounds: int) -> list[float]:
    """Send ``rounds`` messages sequentially; return each latency in milliseconds."""
    latencies = []
    for index in range(rounds):
        text = MESSAGES[index % len(MESSAGES)]
        began = time.perf_counter()
        sent = sim.post(
            "/sim/updates/message", json={"user_id": user_id, "first_name": "Uji", "text": text}
        ).json()
        reply = sim.get(
            f"/sim/chats/{user_id}/wait",
            params={"after_id": sent["message_id"], "count": 1, "timeout": 30},
            timeout=40,
        ).json()
        if reply.get("timed_out") or not reply["messages"]:
            raise RuntimeError(f"no reply to {text!r}")
        latencies.append((time.perf_counter() - began) * 1000)
        time.sleep(1.0)  # let trailing messages of this answer arrive before the next question
    return latencies


def main() -> None:
    """Start the stack, warm up, measure and print median / p95."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=60)
    args = parser.parse_args()
    root = Path(tempfile.mkdtemp(prefix="prakerja-bench-"))
    config = StackConfig.on_free_ports(root, bot_env={"LOG_LEVEL": "WARNING"})
    services = build_stack(config)
    try:
        for service in services:
            service.start()
            service.wait_healthy()
        with httpx.Client(base_url=f"http://127.0.0.1:{config.chat_port}", timeout=40) as sim:
            measure(sim, 900_000_001, 6)  # warm-up: first requests load lazily
            latencies = measure(sim, 900_000_002, args.rounds)
    finally:
        stop_all(services)
    latencies.sort()
    p95 = latencies[max(0, int(len(latencies) * 0.95) - 1)]
    print(f"reply latency through the emulator, {len(latencies)} sequential messages:")
    print(
        f"  median {statistics.median(latencies):.0f} ms   p95 {p95:.0f} ms   "
        f"min {latencies[0]:.0f} ms   max {latencies[-1]:.0f} ms"
    )


if __name__ == "__main__":
    main()
