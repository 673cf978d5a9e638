"""The gelombang schedule answered from live program-API data, in Indonesian dates.

The action server caches the gelombang list for a minute, so the outage case runs first, before
anything has filled the cache (this module sorts before the other e2e modules).
"""

from __future__ import annotations

import re

import httpx

from tests.e2e.applicant import all_text
from tests.e2e.conftest import Stack

DAYS = ("Senin", "Selasa", "Rabu", "Kamis", "Jumat", "Sabtu", "Minggu")


def test_1_schedule_when_the_api_is_down_invents_nothing(stack: Stack) -> None:
    admin = httpx.Client(
        base_url=stack.config.effective_program_api_url,
        headers={"Authorization": f"Bearer {stack.config.program_api_token}"},
    )
    admin.post("/_sandbox/faults", json={"mode": "error500"}).raise_for_status()
    try:
        text = all_text(stack.applicant().say("min gelombang brp yg lg buka?"))
    finally:
        admin.delete("/_sandbox/faults")
        admin.close()
    assert "belum bisa" in text
    assert "prakerja.go.id" in text
    assert "WIB" not in text and not re.search(r"\b20\d\d\b", text)


def test_2_open_gelombang_with_closing_time_in_wib(stack: Stack) -> None:
    text = all_text(stack.applicant().say("gelombang brp yg lg buka?"))
    assert "sedang dibuka" in text
    assert "WIB" in text and "pukul 23.59" in text
    assert any(day in text for day in DAYS)
