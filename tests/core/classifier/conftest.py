"""Shared helpers of the classifier tests: the data folder and the evaluation folder."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

DATA = Path(__file__).resolve().parent / "data"
# The shared evaluation data sits next to the repository: <repo>/../shared/eval.
EVAL_DIR = Path(__file__).resolve().parents[3].parent / "shared" / "eval"


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    """Rows of a JSON-lines file."""
    with path.open(encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]
