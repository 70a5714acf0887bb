"""Large-text cards: high-contrast PNG images with big type, wrapping CJK and Latin text."""

from __future__ import annotations

import io
import re
import unicodedata
from functools import lru_cache
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

MIN_FONT_PX = 48
DEFAULT_FONT_PX = 64
CARD_WIDTH = 1080
MAX_CARD_HEIGHT = 2400  # taller texts are split into several cards (phones scroll badly)
FONT_DIRS = (Path("/usr/share/fonts/opentype/noto"), Path("/usr/share/fonts/truetype/noto"))
FONT_FILES = ("NotoSansCJK-Bold.ttc", "NotoSansCJK-Regular.ttc")
FONT_FACE = "Noto Sans CJK SC"  # simplified-Chinese glyph shapes; Latin is included
# Kinsoku: these never start a line, and the opening ones never end one.
_NO_LINE_START = set("，。、；：！？）》」』】〕〉,.;:!?)]}%％·…—～")
_NO_LINE_END = set("（《「『【〔〈([{")
_TOKEN = re.compile(r"\s+|[A-Za-z0-9][A-Za-z0-9'’.,:;!?%)\]}-]*|.", re.S)


class FontMissing(RuntimeError):
    """The Noto CJK font is not installed (Debian package fonts-noto-cjk)."""


@lru_cache(maxsize=1)
def font_path_and_index() -> tuple[Path, int]:
    """The Noto Sans CJK .ttc file and the index of its simplified-Chinese face."""
    for folder in FONT_DIRS:
        for name in FONT_FILES:
            path = folder / name
            if not path.is_file():
                continue
            for index in range(10):
                try:
                    face = ImageFont.truetype(str(path), 12, index=index)
                except OSError:
                    break
                if face.getname()[0] == FONT_FACE:
                    return path, index
            return path, 0
    raise FontMissing("install fonts-noto-cjk (NotoSansCJK .ttc under /usr/share/fonts)")


@lru_cache(maxsize=8)
def load_font(size: int = DEFAULT_FONT_PX) -> ImageFont.FreeTypeFont:
    """The card font at a pixel size (never below MIN_FONT_PX)."""
    path, index = font_path_and_index()
    return ImageFont.truetype(str(path), max(size, MIN_FONT_PX), index=index)


def _tokens(text: str) -> list[str]:
    """Latin words (with trailing punctuation) stay whole; CJK breaks between characters."""
    return _TOKEN.findall(text)


def wrap(text: str, font: ImageFont.FreeTypeFont, width: int) -> list[str]:
    """Lines of text that fit width pixels, breaking Latin at spaces and CJK anywhere allowed."""
    lines: list[str] = []
    for paragraph in text.splitlines() or [""]:
        line = ""
        for token in _tokens(paragraph):
            if token.isspace():
                if line:
                    line += " "
                continue
            candidate = line + token
            if font.getlength(candidate.rstrip()) <= width or not line.strip():
                line = candidate
                continue
            if token[0] in _NO_LINE_START and len(line) > 1:
                # Carry the last character down with the punctuation mark.
                lines.append(line[:-1].rstrip())
                line = line[-1] + token
            elif line.rstrip()[-1] in _NO_LINE_END:
                lines.append(line.rstrip()[:-1].rstrip())
                line = line.rstrip()[-1] + token
            else:
                lines.append(line.rstrip())
                line = token
            while font.getlength(line) > width and len(line) > 1:
                # A single token wider than the card (a long URL): hard-break it.
                cut = _longest_prefix(line, font, width)
                lines.append(line[:cut])
                line = line[cut:]
        lines.append(line.rstrip())
    return lines


def _longest_prefix(text: str, font: ImageFont.FreeTypeFont, width: int) -> int:
    cut = 1
    while cut < len(text) and font.getlength(text[: cut + 1]) <= width:
        cut += 1
    return cut


def render_cards(
    text: str,
    *,
    dark: bool = False,
    font_px: int = DEFAULT_FONT_PX,
    width: int = CARD_WIDTH,
) -> list[bytes]:
    """PNG cards of text: black on white (or white on black when dark), split when very long."""
    font = load_font(font_px)
    margin = font.size // 2 + 24
    line_height = int(font.size * 1.45)
    text = unicodedata.normalize("NFC", text)
    lines = wrap(text, font, width - 2 * margin)
    per_card = max(1, (MAX_CARD_HEIGHT - 2 * margin) // line_height)
    pages = [lines[i : i + per_card] for i in range(0, len(lines), per_card)] or [[""]]
    # Greyscale: pure black and white plus anti-aliased edges; far smaller and faster than RGB.
    ink, paper = (255, 0) if dark else (0, 255)
    cards = []
    for page in pages:
        height = 2 * margin + line_height * len(page)
        image = Image.new("L", (width, height), paper)
        draw = ImageDraw.Draw(image)
        for row, line in enumerate(page):
            draw.text((margin, margin + row * line_height), line, font=font, fill=ink)
        buffer = io.BytesIO()
        image.save(buffer, format="PNG")
        cards.append(buffer.getvalue())
    return cards


def render_card(text: str, *, dark: bool = False, font_px: int = DEFAULT_FONT_PX) -> bytes:
    """One PNG card (the first, when the text needs several)."""
    return render_cards(text, dark=dark, font_px=font_px)[0]
