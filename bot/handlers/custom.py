"""Acting on Rasa's ``custom`` payloads (the contract is documented in docs/architecture.md)."""

from __future__ import annotations

import logging
from typing import Any

from telegram import Update
from telegram.ext import ContextTypes

from bot.handlers import verification
from bot.services import get_services

logger = logging.getLogger(__name__)


async def handle_custom(
    update: Update, context: ContextTypes.DEFAULT_TYPE, payload: dict[str, Any]
) -> None:
    """Dispatch one custom payload by its ``type``; unknown types are logged and ignored."""
    kind = payload.get("type")
    user = update.effective_user
    if user is None:
        return
    services = get_services(context)
    if kind == "verify_identity":
        await verification.start(update, context)
    elif kind == "verification_expired":
        await services.db.forget_verification(user.id)
    elif kind == "subscription":
        await services.db.set_consent_updates(user.id, bool(payload.get("subscribed")))
    elif kind == "handoff":
        # Staff hand-off is its own capability; Rasa's text already names the official channels.
        logger.info("hand-off requested (update %s)", update.update_id)
    else:
        logger.info("ignoring custom payload of type %r", kind)
