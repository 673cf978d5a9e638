"""Broadcast throughput against the emulator's caps: `make bench-broadcast` (not a test).

For each run: the Bot API emulator with a global cap (and a paid cap), a fresh bot database with
N subscribers, one broadcast started, and one sender process (``python -m bot.broadcast``) that
sends it. Reported: delivery rate as a fraction of the cap, 429s received, lost and duplicated
messages (checked chat by chat in the emulator) and the sender's peak memory (VmHWM).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import secrets
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

from ops.services import BOT_PYTHON, REPO
from ops.stack import SANDBOX_BOT_TOKEN, free_port

FIRST_ID = 600_000_000
TEXT = "Uji siaran massal"


@dataclass
class Result:
    """One benchmark run."""

    mode: str
    subscribers: int
    cap: float
    rate: float
    seconds: float
    rate_limited: int
    lost: int
    duplicated: int
    peak_mib: float
    sender_cpu: float  # CPU seconds the sender used
    emulator_cpu: float

    @property
    def fraction(self) -> float:
        """Delivery rate as a fraction of the cap."""
        return self.rate / self.cap


def seed(database_url: str, count: int, paid: bool, budget: float) -> int:
    """Create ``count`` subscribers and a started broadcast; its id."""
    from sqlalchemy import insert

    from bot.broadcast.store import BroadcastStore
    from bot.db.database import Database, upgrade
    from bot.db.models import User, utcnow

    upgrade(database_url)
    db = Database(database_url)
    now = utcnow()
    rows = [
        {
            "telegram_id": FIRST_ID + i,
            "first_seen": now,
            "last_seen": now,
            "consent_updates": True,
            "consent_updates_at": now,
            "blocked_bot": False,
        }
        for i in range(count)
    ]

    async def _seed() -> int:
        await db.run(lambda s: s.execute(insert(User), rows))
        store = BroadcastStore(db)
        bid = await store.create(TEXT, None, created_by=None, paid=paid, star_budget=budget)
        await store.start(bid, None)
        return bid

    try:
        return asyncio.run(_seed())
    finally:
        db.dispose()


def status_of(database_url: str, broadcast_id: int) -> tuple[str, int]:
    """The broadcast's status and its 429 count."""
    from sqlalchemy import create_engine, text

    engine = create_engine(database_url)
    with engine.connect() as connection:
        row = connection.execute(
            text("SELECT status, rate_limited FROM broadcasts WHERE id = :id"),
            {"id": broadcast_id},
        ).one()
    engine.dispose()
    return str(row[0]), int(row[1])


def peak_mib(pid: int) -> float:
    """Peak resident memory of a running process (VmHWM), in MiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a running process."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def run(mode: str, count: int, cap: float, paid_cap: float, rate: float, root: Path) -> Result:
    """One run: emulator, seeded database, sender; measured until the broadcast is done."""
    port = free_port()
    paid = mode == "paid"
    emulator = subprocess.Popen(
        [
            str(BOT_PYTHON),
            "-m",
            "sandbox.telegram",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--rate-limit",
            str(cap),
            "--paid-rate-limit",
            str(paid_cap),
        ],
        cwd=REPO,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    sim = httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=60)
    sender: subprocess.Popen[bytes] | None = None
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if sim.get("/healthz").status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("emulator did not start")
            time.sleep(0.2)
        sim.post("/sim/users/bulk", json={"first_id": FIRST_ID, "count": count}).raise_for_status()
        data_dir = root / f"{mode}-{count}"
        database_url = f"sqlite:///{data_dir / 'bot.sqlite3'}"
        broadcast_id = seed(database_url, count, paid, budget=count / 10 + 1)
        sim.delete("/sim/stats")
        env = {
            **{
                k: v
                for k, v in os.environ.items()
                if not k.startswith(("BROADCAST_", "TELEGRAM_"))
            },
            "TELEGRAM_BOT_TOKEN": SANDBOX_BOT_TOKEN,
            "TELEGRAM_BASE_URL": f"http://127.0.0.1:{port}/bot",
            "DATABASE_URL": database_url,
            "DATA_DIR": str(data_dir),
            "PRIVACY_KEY": secrets.token_hex(16),
            "BROADCAST_RATE": str(rate),
            "BROADCAST_PAID": "true" if paid else "false",
            "BROADCAST_STAR_BUDGET": str(count / 10 + 1),
            "LOG_LEVEL": "WARNING",
        }
        log = (root / f"sender-{mode}-{count}.log").open("wb")
        sender = subprocess.Popen(
            [str(BOT_PYTHON), "-m", "bot.broadcast"], cwd=REPO, env=env, stdout=log, stderr=log
        )
        peak = 0.0
        while True:
            peak = max(peak, peak_mib(sender.pid))
            status, received_429 = status_of(database_url, broadcast_id)
            if status == "done":
                break
            if sender.poll() is not None:
                raise RuntimeError(f"sender exited with {sender.returncode}")
            time.sleep(0.5)
        peak = max(peak, peak_mib(sender.pid))
        sender_cpu, emulator_cpu = cpu_seconds(sender.pid), cpu_seconds(emulator.pid)
        stats = sim.get("/sim/stats").json()["stats"]
        seconds = float(stats["last_send_at"]) - float(stats["first_send_at"])
        lost = duplicated = 0
        for i in range(count):
            messages = sim.get(f"/sim/chats/{FIRST_ID + i}/messages").json()["messages"]
            got = sum(TEXT in str(m.get("text") or "") for m in messages)
            lost += got == 0
            duplicated += max(0, got - 1)
        delivered = count - lost
        effective_cap = paid_cap if paid else cap
        return Result(
            mode,
            count,
            effective_cap,
            (delivered - 1) / seconds if seconds > 0 else 0.0,
            seconds,
            max(received_429, int(stats["rate_limited"]["total"])),
            lost,
            duplicated,
            peak,
            sender_cpu,
            emulator_cpu,
        )
    finally:
        if sender is not None and sender.poll() is None:
            sender.terminate()
            sender.wait(15)
        sim.close()
        emulator.terminate()
        emulator.wait(15)


def main() -> None:
    """Run the free and the paid benchmark and print a Markdown table."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--subscribers", type=int, default=10_000)
    parser.add_argument("--paid-subscribers", type=int, nargs="*", default=[10_000, 40_000])
    parser.add_argument("--cap", type=float, default=30.0)
    parser.add_argument("--paid-cap", type=float, default=1000.0)
    parser.add_argument("--rate", type=float, default=30.0, help="BROADCAST_RATE")
    args = parser.parse_args()
    results: list[Result] = []
    with tempfile.TemporaryDirectory(prefix="bench-broadcast-") as tmp:
        root = Path(tmp)
        if args.subscribers:
            results.append(run("free", args.subscribers, args.cap, args.paid_cap, args.rate, root))
        for count in args.paid_subscribers:
            results.append(run("paid", count, args.cap, args.paid_cap, args.rate, root))
    print(
        "| mode | subscribers | cap/s | delivered/s | of cap | time s | 429s | lost | "
        "duplicated | sender peak MiB | CPU s sender / emulator |"
    )
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for r in results:
        print(
            f"| {r.mode} | {r.subscribers} | {r.cap:g} | {r.rate:.1f} | {r.fraction:.1%} | "
            f"{r.seconds:.1f} | {r.rate_limited} | {r.lost} | {r.duplicated} | {r.peak_mib:.1f} | "
            f"{r.sender_cpu:.0f} / {r.emulator_cpu:.0f} |"
        )


if __name__ == "__main__":
    main()
