"""Keeping track of users who block or unblock the bot."""

from __future__ import annotations

from telegram import ChatMember, Update
from telegram.ext import ContextTypes

from bot.services import get_services


async def track_block(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Mark users who blocked the bot so announcements skip them."""
    change = update.my_chat_member
    if change is None or change.chat.type != "private":
        return
    blocked = change.new_chat_member.status in (ChatMember.BANNED, ChatMember.LEFT)
    await get_services(context).db.set_blocked(change.chat.id, blocked)
