"""Normalisation: traditional → simplified, full width, case, speech fillers, typos."""

from __future__ import annotations

import tomllib
from typing import Any

import pytest

from core.classifier.analysis import prepare
from core.classifier.taxonomy import load_taxonomy
from tests.core.classifier.conftest import DATA

SPEC = tomllib.loads((DATA / "normalise.toml").read_text(encoding="utf-8"))


@pytest.mark.parametrize("case", SPEC["case"], ids=[c["text"] for c in SPEC["case"]])
def test_normalised_text(case: dict[str, Any]) -> None:
    assert prepare(case["text"], None, load_taxonomy()).text == case["expect"]


def test_traditional_and_simplified_classify_alike() -> None:
    from core.classifier import classify

    simplified = classify("门锁坏了，我现在进不了家门")
    traditional = classify("門鎖壞了，我現在進不了家門")
    assert (simplified.category, simplified.urgency) == (traditional.category, traditional.urgency)
