"""Hard cases in both languages: negation, contrast, past injuries, typos, fillers, emergencies."""

from __future__ import annotations

from typing import Any

import pytest

from core.classifier import classify
from tests.core.classifier.conftest import DATA, read_jsonl

CASES = [
    pytest.param(row, id=f"{path.stem}:{i}")
    for path in sorted(DATA.glob("*.jsonl"))
    if path.stem != "profiles"
    for i, row in enumerate(read_jsonl(path))
]


@pytest.mark.parametrize("case", CASES)
def test_category_and_urgency(case: dict[str, Any]) -> None:
    result = classify(case["text"])
    assert (result.category, result.urgency) == (case["category"], case["urgency"]), result.reasons


@pytest.mark.parametrize("case", CASES)
def test_emergency_category_iff_emergency_urgency(case: dict[str, Any]) -> None:
    result = classify(case["text"])
    assert (result.category == "emergency") == (result.urgency == "emergency")


def test_negation_moves_the_request_to_what_is_wanted() -> None:
    assert classify("不用修轮椅了，帮我买点菜").category == "errands"
    assert classify("I don't need a doctor, I just feel lonely").category == "companionship"


def test_past_mild_injury_is_health_not_emergency() -> None:
    result = classify("I fell last week, my knee still hurts a bit")
    assert (result.category, result.urgency) == ("health", "normal")


def test_emergency_has_reasons_and_first_aid() -> None:
    result = classify("救命，厨房着火了")
    assert result.category == "emergency"
    assert "first_aid" in result.skills
    assert any("着火" in reason for reason in result.reasons)
    assert result.needs_clarification is False


def test_unclear_text_asks_for_clarification_with_alternatives() -> None:
    result = classify("help")
    assert result.category == "other"
    assert result.needs_clarification is True
    assert 1 <= len(result.alternatives) <= 3
    assert result.alternatives[0].category == result.category
    assert all(0.0 <= a.score <= 1.0 for a in result.alternatives)


def test_language_is_detected() -> None:
    assert classify("我的hearing aid没声音了").lang == "zh"
    assert classify("my hearing aid is broken").lang == "en"


def test_photo_question_is_reading() -> None:
    assert classify("What is in this box?", has_photo=True).category == "reading"


def test_empty_text_is_other_and_needs_clarification() -> None:
    result = classify("   ")
    assert result.category == "other"
    assert 0.0 <= result.confidence <= 1.0
