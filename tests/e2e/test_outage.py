"""Failure of a dependency mid-run: apologies, the bot's own state still works, answers resume.

This module stops and restarts processes, so it runs on a stack of its own.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator

import pytest

from bot import texts
from tests.e2e.applicant import Applicant, all_text
from tests.e2e.conftest import Stack, running_stack


@pytest.fixture(scope="module")
def own_stack(tmp_path_factory: pytest.TempPathFactory, tracker_database: str) -> Iterator[Stack]:
    """A stack only this module uses."""
    with running_stack(tmp_path_factory.mktemp("outage-stack"), tracker_database) as running:
        yield running


def consent(stack: Stack, applicant: Applicant) -> bool:
    """The applicant's stored announcement consent."""
    with sqlite3.connect(stack.config.data_dir / "bot.sqlite3") as db:
        row = db.execute(
            "SELECT consent_updates FROM users WHERE telegram_id = ?", (applicant.user_id,)
        ).fetchone()
    return bool(row and row[0])


def test_rasa_down_apologises_the_bots_own_state_works_then_answers_resume(
    own_stack: Stack,
) -> None:
    applicant = own_stack.applicant()
    rasa = own_stack.services["rasa"]
    rasa.stop()
    try:
        assert not rasa.alive()
        replies = applicant.say("halo")
        assert [r.text for r in replies] == [texts.RASA_DOWN]
        assert all_text(applicant.say("/langganan")) == texts.SUBSCRIBED
        assert consent(own_stack, applicant)
        assert all_text(applicant.say("/berhenti")) == texts.UNSUBSCRIBED
        assert not consent(own_stack, applicant)
        assert own_stack.services["bot"].alive()
    finally:
        rasa.start()
        rasa.wait_healthy()
    replies = applicant.say("halo")
    assert replies[0].text.startswith("Halo")


def test_action_server_down_gives_the_no_answer_apology(own_stack: Stack) -> None:
    applicant = own_stack.applicant()
    actions = own_stack.services["action-server"]
    actions.stop()
    try:
        replies = applicant.say("gelombang berapa yang lagi buka sekarang?")
        # Rasa answers nothing when its action fails; the bot says so instead of going quiet.
        assert [r.text for r in replies] == [texts.NO_ANSWER]
        assert own_stack.services["bot"].alive()
    finally:
        actions.start()
        actions.wait_healthy()
    text = all_text(applicant.say("gelombang berapa yang lagi buka sekarang?"))
    assert "Gelombang" in text or "gelombang" in text
    assert text != texts.NO_ANSWER
