"""The long-lived clients the handlers share, created in ``post_init`` and closed on shutdown."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from telegram.ext import ContextTypes

from bot.config import Settings
from bot.db.database import Database
from bot.privacy import rasa_sender_id
from bot.rasa_client import RasaClient, RasaRouter
from bot.rendering import PayloadStore
from core.program_api import ProgramAPI

if TYPE_CHECKING:
    from bot.dialogue import CustomEffect

SERVICES_KEY = "services"
SENDER_ID_CACHE = 100_000  # sender ids kept (an HMAC each); emptied when full


@dataclass
class Services:
    """Everything a handler needs besides the update."""

    settings: Settings
    db: Database
    rasa: RasaClient | RasaRouter  # a router when RASA_URL names several processes
    program_api: ProgramAPI
    payloads: PayloadStore
    # What each type of Rasa custom payload does (bot/handlers/custom.py, wired in bot.app).
    custom_effects: Mapping[str, CustomEffect] = field(default_factory=dict)
    _sender_ids: dict[int, str] = field(default_factory=dict, init=False, repr=False)

    def sender_id(self, telegram_user_id: int) -> str:
        """The pseudonymous Rasa sender id of a Telegram user (remembered: it is on the path of
        every message, and an HMAC there cost as much as the rest of the way to Rasa)."""
        sender = self._sender_ids.get(telegram_user_id)
        if sender is None:
            if len(self._sender_ids) >= SENDER_ID_CACHE:
                self._sender_ids.clear()
            sender = rasa_sender_id(self.settings.effective_privacy_key, telegram_user_id)
            self._sender_ids[telegram_user_id] = sender
        return sender


def get_services(context: ContextTypes.DEFAULT_TYPE) -> Services:
    """The shared services stored in ``bot_data``."""
    services = context.bot_data[SERVICES_KEY]
    assert isinstance(services, Services)
    return services
