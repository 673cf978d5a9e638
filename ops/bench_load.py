"""Open-loop load at rising rates, against Rasa alone and through Telegram: `make bench-load`.

Starts the whole stack on free ports (program API sandbox, Bot API emulator, action server, Rasa,
bot: every process on this machine), then for each rate sends FAQ messages from 600 applicants on a
fixed schedule, whatever the answers do (open loop: a slow system is not given time to catch up):

- **Rasa alone**: ``POST`` to Rasa's channel (``/webhooks/asisten/webhook``) with the metadata
  the bot sends, latency = the HTTP round trip;
- **through Telegram**: the emulator receives the applicant's message (``/sim/updates/message``),
  the bot fetches it, asks Rasa, replies; latency = the emulator's time of the reply minus the
  time it stored the applicant's message (what a person waits for), and the *bot layer*: from the
  emulator handing the update to the bot until the bot's sendMessage request reached it.

The first rate's applicants have written once before on both paths (the bot knows them, Rasa has
their conversation); later rates' are new. Then a *paired* step (``--paired-seconds``) runs both
paths at once at 10 msg/s in all, every other message on each, so the low-load comparison is
taken in the same seconds (this machine's speed drifts by up to 2× within minutes); its Rasa-alone
half is sent and timed by a process of its own (``ops/rasa_alone.py``), as the bot's calls are,
and ``--versus-floor`` repeats it with ``ops/floor_relay.py`` (only the hops) in the bot's place.

A rate is *held* when ≥99% of the messages are answered (within 10 s) with p95 ≤ 250 ms. Each
path stops after its first rate that is not held. Prints both tables, the CPU each process used
per message, and the cost of a turn early and late in one long session. A benchmark, not a test:
its figures depend on the machine; keep other work off the machine while it runs.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import dataclasses
import json
import os
import random
import statistics
import sys
import tempfile
import time
import zlib
from asyncio.subprocess import PIPE
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from bot.__main__ import use_uvloop
from bot.http11 import CONNECTION_ERRORS, KeepAlivePool
from ops.postgres import temporary_postgres_database
from ops.services import Service, file_exists, stop_all
from ops.stack import StackConfig, build_stack, free_port

APPLICANTS = 600
HELD_ANSWERED = 0.99
HELD_P95_MS = 250.0
DRAIN_SECONDS = 10.0

# FAQ messages as applicants type them; each gets a one-message answer (checked in the warm-up).
FAQ = [
    "syarat ikut prakerja apa aja",
    "cara daftar prakerja gmn",
    "insentifnya dapet brp",
    "bedanya skema normal sama semi bansos apa",
    "pelatihannya online atau offline",
    "cara beli pelatihan gimana kak",
    "batas waktu beli pelatihan pertama berapa hari",
    "kenapa aku gak lolos terus",
    "otp ga masuk2 min",
    "email verifikasi belum masuk",
    "sertifikat pelatihan kapan keluar",
    "1 kk boleh berapa orang",
    "pns boleh ikut prakerja gak",
    "penerima pkh boleh daftar?",
    "tes kemampuan dasar itu apa",
    "makasih ya",
    "halo",
]


@dataclass
class Step:
    """One rate: what was sent and how it went."""

    rate: float
    sent: int
    answered: int
    latencies: list[float]
    cpu_ms: dict[str, float]

    @property
    def answered_share(self) -> float:
        return self.answered / self.sent if self.sent else 0.0

    def pct(self, q: float) -> float:
        if not self.latencies:
            return float("nan")
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))]

    @property
    def held(self) -> bool:
        return self.answered_share >= HELD_ANSWERED and self.pct(0.95) <= HELD_P95_MS


def _children(pid: int) -> list[int]:
    """The live child processes of ``pid`` (Linux /proc)."""
    children: list[int] = []
    for task in Path(f"/proc/{pid}/task").glob("*/children"):
        try:
            children += [int(c) for c in task.read_text().split()]
        except OSError:
            pass
    return children


def cpu_seconds(pid: int | None) -> float:
    """User + system CPU time so far of a process, its exited children and its live ones (Rasa's
    Sanic workers are live children of the process that was started)."""
    if pid is None:
        return 0.0
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    ticks = sum(int(fields[i]) for i in (11, 12, 13, 14))  # utime stime cutime cstime
    return ticks / os.sysconf("SC_CLK_TCK") + sum(cpu_seconds(c) for c in _children(pid))


async def bot_timings(metrics: httpx.AsyncClient) -> tuple[float, float, float, float]:
    """The bot's own histograms so far: (update handling until the last reply: sum, count;
    its Rasa message calls: sum, count), in seconds."""
    totals = [0.0, 0.0, 0.0, 0.0]
    try:
        exposition = (await metrics.get("/metrics")).text
    except httpx.HTTPError:  # --floor-relay: no bot, no histograms
        return 0.0, 0.0, 0.0, 0.0
    for line in exposition.splitlines():
        name, _, value = line.rpartition(" ")
        for slot, prefix in enumerate(
            (
                "prakerja_reply_latency_seconds_sum",
                "prakerja_reply_latency_seconds_count",
                'prakerja_rasa_request_duration_seconds_sum{operation="message"',
                'prakerja_rasa_request_duration_seconds_count{operation="message"',
            )
        ):
            if name.startswith(prefix):
                totals[slot] += float(value)
    return totals[0], totals[1], totals[2], totals[3]


def bot_split_ms(before: tuple[float, ...], after: tuple[float, ...]) -> tuple[float, float]:
    """Between two snapshots, mean ms per update: the bot's own time besides waiting for Rasa,
    and its Rasa call."""
    replies, calls = after[1] - before[1], after[3] - before[3]
    if not replies or not calls:
        return float("nan"), float("nan")
    rasa_ms = (after[2] - before[2]) / calls * 1000
    return (after[0] - before[0]) / replies * 1000 - rasa_ms, rasa_ms


# Shared servers whose CPU is part of a turn on production's stores (all their processes).
SERVERS = {"postgresql": ("postgres",), "redis": ("redis-server",)}


def server_cpu_seconds(commands: tuple[str, ...]) -> float:
    """User + system CPU so far of every process whose command name is one of ``commands``
    (PostgreSQL's backends come and go: an exited one's time is in its parent's cutime)."""
    total = 0.0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            head, _, rest = stat.read_text().rpartition(")")
        except OSError:
            continue
        if head.split("(", 1)[-1] in commands:
            fields = rest.split()
            total += sum(int(fields[i]) for i in (11, 12, 13, 14)) / os.sysconf("SC_CLK_TCK")
    return total


def cpu_snapshot(services: list[Service], servers: bool = False) -> dict[str, float]:
    snapshot = {s.name: cpu_seconds(s.pid) for s in services}
    if servers:
        snapshot |= {name: server_cpu_seconds(c) for name, c in SERVERS.items()}
    return snapshot


def schedule(rate: float, seconds: float) -> list[float]:
    """Send offsets for an open loop at ``rate`` messages per second."""
    return [i / rate for i in range(int(rate * seconds))]


# What the bot sends with an emulator applicant's message (``bot.dialogue.converse``): Rasa keeps
# it in the tracker, so "Rasa alone" carries it too.
METADATA = {"telegram": {"language_code": "id", "chat_type": "private"}}


class RasaChannel:
    """Rasa's channel as the bot calls it: one kept-alive ``bot.http11`` pool per Rasa process
    (the bot's own message client), each sender to its process by the bot's routing hash. With
    httpx here instead, the client's own CPU added 2–3 ms to "Rasa alone" that the bot's path
    does not pay, and the comparison flattered the bot."""

    def __init__(self, urls: list[str], token: str) -> None:
        self.urls, self.token = urls, token
        self._pools = [
            KeepAlivePool(
                url,
                size=512,
                user_agent="bench-load",
                headers={"Authorization": f"Bearer {token}"},
            )
            for url in urls
        ]

    async def send(self, sender: str, text: str) -> bool:
        """One message; whether Rasa answered it with at least one bot message."""
        pool = self._pools[zlib.crc32(sender.encode()) % len(self._pools)]
        body = json.dumps({"sender": sender, "message": text, "metadata": METADATA}).encode()
        try:
            status, answer = await pool.post(
                "/webhooks/asisten/webhook",
                body,
                time_limit=DRAIN_SECONDS,
                content_type="application/json",
            )
        except (TimeoutError, *CONNECTION_ERRORS):
            return False
        return status == 200 and bool(json.loads(answer))

    async def aclose(self) -> None:
        for pool in self._pools:
            await pool.aclose()


async def rasa_step(
    rasa: RasaChannel, rate: float, seconds: float, step_no: int
) -> tuple[int, list[float]]:
    """Rasa alone: each message is an HTTP round trip to (the sender's) Rasa channel."""
    latencies: list[float] = []
    offsets = schedule(rate, seconds)
    began = time.perf_counter()

    async def one(index: int, at: float) -> None:
        await asyncio.sleep(max(0.0, began + at - time.perf_counter()))
        sent = time.perf_counter()
        if await rasa.send(f"load-{step_no}-{index % APPLICANTS}", FAQ[index % len(FAQ)]):
            latencies.append((time.perf_counter() - sent) * 1000)

    await asyncio.gather(*(one(i, at) for i, at in enumerate(offsets)))
    return len(offsets), latencies


async def telegram_step(
    sim: httpx.AsyncClient,
    rate: float,
    seconds: float,
    user_base: int,
    bot_layer: list[float] | None = None,
) -> tuple[int, list[float]]:
    """Through Telegram: inject updates into the emulator, then read when each answer arrived.

    ``bot_layer`` (if given) also gets, per answer, the time from the emulator handing the update
    to the bot (its getUpdates answer, or webhook POST) until the bot's sendMessage request reached
    the emulator: the bot's part of the path, without the emulator's (Telegram's) queueing,
    long-poll wake-up and handling of the reply."""
    calls_before = (
        await sim.get("/sim/calls", params={"method": "sendMessage", "since": 1 << 60})
    ).json()["total"]
    offsets = schedule(rate, seconds)
    began = time.perf_counter()
    sent: dict[int, list[tuple[float, int]]] = {}  # user id -> (stored_at, update_id) of each

    async def one(index: int, at: float) -> None:
        await asyncio.sleep(max(0.0, began + at - time.perf_counter()))
        user = user_base + index % APPLICANTS
        text = FAQ[(index // APPLICANTS + index) % len(FAQ)]
        response = await sim.post(
            "/sim/updates/message", json={"user_id": user, "first_name": "Beban", "text": text}
        )
        response.raise_for_status()
        queued = response.json()
        stamp = float(queued.get("stored_at") or time.time())
        sent.setdefault(user, []).append((stamp, int(queued["update_id"])))

    await asyncio.gather(*(one(i, at) for i, at in enumerate(offsets)))
    await asyncio.sleep(DRAIN_SECONDS)
    first_update = min((u for stamps in sent.values() for _, u in stamps), default=1)
    handed = (await sim.get("/sim/handed-over", params={"since": first_update - 1})).json()[
        "handed_over"
    ]
    # when each reply's sendMessage request reached the emulator, per chat in order
    requested: dict[int, list[float]] = {}
    for call in (
        await sim.get("/sim/calls", params={"method": "sendMessage", "since": calls_before})
    ).json()["calls"]:
        if call.get("ok"):
            requested.setdefault(int(call["params"]["chat_id"]), []).append(float(call["ts"]))
    latencies: list[float] = []
    answered = 0
    for user, stamps in sent.items():
        messages = (await sim.get(f"/sim/chats/{user}/messages")).json()["messages"]
        # this step's answers: the chat also holds earlier steps' (all answered during their drain)
        replies = [
            m["stored_at"] for m in messages if m["from_bot"] and m["stored_at"] >= stamps[0][0]
        ]
        # each FAQ answer is one message and a chat's answers come in order
        requests = requested.get(user, [])
        for n, ((asked, update_id), replied) in enumerate(
            zip(sorted(stamps), replies, strict=False)
        ):
            if replied - asked <= DRAIN_SECONDS:
                answered += 1
                latencies.append((replied - asked) * 1000)
                if bot_layer is not None and str(update_id) in handed and n < len(requests):
                    bot_layer.append((requests[n] - handed[str(update_id)]) * 1000)
    return len(offsets), latencies


PAIRED_STEP = 99  # Rasa-alone senders load-99-…
PAIRED_USERS = 895_000_000  # Telegram applicants of the paired step


async def rasa_alone_elsewhere(
    rasa: RasaChannel, rate: float, seconds: float, start_at: float
) -> list[float]:
    """The paired step's Rasa-alone half, sent and timed by a process of its own
    (``ops.rasa_alone``), as the bot's calls are: not by this one, which also drives the
    Telegram half."""
    job = {
        "urls": rasa.urls,
        "token": rasa.token,
        "rate": rate,
        "seconds": seconds,
        "step": PAIRED_STEP,
        "start_at": start_at,
    }
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "ops.rasa_alone", stdin=PIPE, stdout=PIPE
    )
    out, _ = await process.communicate(json.dumps(job).encode())
    if process.returncode:
        raise RuntimeError(f"ops.rasa_alone exited with {process.returncode}")
    latencies: list[float] = json.loads(out)
    return latencies


async def paired_low_load(
    rasa: RasaChannel,
    sim: httpx.AsyncClient,
    metrics: httpx.AsyncClient,
    rate: float,
    seconds: float,
) -> tuple[float, float]:
    """Both paths at once, every other message on each: the comparison at low load without the
    machine's drift between the two ramps (its speed changed by up to 2× within minutes).
    Rasa alone's p50 and the bot layer's, in ms."""
    # each applicant of both halves has written once before, as in the ramps' first rate
    await rasa_step(rasa, 30, APPLICANTS / 30, PAIRED_STEP)
    await telegram_step(sim, 30, APPLICANTS / 30, PAIRED_USERS)
    await asyncio.sleep(2)
    half = rate / 2
    layer: list[float] = []

    async def through_telegram(start_at: float) -> tuple[int, list[float]]:
        # halfway between two Rasa-alone messages
        await asyncio.sleep(max(0.0, start_at + 1 / rate - time.time()))
        return await telegram_step(sim, half, seconds, PAIRED_USERS, layer)

    before = await bot_timings(metrics)
    start_at = time.time() + 3  # the other process's start-up
    alone, (_, through) = await asyncio.gather(
        rasa_alone_elsewhere(rasa, half, seconds, start_at), through_telegram(start_at)
    )
    own, call = bot_split_ms(before, await bot_timings(metrics))
    base = Step(rate, 0, 0, alone, {}).pct(0.5)
    print(f"\nPaired at {rate:g} msg/s in all (every other message on each path, same seconds):")
    print("| path | answered | p50 ms | p95 ms | p50 over Rasa alone |\n|---|---|---|---|---|")
    for label, latencies in (
        ("Rasa's channel directly (from a process of its own)", alone),
        ("through Telegram (emulator's clock, update queued → reply stored)", through),
        ("bot layer (update handed to the bot → its sendMessage reached the emulator)", layer),
    ):
        step = Step(rate, 0, 0, latencies, {})
        over = step.pct(0.5) - base
        print(
            f"| {label} | {len(latencies)} | {step.pct(0.5):.1f} | {step.pct(0.95):.1f}"
            f" | {over:+.1f} ms ({over / max(base, 1e-9):+.0%}) |"
        )
    print(
        f"The bot's own time {own:.1f} ms per update on a {call:.1f} ms Rasa call (histograms,"
        f" means; sendMessage round trip included): {own / call if call else float('nan'):+.0%}"
    )
    return base, Step(rate, 0, 0, layer, {}).pct(0.5)


def swap(running: Service, replacement: Service, ready: Path) -> None:
    """Stop ``running`` and start ``replacement`` in its place (they share the ready file)."""
    running.stop()
    ready.unlink(missing_ok=True)
    replacement.start()
    replacement.wait_healthy()


async def versus_floor(
    rasa: RasaChannel,
    sim: httpx.AsyncClient,
    metrics: httpx.AsyncClient,
    services: list[Service],
    args: argparse.Namespace,
) -> None:
    """The paired step again with the bot and then with ``ops.floor_relay`` in its place, in
    turns: how much of the bot layer a separate process costs at all, and how much is the bot's
    (the first round's bot is the one already running; later ones are restarted)."""
    index = next(i for i, s in enumerate(services) if s.name == "bot")
    bot = services[index]
    floor = floor_relay(bot)
    ready = Path(bot.env["BOT_READY_FILE"])
    rounds: list[tuple[str, float, float]] = []
    for _ in range(args.versus_floor):
        for label, service in (("bot", bot), ("floor relay", floor)):
            if services[index] is not service:
                await asyncio.to_thread(swap, services[index], service, ready)
                services[index] = service
            print(f"\n[{label}]", end="")
            alone, layer = await paired_low_load(
                rasa, sim, metrics, args.paired_rate, args.paired_seconds
            )
            rounds.append((label, alone, layer))
    print(f"\nBot layer over Rasa alone, paired at {args.paired_rate:g} msg/s, in turns:")
    print("| round | in the bot's place | Rasa alone p50 ms | bot layer p50 ms | over |")
    print("|---|---|---|---|---|")
    for n, (label, alone, layer) in enumerate(rounds):
        print(
            f"| {n // 2 + 1} | {label} | {alone:.1f} | {layer:.1f} | {layer - alone:+.1f} ms"
            f" ({(layer - alone) / max(alone, 1e-9):+.0%}) |"
        )
    for label in ("floor relay", "bot"):
        overs = [(lay - alone) / alone for name, alone, lay in rounds if name == label and alone]
        if overs:
            print(f"{label}: median {statistics.median(overs):+.0%} over Rasa alone")


async def session_growth(rasa: RasaChannel, turns: int) -> tuple[float, float]:
    """Median latency of turns 1–20 and of the last 20 turns of one long session."""
    latencies = []
    for turn in range(turns):
        began = time.perf_counter()
        await rasa.send("load-long-session", FAQ[turn % len(FAQ)])
        latencies.append((time.perf_counter() - began) * 1000)
    return statistics.median(latencies[:20]), statistics.median(latencies[-20:])


def print_table(title: str, steps: list[Step], names: list[str]) -> None:
    print(f"\n{title}")
    print(
        "| rate (msg/s) | sent | answered | p50 ms | p95 ms | p99 ms | held | CPU ms/msg "
        + " ".join(f"| {n}" for n in names)
        + " |"
    )
    print("|---|---|---|---|---|---|---|" + "---|" * len(names))
    for s in steps:
        cpu = " ".join(f"| {s.cpu_ms.get(n, 0.0):.1f}" for n in names)
        print(
            f"| {s.rate:g} | {s.sent} | {s.answered_share:.1%} | {s.pct(0.5):.1f}"
            f" | {s.pct(0.95):.1f}"
            f" | {s.pct(0.99):.1f} | {'yes' if s.held else 'no'} {cpu} |"
        )
    held = [s.rate for s in steps if s.held]
    print(f"held: {max(held):g} msg/s" if held else "held: none")


async def run(config: StackConfig, services: list[Service], args: argparse.Namespace) -> None:
    """Warm up, ramp Rasa alone, ramp through Telegram, print the tables."""
    rates = [float(r) for r in args.rates.split(",")]
    names = [s.name for s in services]
    if config.tracker_store_url:  # the machine's PostgreSQL and Redis serve this stack alone
        names += list(SERVERS)
    limits = httpx.Limits(max_connections=2000, max_keepalive_connections=500)
    sim_url = f"http://{config.host}:{config.chat_port}"
    metrics_url = f"http://{config.metrics_host}:{config.metrics_port}"
    rasa = RasaChannel(config.rasa_urls, config.rasa_token)
    try:
        await _measure(rasa, config, services, args, rates, names, sim_url, metrics_url, limits)
    finally:
        await rasa.aclose()


async def _measure(
    rasa: RasaChannel,
    config: StackConfig,
    services: list[Service],
    args: argparse.Namespace,
    rates: list[float],
    names: list[str],
    sim_url: str,
    metrics_url: str,
    limits: httpx.Limits,
) -> None:
    """Both paths' ramps and the tables."""
    async with (
        httpx.AsyncClient(base_url=sim_url, limits=limits, timeout=30) as sim,
        httpx.AsyncClient(base_url=metrics_url, timeout=10) as metrics,
    ):
        # warm-up: every FAQ once on both paths (first requests load lazily)
        for text in FAQ:
            for process in range(len(config.rasa_urls)):  # every process (senders spread)
                await rasa.send(f"load-warmup-{process}", text)
        await telegram_step(sim, 5, 4, 880_000_000)
        # every applicant of the first rate has written once before it, on both paths (a first
        # contact is a write in the bot and a new conversation in Rasa; later rates' are new)
        await telegram_step(sim, 30, APPLICANTS / 30, 890_000_000)
        await rasa_step(rasa, 30, APPLICANTS / 30, 0)

        async def ramp(label: str, step: Any) -> list[Step]:
            """Rising rates until one is not held; CPU per message of every process."""
            steps: list[Step] = []
            for n, rate in enumerate(rates):
                before = cpu_snapshot(services, bool(config.tracker_store_url))
                sent, latencies = await step(n, rate)
                after = cpu_snapshot(services, bool(config.tracker_store_url))
                cpu = {k: (after[k] - before[k]) * 1000 / max(sent, 1) for k in names}
                steps.append(Step(rate, sent, len(latencies), latencies, cpu))
                print(f"  {label} {rate:g}/s: p95 {steps[-1].pct(0.95):.0f} ms", flush=True)
                if not steps[-1].held:
                    break
                await asyncio.sleep(2)
            return steps

        rasa_steps: list[Step] = []
        if not args.skip_rasa:
            rasa_steps = await ramp(
                "rasa alone",
                lambda n, rate: rasa_step(rasa, rate, args.seconds, n),
            )
            print_table("Rasa's channel directly (open loop)", rasa_steps, names)

        calls_before = len((await sim.get("/sim/calls")).json()["calls"])
        bot_split: dict[float, tuple[float, float]] = {}
        bot_layer: dict[float, list[float]] = {}

        async def split_step(n: int, rate: float) -> tuple[int, list[float]]:
            """A Telegram step, noting the bot's own time per update from its histograms."""
            before = await bot_timings(metrics)
            # each rate has its own 600 applicants (the first rate's wrote once in the warm-up)
            result = await telegram_step(
                sim, rate, args.seconds, 890_000_000 + n * 10_000, bot_layer.setdefault(rate, [])
            )
            bot_split[rate] = bot_split_ms(before, await bot_timings(metrics))
            return result

        steps = await ramp("through telegram", split_step)
        print_table(
            "Through Telegram: emulator → bot → Rasa (+ actions) → emulator (open loop)",
            steps,
            names,
        )
        print("(CPU ms/msg includes the drain time's idle work, e.g. long-polls.)")
        print(
            "The bot's own time per update (its handling until the last reply was sent, minus"
            " its Rasa call; includes the sendMessage round trip) / its Rasa call, means: "
            + ", ".join(
                f"{rate:g}/s {own:.1f} / {call:.1f} ms" for rate, (own, call) in bot_split.items()
            )
        )
        calls = (await sim.get("/sim/calls", params={"since": calls_before})).json()["calls"]
        sent = sum(s.sent for s in steps)
        by_method: dict[str, int] = {}
        for call in calls:
            by_method[call["method"]] = by_method.get(call["method"], 0) + 1
        print(
            "Bot API calls per applicant message: "
            + ", ".join(f"{m} {c / max(sent, 1):.2f}" for m, c in sorted(by_method.items()))
        )
        if rasa_steps and steps:
            low_rasa, low_tg = rasa_steps[0], steps[0]
            added = low_tg.pct(0.5) - low_rasa.pct(0.5)
            print(
                f"At {low_tg.rate:g} msg/s the Telegram path's p50 is {low_tg.pct(0.5):.1f} ms"
                f" (timed inside the emulator) against Rasa's own {low_rasa.pct(0.5):.1f} ms"
                f" (timed at this client, on the bot's own HTTP client): {added:+.1f} ms"
                f" ({added / max(low_rasa.pct(0.5), 1e-9):+.0%})"
            )
            held = Step(low_tg.rate, 0, 0, bot_layer.get(low_tg.rate, []), {})
            added = held.pct(0.5) - low_rasa.pct(0.5)
            print(
                f"At {low_tg.rate:g} msg/s the bot layer's p50 (the emulator handing the update to"
                f" the bot until the bot's sendMessage reached it) is {held.pct(0.5):.1f} ms"
                f" against Rasa's own"
                f" {low_rasa.pct(0.5):.1f} ms: {added:+.1f} ms"
                f" ({added / max(low_rasa.pct(0.5), 1e-9):+.0%})"
            )
            own, call = bot_split.get(low_tg.rate, (float("nan"), float("nan")))
            print(
                f"At {low_tg.rate:g} msg/s the bot's own time is {own:.1f} ms per update on a"
                f" {call:.1f} ms Rasa call, both from the bot's histograms"
                f" ({own / call if call else float('nan'):+.0%})"
            )

        if args.paired_seconds and not args.skip_rasa:
            await paired_low_load(rasa, sim, metrics, args.paired_rate, args.paired_seconds)
            if args.versus_floor and not args.floor_relay:
                await versus_floor(rasa, sim, metrics, services, args)

        if args.session_turns:
            early, late = await session_growth(rasa, args.session_turns)
            print(
                f"\nturn latency in one session (Rasa alone): median of turns 1–20 {early:.0f} ms,"
                f" of turns {args.session_turns - 19}–{args.session_turns} {late:.0f} ms"
            )


def floor_relay(bot: Service) -> Service:
    """The bot's service running ``ops.floor_relay`` instead (same environment, ready file)."""
    ready = Path(bot.env["BOT_READY_FILE"])
    return dataclasses.replace(
        bot,
        name="floor-relay",
        argv=[bot.argv[0], "-m", "ops.floor_relay"],
        healthy=file_exists(ready),
        log_path=bot.log_path.with_name("floor-relay.log"),
        process=None,
        _sink=None,
        _pump=None,
    )


def main() -> None:
    """Start the stack, run both open loops, print the tables."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rates", default="10,20,40,60,80,100,120,150")
    parser.add_argument("--seconds", type=float, default=10.0, help="duration of each rate")
    parser.add_argument("--session-turns", type=int, default=400)
    parser.add_argument("--skip-rasa", action="store_true")
    parser.add_argument(
        "--paired-seconds",
        type=float,
        default=30.0,
        help="duration of the paired low-load step (both paths at once; 0 = none)",
    )
    parser.add_argument(
        "--paired-rate", type=float, default=10.0, help="msg/s of the paired step, both halves"
    )
    parser.add_argument(
        "--model", type=Path, default=None, help="model archive (default: models/)"
    )
    parser.add_argument(
        "--production-stores",
        action="store_true",
        help="Rasa on production's stores: the Redis lock store and a PostgreSQL tracker store"
        " (in a throwaway database) instead of the in-memory ones",
    )
    parser.add_argument(
        "--rasa-workers",
        type=int,
        default=1,
        help="SANIC_WORKERS for Rasa; above 1 implies --production-stores (workers share them)",
    )
    parser.add_argument(
        "--rasa-processes",
        type=int,
        default=1,
        help="Rasa processes (RASA_PROCESSES); the bot routes each applicant to one of them",
    )
    parser.add_argument(
        "--floor-relay",
        action="store_true",
        help="ops.floor_relay in the bot's place: a relay with only the hops, no PTB or checks"
        " (what a separate process between Telegram and Rasa costs; not a bot)",
    )
    parser.add_argument(
        "--versus-floor",
        type=int,
        default=0,
        metavar="ROUNDS",
        help="after the paired step, ROUNDS more of it with the bot and then ops.floor_relay in"
        " the bot's place (polling only)",
    )
    parser.add_argument(
        "--webhook",
        action="store_true",
        help="the bot in webhook mode (production's): the emulator POSTs each update to it",
    )
    args = parser.parse_args()
    random.seed(42)
    root = Path(tempfile.mkdtemp(prefix="prakerja-load-"))
    overrides: dict[str, Any] = {"bot_env": {"LOG_LEVEL": "WARNING"}}
    if args.model:
        overrides["model"] = args.model.resolve()
    if args.webhook:
        port = free_port()
        overrides["bot_env"] |= {
            "TELEGRAM_WEBHOOK_URL": f"http://127.0.0.1:{port}/telegram",
            "TELEGRAM_WEBHOOK_PORT": str(port),
        }
    with contextlib.ExitStack() as cleanup:
        if args.production_stores or args.rasa_workers > 1:
            tracker_db = cleanup.enter_context(temporary_postgres_database("prakerja_bench"))
            overrides |= {
                "redis_url": "redis://127.0.0.1:6379/1",
                "tracker_store_url": tracker_db.replace("postgresql+psycopg://", "postgresql://"),
                "rasa_env": {"SANIC_WORKERS": str(args.rasa_workers)},
            }
        config = StackConfig.on_free_ports(root, rasa_processes=args.rasa_processes, **overrides)
        services = build_stack(config)
        if args.floor_relay:
            services = [floor_relay(s) if s.name == "bot" else s for s in services]
        try:
            for service in services:
                service.start()
                service.wait_healthy()
            use_uvloop()  # as the bot runs: the client's loop is not part of Rasa's latency
            asyncio.run(run(config, services, args))
        finally:
            stop_all(services)


if __name__ == "__main__":
    main()
