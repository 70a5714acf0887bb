"""What every router shares: documented error responses and the id path/query types."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Path, Query

from api.schemas import MAX_ID, ErrorOut

# Every route documents the error shape for each status it may answer with.
ERRORS: dict[int | str, dict[str, Any]] = {
    status: {"model": ErrorOut, "description": description}
    for status, description in (
        (400, "Bad input"),
        (401, "Missing or unknown API key"),
        (403, "Not allowed for this key"),
        (404, "Not found, or outside the key's areas"),
        (409, "Conflicts with the current state"),
        (413, "Body too large"),
        (422, "Validation error"),
        (429, "Rate limited (see Retry-After)"),
    )
}

PathId = Annotated[int, Path(ge=1, le=MAX_ID)]
QueryId = Annotated[int | None, Query(ge=1, le=MAX_ID)]
Limit = Annotated[int, Query(ge=1, le=200)]
AfterId = Annotated[int, Query(ge=0, le=MAX_ID, description="Return rows with a larger id")]
