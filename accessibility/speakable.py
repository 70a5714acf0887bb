"""Write times, dates and numbers out in words, so speech synthesis reads them naturally."""

from __future__ import annotations

import re
from collections.abc import Callable

from core.texts import normalise_lang

# ---------------------------------------------------------------- Chinese numbers
_ZH_DIGITS = "零一二三四五六七八九"
_ZH_PHONE_DIGITS = "零幺二三四五六七八九"  # on the phone 1 is said 幺, so 120 is 幺二零
# Before these measure words a lone 2 is said 两 (两个, 两点, 两天), not 二.
_ZH_MEASURES = "个位点天次本件只张条岁年月周小人名间家趟辆"


def _zh_section(n: int) -> str:
    """0 < n < 10000 in Chinese, with 零 for inner gaps (1010 → 一千零一十)."""
    units = ("千", "百", "十", "")
    digits = (n // 1000, n // 100 % 10, n // 10 % 10, n % 10)
    out, gap, started = "", False, False
    for digit, unit in zip(digits, units, strict=True):
        if digit == 0:
            gap = gap or started
            continue
        if gap:
            out += "零"
            gap = False
        out += _ZH_DIGITS[digit] + unit
        started = True
    return out


def zh_number(n: int) -> str:
    """An integer in Chinese words: 105 → 一百零五, 12 → 十二, 20000 → 二万."""
    if n < 0:
        return "负" + zh_number(-n)
    if n == 0:
        return "零"
    out = ""
    for size, unit in ((10**8, "亿"), (10**4, "万"), (1, "")):
        part = n // size % 10**4 if size < 10**8 else n // size
        if part == 0:
            if out and n % size:
                out += "" if out.endswith("零") else "零"
            continue
        if out and part < 1000 and not out.endswith("零"):
            out += "零"
        out += (zh_number(part) if part >= 10**4 else _zh_section(part)) + unit
    return out[1:] if out.startswith("一十") else out


def _zh_digits(text: str, phone: bool = False) -> str:
    table = _ZH_PHONE_DIGITS if phone else _ZH_DIGITS
    return "".join(table[int(ch)] for ch in text)


# ---------------------------------------------------------------- English numbers
_EN_ONES = (
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen "
    "fifteen sixteen seventeen eighteen nineteen"
).split()
_EN_TENS = "_ _ twenty thirty forty fifty sixty seventy eighty ninety".split()
_EN_DIGIT_WORDS = "oh one two three four five six seven eight nine".split()
_EN_MONTHS = (
    "January February March April May June July August September October November December"
).split()


def en_number(n: int) -> str:
    """An integer in English words: 125 → one hundred twenty-five."""
    if n < 0:
        return "minus " + en_number(-n)
    if n < 20:
        return _EN_ONES[n]
    if n < 100:
        tens, ones = divmod(n, 10)
        return _EN_TENS[tens] + (f"-{_EN_ONES[ones]}" if ones else "")
    if n < 1000:
        hundreds, rest = divmod(n, 100)
        return f"{_EN_ONES[hundreds]} hundred" + (f" {en_number(rest)}" if rest else "")
    for size, name in ((10**9, "billion"), (10**6, "million"), (10**3, "thousand")):
        if n >= size:
            high, rest = divmod(n, size)
            return f"{en_number(high)} {name}" + (f" {en_number(rest)}" if rest else "")
    raise AssertionError("unreachable")


def en_ordinal(n: int) -> str:
    """1 → first, 22 → twenty-second, 30 → thirtieth."""
    words = en_number(n)
    irregular = {
        "one": "first",
        "two": "second",
        "three": "third",
        "five": "fifth",
        "eight": "eighth",
        "nine": "ninth",
        "twelve": "twelfth",
    }
    head, sep, last = words.rpartition("-") if "-" in words else words.rpartition(" ")
    if last in irregular:
        last = irregular[last]
    elif last.endswith("y"):
        last = last[:-1] + "ieth"
    else:
        last += "th"
    return head + sep + last


def en_year(n: int) -> str:
    """2026 → twenty twenty-six, 2005 → two thousand five, 1990 → nineteen ninety."""
    if 2000 <= n < 2010 or n % 1000 == 0 or not 1100 <= n < 2100:
        return en_number(n)
    high, low = divmod(n, 100)
    if low == 0:
        return f"{en_number(high)} hundred"
    return f"{en_number(high)} " + (f"oh {en_number(low)}" if low < 10 else en_number(low))


# ---------------------------------------------------------------- times
def zh_time(hour: int, minute: int) -> str:
    """9:30 → 九点半, 15:00 → 下午三点, 2:05 → 凌晨两点零五分."""
    if hour < 5:
        period = "凌晨"
    elif hour < 12:
        period = ""  # a morning time is said without 上午, as people say it
    elif hour == 12:
        period = "中午"
    elif hour < 18:
        period = "下午"
    else:
        period = "晚上"
    h12 = hour - 12 if hour > 12 else hour
    spoken_hour = "两" if h12 == 2 else zh_number(h12)
    if minute == 0:
        tail = "点"
    elif minute == 30:
        tail = "点半"
    elif minute < 10:
        tail = f"点零{zh_number(minute)}分"
    else:
        tail = f"点{zh_number(minute)}分"
    return period + spoken_hour + tail


def en_time(hour: int, minute: int, suffix: str | None = None) -> str:
    """9:30 → half past nine, 15:00 → three p.m., 21:05 → nine oh five p.m."""
    if suffix is None:
        if hour == 0 and minute == 0:
            return "midnight"
        if hour == 12 and minute == 0:
            return "noon"
        suffix = "p.m." if hour >= 12 else ("a.m." if hour < 6 else "")
    h12 = hour % 12 or 12
    words = en_number(h12)
    if minute == 0:
        spoken = f"{words} {suffix}" if suffix else f"{words} o'clock"
        return spoken
    if minute == 30:
        spoken = f"half past {words}"
    elif minute == 15:
        spoken = f"quarter past {words}"
    elif minute < 10:
        spoken = f"{words} oh {en_number(minute)}"
    else:
        spoken = f"{words} {en_number(minute)}"
    return f"{spoken} {suffix}".strip()


# ---------------------------------------------------------------- rules
_SERVICE_NUMBERS = {"110", "112", "119", "120", "122", "999", "911", "12345", "12385"}

Rule = tuple[re.Pattern[str], Callable[[re.Match[str]], str]]

_ISO_DATE = re.compile(r"(?<!\d)(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?!\d)")
_TIME = re.compile(r"(?<![\d.])([01]?\d|2[0-3])[:：]([0-5]\d)(?![\d:])")
_PERCENT = re.compile(r"(?<![\d.])(\d+(?:\.\d+)?)\s*[%％]")
_DECIMAL = re.compile(r"(?<![\d.])(\d+)\.(\d+)(?![\d.])")
_GROUPED = re.compile(r"(?<![\d.,])\d{1,3}(?:,\d{3})+(?![\d,])")
_INT = re.compile(r"\d+")


def _is_phone_like(digits: str) -> bool:
    """Service numbers, leading-zero numbers and long numbers are read digit by digit."""
    return digits in _SERVICE_NUMBERS or (digits[0] == "0" and len(digits) > 1) or len(digits) >= 7


def _zh_int_match(m: re.Match[str]) -> str:
    digits = m.group(0)
    if _is_phone_like(digits):
        return _zh_digits(digits, phone=True)
    n = int(digits)
    following = m.string[m.end() : m.end() + 1]
    if n == 2 and following and following in _ZH_MEASURES:
        return "两"
    return zh_number(n)


def _zh_rules() -> list[Rule]:
    return [
        (
            _ISO_DATE,
            lambda m: f"{_zh_digits(m[1])}年{zh_number(int(m[2]))}月{zh_number(int(m[3]))}日",
        ),
        (re.compile(r"(?<!\d)(\d{4})年"), lambda m: f"{_zh_digits(m[1])}年"),
        (_TIME, lambda m: zh_time(int(m[1]), int(m[2]))),
        (_PERCENT, lambda m: "百分之" + _zh_plain(m[1])),
        (_DECIMAL, lambda m: f"{zh_number(int(m[1]))}点{_zh_digits(m[2])}"),
        (_GROUPED, lambda m: zh_number(int(m[0].replace(",", "")))),
        (_INT, _zh_int_match),
    ]


def _zh_plain(number: str) -> str:
    whole, _, frac = number.partition(".")
    return zh_number(int(whole)) + (f"点{_zh_digits(frac)}" if frac else "")


_EN_MONTH_ABBR = "|".join(m[:3] for m in _EN_MONTHS)


def _en_month(name: str) -> str:
    return _EN_MONTHS[[m[:3].lower() for m in _EN_MONTHS].index(name[:3].lower())]


def _en_int_match(m: re.Match[str]) -> str:
    digits = m.group(0)
    if _is_phone_like(digits):
        return " ".join(_EN_DIGIT_WORDS[int(ch)] if ch != "0" else "zero" for ch in digits)
    return en_number(int(digits))


def _en_date(year: int, month: int, day: int) -> str:
    if not 1 <= month <= 12:
        return f"{en_number(year)} {en_number(month)} {en_number(day)}"
    return f"{_EN_MONTHS[month - 1]} {en_ordinal(day)}, {en_year(year)}"


def _en_rules() -> list[Rule]:
    ampm = r"\s*([ap])\.?\s?m\.?(?![a-z])"
    return [
        (_ISO_DATE, lambda m: _en_date(int(m[1]), int(m[2]), int(m[3]))),
        (
            re.compile(rf"\b({_EN_MONTH_ABBR})[a-z]*\.?\s+(\d{{1,2}})(?:st|nd|rd|th)?\b", re.I),
            lambda m: f"{_en_month(m[1])} {en_ordinal(int(m[2]))}",
        ),
        (
            re.compile(r"(?<![\d.])([01]?\d|2[0-3])[:：]([0-5]\d)" + ampm, re.I),
            lambda m: en_time(int(m[1]), int(m[2]), f"{m[3].lower()}.m."),
        ),
        (
            re.compile(r"(?<![\d.:])(1[0-2]|0?\d)" + ampm, re.I),
            lambda m: en_time(int(m[1]), 0, f"{m[2].lower()}.m."),
        ),
        (_TIME, lambda m: en_time(int(m[1]), int(m[2]))),
        (
            _PERCENT,
            lambda m: _en_plain(m[1]) + " percent",
        ),
        (_DECIMAL, lambda m: f"{en_number(int(m[1]))} point {_en_point_digits(m[2])}"),
        (_GROUPED, lambda m: en_number(int(m[0].replace(",", "")))),
        (
            re.compile(r"(?<![\d.])(\d+)(st|nd|rd|th)\b", re.I),
            lambda m: en_ordinal(int(m[1])),
        ),
        (re.compile(r"(?<=[A-Za-z])(?=\d)|(?<=\d)(?=[A-Za-z])"), lambda m: " "),
        (_INT, _en_int_match),
    ]


def _en_point_digits(frac: str) -> str:
    return " ".join(_EN_ONES[int(ch)] for ch in frac)


def _en_plain(number: str) -> str:
    whole, _, frac = number.partition(".")
    return en_number(int(whole)) + (f" point {_en_point_digits(frac)}" if frac else "")


_RULES: dict[str, list[Rule]] = {"zh": _zh_rules(), "en": _en_rules()}


def speakable(text: str, lang: str | None) -> str:
    """The text with times, dates and numbers written out in lang ('zh' or 'en')."""
    for pattern, replace in _RULES[normalise_lang(lang)]:
        text = pattern.sub(replace, text)
    return text
