"""Every prompt key has a zh and en text and an easy-read form in both (all domains)."""

from __future__ import annotations

import pytest

from core import texts

LOCALES = ("zh", "en", "zh-easy", "en-easy")


def _all_keys() -> set[str]:
    keys: set[str] = set()
    for locale in LOCALES:
        keys |= set(texts.catalogue(locale))
    return keys


@pytest.mark.parametrize("locale", LOCALES)
def test_every_key_in_every_locale(locale: str) -> None:
    catalogue = texts.catalogue(locale)
    missing = sorted(k for k in _all_keys() if not catalogue.get(k, "").strip())
    assert not missing, f"{locale} lacks {missing}"


def test_en_and_zh_placeholders_agree() -> None:
    zh, en = texts.catalogue("zh"), texts.catalogue("en")
    differ = [
        key
        for key in zh.keys() & en.keys()
        if texts.placeholders(zh[key]) != texts.placeholders(en[key])
    ]
    assert not differ, f"placeholders differ between zh and en in {differ}"


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_easy_read_needs_no_new_values(lang: str) -> None:
    # An easy-read form may leave values out, but a value the caller never passes would be
    # shown to the user as "{name}".
    full, easy = texts.catalogue(lang), texts.catalogue(f"{lang}-easy")
    extra = [
        key
        for key in full.keys() & easy.keys()
        if texts.placeholders(easy[key]) - texts.placeholders(full[key])
    ]
    assert not extra, f"{lang}-easy uses values its full form does not have: {extra}"


def test_voice_keys_present() -> None:
    for key in ("voice.unreadable", "voice.too_long", "voice.transcript_readback"):
        for locale in LOCALES:
            assert key in texts.catalogue(locale)
    assert texts.get("voice.transcript_readback", "en", text="hi") == "I heard: hi"
