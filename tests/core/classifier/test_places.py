"""Place names matched against the area index, tolerant of typos, without false alarms."""

from __future__ import annotations

import tomllib
from types import SimpleNamespace
from typing import Any

import pytest

from core.classifier import AreaIndex, classify
from core.models import Area
from tests.core.classifier.conftest import DATA

SPEC = tomllib.loads((DATA / "places.toml").read_text(encoding="utf-8"))
INDEX = AreaIndex.from_areas(SimpleNamespace(**area) for area in SPEC["area"])


@pytest.mark.parametrize("case", SPEC["case"], ids=[c["text"] for c in SPEC["case"]])
def test_place_found(case: dict[str, Any]) -> None:
    place = classify(case["text"], areas=INDEX).place
    assert place is not None
    assert place.area_id == case["area_id"]
    assert 0.8 <= place.score <= 1.0
    assert place.text


@pytest.mark.parametrize("text", SPEC["none"][0]["texts"])
def test_no_false_place(text: str) -> None:
    assert classify(text, areas=INDEX).place is None


def test_index_builds_from_area_rows() -> None:
    rows = [Area(id=7, code="c7", level="community", name_zh="幸福社区", name_en="Happiness",
                 aliases=["幸福里"])]
    index = AreaIndex.from_areas(rows)
    place = classify("我在幸福社区门口", areas=index).place
    assert place is not None and place.area_id == 7 and place.name == "幸福社区"
    assert classify("I'm in Happiness", lang="en", areas=index).place is not None
