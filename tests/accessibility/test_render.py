"""render_reply: the same reply text in each mode."""

from __future__ import annotations

import io

import pytest
import soundfile as sf
from PIL import Image

from accessibility.render import NO_DATA, YES_DATA, render_reply
from core.settings import Settings

ZH = "我们收到了您的求助。明天上午九点半，志愿者会到您家门口接您，陪您去医院。这样可以吗？"
EN = "We got your request. A volunteer will meet you at 9:30 tomorrow. Is that all right?"


def test_text_mode(settings: Settings) -> None:
    out = render_reply(EN, lang="en", mode="text", disability_types=[], settings=settings)
    assert out.messages == [EN]
    assert out.voice_ogg is None and out.card_png is None and not out.buttons


@pytest.mark.voice
def test_voice_mode(settings: Settings) -> None:
    out = render_reply(ZH, lang="zh", mode="voice", disability_types=["visual"], settings=settings)
    assert out.messages == [ZH]
    assert out.voice_ogg is not None and out.voice_duration and out.voice_duration > 2
    assert sf.info(io.BytesIO(out.voice_ogg)).samplerate == 48000
    silent = render_reply(
        ZH, lang="zh", mode="voice", disability_types=["visual"], settings=settings, speak=False
    )
    assert silent.voice_ogg is None


@pytest.mark.parametrize("mode", ["voice", "text", "large_text", "easy_read"])
def test_deaf_never_gets_voice(mode: str, settings: Settings) -> None:
    out = render_reply(EN, lang="en", mode=mode, disability_types=["hearing"], settings=settings)
    assert out.voice_ogg is None
    assert out.mode != "voice"


def test_large_text(settings: Settings) -> None:
    out = render_reply(ZH, lang="zh", mode="large_text", disability_types=["low_vision"])
    assert out.card_png is not None and out.text == ZH  # the text goes along as caption
    image = Image.open(io.BytesIO(out.card_png))
    assert image.format == "PNG" and image.width >= 1000


def test_easy_read(settings: Settings) -> None:
    out = render_reply(ZH, lang="zh", mode="easy_read", disability_types=["intellectual"])
    assert len(out.messages) >= 4
    assert out.messages[-1] == "这样可以吗？"
    assert [b.data for b in out.buttons] == [YES_DATA, NO_DATA]
    assert [b.label for b in out.buttons] == ["是", "不是"]
    with_buttons = render_reply(
        ZH, lang="zh", mode="easy_read", disability_types=[], has_buttons=True
    )
    assert not with_buttons.buttons
    statement = render_reply(
        "Thank you. We are done.", lang="en", mode="easy_read", disability_types=[]
    )
    assert statement.messages == ["Thank you.", "We are done."] and not statement.buttons


async def test_render_async(settings: Settings) -> None:
    from accessibility.render import render_reply_async

    out = await render_reply_async(EN, lang="en", mode="easy_read", disability_types=[])
    assert out.messages[0] == "We got your request."
