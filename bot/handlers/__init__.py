"""Handlers grouped by purpose; ``register_handlers`` wires them into the Application."""

from __future__ import annotations

from telegram import Update
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    ChatMemberHandler,
    CommandHandler,
    MessageHandler,
    filters,
)

from bot.handlers import broadcast, commands, conversation, media, membership, verification
from bot.handlers.errors import on_error

PRIVATE = filters.ChatType.PRIVATE
NEW_MESSAGE = filters.UpdateType.MESSAGE


def register_handlers(application: Application) -> None:  # type: ignore[type-arg]
    """Register every handler; verification runs first so a NIK never reaches Rasa."""
    # group -4: after a bare /siaran, an admin's next text or photo is the broadcast's content
    # (groups -3 and -2 are the staff group and the ticket relay, see bot/handlers/staff.py)
    application.add_handler(
        MessageHandler(
            PRIVATE & NEW_MESSAGE & (filters.TEXT | filters.PHOTO) & ~filters.COMMAND,
            broadcast.on_composed,
        ),
        group=-4,
    )
    # group -1: the identity check intercepts contacts and typed NIKs while it is waiting for them
    application.add_handler(
        MessageHandler(PRIVATE & NEW_MESSAGE & filters.CONTACT, verification.on_contact), group=-1
    )
    application.add_handler(
        MessageHandler(
            PRIVATE & NEW_MESSAGE & filters.TEXT & ~filters.COMMAND, verification.on_text
        ),
        group=-1,
    )

    for name, callback in commands.COMMANDS.items():
        application.add_handler(CommandHandler(name, callback, filters=PRIVATE))
    application.add_handler(CommandHandler("siaran", broadcast.siaran, filters=PRIVATE))
    application.add_handler(
        CommandHandler("siaran_status", broadcast.siaran_status, filters=PRIVATE)
    )
    application.add_handler(
        MessageHandler(PRIVATE & NEW_MESSAGE & filters.COMMAND, commands.unknown_command)
    )
    application.add_handler(
        MessageHandler(PRIVATE & NEW_MESSAGE & filters.TEXT, conversation.relay_text)
    )
    application.add_handler(CallbackQueryHandler(conversation.relay_button))
    application.add_handler(
        MessageHandler(PRIVATE & filters.UpdateType.EDITED_MESSAGE, conversation.edited_message)
    )
    application.add_handler(MessageHandler(PRIVATE & NEW_MESSAGE, media.unsupported_message))
    application.add_handler(
        MessageHandler(~PRIVATE & (filters.COMMAND | filters.Entity("mention")), media.group_chat)
    )
    application.add_handler(
        ChatMemberHandler(membership.track_block, ChatMemberHandler.MY_CHAT_MEMBER)
    )
    application.add_error_handler(on_error)


ALLOWED_UPDATES = [
    Update.MESSAGE,
    Update.EDITED_MESSAGE,
    Update.CALLBACK_QUERY,
    Update.MY_CHAT_MEMBER,
]
