"""Texts come from prompts/ by key, in the user's language."""

from __future__ import annotations

import pytest

from core import texts


@pytest.mark.parametrize(
    ("given", "expected"),
    [("zh-hans", "zh"), ("zh_CN", "zh"), ("EN-us", "en"), ("fr", "zh"), (None, "zh"), ("", "zh")],
)
def test_language_codes_normalise(given: str | None, expected: str) -> None:
    assert texts.normalise_lang(given) == expected


def test_values_are_filled_and_missing_ones_kept_visible() -> None:
    assert "oops" in texts.get("error.invalid_input", "en", detail="oops")
    assert "{detail}" in texts.get("error.invalid_input", "en")


def test_easy_read_form_is_used_when_asked() -> None:
    plain = texts.get("error.generic", "en")
    easy = texts.get("error.generic", "en", easy=True)
    assert easy != plain
    assert max(len(s) for s in easy.split(".")) < max(len(s) for s in plain.split("."))
