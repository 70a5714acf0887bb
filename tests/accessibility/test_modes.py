"""Default modes per disability, and the rule that a deaf person never gets voice."""

from __future__ import annotations

import pytest

from accessibility.modes import MODES, allows_voice, default_mode, effective_mode


@pytest.mark.parametrize(
    ("types", "mode"),
    [
        ([], "text"),
        (["visual"], "voice"),
        (["low_vision"], "large_text"),
        (["hearing"], "text"),
        (["intellectual"], "easy_read"),
        (["physical"], "text"),
        (["blind"], "voice"),
        (["Deaf"], "text"),
        (["visual", "hearing"], "text"),  # deaf-blind: braille display reads text
        (["deafblind"], "text"),
        (["low_vision", "hearing"], "large_text"),
        (["intellectual", "hearing"], "easy_read"),
        (["visual", "intellectual"], "voice"),
    ],
)
def test_default_mode(types: list[str], mode: str) -> None:
    assert default_mode(types) == mode


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize(
    "types", [["hearing"], ["visual", "hearing"], ["deaf"], ["hearing", "intellectual"]]
)
def test_never_voice_for_deaf(types: list[str], mode: str) -> None:
    assert not allows_voice(types, mode)
    assert effective_mode(types, mode) != "voice"


def test_voice_only_in_voice_mode() -> None:
    assert allows_voice(["visual"], "voice")
    assert allows_voice([], "voice")
    assert not allows_voice(["visual"], "text")
    assert not allows_voice(["visual"], "large_text")


def test_effective_mode_falls_back() -> None:
    assert effective_mode(["low_vision"], "nonsense") == "large_text"
    assert effective_mode(["visual"], None) == "voice"
    assert effective_mode(["hearing"], "voice") == "text"
    assert effective_mode(["visual"], "easy_read") == "easy_read"
