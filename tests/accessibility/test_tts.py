"""Text to speech: valid OGG/Opus 48 kHz mono, cached, serialised across threads."""

from __future__ import annotations

import io
from concurrent.futures import ThreadPoolExecutor

import pytest
import soundfile as sf

from accessibility.errors import SpeechFailed
from accessibility.tts import cache_key, speak_async, synthesize, voice_for
from core.settings import Settings

pytestmark = pytest.mark.voice


def _check_ogg_opus(ogg: bytes) -> float:
    info = sf.info(io.BytesIO(ogg))
    assert info.samplerate == 48000
    assert info.channels == 1
    assert info.format == "OGG"
    assert info.subtype == "OPUS"
    data, rate = sf.read(io.BytesIO(ogg), dtype="float32")
    assert rate == 48000
    assert float(abs(data).max()) > 0.05  # there is sound, not silence
    return info.frames / info.samplerate


@pytest.mark.parametrize(
    ("lang", "text"),
    [("zh", "明天上午九点半，我需要有人陪我去医院。"), ("en", "I need help at 9:30 tomorrow.")],
)
def test_voice_message_is_ogg_opus_48k(lang: str, text: str, settings: Settings) -> None:
    speech = synthesize(text, lang, settings)
    duration = _check_ogg_opus(speech.ogg)
    assert duration == pytest.approx(speech.duration, abs=0.05)
    assert 1.0 < speech.duration < 10.0
    assert speech.voice == voice_for(lang)


def test_voices() -> None:
    assert voice_for("zh") == "cmn-latn-pinyin"
    assert voice_for("zh-CN") == "cmn-latn-pinyin"
    assert voice_for("en") == "en-us"


def test_cache(settings: Settings) -> None:
    first = synthesize("Your volunteer is on the way.", "en", settings)
    second = synthesize("Your volunteer is on the way.", "en", settings)
    assert not first.cached and second.cached
    assert first.ogg == second.ogg
    key = cache_key("Your volunteer is on the way.", "en-us")
    assert (settings.cache_dir / "tts" / f"{key}.ogg").is_file()
    assert cache_key("a", "en-us") != cache_key("a", "cmn-latn-pinyin")


def test_espeak_ng_fallback_gives_the_same_format(settings: Settings) -> None:
    speech = synthesize("Thank you.", "en", settings, engine="espeak-ng", use_cache=False)
    assert speech.engine == "espeak-ng"
    _check_ogg_opus(speech.ogg)


def test_empty_text_is_refused(settings: Settings) -> None:
    with pytest.raises(SpeechFailed):
        synthesize("   ", "en", settings)


def test_many_threads_at_once(settings: Settings) -> None:
    texts = [f"Request number {n} is confirmed." for n in range(8)]
    with ThreadPoolExecutor(max_workers=4) as pool:
        speeches = list(pool.map(lambda t: synthesize(t, "en", settings, use_cache=False), texts))
    assert len({s.ogg for s in speeches}) == len(texts)
    for speech in speeches:
        _check_ogg_opus(speech.ogg)


async def test_speak_async(settings: Settings) -> None:
    speech = await speak_async("好的，谢谢。", "zh", settings)
    _check_ogg_opus(speech.ogg)
