"""Request and response bodies of the HTTP API (with OpenAPI examples)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from core.models import (
    ApiKeyPublic,
    Category,
    EventPublic,
    HelpRequestPublic,
    ResidentPrivate,
    ResidentPublic,
    ServiceRecordPublic,
    VolunteerPublic,
)

# Ids fit PostgreSQL's integer columns: larger values are refused as bad input (422).
MAX_ID = 2_147_483_647
Id = Annotated[int, Field(ge=1, le=MAX_ID)]
LangId = Literal["zh", "en"]
RoleId = Literal["admin", "coordinator", "volunteer", "resident"]
CategoryId = Category


class ErrorDetail(BaseModel):
    code: str = Field(examples=["not_found"])
    message: str = Field(examples=["We could not find that."])


class ErrorOut(BaseModel):
    """Every error of the API."""

    error: ErrorDetail


class HealthOut(BaseModel):
    status: Literal["ok"] = "ok"
    database: Literal["ok"] = "ok"


class ClassifyIn(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"text": "明天上午需要人陪我去医院看眼科", "lang": "zh"}]}
    )
    text: str = Field(min_length=1, max_length=10_000)
    lang: LangId | None = None


class RequestIn(BaseModel):
    """A help request as JSON (a voice note comes as multipart/form-data instead)."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"resident_id": 12, "text": "Please read a letter for me", "lang": "en"}]
        }
    )
    resident_id: Id
    text: str = Field(min_length=1, max_length=10_000)
    lang: LangId | None = None
    area_id: Id | None = None
    category: CategoryId | None = Field(
        default=None, description="Known category (skips the classifier), e.g. from a phone call"
    )
    confirm: bool = Field(
        default=True,
        description="Route at once when understood (false: wait for POST …/confirm)",
    )


class RequestUploadIn(BaseModel):
    """The multipart form of a voice-note request (documentation only)."""

    resident_id: Id
    text: str = Field(default="", max_length=10_000)
    lang: LangId | None = None
    area_id: Id | None = None
    category: CategoryId | None = None
    confirm: bool = True
    audio: bytes = Field(json_schema_extra={"format": "binary"})


class ConfirmIn(BaseModel):
    category: CategoryId | None = Field(default=None, description="Correct the category")


class CancelIn(BaseModel):
    reason: str | None = Field(default=None, max_length=500)


class CompleteIn(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"hours": 2.5, "note": "Done"}]})
    hours: float = Field(gt=0, le=24)
    note: str | None = Field(default=None, max_length=2000)
    volunteer_id: Id | None = Field(
        default=None, description="Only for admins and coordinators completing on behalf."
    )


class FeedbackIn(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"rating": 5, "comment": "Very kind, thank you"}]}
    )
    rating: int = Field(ge=1, le=5)
    comment: str | None = Field(default=None, max_length=2000)
    hours_confirmed: bool = True


class AcceptIn(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"volunteer_id": 3}]})
    volunteer_id: Id


class DeclineIn(BaseModel):
    volunteer_id: Id
    reason: str | None = Field(default=None, max_length=500)


class ReassignIn(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"team_id": 4}]})
    team_id: Id | None = None
    volunteer_id: Id | None = None


class OfferBrief(BaseModel):
    id: int
    volunteer_id: int
    team_id: int | None = None
    ring: int = 0
    state: str
    deadline: datetime


class RequestOut(HelpRequestPublic):
    """A request with its offers, its event log and (when allowed) the resident."""

    offers: list[OfferBrief] = []
    events: list[EventPublic] = []
    resident: ResidentPrivate | ResidentPublic | None = None


class OfferOut(BaseModel):
    id: int
    request_id: int
    volunteer_id: int
    state: str
    deadline: datetime
    request_status: str


class QueueItem(BaseModel):
    id: int
    resident_id: int
    status: str
    category: str | None
    urgency: str | None
    confidence: float | None
    area_id: int | None
    team_id: int | None
    volunteer_id: int | None
    ring: int
    channel: str
    deadline: datetime | None
    created_at: datetime
    updated_at: datetime
    summary: str
    overdue: bool


class QueuePageOut(BaseModel):
    items: list[QueueItem]
    next_cursor: str | None = Field(
        default=None, description="Pass as ?cursor= for the next page; null on the last page."
    )
    limit: int
    sort: str


class ChangeEvent(BaseModel):
    """One `event: change` of the queue stream (data is this object as JSON)."""

    id: int
    request_id: int
    at: datetime
    kind: str
    from_status: str | None
    to_status: str | None
    actor: str
    status: str
    area_id: int | None
    category: str | None
    urgency: str | None


class VolunteerOut(VolunteerPublic):
    """A volunteer as seen by themselves, admins and coordinators of their area."""

    phone: str | None = None


class LedgerOut(BaseModel):
    volunteer_id: int
    records: list[ServiceRecordPublic]
    total_hours: float
    stars: int


class LedgerVerifyOut(BaseModel):
    ok: bool
    count: int
    problems: list[str]


class KeyIn(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"role": "coordinator", "area_ids": [2], "name": "District 2 desk"}]
        }
    )
    role: RoleId
    area_ids: list[Id] = Field(default=[], max_length=100)
    subject_id: Id | None = None
    name: str = Field(default="", max_length=100)


class KeyCreatedOut(ApiKeyPublic):
    """The new key; `key` is the secret, shown only this once."""

    key: str = Field(examples=["lw_3f9a0c1b2d4e_Zm9v..."])


def dump(model: Any) -> dict[str, Any]:
    """A table row as a plain dict for building response models."""
    return model.model_dump() if hasattr(model, "model_dump") else dict(model)


class DeletedOut(BaseModel):
    """deleted=false means the row was kept but its personal details were erased."""

    id: int
    deleted: bool
