"""Result and input types of the request classifier (pydantic, JSON-friendly)."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field


class Alternative(BaseModel):
    """A candidate category with its share of the evidence (0..1)."""

    category: str
    score: float


class TimeWindow(BaseModel):
    """When the help is wanted: aware datetimes in the resident's time zone."""

    start: datetime
    end: datetime
    text: str


class Place(BaseModel):
    """An area of the area tree named in the request."""

    area_id: int
    name: str
    score: float
    text: str


class ClassifierProfile(BaseModel):
    """What we know about the resident, used as a prior (skills, time zone, language)."""

    disability_types: list[str] = Field(default_factory=list)
    timezone: str = "Asia/Shanghai"
    lang: str | None = None
    area_id: int | None = None


class Classification(BaseModel):
    """What the classifier understood from one request."""

    category: str
    urgency: str
    confidence: float
    alternatives: list[Alternative] = Field(default_factory=list)
    skills: list[str] = Field(default_factory=list)
    time: TimeWindow | None = None
    place: Place | None = None
    lang: str
    reasons: list[str] = Field(default_factory=list)
    needs_clarification: bool = False
