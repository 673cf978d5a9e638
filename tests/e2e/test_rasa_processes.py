"""Two Rasa processes behind one bot (``RASA_PROCESSES=2``: ``RASA_URL`` lists both), on
production's shared stores (PostgreSQL tracker store, Redis lock store).

Each applicant goes to one process; when a process dies its applicants are answered by the other
one, conversation included (the tracker store is shared); when both are down the bot apologises.
This module stops processes, so it runs on a stack of its own.
"""

from __future__ import annotations

import time
from collections.abc import Iterator

import httpx
import pytest

from bot import texts
from tests.e2e.applicant import Applicant
from tests.e2e.conftest import Stack, running_stack

QUESTION = "syarat ikut prakerja apa aja"


@pytest.fixture(scope="module")
def own_stack(tmp_path_factory: pytest.TempPathFactory, tracker_database: str) -> Iterator[Stack]:
    """A stack with two Rasa processes, only this module uses."""
    with running_stack(
        tmp_path_factory.mktemp("two-rasa-stack"), tracker_database, rasa_processes=2
    ) as running:
        yield running


def refused_calls(stack: Stack) -> float:
    """How many Rasa message calls the bot saw refused (each then went to the other process)."""
    assert stack.config.metrics_url is not None
    text = httpx.get(f"{stack.config.metrics_url}/metrics", timeout=10).text
    line = (
        'prakerja_rasa_request_duration_seconds_count{operation="message",outcome="unreachable"}'
    )
    return sum(float(x.rsplit(" ", 1)[1]) for x in text.splitlines() if x.startswith(line))


def answered(applicant: Applicant, text: str) -> str:
    """The applicant's whole answer to ``text``."""
    return " ".join(r.text or "" for r in applicant.say(text))


def test_the_bot_is_given_both_processes(own_stack: Stack) -> None:
    bot = own_stack.services["bot"]
    assert bot.env["RASA_URL"] == ",".join(own_stack.config.rasa_urls)
    assert len(own_stack.config.rasa_urls) == 2
    assert own_stack.services["rasa-2"].alive()


def test_one_process_down_its_applicants_are_answered_by_the_other(own_stack: Stack) -> None:
    applicants = [own_stack.applicant() for _ in range(12)]
    for applicant in applicants:  # every conversation starts while both are up
        assert answered(applicant, "halo").startswith("Halo")
    before = refused_calls(own_stack)
    first = own_stack.services["rasa"]
    first.stop()
    try:
        for applicant in applicants:
            text = answered(applicant, QUESTION)
            assert text != texts.RASA_DOWN and "e-KTP" in text, text
        # about half of them live on the stopped process (1 in 4096 that none did)
        assert refused_calls(own_stack) > before
    finally:
        first.start()
        first.wait_healthy()


def test_both_down_is_the_apology_then_answers_resume(own_stack: Stack) -> None:
    applicant = own_stack.applicant()
    processes = [own_stack.services["rasa"], own_stack.services["rasa-2"]]
    for process in processes:
        process.stop()
    try:
        assert [r.text for r in applicant.say("halo")] == [texts.RASA_DOWN]
        assert own_stack.services["bot"].alive()
    finally:
        for process in processes:
            process.start()
        for process in processes:
            process.wait_healthy()
    time.sleep(5.5)  # the bot tries a process again 5 s after it refused
    assert "e-KTP" in answered(applicant, QUESTION)
