"""Failure of a dependency mid-run: the applicant gets an apology, then normal answers resume.

Named to run last in the e2e session because it restarts Rasa.
"""

from __future__ import annotations

from tests.e2e.applicant import Applicant, all_text
from tests.e2e.conftest import Stack


def test_rasa_down_apologises_then_answers_resume(stack: Stack, applicant: Applicant) -> None:
    rasa = stack.services["rasa"]
    rasa.stop()
    assert not rasa.alive()

    replies = applicant.say("halo")
    assert len(replies) == 1
    assert "gangguan" in replies[0].text
    assert stack.services["bot"].alive()

    rasa.start()
    rasa.wait_healthy()
    replies = applicant.say("halo")
    assert replies[0].text.startswith("Halo")


def test_action_server_down_gives_rasas_fallback(stack: Stack, applicant: Applicant) -> None:
    actions = stack.services["action-server"]
    actions.stop()
    try:
        replies = applicant.say("gelombang berapa yang lagi buka sekarang?")
        assert replies, "Rasa must still answer when the action server is down"
        assert stack.services["bot"].alive()
        assert "belum bisa menjawab" in all_text(replies) or "jadwal" in all_text(replies)
    finally:
        actions.start()
        actions.wait_healthy()
