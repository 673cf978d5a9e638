"""Broadcast throughput against the emulator's caps: `make bench-broadcast` (not a test).

For each run: the Bot API emulator with a global cap (and a paid cap), a fresh bot database
(PostgreSQL by default, a throwaway database per run) with N subscribers, one broadcast started,
and S sender processes (``python -m bot.broadcast``) that share it. Reported: delivery rate as a
fraction of the cap, 429s received, lost and duplicated messages (checked chat by chat in the
emulator), the senders' peak memory (VmHWM, the largest of them) and CPU: the senders' CPU
seconds in all and the sends per CPU second of one sender (its ceiling on one free core).

    python -m ops.bench_broadcast --senders 1 2 3
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import secrets
import subprocess
import tempfile
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import httpx

from ops.postgres import POSTGRES_ADMIN, temporary_postgres_database
from ops.services import BOT_PYTHON, REPO
from ops.stack import SANDBOX_BOT_TOKEN, free_port

FIRST_ID = 600_000_000
TEXT = "Uji siaran massal"


@dataclass
class Result:
    """One benchmark run."""

    mode: str
    senders: int
    database: str
    subscribers: int
    cap: float
    rate: float
    seconds: float
    rate_limited: int
    lost: int
    duplicated: int
    peak_mib: float
    sender_cpu: float  # CPU seconds all senders used
    emulator_cpu: float

    @property
    def fraction(self) -> float:
        """Delivery rate as a fraction of the cap."""
        return self.rate / self.cap

    @property
    def per_cpu_second(self) -> float:
        """Messages delivered per CPU second of sender: one sender's ceiling on a free core."""
        return (self.subscribers - self.lost) / self.sender_cpu if self.sender_cpu else 0.0


@contextlib.contextmanager
def database(kind: str, data_dir: Path, admin_url: str) -> Iterator[str]:
    """A fresh bot database URL: a file for SQLite, a throwaway database on PostgreSQL."""
    if kind == "sqlite":
        yield f"sqlite:///{data_dir / 'bot.sqlite3'}"
        return
    with temporary_postgres_database("bench_broadcast", admin_url) as url:
        yield url


@contextlib.contextmanager
def running_emulator(*args: str) -> Iterator[tuple[httpx.Client, int, subprocess.Popen[bytes]]]:
    """The Bot API emulator in a process of its own (``args``: its flags, e.g. the caps)."""
    port = free_port()
    process = subprocess.Popen(
        [
            str(BOT_PYTHON),
            "-m",
            "sandbox.telegram",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            *args,
        ],
        cwd=REPO,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    sim = httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=60)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if sim.get("/healthz").status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline or process.poll() is not None:
                raise RuntimeError("emulator did not start")
            time.sleep(0.2)
        yield sim, port, process
    finally:
        sim.close()
        process.terminate()
        process.wait(15)


def seed(
    database_url: str,
    subscribers: Sequence[int],
    *,
    others: Sequence[int] = (),
    paid: bool = False,
    budget: float = 0.0,
    text: str = TEXT,
    progress_chat_id: int | None = None,
) -> int:
    """Migrate, store subscribers (and ``others`` who are not), start a broadcast; its id."""
    from sqlalchemy import insert

    from bot.broadcast.store import BroadcastStore
    from bot.db.database import Database, upgrade
    from bot.db.models import User, utcnow

    upgrade(database_url)
    db = Database(database_url)
    now = utcnow()
    rows = [
        {
            "telegram_id": telegram_id,
            "first_seen": now,
            "last_seen": now,
            "consent_updates": subscribed,
            "consent_updates_at": now,
            "blocked_bot": False,
        }
        for ids, subscribed in ((subscribers, True), (others, False))
        for telegram_id in ids
    ]

    async def _seed() -> int:
        await db.run(lambda s: s.execute(insert(User), rows))
        store = BroadcastStore(db)
        bid = await store.create(text, None, created_by=None, paid=paid, star_budget=budget)
        await store.start(bid, progress_chat_id)
        return bid

    try:
        return asyncio.run(_seed())
    finally:
        db.dispose()


def sender_env(
    port: int, database_url: str, data_dir: Path, *, rate: float, paid: bool, budget: float
) -> dict[str, str]:
    """The environment of a ``python -m bot.broadcast`` process on this emulator and database."""
    return {
        **{k: v for k, v in os.environ.items() if not k.startswith(("BROADCAST_", "TELEGRAM_"))},
        "TELEGRAM_BOT_TOKEN": SANDBOX_BOT_TOKEN,
        "TELEGRAM_BASE_URL": f"http://127.0.0.1:{port}/bot",
        "DATABASE_URL": database_url,
        "DATA_DIR": str(data_dir),
        "PRIVACY_KEY": secrets.token_hex(16),
        "BROADCAST_RATE": str(rate),
        "BROADCAST_PAID": "true" if paid else "false",
        "BROADCAST_STAR_BUDGET": str(budget),
        "LOG_LEVEL": "WARNING",
    }


def start_senders(count: int, env: dict[str, str], logs: Path) -> list[subprocess.Popen[bytes]]:
    """``count`` sender processes; each logs to ``{logs}-{i}.log``."""
    senders = []
    for i in range(count):
        log = Path(f"{logs}-{i}.log").open("wb")
        senders.append(
            subprocess.Popen(
                [str(BOT_PYTHON), "-m", "bot.broadcast"], cwd=REPO, env=env, stdout=log, stderr=log
            )
        )
    return senders


