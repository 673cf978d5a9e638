"""Effects of Rasa's ``custom`` payloads (the contract is documented in docs/architecture.md).

Each effect applies its state change first and returns what to send after Rasa's own text;
``bot.dialogue.deliver`` runs them in that order.
"""

from __future__ import annotations

import logging
from typing import Any

from telegram import Update
from telegram.ext import ContextTypes

from bot.dialogue import CustomEffect, FollowUp
from bot.handlers import handoff, subscription, verification
from bot.services import get_services

logger = logging.getLogger(__name__)


async def verify_identity(
    update: Update, context: ContextTypes.DEFAULT_TYPE, payload: dict[str, Any]
) -> FollowUp | None:
    """Rasa wants a status lookup: start (or skip, when still verified) the identity check."""

    async def start() -> None:
        await verification.start(update, context)

    return start


async def verification_expired(
    update: Update, context: ContextTypes.DEFAULT_TYPE, payload: dict[str, Any]
) -> FollowUp | None:
    """The program API no longer knows the reference: forget it before saying so."""
    if update.effective_user is not None:
        await get_services(context).db.forget_verification(update.effective_user.id)
    return None


CUSTOM_EFFECTS: dict[str, CustomEffect] = {
    "verify_identity": verify_identity,
    "verification_expired": verification_expired,
    "subscription": subscription.on_rasa_request,
    # A ticket for staff opens (bot/handlers/handoff.py); without a staff group Rasa's text
    # names the official channels.
    "handoff": handoff.on_rasa_handoff,
}
