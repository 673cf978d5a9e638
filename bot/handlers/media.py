"""Messages the assistant cannot read (stickers, photos, voice, …) and group chats."""

from __future__ import annotations

from telegram import Message, Update
from telegram.ext import ContextTypes

from bot import texts


def message_kind(message: Message) -> str:
    """A short name for what kind of non-text message this is."""
    for kind in texts.UNSUPPORTED_KIND:
        if getattr(message, kind, None):
            return kind
    return "other"


async def unsupported_message(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Tell the applicant politely that only text can be handled."""
    message = update.effective_message
    if message is None:
        return
    kind = message_kind(message)
    if kind == "contact":
        await message.reply_text(texts.CONTACT_NOT_NEEDED)
        return
    lead = texts.UNSUPPORTED_KIND.get(kind, "Terima kasih pesannya.")
    await message.reply_text(lead + texts.UNSUPPORTED_TAIL)


async def group_chat(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Point people in groups to a private chat, where applicants' data stays private."""
    if update.effective_message is not None:
        await update.effective_message.reply_text(texts.GROUP_CHAT)
