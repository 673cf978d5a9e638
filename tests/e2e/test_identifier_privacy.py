"""NIKs and phone numbers in any notation never reach logs, the bot's data or Rasa's tracker store.

Ordinary messages carry identifiers in every notation an outside review found leaking (odd
separators, full-width and superscript digits, invisible characters); a status check runs for a
demo applicant. Then every log file, the bot database (all tables, and the raw files) and the
tracker store are searched for the digits, whatever separators or digit forms they were stored
with, and the log files for the applicant reference the program API issued.
"""

from __future__ import annotations

import random
import re
import sqlite3
import unicodedata
from collections.abc import Callable
from pathlib import Path

import yaml

from tests.e2e.applicant import Applicant, Reply, all_text
from tests.e2e.conftest import Stack

_rng = random.Random(20251201)


def _digits(count: int) -> str:
    return "".join(_rng.choice("0123456789") for _ in range(count))


def _full_width(text: str) -> str:
    return text.translate({ord(d): 0xFF10 + int(d) for d in "0123456789"})


def _superscript(text: str) -> str:
    return text.translate(dict(zip(map(ord, "0123456789"), "⁰¹²³⁴⁵⁶⁷⁸⁹", strict=True)))


def _groups(digits: str, sizes: tuple[int, ...], separator: str) -> str:
    """'3174054507950003' → '3174/0545/0795/0003' for sizes (4, 4, 4, 4) and '/'."""
    pieces, start = [], 0
    for size in sizes:
        pieces.append(digits[start : start + size])
        start += size
    return separator.join(pieces)


NIK_NOTATIONS: list[Callable[[str], str]] = [
    lambda n: n,
    lambda n: _groups(n, (4, 4, 4, 4), "/"),
    lambda n: _groups(n, (4, 4, 4, 4), "_"),
    lambda n: _groups(n, (4, 4, 4, 4), "  "),
    lambda n: _groups(n, (4, 4, 4, 4), ", "),
    lambda n: _groups(n, (4, 4, 4, 4), " - "),
    lambda n: _groups(n, (6, 6, 4), "."),
    lambda n: _full_width(n),
    lambda n: _full_width(_groups(n, (4, 4, 4, 4), " ")),
    lambda n: _superscript(n),
    lambda n: _groups(n, (4, 4, 4, 4), "\u200b"),
]
PHONE_NOTATIONS: list[Callable[[str], str]] = [
    lambda p: f"({p[:4]}) {p[4:8]} {p[8:]}",
    lambda p: f"+62 ({p[1:4]}) {p[4:8]}-{p[8:]}",
    lambda p: f"{p[:4]} - {p[4:8]} - {p[8:]}",
    lambda p: _groups(p, (4, 4, 4), "/"),
    lambda p: _groups(p, (4, 4, 4), "_"),
    lambda p: _groups(p, (4, 4, 4), "  "),
    lambda p: _groups(p, (4, 4, 4), ", "),
    lambda p: _full_width(p),
    lambda p: _full_width(f"+62 {p[1:4]} {p[4:8]} {p[8:]}"),
    lambda p: _superscript(p),
    lambda p: "+62" + p[1:],
]
# A distinct number for every notation, so that a leak points at the notation that leaked.
NIKS = ["3174" + _digits(12) for _ in NIK_NOTATIONS]
PHONES = ["0812" + _digits(8) for _ in PHONE_NOTATIONS]
MESSAGES = [
    f"halo min, nik saya {nik_notation(nik)} kenapa belum lolos ya? hp {phone_notation(phone)}"
    for nik_notation, nik, phone_notation, phone in zip(
        NIK_NOTATIONS, NIKS, PHONE_NOTATIONS, PHONES, strict=True
    )
]

DEMO = yaml.safe_load(Path("sandbox/demo_applicants.yml").read_text())
PERSON = next(p for p in DEMO if p["status"] == "SELESAI")


def _unescape_json(text: str) -> str:
    """JSON text with \\uXXXX escapes turned back into characters (Rasa stores ASCII JSON)."""
    return re.sub(r"\\u([0-9a-fA-F]{4})", lambda m: chr(int(m.group(1), 16)), text)


def _only_digits(text: str) -> str:
    """NFKC, then every digit of any script as ASCII, everything else (separators) dropped."""
    normalised = unicodedata.normalize("NFKC", text)
    return "".join(
        str(unicodedata.decimal(c)) for c in normalised if unicodedata.decimal(c, None) is not None
    )


