"""Volunteer teams (a tree over the area tree) and their membership."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel
from sqlmodel import Field, SQLModel

from core.models._types import json_column, ts_column


class TeamBase(SQLModel):
    code: str = Field(max_length=64, unique=True, index=True)
    name_zh: str = Field(max_length=120)
    name_en: str = Field(max_length=120)
    area_id: int = Field(foreign_key="area.id", index=True)
    level: str = Field(max_length=16)
    parent_id: int | None = Field(default=None, foreign_key="team.id", index=True)
    categories: list[str] = Field(default_factory=list, sa_column=json_column())
    skills: list[str] = Field(default_factory=list, sa_column=json_column())
    capacity: int = 10
    duty_start: str = Field(default="08:00", max_length=5)
    duty_end: str = Field(default="20:00", max_length=5)
    is_partner: bool = False
    association: str | None = Field(default=None, max_length=32)


class Team(TeamBase, table=True):
    id: int | None = Field(default=None, primary_key=True)
    last_assigned_at: datetime | None = Field(default=None, sa_column=ts_column())


class TeamCreate(TeamBase):
    pass


class TeamUpdate(BaseModel):
    name_zh: str | None = None
    name_en: str | None = None
    categories: list[str] | None = None
    skills: list[str] | None = None
    capacity: int | None = None
    duty_start: str | None = None
    duty_end: str | None = None


class TeamPublic(TeamBase):
    id: int


class TeamMember(SQLModel, table=True):
    team_id: int = Field(foreign_key="team.id", primary_key=True)
    volunteer_id: int = Field(foreign_key="volunteer.id", primary_key=True, index=True)
    role: str = Field(default="member", max_length=16)