def stop_senders(senders: Sequence[subprocess.Popen[bytes]]) -> None:
    """SIGTERM every sender still running and wait for it."""
    for process in senders:
        if process.poll() is None:
            process.terminate()
    for process in senders:
        process.wait(15)


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


@dataclass(frozen=True)
class Setup:
    """What one run is."""

    mode: str
    count: int
    senders: int
    database: str  # sqlite | postgresql
    cap: float
    paid_cap: float
    rate: float
    postgres: str


def run(setup: Setup, root: Path) -> Result:
    """One run: emulator, seeded database, senders; measured until the broadcast is done."""
    mode, count = setup.mode, setup.count
    paid = mode == "paid"
    caps = ["--rate-limit", str(setup.cap), "--paid-rate-limit", str(setup.paid_cap)]
    name = f"{mode}-{count}-{setup.senders}"
    data_dir = root / name
    data_dir.mkdir(parents=True, exist_ok=True)
    senders: list[subprocess.Popen[bytes]] = []
    with running_emulator(*caps) as (sim, port, emulator):
        sim.post("/sim/users/bulk", json={"first_id": FIRST_ID, "count": count}).raise_for_status()
        with database(setup.database, data_dir, setup.postgres) as database_url:
            ids = range(FIRST_ID, FIRST_ID + count)
            broadcast_id = seed(database_url, ids, paid=paid, budget=count / 10 + 1)
            sim.delete("/sim/stats")
            env = sender_env(
                port, database_url, data_dir, rate=setup.rate, paid=paid, budget=count / 10 + 1
            )
            try:
                senders = start_senders(setup.senders, env, root / f"sender-{name}")
                peak = 0.0
                while True:
                    peak = max([peak, *(peak_mib(p.pid) for p in senders)])
                    status, received_429 = status_of(database_url, broadcast_id)
                    if status == "done":
                        break
                    for process in senders:
                        if process.poll() is not None:
                            raise RuntimeError(f"a sender exited with {process.returncode}")
                    time.sleep(0.5)
                peak = max([peak, *(peak_mib(p.pid) for p in senders)])
                sender_cpu = sum(cpu_seconds(p.pid) for p in senders)
                emulator_cpu = cpu_seconds(emulator.pid)
            finally:
                stop_senders(senders)
        stats = sim.get("/sim/stats").json()["stats"]
        seconds = float(stats["last_send_at"]) - float(stats["first_send_at"])
        lost = duplicated = 0
        for i in range(count):
            messages = sim.get(f"/sim/chats/{FIRST_ID + i}/messages").json()["messages"]
            got = sum(TEXT in str(m.get("text") or "") for m in messages)
            lost += got == 0
            duplicated += max(0, got - 1)
    delivered = count - lost
    return Result(
        mode,
        setup.senders,
        setup.database,
        count,
        setup.paid_cap if paid else setup.cap,
        (delivered - 1) / seconds if seconds > 0 else 0.0,
        seconds,
        max(received_429, int(stats["rate_limited"]["total"])),
        lost,
        duplicated,
        peak,
        sender_cpu,
        emulator_cpu,
    )


def main() -> None:
    """Run the free and the paid benchmark (paid once per number of senders); a Markdown table."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--subscribers", type=int, default=10_000, help="free run (0: none)")
    parser.add_argument("--paid-subscribers", type=int, nargs="*", default=[10_000, 40_000])
    parser.add_argument(
        "--senders",
        type=int,
        nargs="+",
        default=[1, 2, 3],
        help="sender processes of the paid runs, one run each (more than 1 needs PostgreSQL)",
    )
    parser.add_argument("--cap", type=float, default=30.0)
    parser.add_argument("--paid-cap", type=float, default=1000.0)
    parser.add_argument("--rate", type=float, default=30.0, help="BROADCAST_RATE")
    parser.add_argument("--database", choices=["postgresql", "sqlite"], default="postgresql")
    parser.add_argument("--postgres", default=POSTGRES_ADMIN, help="admin URL for throwaway DBs")
    args = parser.parse_args()
    if args.database == "sqlite" and max(args.senders) > 1:
        parser.error("more than one sender needs --database postgresql")

    def setup(mode: str, count: int, senders: int) -> Setup:
        return Setup(
            mode, count, senders, args.database, args.cap, args.paid_cap, args.rate, args.postgres
        )

    plan = [setup("free", args.subscribers, 1)] if args.subscribers else []
    plan += [setup("paid", c, n) for n in args.senders for c in args.paid_subscribers]
    results: list[Result] = []
    with tempfile.TemporaryDirectory(prefix="bench-broadcast-") as tmp:
        for item in plan:
            results.append(run(item, Path(tmp)))
            print(f"# {item.mode}, {item.count} subscribers, {item.senders} sender(s): done")
    print(
        "| mode | senders | database | subscribers | cap/s | delivered/s | of cap | time s | "
        "429s | lost | duplicated | peak MiB (one sender) | CPU s senders / emulator | "
        "sends per sender CPU s |"
    )
    print(
        "| --- | ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | "
        "---: | ---: |"
    )
    for r in results:
        print(
            f"| {r.mode} | {r.senders} | {r.database} | {r.subscribers} | {r.cap:g} | "
            f"{r.rate:.1f} | {r.fraction:.1%} | {r.seconds:.1f} | {r.rate_limited} | {r.lost} | "
            f"{r.duplicated} | {r.peak_mib:.1f} | {r.sender_cpu:.0f} / {r.emulator_cpu:.0f} | "
            f"{r.per_cpu_second:.0f} |"
        )


if __name__ == "__main__":
    main()
