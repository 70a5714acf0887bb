"""Volunteers, residents, carers and coordinators."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel
from sqlalchemy import BigInteger, Column
from sqlmodel import Field, SQLModel

from core.models._types import json_column, ts_column, utcnow


class VolunteerBase(SQLModel):
    name: str = Field(max_length=100)
    name_en: str | None = Field(default=None, max_length=100)
    phone: str | None = Field(default=None, max_length=32)
    languages: list[str] = Field(default_factory=lambda: ["zh"], sa_column=json_column())
    skills: list[str] = Field(default_factory=list, sa_column=json_column())
    home_area_id: int | None = Field(default=None, foreign_key="area.id", index=True)
    service_area_ids: list[int] = Field(default_factory=list, sa_column=json_column())
    on_duty: bool = False
    max_tasks: int = 2


class Volunteer(VolunteerBase, table=True):
    id: int | None = Field(default=None, primary_key=True)
    code: str | None = Field(default=None, max_length=64, unique=True, index=True)
    telegram_id: int | None = Field(
        default=None, sa_column=Column(BigInteger, unique=True, index=True, nullable=True)
    )
    last_assigned_at: datetime | None = Field(default=None, sa_column=ts_column())
    created_at: datetime = Field(default_factory=utcnow, sa_column=ts_column(nullable=False))


class VolunteerCreate(VolunteerBase):
    telegram_id: int | None = None


class VolunteerUpdate(BaseModel):
    name: str | None = None
    phone: str | None = None
    languages: list[str] | None = None
    skills: list[str] | None = None
    home_area_id: int | None = None
    service_area_ids: list[int] | None = None
    on_duty: bool | None = None
    max_tasks: int | None = None


class VolunteerPublic(SQLModel):
    """What anyone allowed to list volunteers sees: no phone."""

    id: int
    name: str
    name_en: str | None
    languages: list[str]
    skills: list[str]
    home_area_id: int | None
    service_area_ids: list[int]
    on_duty: bool
    max_tasks: int


class ResidentBase(SQLModel):
    name: str = Field(max_length=100)
    lang: str = Field(default="zh", max_length=8)
    disability_types: list[str] = Field(default_factory=list, sa_column=json_column())
    mode: str = Field(default="text", max_length=16)
    area_id: int | None = Field(default=None, foreign_key="area.id", index=True)
    address: str | None = Field(default=None, max_length=300)
    phone: str | None = Field(default=None, max_length=32)
    emergency_contact: str | None = Field(default=None, max_length=200)
    paired_volunteer_id: int | None = Field(default=None, foreign_key="volunteer.id")
    timezone: str = Field(default="Asia/Shanghai", max_length=64)


class Resident(ResidentBase, table=True):
    id: int | None = Field(default=None, primary_key=True)
    code: str | None = Field(default=None, max_length=64, unique=True, index=True)
    telegram_id: int | None = Field(
        default=None, sa_column=Column(BigInteger, unique=True, index=True, nullable=True)
    )
    web_id: str | None = Field(default=None, max_length=64, unique=True, index=True)
    consent_at: datetime | None = Field(default=None, sa_column=ts_column())
    created_at: datetime = Field(default_factory=utcnow, sa_column=ts_column(nullable=False))


class ResidentCreate(ResidentBase):
    telegram_id: int | None = None
    web_id: str | None = None
    consent: bool = False


class ResidentUpdate(BaseModel):
    name: str | None = None
    lang: str | None = None
    disability_types: list[str] | None = None
    mode: str | None = None
    area_id: int | None = None
    address: str | None = None
    phone: str | None = None
    emergency_contact: str | None = None
    paired_volunteer_id: int | None = None


class ResidentPublic(SQLModel):
    """A resident without private details (address, phone, disability)."""

    id: int
    name: str
    lang: str
    mode: str
    area_id: int | None


class ResidentPrivate(ResidentPublic):
    """A resident with private details: for coordinators of the area and the resident."""

    disability_types: list[str]
    address: str | None
    phone: str | None
    emergency_contact: str | None
    paired_volunteer_id: int | None
    consent_at: datetime | None


class Carer(SQLModel, table=True):
    """A family member or carer who may ask on behalf of linked residents."""

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=100)
    lang: str = Field(default="zh", max_length=8)
    telegram_id: int | None = Field(
        default=None, sa_column=Column(BigInteger, unique=True, index=True, nullable=True)
    )
    web_id: str | None = Field(default=None, max_length=64, unique=True, index=True)
    phone: str | None = Field(default=None, max_length=32)


class CarerLink(SQLModel, table=True):
    carer_id: int = Field(foreign_key="carer.id", primary_key=True)
    resident_id: int = Field(foreign_key="resident.id", primary_key=True, index=True)
    relation: str = Field(default="family", max_length=32)


class Coordinator(SQLModel, table=True):
    """A coordinator watching the queues of one area (and everything below it)."""

    id: int | None = Field(default=None, primary_key=True)
    code: str | None = Field(default=None, max_length=64, unique=True, index=True)
    name: str = Field(max_length=100)
    lang: str = Field(default="zh", max_length=8)
    area_id: int = Field(foreign_key="area.id", index=True)
    telegram_id: int | None = Field(
        default=None, sa_column=Column(BigInteger, unique=True, index=True, nullable=True)
    )
