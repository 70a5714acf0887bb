"""Sound-alike matching of Chinese cues in speech transcripts (core.classifier.phonetic)."""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

import pytest

from core.classifier import classify
from core.classifier.matching import Hit
from core.classifier.phonetic import FUZZY_SIM, PARTIAL, SoundIndex, fuzzy, readings, syllable_sim
from tests.core.classifier.conftest import DATA, read_jsonl

CASES = tomllib.loads((DATA / "sound_alike.toml").read_text(encoding="utf-8"))
ALL_ROWS = [
    row for path in sorted(DATA.glob("*.jsonl")) if path.stem != "profiles"
    for row in read_jsonl(path)
]


def _heard(reasons: list[str]) -> list[str]:
    return [r for r in reasons if " heard as " in r]


def test_readings_and_fuzzy_pairs() -> None:
    assert readings("轮") == ("lun",)
    assert readings("椅") == ("yi",)
    assert readings("a") == () and readings("，") == ()
    assert [fuzzy(s) for s in ("zhang", "ning", "sheng", "long", "nv")] == [
        "zan", "lin", "sen", "long", "lv"
    ]
    assert syllable_sim("lun", "lun") == 1.0
    assert syllable_sim("mang", "man") == FUZZY_SIM
    assert 0.0 < syllable_sim("ting", "tian") < FUZZY_SIM
    assert syllable_sim("gao", "bang") < PARTIAL


def test_index_finds_homophones_outside_covered_spans() -> None:
    index = SoundIndex([("轮椅", "wheelchair"), ("坏了", "broken"), ("电动轮椅", "power chair")])
    hits = index.find("伦疑怀了")
    assert [(h.cue, h.start, h.end, h.payloads) for h, _ in hits] == [
        ("轮椅", 0, 2, ("wheelchair",)),
        ("坏了", 2, 4, ("broken",)),
    ]
    assert all(sim == 1.0 for _, sim in hits)
    # What the characters already explain is not searched again.
    assert [h.cue for h, _ in index.find("伦疑怀了", covered=[(2, 4)])] == ["轮椅"]
    # The longer cue hides the shorter one it overlaps; the written cue itself is no sound hit.
    assert [h.cue for h, _ in index.find("店动伦疑")] == ["电动轮椅"]
    assert index.find("轮椅") == []
    # One syllable of a two-syllable cue is not enough.
    assert index.find("伦理") == []


def test_known_words_are_taken_as_written() -> None:
    index = SoundIndex([("反映", "report")], known=["反应"])
    assert index.find("没反应") == []
    assert isinstance(SoundIndex([("反映", "report")]).find("没反应")[0][0], Hit)


@pytest.mark.parametrize("case", CASES["heard"], ids=lambda c: c["text"])
def test_spoken_text_matches_cues_by_sound(case: dict[str, Any]) -> None:
    result = classify(case["text"], "zh", spoken=True)
    assert result.category == case["category"], result.reasons
    assert any(f"'{case['cue']}'" in r for r in _heard(result.reasons)), result.reasons
    # Typed text is taken as written.
    assert _heard(classify(case["text"], "zh").reasons) == []


@pytest.mark.parametrize("case", CASES["written"], ids=lambda c: c["text"])
def test_words_right_as_written_are_left_alone(case: dict[str, Any]) -> None:
    assert classify(case["text"], "zh", spoken=True).category == case["category"]


@pytest.mark.parametrize("row", ALL_ROWS, ids=lambda r: r["text"][:30])
def test_sound_never_decides_an_emergency(row: dict[str, Any]) -> None:
    typed = classify(row["text"])
    spoken = classify(row["text"], spoken=True)
    assert (spoken.category == "emergency") == (typed.category == "emergency")
    assert spoken.urgency == typed.urgency or "emergency" not in (spoken.urgency, typed.urgency)


def test_pinyin_phrase_table_is_not_loaded() -> None:
    # pypinyin's phrase table would add ~45 MB to every process that classifies. Checked in a
    # fresh process: in this one, the speech tests may have loaded it for Chinese speech
    # (accessibility/pinyin.py), which is where it belongs.
    code = (
        "import sys\n"
        "from core.classifier import classify\n"
        "classify('我的伦疑坏了', 'zh', spoken=True)\n"
        "print('pypinyin' in sys.modules, 'pypinyin.phrases_dict' in sys.modules)\n"
    )
    repo = Path(__file__).resolve().parents[3]
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=repo, capture_output=True, text=True, check=True
    )
    assert done.stdout.split() == ["True", "False"]
