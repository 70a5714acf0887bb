"""Settings come from the environment variables of DESIGN.md."""

from __future__ import annotations

from pathlib import Path

import pytest

from core.settings import Settings


def test_defaults_point_at_sqlite_under_data(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("DATABASE_URL", "TELEGRAM_BOT_TOKEN", "LIGHTWING_PORT", "LIGHTWING_DATA_DIR"):
        monkeypatch.delenv(name, raising=False)
    settings = Settings()
    assert settings.resolved_database_url.startswith("sqlite:///")
    assert settings.resolved_database_url.endswith(str(Path("data") / "lightwing.db"))
    assert settings.port == 8000
    assert settings.telegram_api_base == "https://api.telegram.org"


def test_environment_overrides(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", "postgresql://u:p@db:5432/lw")
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", "123:abc")
    monkeypatch.setenv("LIGHTWING_EMERGENCY_NUMBERS", "112, 911 police")
    monkeypatch.setenv("LIGHTWING_PORT", "9001")
    settings = Settings()
    assert settings.resolved_database_url == "postgresql+psycopg://u:p@db:5432/lw"
    assert settings.telegram_bot_token is not None
    assert "123:abc" not in repr(settings)
    assert settings.telegram_bot_token.get_secret_value() == "123:abc"
    assert settings.emergency_number_list() == ["112", "911 police"]
    assert settings.port == 9001


@pytest.mark.parametrize(
    ("urgency", "seconds"),
    [("emergency", 120), ("urgent", 900), ("normal", 7200), ("flexible", 86400)],
)
def test_offer_deadlines_by_urgency(urgency: str, seconds: int) -> None:
    assert Settings().offer_deadline_s(urgency) == seconds


def test_signing_keys_come_from_the_secret_key(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("LIGHTWING_SECRET_KEY", "LIGHTWING_ADMIN_KEY", "TELEGRAM_BOT_TOKEN",
                 "TELEGRAM_WEBHOOK_SECRET"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("LIGHTWING_SECRET_KEY", "s3cret-one")
    one = Settings()
    assert "s3cret-one" not in repr(one)
    # One key per purpose: a signature made for one thing is worth nothing for another.
    assert one.signing_key("team-invite") != one.signing_key("buttons")
    assert one.signing_key("team-invite") == Settings().signing_key("team-invite")
    monkeypatch.setenv("LIGHTWING_SECRET_KEY", "s3cret-two")
    assert Settings().signing_key("team-invite") != one.signing_key("team-invite")
    # The secret key wins over the other secrets, which only stand in when it is unset.
    monkeypatch.setenv("LIGHTWING_ADMIN_KEY", "admin-key")
    assert Settings().signing_key("x") == Settings(secret_key="s3cret-two").signing_key("x")
    monkeypatch.delenv("LIGHTWING_SECRET_KEY")
    assert Settings().signing_key("x") == Settings(secret_key="admin-key").signing_key("x")
