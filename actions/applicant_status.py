"""Action that shows a verified applicant's status; the bot supplies applicant_ref in metadata."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.base import SafeAction
from actions.status_text import explain_status
from actions.texts import (
    B_CONTACT,
    EXPIRED_TEXT,
    STATUS_RATE_LIMITED_TEXT,
    STATUS_UNAVAILABLE_TEXT,
    VERIFY_FIRST_TEXT,
)
from core.formatting import WIB
from core.program_api import (
    ApplicantNotFound,
    ProgramAPIError,
    ProgramAPIRateLimited,
    get_shared_client,
)

log = logging.getLogger(__name__)


def applicant_ref_from(tracker: Tracker) -> str | None:
    """applicant_ref set by the bot in message metadata (never taken from user text)."""
    metadata = (tracker.latest_message or {}).get("metadata") or {}
    ref = metadata.get("applicant_ref") if isinstance(metadata, dict) else None
    return ref if isinstance(ref, str) and ref else None


class ActionShowApplicantStatus(SafeAction):
    """Fetch and explain the applicant's Kartu Prakerja status."""

    failure_text = STATUS_UNAVAILABLE_TEXT
    failure_buttons = (B_CONTACT,)

    def name(self) -> str:
        """Name in domain.yml."""
        return "action_show_applicant_status"

    async def act(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        """Ask the program API for the status and explain it (no events: nothing is stored)."""
        ref = applicant_ref_from(tracker)
        if ref is None:
            dispatcher.utter_message(
                text=VERIFY_FIRST_TEXT, json_message={"type": "verify_identity"}
            )
            return []
        try:
            status = await get_shared_client().get_status(ref)
        except ApplicantNotFound:
            dispatcher.utter_message(
                text=EXPIRED_TEXT, json_message={"type": "verification_expired"}
            )
            return []
        except ProgramAPIRateLimited:
            dispatcher.utter_message(text=STATUS_RATE_LIMITED_TEXT)
            return []
        except ProgramAPIError as exc:
            log.warning("applicant status unavailable: %s", type(exc).__name__)
            dispatcher.utter_message(text=STATUS_UNAVAILABLE_TEXT, buttons=[dict(B_CONTACT)])
            return []
        text, buttons = explain_status(status, datetime.now(WIB).date())
        dispatcher.utter_message(text=text, buttons=buttons)
        # Nothing about the person goes into slots or events: the ref stays in metadata only.
        return []
