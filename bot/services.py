"""The long-lived clients the handlers share, created in ``post_init`` and closed on shutdown."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from telegram.ext import ContextTypes

from bot.config import Settings
from bot.db.database import Database
from bot.rasa_client import RasaClient
from bot.rendering import PayloadStore

if TYPE_CHECKING:
    from core.program_api import ProgramAPI

SERVICES_KEY = "services"


@dataclass
class Services:
    """Everything a handler needs besides the update."""

    settings: Settings
    db: Database
    rasa: RasaClient
    program_api: ProgramAPI
    payloads: PayloadStore


def get_services(context: ContextTypes.DEFAULT_TYPE) -> Services:
    """The shared services stored in ``bot_data``."""
    services = context.bot_data[SERVICES_KEY]
    assert isinstance(services, Services)
    return services
