"""Configuration from the environment or a ``.env`` file (pydantic-settings)."""

from __future__ import annotations

import re
from functools import cached_property
from pathlib import Path
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from bot.staff_hours import StaffHours

REPO_ROOT = Path(__file__).resolve().parent.parent
# What BotFather issues: the bot's numeric id, a colon, then letters, digits, ``_`` and ``-``.
TOKEN_RE = re.compile(r"^[0-9]{1,20}:[A-Za-z0-9_-]{10,}$")


class Settings(BaseSettings):
    """Every setting the bot reads; names map to upper-case environment variables."""

    model_config = SettingsConfigDict(env_file=".env", extra="ignore")

    telegram_bot_token: SecretStr | None = None
    telegram_base_url: str = "https://api.telegram.org/bot"
    telegram_base_file_url: str | None = None
    # Webhook mode (production): Telegram POSTs updates to this public URL instead of being polled.
    telegram_webhook_url: str | None = None
    telegram_webhook_listen: str = "127.0.0.1"
    telegram_webhook_port: int = 8443
    telegram_webhook_secret: SecretStr | None = None

    rasa_url: str = "http://127.0.0.1:5005"
    rasa_token: SecretStr | None = None
    rasa_timeout: float = Field(default=10.0, gt=0)
    # Before fetching updates the bot waits this long for the Bot API server and for Rasa's
    # model (a process manager may start everything at once); 0 = do not wait.
    startup_wait_seconds: float = Field(default=300.0, ge=0)

    program_api_url: str = "http://127.0.0.1:8081"
    program_api_token: SecretStr = SecretStr("sandbox-token")
    program_api_timeout: float = Field(default=5.0, gt=0)

    data_dir: Path = REPO_ROOT / "var" / "data"
    database_url: str | None = None
    # Keyed hashes (pseudonymous Rasa sender ids, phone hashes) use this key. When unset, a random
    # key is created once in the data folder so ids stay stable across restarts.
    privacy_key: SecretStr | None = None

    verification_window_minutes: int = Field(default=30, ge=0)
    max_failed_verifications: int = Field(default=5, ge=1)
    failed_verification_period_hours: int = Field(default=24, ge=1)

    # Bot records, and Rasa's tracker events, are deleted after this many days (see /privasi).
    retention_days: int = Field(default=30, ge=1)

    # Flood control: per-user token bucket and cap on one user's updates waiting to be handled.
    flood_messages_per_minute: float = Field(default=20.0, gt=0)
    flood_burst: int = Field(default=5, ge=1)
    flood_max_pending: int = Field(default=5, ge=1)

    # Hand-off to staff: forum supergroup(s) where tickets get a topic each; unset = no hand-off.
    staff_chat_id: Annotated[list[int], NoDecode] = Field(default_factory=list)
    # Operators (hand-off statistics, broadcasts).
    admin_user_ids: Annotated[list[int], NoDecode] = Field(default_factory=list)
    staff_hours: str = "Mon-Fri 08:00-16:00"  # WIB
    ticket_sla_minutes: float = Field(default=15.0, gt=0)

    # Broadcasts of new gelombang (bot/broadcast): polling, approval, pacing, paid mode.
    batch_poll_seconds: float = Field(default=300.0, gt=0)
    auto_announce: bool = False
    broadcast_rate: float = Field(default=25.0, gt=0, le=1000)
    broadcast_paid: bool = False
    broadcast_star_budget: float = Field(default=0.0, ge=0)

    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"] = "INFO"
    # text: one readable line per record; json: one JSON object per line (for log shippers).
    log_format: Literal["text", "json"] = "text"
    # Unset: logs go to stderr only (systemd's journal, or `make run`, which writes the files).
    log_dir: Path | None = None
    log_max_bytes: int = Field(default=10 * 1024 * 1024, ge=1024)
    log_backup_count: int = Field(default=5, ge=0)
    bot_ready_file: Path | None = None

    # Prometheus /metrics, /healthz and /readyz (bot.monitoring); port 0 or empty: no endpoint.
    metrics_host: str = "127.0.0.1"
    metrics_port: int = Field(default=9464, ge=0, le=65535)

    @field_validator("telegram_bot_token")
    @classmethod
    def _token_shape(cls, value: SecretStr | None) -> SecretStr | None:
        """Refuse a token that cannot be one (a typo would otherwise fail only at getMe)."""
        if value is not None and not TOKEN_RE.match(value.get_secret_value().strip()):
            raise ValueError("it must look like 123456789:AAE… (the bot id, a colon, the secret)")
        return value

    @field_validator("rasa_url")
    @classmethod
    def _rasa_url_shape(cls, value: str) -> str:
        """Refuse a Rasa address the bot could not connect to (e.g. one without ``http://``);
        several Rasa processes are separated by commas."""
        parts = [part.strip() for part in value.split(",") if part.strip()]
        for part in parts or [""]:
            url = urlsplit(part)
            if url.scheme not in ("http", "https") or not url.hostname:
                raise ValueError(
                    "it must look like http://host:5005 (http or https, then the host; "
                    "several Rasa processes separated by commas)"
                )
        return ",".join(parts)

    @property
    def rasa_urls(self) -> list[str]:
        """Every Rasa process the bot routes applicants to (one unless RASA_URL lists several)."""
        return self.rasa_url.split(",")

    @field_validator("log_level", mode="before")
    @classmethod
    def _upper(cls, value: object) -> object:
        """Accept ``debug`` as well as ``DEBUG``."""
        return value.strip().upper() if isinstance(value, str) else value

    @field_validator("log_format", mode="before")
    @classmethod
    def _lower(cls, value: object) -> object:
        """Accept ``JSON`` as well as ``json``."""
        return value.strip().lower() if isinstance(value, str) else value

    @field_validator("log_dir", "database_url", "bot_ready_file", mode="before")
    @classmethod
    def _empty_is_unset(cls, value: object) -> object:
        """An empty variable means unset (``make run`` clears LOG_DIR for the bot)."""
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("metrics_port", mode="before")
    @classmethod
    def _empty_port_disables(cls, value: object) -> object:
        """``METRICS_PORT=`` (empty) turns the endpoint off, like ``0``."""
        return 0 if isinstance(value, str) and not value.strip() else value

    @property
    def metrics_enabled(self) -> bool:
        """Whether the bot serves /metrics, /healthz and /readyz."""
        return self.metrics_port != 0

    @field_validator("staff_chat_id", "admin_user_ids", mode="before")
    @classmethod
    def _comma_separated_ints(cls, value: Any, info: Any) -> Any:
        """Read ``-100123,-100456`` (or a list) as integers; anything else is a clear error."""
        name = str(info.field_name).upper()
        if isinstance(value, int) and not isinstance(value, bool):
            return [value]
        if isinstance(value, str):
            value = [part for part in (p.strip() for p in value.split(",")) if part]
        if not isinstance(value, (list, tuple)):
            raise ValueError(f"{name} must be a comma-separated list of numbers")
        numbers = []
        for item in value:
            try:
                numbers.append(int(item))
            except (TypeError, ValueError):
                raise ValueError(
                    f"{name} must be a comma-separated list of numbers, but {str(item)!r} "
                    "is not a number"
                ) from None
        return numbers

    @field_validator("staff_hours")
    @classmethod
    def _valid_staff_hours(cls, value: str) -> str:
        """STAFF_HOURS must parse, e.g. ``Mon-Fri 08:00-16:00``."""
        StaffHours.parse(value)
        return value

    @property
    def parsed_staff_hours(self) -> StaffHours:
        """STAFF_HOURS as a schedule (WIB)."""
        return StaffHours.parse(self.staff_hours)

    @property
    def effective_database_url(self) -> str:
        """The SQLAlchemy URL: ``DATABASE_URL`` or a SQLite file in the data folder."""
        if self.database_url:
            return self.database_url
        return f"sqlite:///{self.data_dir / 'bot.sqlite3'}"

    @cached_property
    def effective_privacy_key(self) -> bytes:
        """The key for keyed hashes, created once under the data folder when not configured."""
        if self.privacy_key is not None:
            return self.privacy_key.get_secret_value().encode()
        key_file = self.data_dir / "privacy.key"
        if not key_file.exists():
            import secrets

            key_file.parent.mkdir(parents=True, exist_ok=True)
            key_file.write_text(secrets.token_hex(32))
            key_file.chmod(0o600)
        return key_file.read_text().strip().encode()
