"""The taxonomy is data: every category id has cues and enough phrasings in both languages."""

from __future__ import annotations

from core.classifier.taxonomy import LANGS, load_taxonomy
from core.models.enums import Category
from tests.core.classifier.conftest import EVAL_DIR, read_jsonl


def test_every_category_is_in_the_taxonomy() -> None:
    assert set(load_taxonomy().categories) == {c.value for c in Category}


def test_enough_phrasings_per_category_and_language() -> None:
    taxonomy = load_taxonomy()
    for cat in taxonomy.categories:
        for lang in LANGS:
            count = sum(1 for lg, c, _ in taxonomy.phrasings if lg == lang and c == cat)
            assert count >= 15, (cat, lang, count)


def test_no_evaluation_line_in_the_taxonomy() -> None:
    path = EVAL_DIR / "requests_dev.jsonl"
    if not path.exists():
        return
    from core.classifier.normalise import clean

    dev = {clean(row["text"]) for row in read_jsonl(path)}
    phrasings = {text for _, _, text in load_taxonomy().phrasings}
    assert not dev & phrasings
