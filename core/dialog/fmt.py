"""Small formatting helpers for values put into replies (times, categories, places)."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from core import texts


def when(dt: datetime | str | None, tz: str, lang: str) -> str:
    """A time as people read it in their zone, e.g. '11-24 09:00'."""
    if dt is None:
        return ""
    if isinstance(dt, str):
        try:
            dt = datetime.fromisoformat(dt)
        except ValueError:
            return dt
    try:
        zone = ZoneInfo(tz)
    except Exception:  # noqa: BLE001 - a bad zone name must not break a reply
        zone = ZoneInfo("Asia/Shanghai")
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=ZoneInfo("UTC"))
    local = dt.astimezone(zone)
    key = "dialog.fmt.datetime"
    return texts.get(key, lang, month=local.month, day=local.day, time=local.strftime("%H:%M"))


def category(cat: str | None, lang: str, easy: bool = False) -> str:
    """The category's name in the language."""
    return texts.get(f"dialog.cat.{cat or 'other'}", lang, easy=easy)


def status(value: str | None, lang: str, easy: bool = False) -> str:
    """A request status in words."""
    return texts.get(f"dialog.status_name.{value or 'new'}", lang, easy=easy)


def hours(value: float) -> str:
    """Hours without a useless '.0'."""
    return f"{value:g}"
