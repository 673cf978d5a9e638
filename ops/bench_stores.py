"""CPU of one turn's store work on production's stores, Rasa's own against ours (engine venv).

A turn takes the conversation's lock, reads its tracker, appends a user message and the bot's
answer, saves it and gives the lock back. This times that on the real PostgreSQL (a throwaway
database) and Redis for three pairs: Rasa's ``SQLTrackerStore`` and ``RedisLockStore``; our SQL
store (``nlu/server/sql_store.py``) with Rasa's lock; our SQL store and lock
(``nlu/server/redis_lock.py``), as the server runs them. Rounds alternate, so a machine whose
speed drifts (shared cores) treats all three alike. It prints CPU and wall time per turn (this
process's CPU: the database's and Redis's own work is not in it). Run:

    .venvs/engine/bin/python -m ops.bench_stores [--turns 300] [--rounds 4]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
from pathlib import Path

from rasa.core.lock_store import LockStore, RedisLockStore
from rasa.core.tracker_store import AwaitableTrackerStore, SQLTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import (
    ActionExecuted,
    BotUttered,
    SessionStarted,
    UserUttered,
)
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.utils.endpoints import EndpointConfig

from nlu.server.redis_lock import use_atomic_redis_lock
from nlu.server.sql_store import speed_up_sql_stores
from ops.postgres import POSTGRES_ADMIN, temporary_postgres_database

REPO = Path(__file__).resolve().parent.parent
DOMAIN = Domain.load(str(REPO / "domain.yml"))
CONVERSATIONS = 50


def stores(
    database: str, our_sql: bool, our_lock: bool
) -> tuple[AwaitableTrackerStore, LockStore]:
    """A tracker store and a lock store, each Rasa's own or as the server runs it."""
    name = database.rsplit("/", 1)[1]
    sql = SQLTrackerStore(
        DOMAIN, dialect="postgresql", host="127.0.0.1", port=5432, db=name, username="postgres"
    )
    tracker_store = AwaitableTrackerStore(sql)
    lock = EndpointConfig.from_dict(
        {"type": "redis", "url": "127.0.0.1", "port": 6379, "db": 4, "key_prefix": "benchstores"}
    )
    if our_sql:
        speed_up_sql_stores(tracker_store)
    if our_lock:
        use_atomic_redis_lock(lock)
    lock_store = LockStore.create(lock)
    assert our_lock or type(lock_store) is RedisLockStore
    return tracker_store, lock_store


async def seed(tracker_store: AwaitableTrackerStore, prefix: str) -> None:
    """Conversations of a few turns each, as the load finds them."""
    for n in range(CONVERSATIONS):
        events: list = [ActionExecuted("action_session_start"), SessionStarted()]
        for turn in range(4):
            events += [
                ActionExecuted("action_listen"),
                UserUttered(f"halo {turn}", {"name": "greet", "confidence": 1.0}),
                ActionExecuted("utter_greet"),
                BotUttered(f"Halo {turn}!"),
            ]
        events.append(ActionExecuted("action_listen"))
        await tracker_store.save(DialogueStateTracker.from_events(f"{prefix}{n}", events))


async def turns(
    tracker_store: AwaitableTrackerStore, lock_store: LockStore, prefix: str, count: int
) -> tuple[float, float]:
    """(CPU ms, wall ms) per turn, mean over ``count`` turns."""
    cpu, wall = time.process_time(), time.perf_counter()
    for n in range(count):
        sender = f"{prefix}{n % CONVERSATIONS}"
        async with lock_store.lock(sender):
            tracker = await tracker_store.retrieve(sender)
            assert tracker is not None
            for event in (
                UserUttered("syarat", {"name": "ask_requirements", "confidence": 0.9}),
                ActionExecuted("utter_ask_requirements"),
                BotUttered("Syarat ikut Kartu Prakerja …"),
                ActionExecuted("action_listen"),
            ):
                tracker.update(event)
            await tracker_store.save(tracker)
    return (
        (time.process_time() - cpu) * 1000 / count,
        (time.perf_counter() - wall) * 1000 / count,
    )


async def run(args: argparse.Namespace) -> None:
    admin = POSTGRES_ADMIN.replace("postgresql+psycopg://", "postgresql://")  # psycopg2 here
    with temporary_postgres_database("prakerja_bench_stores", admin) as url:
        sides = {
            "rasa (its SQL store and Redis lock)": stores(url, our_sql=False, our_lock=False),
            "our SQL store, Rasa's lock": stores(url, our_sql=True, our_lock=False),
            "ours (SQL store and lock)": stores(url, our_sql=True, our_lock=True),
        }
        for number, (tracker_store, _) in enumerate(sides.values()):
            await seed(tracker_store, f"side{number}-")
        results: dict[str, list[tuple[float, float]]] = {name: [] for name in sides}
        for _ in range(args.rounds):
            for number, (name, (tracker_store, lock_store)) in enumerate(sides.items()):
                results[name].append(
                    await turns(tracker_store, lock_store, f"side{number}-", args.turns)
                )
        for name, measured in results.items():
            cpu = [c for c, _ in measured]
            wall = [w for _, w in measured]
            print(
                f"{name}: CPU {statistics.median(cpu):.2f} ms/turn"
                f" (rounds {', '.join(f'{c:.2f}' for c in cpu)}),"
                f" wall {statistics.median(wall):.2f} ms/turn"
            )
        for tracker_store, _ in sides.values():
            tracker_store._tracker_store.engine.dispose()  # type: ignore[attr-defined]


def main() -> None:
    """Time both implementations, alternating."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--turns", type=int, default=300, help="turns per round and side")
    parser.add_argument("--rounds", type=int, default=4)
    asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    main()
