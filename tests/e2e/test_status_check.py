"""Verified status lookup end to end: own contact, NIK, program API, Rasa action, privacy."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from tests.e2e.applicant import Applicant, Reply, all_text
from tests.e2e.conftest import Stack

DEMO = yaml.safe_load(Path("sandbox/demo_applicants.yml").read_text())
USED: list[dict[str, str]] = []  # every demo applicant whose NIK/phone went through the bot


def demo(status: str) -> dict[str, str]:
    """The first demo applicant with this top-level status."""
    person: dict[str, str] = next(p for p in DEMO if p["status"] == status)
    USED.append(person)
    return person


def share_contact(
    applicant: Applicant, phone: str, *, owner: int | None = None, **extra: Any
) -> list[Reply]:
    """Send a contact; by default the user's own (what the request_contact button sends)."""
    return applicant.say(
        kind="contact",
        contact={
            "phone_number": phone,
            "first_name": applicant.first_name,
            "user_id": applicant.user_id if owner is None else owner,
        },
        **extra,
    )


def start_check(applicant: Applicant) -> list[Reply]:
    """Ask for the status in everyday words; the bot asks for the contact."""
    replies = applicant.say("min sy mau cek status prakerja sy dong")
    keyboard = [b for r in replies for b in r.reply_keyboard]
    assert any(button.get("request_contact") for button in keyboard), all_text(replies)
    return replies


def verify(applicant: Applicant, person: dict[str, str]) -> list[Reply]:
    """The whole verification; returns the replies to the NIK."""
    start_check(applicant)
    assert "NIK" in all_text(share_contact(applicant, person["phone"]))
    return applicant.say(person["nik"])


@pytest.fixture
def faults(stack: Stack) -> Iterator[httpx.Client]:
    """The program API sandbox's fault switch, reset after the test."""
    client = httpx.Client(
        base_url=stack.config.effective_program_api_url,
        headers={"Authorization": f"Bearer {stack.config.program_api_token}"},
        timeout=10,
    )
    yield client
    client.delete("/_sandbox/faults")
    client.close()


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        ("LOLOS_BELUM_BELI_PELATIHAN", ["Sisa", "pelatihan pertama"]),
        ("TIDAK_LOLOS", ["gelombang berikutnya"]),
        ("KEPESERTAAN_DICABUT", ["dicabut"]),
        ("DALAM_PROSES_SELEKSI", ["seleksi"]),
        ("INSENTIF_DIJADWALKAN", ["3–5 hari kerja"]),
        ("MENUNGGU_ULASAN", ["ulasan"]),
    ],
)
def test_status_of_a_demo_applicant(stack: Stack, status: str, expected: list[str]) -> None:
    person = demo(status)
    applicant = stack.applicant(first_name=person["name"].split()[0])
    replies = verify(applicant, person)
    text = all_text(replies)
    assert person["name"].split()[0] in text
    for fragment in expected:
        assert fragment.lower() in text.lower(), text
    assert replies[-1].buttons, "follow-up buttons expected under the status"
    nik_message = next(
        m
        for m in stack.sim.get(f"/sim/chats/{applicant.user_id}/messages").json()["messages"]
        if not m["from_bot"] and m.get("text") == person["nik"]
    )
    assert nik_message["deleted"], "the NIK message should be deleted from the chat"


def test_recheck_within_window_needs_no_nik_and_lupakan_forgets(stack: Stack) -> None:
    person = demo("PELATIHAN_BERJALAN")
    applicant = stack.applicant()
    verify(applicant, person)
    again = applicant.say("/status")
    assert person["name"].split()[0] in all_text(again)
    assert not any(r.reply_keyboard for r in again)
    assert "hapus" in all_text(applicant.say("/lupakan"))
    start_check(applicant)


def test_someone_elses_contact_is_refused(applicant: Applicant) -> None:
    person = demo("SELESAI")
    start_check(applicant)
    replies = share_contact(applicant, person["phone"], owner=applicant.user_id + 1)
    assert "akun Telegram-mu sendiri" in all_text(replies)
    replies = applicant.say(person["nik"])  # not asked for yet: the NIK must not be used
    assert "bagikan dulu nomor HP" in all_text(replies)