def _secrets() -> list[str]:
    """The digit strings that must never be stored: NIKs, and phones without their prefix."""
    found = [*NIKS, PERSON["nik"]]
    found += [phone[1:] for phone in PHONES]  # '812…' matches 0812…, 62812… and +62 812…
    found.append(PERSON["phone"].removeprefix("+62"))
    return found


def _stored_texts(stack: Stack) -> dict[str, str]:
    """Every log file, the bot database (each table, and the raw files) and each tracker row."""
    stored: dict[str, str] = {}
    log_dir = stack.root / "log"
    for path in sorted(log_dir.rglob("*")):
        if path.is_file():
            stored[str(path)] = path.read_bytes().decode("utf-8", errors="replace")
    data_dir = stack.root / "data"
    for path in sorted(data_dir.rglob("*")):
        if not path.is_file():
            continue
        stored[str(path)] = path.read_bytes().decode("utf-8", errors="replace")
        if path.read_bytes()[:16] == b"SQLite format 3\x00":
            connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
            try:
                tables = [
                    row[0]
                    for row in connection.execute(
                        "SELECT name FROM sqlite_master WHERE type = 'table'"
                    )
                ]
                for table in tables:
                    rows = connection.execute(f'SELECT * FROM "{table}"').fetchall()
                    stored[f"{path} table {table}"] = "\n".join(map(repr, rows))
            finally:
                connection.close()
    assert any(" table " in where for where in stored), "the bot database was not found"
    rows = stack.tracker_rows()
    assert len(rows) > 20
    for index, row in enumerate(rows):
        stored[f"tracker row {index}"] = row
    return stored


def _start_check(applicant: Applicant) -> None:
    replies = applicant.say("min sy mau cek status prakerja sy dong")
    keyboard = [b for r in replies for b in r.reply_keyboard]
    assert any(button.get("request_contact") for button in keyboard), all_text(replies)


def _share_own_contact(applicant: Applicant, phone: str) -> list[Reply]:
    return applicant.say(
        kind="contact",
        contact={
            "phone_number": phone,
            "first_name": applicant.first_name,
            "user_id": applicant.user_id,
        },
    )


def _chat_message(stack: Stack, applicant: Applicant, message_id: int) -> dict[str, object]:
    messages = stack.sim.get(f"/sim/chats/{applicant.user_id}/messages").json()["messages"]
    found: dict[str, object] = next(m for m in messages if m["message_id"] == message_id)
    return found


def test_identifiers_in_any_notation_are_hidden_and_deleted(stack: Stack) -> None:
    for text in MESSAGES:
        applicant = stack.applicant()  # a fresh chat each time: no flow is half-way
        sent = applicant.send(text)
        replies = applicant.wait_replies(sent)
        assert "sembunyikan" in all_text(replies), (text, all_text(replies))
        assert _chat_message(stack, applicant, sent)["deleted"], f"not deleted: {text!r}"


def test_a_status_check_then_no_identifier_or_reference_is_stored(stack: Stack) -> None:
    applicant = stack.applicant(first_name=PERSON["name"].split()[0])
    _start_check(applicant)
    assert "NIK" in all_text(_share_own_contact(applicant, PERSON["phone"]))
    answer = all_text(applicant.say(PERSON["nik"]))
    assert PERSON["name"].split()[0] in answer, answer

    stored = _stored_texts(stack)
    leaks = []
    for where, text in stored.items():
        for variant in {text, _unescape_json(text)}:
            digits = _only_digits(variant)
            leaks += [(where, secret) for secret in _secrets() if secret in digits]
    assert leaks == []

    sandbox_db = stack.config.sandbox_dir / "program_api.sqlite"
    connection = sqlite3.connect(f"file:{sandbox_db}?mode=ro", uri=True)
    try:
        refs = [row[0] for row in connection.execute("SELECT ref FROM refs")]
    finally:
        connection.close()
    assert refs, "the program API sandbox issued no applicant reference"
    # The program API sandbox stands in for the external system: its own access log is not ours.
    ours = {
        where: text
        for where, text in stored.items()
        if where.startswith(str(stack.root / "log")) and "program-api-sandbox" not in where
    }
    assert any("action-server" in where for where in ours)
    assert [(where, ref) for where, text in ours.items() for ref in refs if ref in text] == []


def test_notations_are_distinct_and_really_used() -> None:
    """Guards the test itself: each notation holds its own number's digits."""
    assert len(set(NIKS)) == len(NIKS) and len(set(PHONES)) == len(PHONES)
    for message, nik, phone in zip(MESSAGES, NIKS, PHONES, strict=True):
        digits = _only_digits(message)
        assert nik in digits and phone[1:] in digits, message
