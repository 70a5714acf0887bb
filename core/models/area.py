"""Area tree: city → district → street/town → community/village."""

from __future__ import annotations

from pydantic import BaseModel
from sqlmodel import Field, SQLModel

from core.models._types import json_column


class AreaBase(SQLModel):
    code: str = Field(max_length=64, unique=True, index=True)
    level: str = Field(max_length=16)
    name_zh: str = Field(max_length=100)
    name_en: str = Field(max_length=100)
    aliases: list[str] = Field(default_factory=list, sa_column=json_column())
    parent_id: int | None = Field(default=None, foreign_key="area.id", index=True)


class Area(AreaBase, table=True):
    id: int | None = Field(default=None, primary_key=True)
    # Materialised path of ids ("/1/4/17/"): nearness on the tree is a prefix test.
    path: str = Field(default="/", max_length=255, index=True)
    depth: int = 0


class AreaCreate(AreaBase):
    pass


class AreaUpdate(BaseModel):
    name_zh: str | None = None
    name_en: str | None = None
    aliases: list[str] | None = None


class AreaPublic(AreaBase):
    id: int
    path: str
    depth: int
