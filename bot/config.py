"""Configuration from the environment or a ``.env`` file (pydantic-settings)."""

from __future__ import annotations

from functools import cached_property
from pathlib import Path
from typing import Annotated, Any

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

REPO_ROOT = Path(__file__).resolve().parent.parent


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

    # Telegram ids allowed to broadcast (and, later, staff); "1,2" in the environment.
    admin_user_ids: Annotated[list[int], NoDecode] = Field(default_factory=list)

    # Broadcasts of new gelombang (bot/broadcast): polling, approval, pacing, paid mode.
    batch_poll_seconds: float = Field(default=300.0, gt=0)
    auto_announce: bool = False
    broadcast_rate: float = Field(default=25.0, gt=0, le=1000)
    broadcast_paid: bool = False
    broadcast_star_budget: float = Field(default=0.0, ge=0)

    log_level: str = "INFO"
    bot_ready_file: Path | None = None

    @field_validator("admin_user_ids", mode="before")
    @classmethod
    def _split_ids(cls, value: Any) -> Any:
        """Accept a comma-separated string ("1,2") as well as a list."""
        if isinstance(value, str):
            return [int(part) for part in value.replace(";", ",").split(",") if part.strip()]
        if isinstance(value, int):
            return [value]
        return value

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
