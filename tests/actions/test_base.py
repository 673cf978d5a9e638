"""Every custom action answers politely, whatever goes wrong inside it, and within its budget."""

from __future__ import annotations

import asyncio
import inspect
import logging
import time
from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
import pytest
import respx
from rasa_sdk import Action, Tracker
from rasa_sdk.executor import ActionExecutor, CollectingDispatcher

import actions.applicant_status
import actions.batch_schedule
import actions.fallback
from actions import texts
from actions.applicant_status import ActionShowApplicantStatus
from actions.base import DEFAULT_ACTION_DEADLINE, SafeAction, action_deadline
from actions.batch_schedule import ActionAnswerBatchSchedule
from actions.fallback import ActionClarifyIntent
from core.program_api import ApplicantStatus, Gelombang, ProgramAPI
from core.program_api import client as program_api

BASE = "http://program-api.test"
REF = "REF_SECRET_FROM_BOT_0001"


def tracker_dict(metadata: dict[str, Any] | None = None, **latest: Any) -> dict[str, Any]:
    """A tracker as rasa-sdk receives it from Rasa."""
    message: dict[str, Any] = {
        "text": "/status_verified",
        "intent": {"name": "status_verified", "confidence": 1.0},
        "entities": [],
        "metadata": metadata or {},
        **latest,
    }
    return {
        "sender_id": "tg-1",
        "slots": {},
        "latest_message": message,
        "events": [{"event": "user", "text": message["text"], "parse_data": message}],
        "paused": False,
        "followup_action": None,
        "active_loop": {},
        "latest_action_name": "action_listen",
    }


class BrokenAPI(ProgramAPI):
    """A client with a bug (or something slow) behind every call."""

    def __init__(self, failure: Callable[[], Any]) -> None:
        super().__init__(BASE, "tok")
        self.failure = failure

    async def get_status(self, applicant_ref: str) -> ApplicantStatus:
        """Fail like a bug would."""
        return await self.failure()  # type: ignore[no-any-return]

    async def list_gelombang(self) -> list[Gelombang]:
        """Fail like a bug would."""
        return await self.failure()  # type: ignore[no-any-return]


def failing(exc: BaseException) -> Callable[[], Any]:
    """An async callable raising `exc`."""

    async def fail() -> Any:
        raise exc

    return fail


async def forever() -> Any:
    """Never answers in time."""
    await asyncio.sleep(30)


@pytest.fixture
async def install() -> AsyncIterator[Callable[[ProgramAPI], None]]:
    """Install a shared client for the test, and drop it afterwards."""
    installed: list[ProgramAPI] = []

    def _install(api: ProgramAPI) -> None:
        installed.append(api)
        program_api.set_shared_client(api)

    yield _install
    program_api.set_shared_client(None)
    for api in installed:
        await api.aclose()


async def run(action: Action, tracker: Tracker) -> tuple[list[dict[str, Any]], list[Any]]:
    """Run an action the way the action server does."""
    dispatcher = CollectingDispatcher()
    events = await action.run(dispatcher, tracker, {})
    return dispatcher.messages, events


def status_tracker() -> Tracker:
    return Tracker.from_dict(tracker_dict({"applicant_ref": REF}))


BUGS = [KeyError(REF), TypeError("bad"), RuntimeError(f"ref={REF}"), asyncio.TimeoutError()]


@pytest.mark.parametrize("bug", BUGS, ids=lambda e: type(e).__name__)
async def test_status_action_turns_a_client_bug_into_an_apology(
    bug: Exception, install: Callable[[ProgramAPI], None], caplog: pytest.LogCaptureFixture
) -> None:
    install(BrokenAPI(failing(bug)))
    with caplog.at_level(logging.DEBUG):
        [message], events = await run(ActionShowApplicantStatus(), status_tracker())
    assert events == []
    assert message["text"] == texts.STATUS_UNAVAILABLE_TEXT
    assert message["buttons"] == [texts.B_CONTACT]
    [record] = [r for r in caplog.records if r.name.startswith("actions")]
    assert "action_show_applicant_status" in record.getMessage()
    assert type(bug).__name__ in record.getMessage()
    assert REF not in caplog.text and REF[:5] not in caplog.text


@pytest.mark.parametrize("bug", BUGS, ids=lambda e: type(e).__name__)
async def test_schedule_action_turns_a_client_bug_into_an_apology(
    bug: Exception, install: Callable[[ProgramAPI], None], caplog: pytest.LogCaptureFixture
) -> None:
    install(BrokenAPI(failing(bug)))
    with caplog.at_level(logging.DEBUG):
        [message], events = await run(ActionAnswerBatchSchedule(), status_tracker())
    assert events == []
    assert message["text"] == texts.SCHEDULE_UNAVAILABLE_TEXT
    assert "action_answer_batch_schedule" in caplog.text and type(bug).__name__ in caplog.text


