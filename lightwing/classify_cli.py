"""`lightwing classify`: one text, or JSONL in and out (DESIGN.md)."""

from __future__ import annotations

import json
from typing import Any, TextIO

from core.settings import Settings


def _areas(settings: Settings) -> Any:
    """An area index from the database when it has areas; None otherwise."""
    from sqlmodel import select

    from core.classifier import AreaIndex
    from core.db import engine_from_settings, session_factory, upgrade_schema
    from core.models import Area

    upgrade_schema(settings.resolved_database_url)
    engine = engine_from_settings(settings)
    try:
        with session_factory(engine)() as session:
            rows = list(session.exec(select(Area)).all())
    finally:
        engine.dispose()
    return AreaIndex.from_areas(rows) if rows else None


def _row(result: Any, ident: Any = None) -> dict[str, Any]:
    data = result.model_dump(mode="json")
    if ident is not None:
        return {"id": ident, **data}
    return data


def classify_one(text: str, *, settings: Settings, lang: str | None, out: TextIO) -> int:
    """Print the classification of one text as one JSON object."""
    from core.classifier import classify

    result = classify(text, lang, areas=_areas(settings))
    out.write(json.dumps(_row(result), ensure_ascii=False) + "\n")
    return 0


def classify_batch(inp: TextIO, out: TextIO, *, settings: Settings, lang: str | None) -> int:
    """Read JSONL lines with `text` (and `id`), write one JSON line per input line."""
    from core.classifier import classify

    areas = _areas(settings)
    status = 0
    for number, line in enumerate(inp, start=1):
        if not line.strip():
            continue
        try:
            item = json.loads(line)
            text = item["text"]
            if not isinstance(text, str):
                raise TypeError("text must be a string")
        except (ValueError, KeyError, TypeError) as exc:
            out.write(json.dumps({"line": number, "error": str(exc)}) + "\n")
            status = 1
            continue
        result = classify(text, item.get("lang") or lang, areas=areas)
        out.write(json.dumps(_row(result, item.get("id", number)), ensure_ascii=False) + "\n")
    return status
