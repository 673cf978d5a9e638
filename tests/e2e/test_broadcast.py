"""Broadcasts end to end with Telegram's send cap on: subscribers, admin approval, exact delivery,
``kill -9`` of the stack mid-broadcast, drafts from the program API and AUTO_ANNOUNCE.

This module kills and restarts processes, so it runs on a stack of its own. The Bot API emulator
plays Telegram and is the one process left running (Telegram does not restart with us).
"""

from __future__ import annotations

import re
import signal
import sqlite3
import time
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest

from bot import texts
from bot.broadcast.sender import batch_size
from tests.e2e.applicant import Applicant, Reply, all_text
from tests.e2e.conftest import Stack, running_stack

ADMIN_ID = 910_000_001
SUBSCRIBERS = 300
BLOCKERS = 20
RATE = 25.0  # BROADCAST_RATE, below the emulator's 30/s cap
IN_FLIGHT_BOUND = batch_size(RATE)  # what a kill -9 may re-send (docs/architecture.md)


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory, tracker_database: str) -> Iterator[Stack]:
    """A stack with one admin, Telegram's caps on and a fast gelombang poll."""
    bot_env = {
        "ADMIN_USER_IDS": str(ADMIN_ID),
        "BROADCAST_RATE": str(RATE),
        "BATCH_POLL_SECONDS": "1",
    }
    with running_stack(
        tmp_path_factory.mktemp("broadcast-stack"),
        tracker_database,
        emulator_args=["--limits", "telegram"],
        bot_env=bot_env,
    ) as running:
        yield running


def restart(stack: Stack, *, kill: bool) -> None:
    """Stop every process but the emulator (SIGKILL when ``kill``), then start them again."""
    ours = [s for name, s in stack.services.items() if name != "telegram-emulator"]
    for service in reversed(ours):
        service.signal(signal.SIGKILL if kill else signal.SIGTERM)
    for service in ours:
        if service.process is not None:
            service.process.wait(30)
    (stack.config.run_dir / "bot.ready").unlink(missing_ok=True)  # a killed bot leaves it
    for service in ours:
        service.start()
        service.wait_healthy()


@pytest.fixture(scope="module")
def admin(stack: Stack) -> Applicant:
    """The admin's chat."""
    return Applicant(stack.sim, user_id=ADMIN_ID, first_name="Admin")


@pytest.fixture(scope="module")
def people(stack: Stack) -> dict[str, list[Applicant]]:
    """A few hundred subscribers; some then block the bot and one unsubscribes."""
    fans = [Applicant(stack.sim, first_name=f"Warga{i}") for i in range(SUBSCRIBERS)]

    def join(person: Applicant) -> str:
        return all_text(person.say("/langganan", settle=0.1, timeout=60))

    with ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(join, fans))
    assert answers == [texts.SUBSCRIBED] * SUBSCRIBERS
    blockers, quitter = fans[:BLOCKERS], fans[BLOCKERS]
    for person in blockers:
        stack.sim.post(f"/sim/users/{person.user_id}/block").raise_for_status()
    assert all_text(quitter.say("/berhenti", settle=0.1)) == texts.UNSUBSCRIBED
    outsider = stack.applicant("Tamu")
    outsider.say("/start", settle=0.1)
    wait_until(lambda: stored(stack, "blocked_bot") == BLOCKERS, "blocks recorded")
    return {"active": fans[BLOCKERS + 1 :], "others": [*blockers, quitter, outsider]}


def stored(stack: Stack, column: str) -> int:
    """How many users have ``column`` set in the bot database."""
    with sqlite3.connect(stack.config.data_dir / "bot.sqlite3") as db:
        return int(db.execute(f"SELECT count(*) FROM users WHERE {column}").fetchone()[0])


def broadcast_row(stack: Stack, broadcast_id: int) -> dict[str, Any]:
    """One broadcast row from the bot database."""
    with sqlite3.connect(stack.config.data_dir / "bot.sqlite3") as db:
        db.row_factory = sqlite3.Row
        row = db.execute("SELECT * FROM broadcasts WHERE id = ?", (broadcast_id,)).fetchone()
    return dict(row) if row else {}


def wait_until(check: Any, what: str, timeout: float = 120) -> None:
    """Poll ``check`` until it is true."""
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for: {what}")
        time.sleep(0.3)


def chat_texts(stack: Stack, user_id: int) -> list[str]:
    """What the bot sent into a private chat (texts and captions)."""
    messages = stack.sim.get(f"/sim/chats/{user_id}/messages").json()["messages"]
    return [str(m.get("text") or m.get("caption") or "") for m in messages]


def deliveries(stack: Stack, people: list[Applicant], needle: str) -> Counter[int]:
    """How many messages containing ``needle`` each person got."""
    return Counter(
        {p.user_id: sum(needle in t for t in chat_texts(stack, p.user_id)) for p in people}
    )


def control_message(replies: list[Reply]) -> tuple[Reply, int]:
    """The message with Kirim / Batal and its broadcast id."""
    control = next(r for r in replies if texts.BUTTON_BROADCAST_SEND in dict(r.buttons))
    found = re.search(r"siaran #(\d+)", control.text)
    assert found
    return control, int(found.group(1))


def numbers(text: str) -> dict[str, int]:
    """``Label: n`` lines of a progress or summary message."""
    return {k: int(v) for k, v in re.findall(r"^([A-Za-z ]+): (\d+)", text, flags=re.M)}


def admin_text(stack: Stack, needle: str, timeout: float = 60) -> str:
    """The admin's message containing ``needle`` (waits for it)."""
    found: list[str] = []

    def check() -> bool:
        found[:] = [t for t in chat_texts(stack, ADMIN_ID) if needle in t]
        return bool(found)

    wait_until(check, needle, timeout)
    return found[-1]


