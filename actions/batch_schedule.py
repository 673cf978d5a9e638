"""Action that answers "gelombang kapan dibuka?" from the Program API, never from memory."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions import texts
from actions.base import SafeAction
from actions.texts import B_CONTACT, B_JOIN, B_REQUIREMENTS, B_STATUS_MEANING
from core.formatting import WIB, format_date, format_datetime_wib
from core.program_api import Gelombang, ProgramAPIError, get_shared_client

log = logging.getLogger(__name__)


def schedule_text(items: list[Gelombang], now: datetime) -> str:
    """Indonesian answer for the current gelombang situation at `now`."""
    open_now = [g for g in items if g.status == "open" and g.dibuka <= now < g.ditutup]
    upcoming = sorted(
        (g for g in items if g.status == "upcoming" and g.dibuka > now), key=lambda g: g.dibuka
    )
    lines: list[str] = []
    if open_now:
        g = min(open_now, key=lambda g: g.ditutup)
        lines.append(
            texts.SCHEDULE_OPEN.format(nomor=g.nomor, ditutup=format_datetime_wib(g.ditutup))
        )
        lines.append(texts.SCHEDULE_HOW_TO_JOIN)
    elif upcoming:
        g = upcoming[0]
        lines.append(
            texts.SCHEDULE_UPCOMING.format(
                nomor=g.nomor,
                dibuka=format_datetime_wib(g.dibuka),
                ditutup=format_datetime_wib(g.ditutup),
            )
        )
        lines.append(texts.SCHEDULE_MAY_CHANGE)
    else:
        closed = sorted((g for g in items if g.status == "closed"), key=lambda g: g.nomor)
        if closed:
            lines.append(texts.SCHEDULE_CLOSED.format(nomor=closed[-1].nomor))
        lines.append(texts.SCHEDULE_NONE_ANNOUNCED)
    if open_now and upcoming:
        nxt = upcoming[0]
        lines.append(texts.SCHEDULE_NEXT.format(nomor=nxt.nomor, dibuka=format_date(nxt.dibuka)))
    lines.append(texts.SCHEDULE_NOT_FCFS)
    return "\n".join(lines)


class ActionAnswerBatchSchedule(SafeAction):
    """Tell which gelombang is open, or when the next one is expected."""

    failure_text = texts.SCHEDULE_UNAVAILABLE_TEXT
    failure_buttons = (B_CONTACT,)

    def name(self) -> str:
        """Name in domain.yml."""
        return "action_answer_batch_schedule"

    async def act(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        """Answer from the program API's gelombang list; never invent dates."""
        try:
            items = await get_shared_client().list_gelombang()
        except ProgramAPIError as exc:
            log.warning("gelombang schedule unavailable: %s", type(exc).__name__)
            dispatcher.utter_message(
                text=texts.SCHEDULE_UNAVAILABLE_TEXT, buttons=[dict(B_CONTACT)]
            )
            return []
        text = schedule_text(items, datetime.now(WIB))
        dispatcher.utter_message(
            text=text, buttons=[dict(b) for b in (B_JOIN, B_REQUIREMENTS, B_STATUS_MEANING)]
        )
        return []
