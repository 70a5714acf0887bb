"""Every prompt key the services raise exists in every locale (zh, en, zh-easy, en-easy)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from core import texts

SERVICES = Path(__file__).resolve().parents[3] / "core" / "services"
KEYS = sorted({
    key
    for path in SERVICES.glob("*.py")
    for key in re.findall(r'"(profile\.invalid\.[a-z_]+)"', path.read_text(encoding="utf-8"))
})


def test_keys_were_found() -> None:
    assert len(KEYS) >= 15


@pytest.mark.parametrize("locale", ["zh", "en", "zh-easy", "en-easy"])
def test_every_key_in_every_locale(locale: str) -> None:
    missing = [key for key in KEYS if key not in texts.catalogue(locale)]
    assert missing == []
