"""/lupakan: erase the verification and what Rasa keeps of the conversation, then say what went."""

from __future__ import annotations

import logging

from telegram import Update
from telegram.ext import ContextTypes

from bot import texts
from bot.dialogue import sender_id
from bot.handlers.verification import clear_check
from bot.rasa_client import RasaUnavailable
from bot.services import get_services

logger = logging.getLogger(__name__)


async def forget(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Delete the stored verification, any check in progress and the Rasa conversation."""
    user, chat = update.effective_user, update.effective_chat
    if user is None or chat is None:
        return
    services = get_services(context)
    clear_check(context)
    had_verification = await services.db.forget_verification(user.id)
    try:
        erased = await services.rasa.erase_conversation(sender_id(context, user.id))
    except RasaUnavailable as exc:
        logger.warning(
            "could not erase a Rasa conversation (update %s): %s", update.update_id, exc
        )
        await context.bot.send_message(
            chat.id, texts.FORGET_CONVERSATION_FAILED.format(days=services.settings.retention_days)
        )
        return
    await context.bot.send_message(
        chat.id,
        texts.FORGOTTEN.format(
            verification="" if had_verification else texts.FORGOTTEN_NO_VERIFICATION,
            conversation=texts.FORGOTTEN_EVENTS.format(count=erased) if erased else "",
        ),
    )
