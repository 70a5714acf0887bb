"""User-facing texts by key, from prompts/texts/<lang>/*.toml (easy-read in <lang>-easy/)."""

from __future__ import annotations

import tomllib
from functools import cache
from importlib import resources
from string import Formatter
from typing import Any

LANGS: tuple[str, ...] = ("zh", "en")
DEFAULT_LANG = "zh"


def _flatten(prefix: str, table: dict[str, Any], out: dict[str, str]) -> None:
    for name, value in table.items():
        key = f"{prefix}.{name}" if prefix else name
        if isinstance(value, dict):
            _flatten(key, value, out)
        else:
            out[key] = str(value)


@cache
def catalogue(locale: str) -> dict[str, str]:
    """Every key → text of one locale folder ('en', 'zh', 'en-easy', 'zh-easy')."""
    folder = resources.files("prompts").joinpath("texts", locale)
    out: dict[str, str] = {}
    if not folder.is_dir():
        return out
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if entry.name.endswith(".toml"):
            _flatten("", tomllib.loads(entry.read_text(encoding="utf-8")), out)
    return out


def normalise_lang(lang: str | None) -> str:
    """'zh-hans', 'zh_CN', 'EN-us' → 'zh' / 'en'; anything else → the default."""
    if not lang:
        return DEFAULT_LANG
    short = lang.strip().lower().replace("_", "-").split("-")[0]
    return short if short in LANGS else DEFAULT_LANG


class _SafeDict(dict[str, Any]):
    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


def get(key: str, lang: str | None = None, *, easy: bool = False, **values: Any) -> str:
    """The text for key in lang (easy-read form when asked and present), values filled in."""
    code = normalise_lang(lang)
    template = None
    if easy:
        template = catalogue(f"{code}-easy").get(key)
    if template is None:
        template = catalogue(code).get(key)
    if template is None:
        template = catalogue(DEFAULT_LANG).get(key, key)
    return template.format_map(_SafeDict(values))


def placeholders(template: str) -> set[str]:
    """The {names} a template expects."""
    return {name for _, name, _, _ in Formatter().parse(template) if name}


def has(key: str, lang: str | None = None) -> bool:
    """Whether the key exists in the locale."""
    return key in catalogue(normalise_lang(lang))
