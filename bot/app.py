"""Building the Application: handlers, lifecycle hooks and the long-lived clients."""

from __future__ import annotations

import logging
from datetime import timedelta

import httpx
from telegram import Update
from telegram.ext import Application, ApplicationBuilder, ContextTypes

from bot.bot_api import KeepAliveRequest, bot_arguments
from bot.broadcast.runtime import start_broadcasting, stop_broadcasting
from bot.broadcast.store import BroadcastStore
from bot.commands_menu import publish_menu
from bot.config import Settings
from bot.db.database import Database
from bot.db.models import utcnow
from bot.flood import FloodGate
from bot.handlers import register_handlers
from bot.handlers.custom import CUSTOM_EFFECTS
from bot.handlers.handoff import start_handoff
from bot.handlers.staff import register_handoff
from bot.metrics import METRICS_KEY, BotMetrics, MeteredProgramAPI
from bot.monitoring import (
    MonitoringServer,
    Readiness,
    build_app,
    database_check,
    rasa_check,
    telegram_check,
)
from bot.ordering import PerUserUpdateProcessor
from bot.rasa_client import RasaClient, RasaRouter
from bot.rendering import PayloadStore
from bot.reply_limits import ReplyRateLimiter
from bot.resilient_bot import ResilientBot
from bot.services import SERVICES_KEY, Services, get_services

logger = logging.getLogger(__name__)


RETENTION_JOB_INTERVAL = timedelta(hours=1)


async def purge_expired_records(context: ContextTypes.DEFAULT_TYPE) -> None:
    """Delete the bot's records older than RETENTION_DAYS (Rasa prunes its own tracker store).

    Broadcast recipient rows (Telegram ids) go RETENTION_DAYS after their broadcast ended.
    """
    services = get_services(context)
    cutoff = utcnow() - timedelta(days=services.settings.retention_days)
    try:
        counts = await services.db.purge_older_than(cutoff)
        recipients = await BroadcastStore(services.db).purge_recipients(cutoff)
        counts["broadcast recipient rows"] = recipients
    except Exception:
        logger.exception("retention job failed; it runs again within the hour")
        return
    if any(counts.values()):
        logger.info("retention: deleted %s", ", ".join(f"{n} {k}" for k, n in counts.items()))


def rasa_for(
    settings: Settings, token: str | None, metrics: BotMetrics
) -> RasaClient | RasaRouter:
    """The Rasa client: one server, or a router over the processes RASA_URL lists."""
    clients = [
        RasaClient(url, token, timeout=settings.rasa_timeout, observer=metrics.rasa_request)
        for url in settings.rasa_urls
    ]
    return clients[0] if len(clients) == 1 else RasaRouter(clients)


def build_application(settings: Settings) -> Application:  # type: ignore[type-arg]
    """Wire the Application: token, Bot API server, ordering, defaults, handlers and hooks."""
    # 16 requests in flight (kept-alive connections) are ample for replies at 100+ msg/s
    bot_options = bot_arguments(settings, pool=16)  # fails at once without a token

    metrics = BotMetrics()
    monitoring: dict[str, MonitoringServer | httpx.AsyncClient] = {}

    async def start_monitoring(application: Application, services: Services) -> None:  # type: ignore[type-arg]
        """Serve /metrics, /healthz and /readyz on METRICS_HOST:METRICS_PORT (unless 0)."""
        if not settings.metrics_enabled:
            return
        probe_http = httpx.AsyncClient(timeout=httpx.Timeout(2.0))
        monitoring["probe_http"] = probe_http
        readiness = Readiness(
            {
                "rasa": rasa_check(lambda: services.rasa),
                "database": database_check(services.db),
                "telegram": telegram_check(probe_http, application.bot.base_url),
            }
        )
        server = MonitoringServer(
            build_app(metrics, readiness, services.db),
            settings.metrics_host,
            settings.metrics_port,
        )
        try:
            await server.start()
        except OSError as exc:
            # start-up checked the port; losing a race for it must not take applicants offline
            logger.error("METRICS_PORT %s: no metrics endpoint (%s)", settings.metrics_port, exc)
            return
        monitoring["server"] = server

    async def post_init(application: Application) -> None:  # type: ignore[type-arg]
        rasa_token = settings.rasa_token.get_secret_value() if settings.rasa_token else None
        application.bot_data[SERVICES_KEY] = Services(
            settings=settings,
            db=Database(settings.effective_database_url),
            rasa=rasa_for(settings, rasa_token, metrics),
            program_api=MeteredProgramAPI(
                metrics,
                settings.program_api_url,
                settings.program_api_token.get_secret_value(),
                timeout=settings.program_api_timeout,
            ),
            payloads=PayloadStore(settings.effective_privacy_key),
            custom_effects=CUSTOM_EFFECTS,
        )
        await start_monitoring(application, application.bot_data[SERVICES_KEY])
        if application.job_queue is not None:
            application.job_queue.run_repeating(
                purge_expired_records, interval=RETENTION_JOB_INTERVAL, first=5
            )
        await start_handoff(application)
        await publish_menu(application.bot)
        services = application.bot_data[SERVICES_KEY]
        await start_broadcasting(
            application, settings, services.db, services.payloads, metrics=metrics
        )
        if settings.bot_ready_file is not None:
            settings.bot_ready_file.parent.mkdir(parents=True, exist_ok=True)
            settings.bot_ready_file.write_text("ready\n")
        me = application.bot
        logger.info("bot @%s is up (Bot API %s)", me.username, settings.telegram_base_url)

    async def post_shutdown(application: Application) -> None:  # type: ignore[type-arg]
        await stop_broadcasting(application)
        server = monitoring.pop("server", None)
        if isinstance(server, MonitoringServer):
            await server.stop()
        probe_http = monitoring.pop("probe_http", None)
        if isinstance(probe_http, httpx.AsyncClient):
            await probe_http.aclose()
        services = application.bot_data.get(SERVICES_KEY)
        if isinstance(services, Services):
            await services.rasa.aclose()
            await services.program_api.aclose()
            services.db.dispose()
        if settings.bot_ready_file is not None:
            settings.bot_ready_file.unlink(missing_ok=True)

    bot = ResilientBot(
        **bot_options,
        get_updates_request=KeepAliveRequest(pool=1, read_timeout=40, connect_timeout=5),
        rate_limiter=ReplyRateLimiter(),
        metrics=metrics,
    )
    flood = FloodGate(
        settings.flood_messages_per_minute, settings.flood_burst, settings.flood_max_pending
    )
    builder = (
        ApplicationBuilder()
        .bot(bot)
        .concurrent_updates(
            PerUserUpdateProcessor(
                64,
                flood=flood,
                exempt_chats=frozenset(settings.staff_chat_id),
                metrics=metrics,
            )
        )
        .post_init(post_init)
        .post_shutdown(post_shutdown)
    )
    application = builder.build()
    application.bot_data[METRICS_KEY] = metrics
    register_handlers(application)
    register_handoff(application, settings)
    return application


__all__ = ["Update", "build_application"]
