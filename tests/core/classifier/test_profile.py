"""The resident's profile works as a prior: skills for the volunteer, small category bonus."""

from __future__ import annotations

from typing import Any

import pytest

from core.classifier import ClassifierProfile, classify
from tests.core.classifier.conftest import DATA, read_jsonl


@pytest.mark.parametrize("case", read_jsonl(DATA / "profiles.jsonl"))
def test_profile_skills(case: dict[str, Any]) -> None:
    profile = ClassifierProfile(disability_types=case["disability_types"])
    result = classify(case["text"], profile=profile)
    assert result.category == case["category"], result.reasons
    assert set(case["skills"]) <= set(result.skills), (result.skills, result.reasons)


def test_no_profile_no_guiding_skill_for_plain_escort() -> None:
    result = classify("could someone come with me to the hospital on Monday")
    assert result.category == "escort"
    assert "guiding" not in result.skills
