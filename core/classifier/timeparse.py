"""Relative and absolute time expressions (zh, en) → a concrete window in the resident's zone."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from core.classifier.model import TimeWindow

_CN_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5,
              "六": 6, "七": 7, "八": 8, "九": 9}
_NUM = r"(?:\d{1,2}|[零〇一二两三四五六七八九十]{1,3})"
_EN_NUMS = {"a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6,
            "seven": 7, "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12,
            "fifteen": 15, "twenty": 20, "thirty": 30, "forty": 40, "forty-five": 45,
            "a couple of": 2, "couple of": 2, "a few": 3, "few": 3}
_WEEKDAYS_EN = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
_MONTHS_EN = ["january", "february", "march", "april", "may", "june", "july", "august",
              "september", "october", "november", "december"]
_WEEKDAY_ZH = {"一": 0, "二": 1, "三": 2, "四": 3, "五": 4, "六": 5, "日": 6, "天": 6,
               "1": 0, "2": 1, "3": 2, "4": 3, "5": 4, "6": 5, "7": 6}
# Parts of the day: (start hour, end hour).
_PARTS = {
    "凌晨": (0, 6), "清晨": (6, 9), "一早": (6, 9), "早上": (7, 10), "早晨": (7, 10),
    "上午": (8, 12),
    "中午": (11, 13), "午饭": (11, 13), "下午": (13, 18), "傍晚": (17, 19), "晚饭": (17, 19),
    "晚上": (18, 22), "夜里": (20, 24), "半夜": (0, 4),
    "morning": (8, 12), "noon": (12, 13), "midday": (12, 13), "lunchtime": (12, 14),
    "lunch time": (12, 14), "afternoon": (13, 18), "evening": (18, 22), "night": (19, 23),
}
_PM_PARTS = {"下午", "傍晚", "晚饭", "晚上", "夜里", "afternoon", "evening", "night"}

# Words the English speller must know (typos in them are fixed before parsing).
EN_TIME_WORDS = (
    _WEEKDAYS_EN + _MONTHS_EN + list(_EN_NUMS) + [
        "today", "tonight", "tomorrow", "morning", "afternoon", "evening", "night", "noon",
        "midday", "weekend", "week", "month", "minutes", "hours", "hour", "days", "now",
        "immediately", "next", "this", "coming", "o'clock", "half", "quarter", "past",
    ]
)

_ZH_DAY = re.compile(r"大后天|后天|明天|明日|明儿|明早|明晚|今天|今日|今儿|今早|今晚|今夜|当天")
_ZH_DAY_OFFSETS = {"大后天": 3, "后天": 2, "明天": 1, "明日": 1, "明儿": 1, "明早": 1, "明晚": 1,
                   "今天": 0, "今日": 0, "今儿": 0, "今早": 0, "今晚": 0, "今夜": 0, "当天": 0}
_ZH_DAY_PARTS = {"明早": "早上", "今早": "早上", "明晚": "晚上", "今晚": "晚上", "今夜": "晚上"}
_ZH_WEEKDAY = re.compile(r"(下下个?|下个?|这个?|本|上个?)?(?:周|星期|礼拜)([一二三四五六日天1-7])")
_ZH_WEEKEND = re.compile(r"(下个?|这个?|本)?周末")
_ZH_WEEK = re.compile(r"(下个?|这个?|本)(?:周|星期|礼拜)(?![一二三四五六日天1-7末])")
_ZH_MONTH = re.compile(r"下个?月(?!" + _NUM + r"[日号])")
_ZH_DATE = re.compile(
    r"(?:(下个?月|这个?月|本月)|(" + _NUM + r")月)?(" + _NUM + r")(?:日|号)"
    r"(?![楼线床门口房室栋单院窗机车站码位])"
)
_ZH_PART = re.compile("|".join(k for k in _PARTS if not k.isascii()))
_ZH_CLOCK = re.compile(
    r"(" + _NUM + r")(?:点钟|点|时)(?:(半)|(一刻)|(三刻)|(" + _NUM + r")分?)?(?![钟头])"
    r"|(\d{1,2}):(\d{2})"
)
_ZH_REL = re.compile(r"(" + _NUM + r"|半)个?多?(小时|钟头|分钟|天)(?:后|以后|之后|以内|内)")
_ZH_SOON = re.compile(r"一会儿?|待会儿?|等会儿?|现在|马上|立刻|立即|赶紧")

_WD = "|".join(_WEEKDAYS_EN)
_MO = "|".join(_MONTHS_EN)
_EN_DAY = re.compile(r"\b(day after tomorrow|tomorrow|today|tonight|tmrw|tmr)\b")
_EN_THIS_PART = re.compile(r"\bthis (morning|afternoon|evening)\b")
_EN_WEEKDAY = re.compile(r"\b(?:(next|this|coming|last)\s+)?(" + _WD + r")s?\b")
_EN_WEEKEND = re.compile(r"\b(?:(this|next|the|coming)\s+)?weekend\b")
_EN_WEEK = re.compile(r"\b(next|this) week\b")
_EN_MONTH = re.compile(r"\bnext month\b")
_EN_DATE = re.compile(
    r"\b(?:the\s+)?(\d{1,2})(?:st|nd|rd|th)?\s+(?:of\s+)?(" + _MO + r")\b"
    r"|\b(" + _MO + r")\s+(\d{1,2})(?:st|nd|rd|th)?\b"
    r"|\bthe\s+(\d{1,2})(?:st|nd|rd|th)\b"
)
_EN_PART = re.compile(r"\b(morning|afternoon|evening|night|noon|midday|lunchtime|lunch time)\b")
_EN_WORDNUM = "one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve"
_EN_CLOCK = re.compile(
    r"\b(\d{1,2})(?::(\d{2}))?\s*(am|pm|a\.m\.|p\.m\.)"
    r"|\b(\d{1,2}):(\d{2})\b"
    r"|\b(?:at|by|around|about)\s+(\d{1,2}|" + _EN_WORDNUM + r")(?:\s*o'?clock)?\b"
    r"(?![:.,]?\d|%| ?(?:years|people|floor|times|high|street|road|lane|avenue|st\b|rd\b))"
    r"|\b(\d{1,2}|" + _EN_WORDNUM + r")\s*o'?clock\b"
    r"|\b(" + _EN_WORDNUM + r")\s+(am|pm)\b"
)
_EN_REL = re.compile(
    r"\bin\s+(half an|half a|an|a couple of|a few|a|\d+|" + _EN_WORDNUM
    + r"|fifteen|twenty|thirty|forty-five)"
    r"\s+(minutes?|mins?|hours?|hrs?|days?)\b"
)
_EN_SOON = re.compile(
    r"\b(right now|immediately|asap|straight away|right away)\b|\bnow\b(?! and then)"
)


def cn_number(token: str) -> int:
    """'三' → 3, '十二' → 12, '二十' → 20, '9' → 9."""
    if token.isdigit():
        return int(token)
    if "十" in token:
        head, _, tail = token.partition("十")
        tens = _CN_DIGITS.get(head, 1) if head else 1
        return tens * 10 + (_CN_DIGITS.get(tail, 0) if tail else 0)
    value = 0
    for ch in token:
        value = value * 10 + _CN_DIGITS.get(ch, 0)
    return value


def _en_number(token: str) -> float:
    if token.isdigit():
        return float(token)
    if token.startswith("half"):
        return 0.5
    return float(_EN_NUMS.get(token, 1))


@dataclass
class _Found:
    day: date | None = None
    explicit_day: bool = False
    span_start: datetime | None = None
    span_end: datetime | None = None
    part: str | None = None
    clock: tuple[int, int] | None = None
    meridiem: str | None = None
    delta: timedelta | None = None
    soon: bool = False
    texts: list[tuple[int, int, str]] = field(default_factory=list)

    def note(self, m: re.Match[str]) -> None:
        self.texts.append((m.start(), m.end(), m.group().strip()))

    def text(self) -> str:
        """The matched expressions in reading order, overlaps merged."""
        words: list[str] = []
        last_end = -1
        for _start, end, word in sorted(self.texts, key=lambda t: (t[0], -t[1])):
            if end <= last_end:
                continue
            words.append(word)
            last_end = end
        return " ".join(words)


def _next_weekday(today: date, weekday: int, qualifier: str | None) -> date:
    monday = today - timedelta(days=today.weekday())
    if qualifier and qualifier.startswith(("下下",)):
        return monday + timedelta(days=14 + weekday)
    if qualifier and qualifier.startswith(("下", "next")):
        return monday + timedelta(days=7 + weekday)
    if qualifier and qualifier.startswith(("这", "本", "this")):
        found = monday + timedelta(days=weekday)
        # A request is about the future: "this Monday" said on a Wednesday is the next one.
        return found if found >= today else found + timedelta(days=7)
    ahead = (weekday - today.weekday()) % 7 or 7
    return today + timedelta(days=ahead)


def _day_of_month(today: date, day: int, month: int | None, next_month: bool) -> date | None:
    year, mon = today.year, month or today.month
    if next_month:
        mon += 1
        if mon > 12:
            year, mon = year + 1, 1
    try:
        found = date(year, mon, day)
    except ValueError:
        return None
    if found < today and not next_month:
        try:
            found = date(year + 1, mon, day) if month else _add_month(found)
        except ValueError:
            return None
    return found


def _add_month(d: date) -> date:
    return date(d.year + (d.month == 12), d.month % 12 + 1, d.day)


def _scan_zh(text: str, today: date, now: datetime, found: _Found) -> None:
    tz = now.tzinfo
    if m := _ZH_DAY.search(text):
        found.day, found.explicit_day = today + timedelta(days=_ZH_DAY_OFFSETS[m.group()]), True
        found.part = _ZH_DAY_PARTS.get(m.group(), found.part)
        found.note(m)
    elif m := _ZH_WEEKDAY.search(text):
        if not (m.group(1) or "").startswith("上"):
            found.day = _next_weekday(today, _WEEKDAY_ZH[m.group(2)], m.group(1))
            found.explicit_day = True
            found.note(m)
    elif m := _ZH_WEEKEND.search(text):
        sat = _next_weekday(today, 5, "这" if not (m.group(1) or "").startswith("下") else "下")
        if today.weekday() == 6 and not m.group(1):
            sat = today - timedelta(days=1)
        found.span_start = datetime.combine(sat, time(0), tz)
        found.span_end = found.span_start + timedelta(days=2)
        found.note(m)
    elif m := _ZH_DATE.search(text):
        month = cn_number(m.group(2)) if m.group(2) else None
        next_month = bool(m.group(1) and m.group(1).startswith("下"))
        day = _day_of_month(today, cn_number(m.group(3)), month, next_month)
        if day is not None and 1 <= cn_number(m.group(3)) <= 31:
            found.day, found.explicit_day = day, True
            found.note(m)
    elif m := _ZH_WEEK.search(text):
        monday = today - timedelta(days=today.weekday())
        if m.group(1).startswith("下"):
            monday += timedelta(days=7)
        found.span_start = datetime.combine(monday, time(0), tz)
        found.span_end = found.span_start + timedelta(days=7)
        found.note(m)
    elif m := _ZH_MONTH.search(text):
        first = _add_month(today.replace(day=1))
        found.span_start = datetime.combine(first, time(0), tz)
        found.span_end = datetime.combine(_add_month(first), time(0), tz)
        found.note(m)
    if m := _ZH_PART.search(text):
        found.part = m.group()
        found.note(m)
    for m in _ZH_CLOCK.finditer(text):
        if m.group(6):
            hour, minute = int(m.group(6)), int(m.group(7))
        else:
            if m.group(1) == "一" and not _ZH_PART.search(text[max(0, m.start() - 3) : m.start()]):
                continue  # "一点" is usually "a little"
            hour = cn_number(m.group(1))
            minute = 30 if m.group(2) else 15 if m.group(3) else 45 if m.group(4) else (
                cn_number(m.group(5)) if m.group(5) else 0
            )
        if 0 <= hour <= 24 and 0 <= minute < 60:
            found.clock = (hour % 24, minute)
            found.note(m)
            break
    if m := _ZH_REL.search(text):
        amount = 0.5 if m.group(1) == "半" else cn_number(m.group(1))
        unit = {"小时": "hours", "钟头": "hours", "分钟": "minutes", "天": "days"}[m.group(2)]
        found.delta = timedelta(**{unit: amount})
        found.note(m)
    if m := _ZH_SOON.search(text):
        found.soon = True
        found.note(m)


def _scan_en(text: str, today: date, now: datetime, found: _Found) -> None:
    tz = now.tzinfo
    if m := _EN_DAY.search(text):
        word = m.group(1)
        offset = {"today": 0, "tonight": 0, "tomorrow": 1, "tmrw": 1, "tmr": 1}.get(word, 2)
        found.day, found.explicit_day = today + timedelta(days=offset), True
        if word == "tonight":
            found.part = "evening"
        found.note(m)
    elif m := _EN_THIS_PART.search(text):
        found.day, found.explicit_day, found.part = today, True, m.group(1)
        found.note(m)
    elif (m := _EN_WEEKDAY.search(text)) and m.group(1) != "last":
        found.day = _next_weekday(today, _WEEKDAYS_EN.index(m.group(2)), m.group(1))
        found.explicit_day = True
        found.note(m)
    elif m := _EN_WEEKEND.search(text):
        nxt = m.group(1) == "next"
        sat = _next_weekday(today, 5, "next" if nxt else "this")
        if today.weekday() == 6 and not nxt:
            sat = today - timedelta(days=1)
        found.span_start = datetime.combine(sat, time(0), tz)
        found.span_end = found.span_start + timedelta(days=2)
        found.note(m)
    elif m := _EN_DATE.search(text):
        if m.group(1):
            day_n, month = int(m.group(1)), _MONTHS_EN.index(m.group(2)) + 1
        elif m.group(3):
            day_n, month = int(m.group(4)), _MONTHS_EN.index(m.group(3)) + 1
        else:
            day_n, month = int(m.group(5)), None
        day = _day_of_month(today, day_n, month, False) if 1 <= day_n <= 31 else None
        if day is not None:
            found.day, found.explicit_day = day, True
            found.note(m)
    elif m := _EN_WEEK.search(text):
        monday = today - timedelta(days=today.weekday())
        if m.group(1) == "next":
            monday += timedelta(days=7)
        found.span_start = datetime.combine(monday, time(0), tz)
        found.span_end = found.span_start + timedelta(days=7)
        found.note(m)
    elif m := _EN_MONTH.search(text):
        first = _add_month(today.replace(day=1))
        found.span_start = datetime.combine(first, time(0), tz)
        found.span_end = datetime.combine(_add_month(first), time(0), tz)
        found.note(m)
    if found.part is None and (m := _EN_PART.search(text)):
        found.part = m.group(1)
        found.note(m)
    if m := _EN_CLOCK.search(text):
        g = m.groups()
        if g[0]:
            hour, minute, found.meridiem = int(g[0]), int(g[1] or 0), g[2][0]
        elif g[3]:
            hour, minute = int(g[3]), int(g[4])
        elif g[5]:
            hour, minute = int(_en_number(g[5])), 0
        elif g[6]:
            hour, minute = int(_en_number(g[6])), 0
        else:
            hour, minute, found.meridiem = int(_en_number(g[7])), 0, g[8][0]
        if 0 <= hour <= 24 and 0 <= minute < 60:
            found.clock = (hour % 24, minute)
            found.note(m)
    if m := _EN_REL.search(text):
        unit = m.group(2)
        unit = "minutes" if unit.startswith("m") else "hours" if unit.startswith("h") else "days"
        found.delta = timedelta(**{unit: _en_number(m.group(1))})
        found.note(m)
    if m := _EN_SOON.search(text):
        found.soon = True
        found.note(m)


def _hour24(found: _Found) -> int:
    hour, _ = found.clock  # type: ignore[misc]
    if found.meridiem == "p" and hour < 12:
        return hour + 12
    if found.meridiem == "a":
        return 0 if hour == 12 else hour
    if found.part in _PM_PARTS and hour < 12:
        return hour + 12
    if found.part in ("中午", "午饭", "noon", "midday", "lunchtime", "lunch time") and hour <= 3:
        return hour + 12
    if found.part is None and 1 <= hour <= 6:
        return hour + 12  # nobody books help at 3 a.m. without saying so
    return hour


def parse_time(text: str, now: datetime) -> TimeWindow | None:
    """The time window a cleaned request text asks for, or None (now: aware, resident's zone)."""
    return resolve_time(text, now)[0]


def resolve_time(text: str, now: datetime) -> tuple[TimeWindow | None, bool]:
    """The window and whether it is definite (a day, a clock time or a delay was named)."""
    today = now.date()
    tz = now.tzinfo
    found = _Found()
    _scan_zh(text, today, now, found)
    _scan_en(text, today, now, found)
    start: datetime | None
    end: datetime | None
    if found.delta is not None:
        start = now + found.delta
        short = found.delta < timedelta(days=1)
        end = start + (timedelta(hours=1) if short else timedelta(days=1))
    elif found.clock is not None:
        day = found.day or (found.span_start.date() if found.span_start else today)
        start = datetime.combine(day, time(_hour24(found), found.clock[1]), tz)
        if not found.explicit_day and found.span_start is None and start < now:
            start += timedelta(days=1)
        end = start + timedelta(hours=1)
    elif found.part is not None:
        day = found.day or today
        h1, h2 = _PARTS[found.part]
        start = datetime.combine(day, time(h1), tz)
        end = datetime.combine(day, time(0), tz) + timedelta(hours=h2)
        if not found.explicit_day and end <= now:
            start, end = start + timedelta(days=1), end + timedelta(days=1)
        if start < now < end:
            start = now
    elif found.day is not None:
        start = datetime.combine(found.day, time(0), tz)
        end = start + timedelta(days=1)
        if start < now:
            start = now
    elif found.span_start is not None and found.span_end is not None:
        start, end = max(found.span_start, now), found.span_end
    elif found.soon:
        start, end = now, now + timedelta(hours=1)
    else:
        return None, False
    if end <= start:
        end = start + timedelta(hours=1)
    definite = found.explicit_day or found.clock is not None or found.delta is not None
    return TimeWindow(start=start, end=end, text=found.text()), definite
