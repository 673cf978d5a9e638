"""The last line of defence: log any handler exception and apologise to the user."""

from __future__ import annotations

import logging

from telegram import Update
from telegram.error import Forbidden, TelegramError
from telegram.ext import ApplicationHandlerStop, ContextTypes

from bot import texts
from bot.metrics import METRICS_KEY, BotMetrics

logger = logging.getLogger(__name__)


async def on_error(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Log the exception with the update id; tell the user something went wrong; stop there."""
    update_id = update.update_id if isinstance(update, Update) else None
    logger.error("error while handling update %s", update_id, exc_info=context.error)
    metrics = context.bot_data.get(METRICS_KEY)
    if isinstance(metrics, BotMetrics):
        metrics.handler_failed()
    if not isinstance(update, Update):
        return
    chat = update.effective_chat
    if not isinstance(context.error, Forbidden) and chat is not None and chat.type == "private":
        try:
            await context.bot.send_message(chat.id, texts.UNEXPECTED_ERROR)
        except TelegramError:
            logger.warning("could not send the error apology for update %s", update_id)
    # A handler only fails on an update it took on (every group intercepts what it handles),
    # so no later group gets it: a NIK whose check broke must not reach Rasa as a question.
    raise ApplicationHandlerStop
