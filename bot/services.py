"""The long-lived clients the handlers share, created in ``post_init`` and closed on shutdown."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from telegram.ext import ContextTypes

from bot.config import Settings
from bot.db.database import Database
from bot.rasa_client import RasaClient, RasaRouter
from bot.rendering import PayloadStore
from core.program_api import ProgramAPI

if TYPE_CHECKING:
    from bot.dialogue import CustomEffect

SERVICES_KEY = "services"


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


def get_services(context: ContextTypes.DEFAULT_TYPE) -> Services:
    """The shared services stored in ``bot_data``."""
    services = context.bot_data[SERVICES_KEY]
    assert isinstance(services, Services)
    return services