async def test_a_bug_after_a_partial_answer_sends_only_the_apology(
    install: Callable[[ProgramAPI], None], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Half an answer plus an apology would confuse: only the apology goes out."""
    monkeypatch.setattr(
        actions.batch_schedule, "schedule_text", lambda items, now: items[99].nomor
    )

    async def empty() -> list[Gelombang]:
        return []

    install(BrokenAPI(empty))
    [message], events = await run(ActionAnswerBatchSchedule(), status_tracker())
    assert message["text"] == texts.SCHEDULE_UNAVAILABLE_TEXT and events == []


@respx.mock
async def test_undecodable_program_api_answer_is_an_apology(
    install: Callable[[ProgramAPI], None],
) -> None:
    """The outside review's case: a DecodingError used to escape run() (rasa-sdk then 500s)."""
    install(ProgramAPI(BASE, "tok", retries=0))
    respx.get(f"{BASE}/v1/applicants/{REF}/status").mock(
        side_effect=lambda request: httpx.Response(
            200, headers={"Content-Encoding": "gzip"}, stream=httpx.ByteStream(b"not gzip")
        )
    )
    [message], events = await run(ActionShowApplicantStatus(), status_tracker())
    assert message["text"] == texts.STATUS_UNAVAILABLE_TEXT and events == []


@pytest.mark.parametrize(
    "action", [ActionShowApplicantStatus(), ActionAnswerBatchSchedule()], ids=lambda a: a.name()
)
async def test_action_over_its_budget_answers_politely(
    action: SafeAction,
    install: Callable[[ProgramAPI], None],
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    monkeypatch.setenv("ACTION_DEADLINE", "0.2")
    install(BrokenAPI(forever))
    started = time.monotonic()
    with caplog.at_level(logging.WARNING):
        [message], events = await run(action, status_tracker())
    assert time.monotonic() - started < 1.0
    assert events == [] and message["text"] == action.failure_text
    assert action.name() in caplog.text and REF not in caplog.text


async def test_fallback_action_survives_a_malformed_tracker(
    caplog: pytest.LogCaptureFixture,
) -> None:
    tracker = Tracker.from_dict(tracker_dict(intent_ranking="not a list of dicts"))
    with caplog.at_level(logging.WARNING):
        [message], events = await run(ActionClarifyIntent(), tracker)
    assert events == [] and message["text"] == texts.CLARIFY_REPHRASE_TEXT
    assert "action_clarify_intent" in caplog.text and "AttributeError" in caplog.text


async def test_cancellation_is_not_swallowed(install: Callable[[ProgramAPI], None]) -> None:
    """When Rasa hangs up, the action stops; it does not pretend to answer."""
    install(BrokenAPI(forever))
    task = asyncio.ensure_future(run(ActionShowApplicantStatus(), status_tracker()))
    await asyncio.sleep(0.05)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task


async def test_the_action_server_never_sees_an_exception(
    install: Callable[[ProgramAPI], None],
) -> None:
    """Through rasa-sdk's own executor, as the HTTP endpoint calls it."""
    install(BrokenAPI(failing(KeyError(REF))))
    executor = ActionExecutor()
    executor.register_package("actions")
    assert set(executor.actions) == {
        "action_show_applicant_status",
        "action_answer_batch_schedule",
        "action_clarify_intent",
    }
    call = {
        "next_action": "action_show_applicant_status",
        "tracker": tracker_dict({"applicant_ref": REF}),
    }
    response = await executor.run(call)  # type: ignore[arg-type]
    assert response is not None and response["events"] == []
    assert [r["text"] for r in response["responses"]] == [texts.STATUS_UNAVAILABLE_TEXT]


def test_every_custom_action_is_a_safe_action() -> None:
    found = [
        obj
        for module in (actions.applicant_status, actions.batch_schedule, actions.fallback)
        for obj in vars(module).values()
        if inspect.isclass(obj) and issubclass(obj, Action) and obj.__module__ == module.__name__
    ]
    assert len(found) == 3
    assert all(issubclass(cls, SafeAction) for cls in found)
    assert inspect.isabstract(SafeAction)  # so rasa-sdk never registers the base itself


@pytest.mark.parametrize(
    ("raw", "expected"),
    [(None, DEFAULT_ACTION_DEADLINE), ("2.5", 2.5), ("0", 8.0), ("soon", 8.0), ("-1", 8.0)],
)
def test_action_deadline_from_env(
    raw: str | None, expected: float, monkeypatch: pytest.MonkeyPatch
) -> None:
    if raw is None:
        monkeypatch.delenv("ACTION_DEADLINE", raising=False)
    else:
        monkeypatch.setenv("ACTION_DEADLINE", raw)
    assert action_deadline() == expected
    assert DEFAULT_ACTION_DEADLINE == 8.0
