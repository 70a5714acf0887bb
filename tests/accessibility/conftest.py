"""Voice fixtures: one settings/cache per session, one model load, one round trip of the data."""

from __future__ import annotations

import pytest

from core.settings import Settings
from tests.accessibility.voice_data import RoundTrip, sentences


@pytest.fixture(scope="session")
def voice_settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """Settings with a session-wide data dir, so the model is joined once per test run."""
    return Settings(data_dir=tmp_path_factory.mktemp("voice-data"))


@pytest.fixture(scope="session")
def round_trips(voice_settings: Settings) -> dict[str, list[RoundTrip]]:
    """Every data sentence through synthesize() then transcribe() — done once per session."""
    from accessibility.stt import transcribe
    from accessibility.tts import synthesize

    out: dict[str, list[RoundTrip]] = {}
    for lang in ("en", "zh"):
        trips = []
        for text in sentences(lang):
            speech = synthesize(text, lang, voice_settings)
            heard = transcribe(speech.ogg, voice_settings, hint=lang)
            trips.append(RoundTrip(text, heard.text, heard.lang, heard.duration, heard.seconds))
        out[lang] = trips
    return out