def test_a_non_admins_siaran_sends_nothing(
    stack: Stack, people: dict[str, list[Applicant]]
) -> None:
    someone = people["active"][0]
    assert all_text(someone.say("/siaran Halo semua", settle=0.5)) == texts.BROADCAST_NOT_ADMIN
    time.sleep(1)
    assert sum(deliveries(stack, people["active"][1:20], "Halo semua").values()) == 0


def test_batal_sends_nothing_and_kirim_delivers_exactly_once_to_subscribers_only(
    stack: Stack, admin: Applicant, people: dict[str, list[Applicant]]
) -> None:
    replies = admin.say("/siaran <b>Uji batal</b>", settle=0.5)
    control, dropped = control_message(replies)
    assert f"Penerima: {SUBSCRIBERS - BLOCKERS - 1} pelanggan" in control.text
    admin.press(control, texts.BUTTON_BROADCAST_DROP, settle=0.5)
    replies = admin.say("/siaran <b>Kabar uji</b> pertama", settle=0.5)
    assert replies[0].text.startswith("Kabar uji pertama")  # the preview as subscribers see it
    control, broadcast_id = control_message(replies)
    admin.press(control, texts.BUTTON_BROADCAST_SEND, settle=0.2)
    summary = admin_text(stack, f"Siaran #{broadcast_id} selesai", timeout=120)
    got = deliveries(stack, people["active"], "Kabar uji pertama")
    assert set(got.values()) == {1}
    assert sum(deliveries(stack, people["others"], "Kabar uji pertama").values()) == 0
    assert sum(deliveries(stack, people["active"], "Uji batal").values()) == 0
    counts = numbers(summary)
    total = SUBSCRIBERS - BLOCKERS - 1
    assert counts["Terkirim"] == total and counts["Total penerima"] == total
    assert counts["Terkirim"] + counts["Gagal"] + counts["Memblokir bot"] == total
    progress = numbers(admin_text(stack, f"Siaran #{broadcast_id} – selesai"))
    assert progress["Terkirim"] == total and progress["Tersisa"] == 0
    assert broadcast_row(stack, dropped)["status"] == "cancelled"


def test_a_gelombang_opened_in_the_sandbox_gives_the_admins_one_draft(
    stack: Stack, admin: Applicant
) -> None:
    opened = httpx.post(
        f"http://127.0.0.1:{stack.config.program_api_port}/_sandbox/gelombang",
        json={"nomor": 90, "status": "open"},
        headers={"Authorization": f"Bearer {stack.config.program_api_token}"},
        timeout=10,
    )
    opened.raise_for_status()
    admin_text(stack, "Gelombang 90 Kartu Prakerja sudah dibuka", timeout=30)
    time.sleep(4)  # several more polls: still one draft
    drafts = [t for t in chat_texts(stack, ADMIN_ID) if "Draf otomatis" in t]
    assert len(drafts) == 1
    previews = [t for t in chat_texts(stack, ADMIN_ID) if "Gelombang 90 Kartu Prakerja" in t]
    assert len(previews) == 1 and "WIB" in previews[0] and "www.prakerja.go.id" in previews[0]


def test_kill_9_of_the_stack_mid_broadcast_then_restart_completes_it(
    stack: Stack, admin: Applicant, people: dict[str, list[Applicant]]
) -> None:
    replies = admin.say("/siaran Kabar uji kedua", settle=0.5)
    control, broadcast_id = control_message(replies)
    admin.press(control, texts.BUTTON_BROADCAST_SEND, settle=0.2)
    wait_until(lambda: broadcast_row(stack, broadcast_id).get("sent", 0) >= 60, "some sent", 60)
    # Also: the next run turns AUTO_ANNOUNCE on (the last test uses it).
    stack.services["bot"].env = {**stack.services["bot"].env, "AUTO_ANNOUNCE": "true"}
    restart(stack, kill=True)
    row = broadcast_row(stack, broadcast_id)
    assert row["status"] == "running" and row["sent"] < row["total"]
    admin_text(stack, f"Siaran #{broadcast_id} selesai", timeout=180)
    got = deliveries(stack, people["active"], "Kabar uji kedua")
    assert min(got.values()) == 1  # nothing lost
    duplicates = sum(n - 1 for n in got.values())
    assert duplicates <= IN_FLIGHT_BOUND
    row = broadcast_row(stack, broadcast_id)
    assert row["sent"] == len(people["active"]) == row["total"]
    assert sum(deliveries(stack, people["others"], "Kabar uji kedua").values()) == 0


def test_auto_announce_sends_one_broadcast_without_approval(
    stack: Stack, people: dict[str, list[Applicant]]
) -> None:
    httpx.post(
        f"http://127.0.0.1:{stack.config.program_api_port}/_sandbox/gelombang",
        json={"nomor": 91, "status": "open"},
        headers={"Authorization": f"Bearer {stack.config.program_api_token}"},
        timeout=10,
    ).raise_for_status()
    needle = "Gelombang 91 Kartu Prakerja sudah dibuka"

    def everyone_has_it() -> bool:
        return set(deliveries(stack, people["active"], needle).values()) == {1}

    wait_until(everyone_has_it, "the automatic announcement", timeout=120)
    time.sleep(4)  # more polls: no second broadcast
    assert set(deliveries(stack, people["active"], needle).values()) == {1}
    assert sum(deliveries(stack, people["others"], needle).values()) == 0
    with sqlite3.connect(stack.config.data_dir / "bot.sqlite3") as db:
        autos = db.execute(
            "SELECT count(*) FROM broadcasts WHERE origin = 'auto' AND status != 'draft'"
        ).fetchone()[0]
    assert autos == 1
