"""Large-text cards: high contrast, large type, real CJK glyphs (no tofu boxes)."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from accessibility.cards import MIN_FONT_PX, load_font, render_card, render_cards, wrap

SAMPLE = "光翼助残：明天上午九点半，志愿者陪您去医院。Lightwing 123"
# U+0378 is unassigned: every font draws it as its .notdef (tofu) box.
NOTDEF = "\u0378"


def _image(png: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(png))
    image.load()
    return image


def test_card_is_high_contrast_png() -> None:
    for dark, ink, paper in ((False, 0, 255), (True, 255, 0)):
        image = _image(render_card(SAMPLE, dark=dark)).convert("L")
        assert image.getpixel((0, 0)) == paper
        colours = {c for _, c in image.getcolors(maxcolors=1 << 16)}
        assert ink in colours


def test_type_is_large() -> None:
    font = load_font(10)  # asking for less still gives the minimum
    assert font.size >= MIN_FONT_PX
    bbox = font.getbbox("光")
    assert bbox[3] - bbox[1] >= MIN_FONT_PX * 0.8


@pytest.mark.parametrize("char", sorted(set(SAMPLE) - {" ", "：", "，", "。"}))
def test_glyph_is_not_tofu(char: str, tofu_and_blank: tuple[bytes, bytes]) -> None:
    tofu, blank = tofu_and_blank
    drawn = _image(render_card(char)).tobytes()
    assert drawn != tofu
    assert drawn != blank


@pytest.fixture(scope="module")
def tofu_and_blank() -> tuple[bytes, bytes]:
    """The pixels of a card showing the font's .notdef box, and of an empty card."""
    tofu, blank = _image(render_card(NOTDEF)).tobytes(), _image(render_card(" ")).tobytes()
    assert tofu != blank  # the .notdef box really is drawn, so the comparison means something
    return tofu, blank


def test_wraps_cjk_and_latin() -> None:
    font = load_font()
    width = 600
    lines = wrap(
        "明天上午九点半，我需要有人陪我去医院看病。" * 3 + " Please wait at the door.", font, width
    )
    assert len(lines) > 3
    assert all(font.getlength(line) <= width for line in lines)
    assert not any(line.startswith(("，", "。")) for line in lines)
    assert "Please" in " ".join(lines) and all("Plea" != line[-4:] for line in lines)


def test_long_text_is_split_into_cards() -> None:
    pages = render_cards("很长的内容。" * 150)
    assert len(pages) > 1
    assert all(_image(p).height <= 2400 for p in pages)
