"""Lightwing settings, read from the environment (see DESIGN.md, 'Contract: settings')."""

from __future__ import annotations

import hashlib
from functools import lru_cache
from pathlib import Path

from pydantic import AliasChoices, Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


def sqlalchemy_url(url: str) -> str:
    """postgres:// and postgresql:// → postgresql+psycopg:// (psycopg 3); other URLs unchanged."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def _env(*names: str) -> AliasChoices:
    return AliasChoices(*names)


class Settings(BaseSettings):
    """Every knob Lightwing reads from the environment."""

    model_config = SettingsConfigDict(env_file=None, extra="ignore", populate_by_name=True)

    data_dir: Path = Field(default=Path("data"), validation_alias=_env("LIGHTWING_DATA_DIR"))
    database_url: str | None = Field(default=None, validation_alias=_env("DATABASE_URL"))
    telegram_bot_token: SecretStr | None = Field(
        default=None, validation_alias=_env("TELEGRAM_BOT_TOKEN")
    )
    telegram_api_base: str = Field(
        default="https://api.telegram.org", validation_alias=_env("TELEGRAM_API_BASE")
    )
    telegram_webhook_secret: SecretStr | None = Field(
        default=None, validation_alias=_env("TELEGRAM_WEBHOOK_SECRET")
    )
    telegram_webhook_url: str | None = Field(
        default=None, validation_alias=_env("TELEGRAM_WEBHOOK_URL")
    )
    host: str = Field(default="127.0.0.1", validation_alias=_env("LIGHTWING_HOST"))
    port: int = Field(default=8000, validation_alias=_env("LIGHTWING_PORT"))
    redis_url: str | None = Field(default=None, validation_alias=_env("REDIS_URL"))
    emergency_numbers: str = Field(
        default="120 ambulance, 110 police, 119 fire",
        validation_alias=_env("LIGHTWING_EMERGENCY_NUMBERS"),
    )
    admin_key: SecretStr | None = Field(default=None, validation_alias=_env("LIGHTWING_ADMIN_KEY"))
    secret_key: SecretStr | None = Field(
        default=None, validation_alias=_env("LIGHTWING_SECRET_KEY")
    )
    timezone: str = Field(default="Asia/Shanghai", validation_alias=_env("LIGHTWING_TIMEZONE"))
    default_lang: str = Field(default="zh", validation_alias=_env("LIGHTWING_DEFAULT_LANG"))
    deadline_emergency_s: int = Field(
        default=120, validation_alias=_env("LIGHTWING_DEADLINE_EMERGENCY")
    )
    deadline_urgent_s: int = Field(default=900, validation_alias=_env("LIGHTWING_DEADLINE_URGENT"))
    deadline_normal_s: int = Field(default=7200, validation_alias=_env("LIGHTWING_DEADLINE_NORMAL"))
    deadline_flexible_s: int = Field(
        default=86400, validation_alias=_env("LIGHTWING_DEADLINE_FLEXIBLE")
    )
    whisper_model_path: Path | None = Field(
        default=None, validation_alias=_env("LIGHTWING_WHISPER_MODEL")
    )
    worker_interval_s: float = Field(
        default=1.0, validation_alias=_env("LIGHTWING_WORKER_INTERVAL")
    )
    max_body_bytes: int = Field(default=1_000_000, validation_alias=_env("LIGHTWING_MAX_BODY"))
    max_upload_bytes: int = Field(
        default=20_000_000, validation_alias=_env("LIGHTWING_MAX_UPLOAD")
    )
    rate_limit_per_minute: int = Field(
        default=600, validation_alias=_env("LIGHTWING_RATE_LIMIT")
    )

    @property
    def resolved_database_url(self) -> str:
        """The SQLAlchemy URL: DATABASE_URL, or a SQLite file under the data directory."""
        if self.database_url:
            return sqlalchemy_url(self.database_url)
        return f"sqlite:///{(self.data_dir / 'lightwing.db').resolve()}"

    @property
    def media_dir(self) -> Path:
        """Where voice notes and photos of requests are kept."""
        return self.data_dir / "media"

    @property
    def cache_dir(self) -> Path:
        """Where the speech cache and the joined whisper model live."""
        return self.data_dir / "cache"

    def offer_deadline_s(self, urgency: str) -> int:
        """How long an offer waits for an answer, by urgency."""
        return {
            "emergency": self.deadline_emergency_s,
            "urgent": self.deadline_urgent_s,
            "normal": self.deadline_normal_s,
            "flexible": self.deadline_flexible_s,
        }.get(urgency, self.deadline_normal_s)

    def signing_key(self, purpose: str) -> bytes:
        """A key for signing one kind of thing (invite codes, buttons), derived per purpose.

        From LIGHTWING_SECRET_KEY; without it from the first other secret configured, so
        existing deployments keep their signatures; a local demo with no secret at all falls
        back to the database URL (fine on one machine, and the README says to set the key).
        """
        base = next(
            (
                secret.get_secret_value()
                for secret in (self.secret_key, self.admin_key, self.telegram_webhook_secret,
                               self.telegram_bot_token)
                if secret is not None and secret.get_secret_value()
            ),
            self.resolved_database_url,
        )
        return hashlib.sha256(f"lightwing-{purpose}\0{base}".encode()).digest()

    def emergency_number_list(self) -> list[str]:
        """The emergency numbers as separate entries, e.g. ['120 ambulance', '110 police']."""
        return [part.strip() for part in self.emergency_numbers.split(",") if part.strip()]


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings, built on first use (never at import time)."""
    return Settings()
