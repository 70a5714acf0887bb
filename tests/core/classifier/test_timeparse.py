"""Time expressions in both languages → concrete windows in the resident's time zone."""

from __future__ import annotations

import tomllib
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from core.classifier import ClassifierProfile, classify
from tests.core.classifier.conftest import DATA

SPEC = tomllib.loads((DATA / "time_cases.toml").read_text(encoding="utf-8"))


def _at(value: str, tz: ZoneInfo) -> datetime:
    return datetime.fromisoformat(value).replace(tzinfo=tz)


@pytest.mark.parametrize("case", SPEC["case"], ids=[c["text"] for c in SPEC["case"]])
def test_time_window(case: dict[str, Any]) -> None:
    tz = ZoneInfo(case.get("timezone", "Asia/Shanghai"))
    profile = ClassifierProfile(timezone=str(tz))
    result = classify(case["text"], profile=profile, now=_at(SPEC["now"], tz))
    assert result.time is not None, result.reasons
    assert (result.time.start, result.time.end) == (_at(case["start"], tz), _at(case["end"], tz))
    assert result.time.start.tzinfo is not None
    assert result.time.text


@pytest.mark.parametrize("text", SPEC["none"][0]["texts"])
def test_no_time_window(text: str) -> None:
    now = _at(SPEC["now"], ZoneInfo("Asia/Shanghai"))
    assert classify(text, now=now).time is None


def test_naive_now_is_taken_in_resident_zone() -> None:
    result = classify("明天上午", now=datetime(2026, 3, 11, 10, 0))
    assert result.time is not None
    assert result.time.start == datetime(2026, 3, 12, 8, 0, tzinfo=ZoneInfo("Asia/Shanghai"))


def test_time_today_makes_it_urgent_and_no_rush_flexible() -> None:
    now = datetime(2026, 3, 11, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
    assert classify("今天下午三点要去银行，需要人陪", now=now).urgency == "urgent"
    assert classify("想学盲文，不急", now=now).urgency == "flexible"
