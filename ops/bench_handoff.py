"""How many active tickets one staff group sustains under Telegram's ~20 messages/min group cap.

``python -m ops.bench_handoff --tickets 10 --minutes 2 --rate 1`` starts the Bot API emulator
(staff forum, 20/min per group) and the bot (no Rasa needed: tickets open with ``/petugas``),
opens N tickets, then each applicant sends ``--rate`` messages a minute and a staff member answers
each one. It prints the median/p90 relay latency applicant → staff → applicant, the group messages
per minute actually delivered, and whether the latency stayed flat (sustained) or kept growing.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx

from ops.stack import SANDBOX_BOT_TOKEN, SANDBOX_STAFF_CHAT_ID, free_port

REPO = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
STAFF = 500000001


def letters(number: int) -> str:
    """A number written in letters (digits would be masked as identifiers on the way)."""
    out = ""
    while True:
        number, digit = divmod(number, 26)
        out = chr(ord("a") + digit) + out
        if not number:
            return out


def wait_http(url: str, timeout: float = 30) -> None:
    """Wait until ``url`` answers."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            httpx.get(url, timeout=2)
            return
        except httpx.HTTPError:
            time.sleep(0.2)
    raise RuntimeError(f"{url} did not come up")


def chat_wait(sim: httpx.Client, user: int, after: int, needle: str, timeout: float) -> bool:
    """Wait for a bot message containing ``needle`` in the applicant's chat."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        data = sim.get(
            f"/sim/chats/{user}/wait", params={"after_id": after, "timeout": 5}, timeout=10
        ).json()
        for message in data["messages"]:
            if needle in (message.get("text") or ""):
                return True
            after = max(after, message["message_id"])
    return False


def topic_wait(sim: httpx.Client, thread: int, after: int, needle: str, timeout: float) -> bool:
    """Wait for a bot message containing ``needle`` in a topic."""
    deadline = time.monotonic() + timeout
    group = SANDBOX_STAFF_CHAT_ID
    while time.monotonic() < deadline:
        data = sim.get(
            f"/sim/groups/{group}/topics/{thread}/wait",
            params={"after_id": after, "timeout": 5},
            timeout=10,
        ).json()
        for message in data["messages"]:
            if needle in (message.get("text") or ""):
                return True
            after = max(after, message["message_id"])
    return False


def main() -> None:
    """Run the benchmark and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--tickets", type=int, default=10)
    parser.add_argument("--minutes", type=float, default=2.0)
    parser.add_argument("--rate", type=float, default=1.0, help="applicant messages/min/ticket")
    parser.add_argument("--group-rate-limit", type=float, default=20.0)
    args = parser.parse_args()

    root = Path(tempfile.mkdtemp(prefix="bench-handoff-"))
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    emulator = subprocess.Popen(
        [PYTHON, "-m", "sandbox.telegram", "--port", str(port), "--staff-group",
         "--group-rate-limit", str(args.group_rate_limit)],
        cwd=REPO,
    )  # fmt: skip
    ready = root / "bot.ready"
    env = {
        **os.environ,
        "TELEGRAM_BOT_TOKEN": SANDBOX_BOT_TOKEN,
        "TELEGRAM_BASE_URL": f"{base}/bot",
        "RASA_URL": f"http://127.0.0.1:{free_port()}",  # no Rasa: /petugas needs none
        "RASA_TIMEOUT": "1",
        "STAFF_CHAT_ID": SANDBOX_STAFF_CHAT_ID,
        "STAFF_HOURS": "Mon-Sun 00:00-24:00",
        "DATA_DIR": str(root / "data"),
        "BOT_READY_FILE": str(ready),
        "FLOOD_BURST": "50",
        "LOG_LEVEL": "ERROR",
        "METRICS_PORT": "0",
    }
    bot = None
    try:
        wait_http(f"{base}/healthz")
        bot = subprocess.Popen([PYTHON, "-m", "bot"], cwd=REPO, env=env)
        deadline = time.monotonic() + 60
        while not ready.exists():
            if time.monotonic() > deadline:
                raise RuntimeError("bot did not start")
            time.sleep(0.2)
        sim = httpx.Client(base_url=base, timeout=30)
        users = list(range(800_000_001, 800_000_001 + args.tickets))
        threads: dict[int, int] = {}
        opened_at = time.monotonic()
        for user in users:
            sent = sim.post(
                "/sim/updates/message",
                json={"user_id": user, "first_name": f"P{user % 1000}", "text": "/petugas",
                      "kind": "command"},
            ).json()  # fmt: skip
            chat_wait(sim, user, sent["message_id"], "tiketmu", 120)
        while len(threads) < len(users):
            for topic in sim.get(f"/sim/groups/{SANDBOX_STAFF_CHAT_ID}/topics").json()["topics"]:
                name = topic["name"]
                index = int(name.split(" ")[0].lstrip("#")) - 1
                if 0 <= index < len(users):
                    threads[users[index]] = topic["message_thread_id"]
            time.sleep(0.5)
        print(f"opened {len(users)} tickets in {time.monotonic() - opened_at:.1f} s")

        sim.delete("/sim/stats")
        latencies: list[tuple[float, float]] = []  # (start offset, round trip)
        lost = 0
        lock = threading.Lock()
        start = time.monotonic()
        stop_at = start + args.minutes * 60
        interval = 60.0 / args.rate

        def converse(user: int, offset: float) -> None:
            nonlocal lost
            client = httpx.Client(base_url=base, timeout=30)
            time.sleep(offset)
            round_no = 0
            while time.monotonic() < stop_at:
                began = time.monotonic()
                ping = f"ping {letters(user)} {letters(round_no)}"
                sent = client.post(
                    "/sim/updates/message", json={"user_id": user, "text": ping}
                ).json()
                thread = threads[user]
                ok = topic_wait(client, thread, 0, ping, 180)
                if ok:
                    pong = f"pong {letters(user)} {letters(round_no)}"
                    client.post(
                        f"/sim/groups/{SANDBOX_STAFF_CHAT_ID}/messages",
                        json={"user_id": STAFF, "message_thread_id": thread, "text": pong},
                    )
                    ok = chat_wait(client, user, sent["message_id"], pong, 60)
                with lock:
                    if ok:
                        latencies.append((began - start, time.monotonic() - began))
                    else:
                        lost += 1
                round_no += 1
                time.sleep(max(0.0, interval - (time.monotonic() - began)))

        workers = [
            threading.Thread(target=converse, args=(u, i * interval / len(users)))
            for i, u in enumerate(users)
        ]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join()
        elapsed = time.monotonic() - start
        stats = sim.get("/sim/stats").json()
        rounds = [rt for _, rt in latencies]
        third = max(1, len(latencies) // 3)
        early = statistics.median(rt for _, rt in sorted(latencies)[:third])
        late = statistics.median(rt for _, rt in sorted(latencies)[-third:])
        rate_limited = stats.get("rate_limited", {}).get("group", 0)
        print(f"tickets={args.tickets} rate={args.rate}/min/ticket duration={elapsed:.0f}s")
        print(f"round trips={len(rounds)} lost={lost} group 429s={rate_limited}")
        print(
            f"relay latency applicant→staff→applicant: median {statistics.median(rounds):.2f} s,"
            f" p90 {sorted(rounds)[int(len(rounds) * 0.9) - 1]:.2f} s"
            f" (first third {early:.2f} s, last third {late:.2f} s)"
        )
        offered = args.tickets * args.rate
        verdict = "sustained" if late < max(2 * early, 5.0) and lost == 0 else "NOT sustained"
        print(
            f"offered {offered:.0f} group messages/min against a cap of "
            f"{args.group_rate_limit:.0f}/min: {verdict}"
        )
    finally:
        for process in (bot, emulator):
            if process is not None:
                process.terminate()
                process.wait(10)


if __name__ == "__main__":
    main()
