"""The shared development set stays above the bar (skipped when the file is absent)."""

from __future__ import annotations

import pytest

from core.classifier import classify
from tests.core.classifier.conftest import EVAL_DIR, read_jsonl

DEV = EVAL_DIR / "requests_dev.jsonl"


@pytest.mark.skipif(not DEV.exists(), reason="shared evaluation data not present")
def test_dev_accuracy_and_emergency_recall() -> None:
    rows = read_jsonl(DEV)
    results = [classify(row["text"]) for row in rows]
    correct = sum(r.category == row["category"] for r, row in zip(results, rows, strict=True))
    assert correct / len(rows) >= 0.93
    emergencies = [
        r for r, row in zip(results, rows, strict=True) if row["category"] == "emergency"
    ]
    assert emergencies and all(r.category == "emergency" for r in emergencies)