def test_forwarded_contact_is_refused(applicant: Applicant) -> None:
    person = demo("SELESAI")
    start_check(applicant)
    replies = share_contact(applicant, person["phone"], forward_from_user_id=applicant.user_id + 5)
    assert "diteruskan" in all_text(replies)


def test_typed_phone_number_is_refused(applicant: Applicant) -> None:
    start_check(applicant)
    assert "tidak bisa diketik" in all_text(applicant.say("081234560001"))


def test_malformed_nik_is_explained_before_any_call(applicant: Applicant) -> None:
    person = demo("SELESAI")
    start_check(applicant)
    share_contact(applicant, person["phone"])
    assert "16 digit" in all_text(applicant.say("1234 5678"))
    assert "tanggal lahir" in all_text(applicant.say("3201019905900003"))
    # still waiting for a NIK: the right one now works
    assert person["name"].split()[0] in all_text(applicant.say(person["nik"]))


def test_wrong_nik_then_the_sixth_attempt_is_refused(applicant: Applicant) -> None:
    person = demo("SELESAI")
    start_check(applicant)
    share_contact(applicant, person["phone"])
    wrong = "3201014505900099"
    for left in (4, 3, 2, 1):
        text = all_text(applicant.say(wrong))
        assert "tidak cocok" in text and f"Sisa percobaan: {left}" in text
        assert "NIK tidak" not in text and "nomor HP salah" not in text
    assert "dikunci sementara" in all_text(applicant.say(wrong))
    # the sixth attempt (even with the right NIK) is refused before any check
    assert "dikunci sementara" in all_text(applicant.say("/status"))


def test_program_api_down(stack: Stack, applicant: Applicant, faults: httpx.Client) -> None:
    person = demo("SELESAI")
    start_check(applicant)
    share_contact(applicant, person["phone"])
    faults.post("/_sandbox/faults", json={"mode": "error500"}).raise_for_status()
    assert "tidak bisa dihubungi" in all_text(applicant.say(person["nik"]))


def test_program_api_slow(stack: Stack, applicant: Applicant, faults: httpx.Client) -> None:
    person = demo("SELESAI")
    start_check(applicant)
    share_contact(applicant, person["phone"])
    faults.post("/_sandbox/faults", json={"mode": "timeout"}).raise_for_status()
    assert "tidak bisa dihubungi" in all_text(applicant.say(person["nik"], timeout=40))
    assert stack.services["bot"].alive()


def test_status_fetch_fails_politely_when_the_api_breaks_after_verification(
    stack: Stack, faults: httpx.Client
) -> None:
    person = demo("SIAP_GABUNG")
    applicant = stack.applicant()
    verify(applicant, person)
    faults.post("/_sandbox/faults", json={"mode": "malformed"}).raise_for_status()
    text = all_text(applicant.say("/status", timeout=40))
    assert "belum bisa" in text
    assert "gangguan" not in text  # the action answered, not the bot's Rasa-down apology


def test_zz_no_nik_or_phone_anywhere(stack: Stack) -> None:
    """After every flow above: search the bot's data, all logs and Rasa's tracker store."""
    assert USED, "run with the status tests"
    secrets_seen: list[str] = []
    for person in USED:
        secrets_seen += [
            person["nik"],
            person["phone"],
            person["phone"].replace("+62", "0"),
            person["phone"].lstrip("+"),
        ]
    haystacks: dict[str, Any] = {}
    for folder in (stack.config.data_dir, stack.config.log_dir, stack.config.sandbox_dir):
        for path in folder.rglob("*"):
            if path.is_file():
                haystacks[str(path)] = path.read_bytes().decode("utf-8", errors="replace")
    haystacks["rasa tracker store (PostgreSQL)"] = "\n".join(stack.tracker_rows())
    assert len(haystacks["rasa tracker store (PostgreSQL)"]) > 1000
    found = [(where, s) for where, text in haystacks.items() for s in secrets_seen if s in text]
    assert found == []
