"""Typed callback data; packed they are the dialog's button strings ("offer:accept:17")."""

from __future__ import annotations

from aiogram.filters.callback_data import CallbackData


class OfferCb(CallbackData, prefix="offer"):
    """offer:accept:<offer id> / offer:decline:<offer id>."""

    action: str
    id: int


class RequestCb(CallbackData, prefix="request"):
    """request:start|arrived|done|open:<request id> (buttons written by dispatch)."""

    action: str
    id: int


class ReqCb(CallbackData, prefix="req"):
    """req:confirm|change|cancel|reassign:<request id> (read-back and queue buttons)."""

    action: str
    id: int


class TaskCb(CallbackData, prefix="task"):
    """task:onway|arrived|done:<request id>."""

    action: str
    id: int


class CategoryCb(CallbackData, prefix="cat"):
    """cat:<category>:<request id>."""

    category: str
    id: int


class HoursCb(CallbackData, prefix="hours"):
    """hours:<request id>:<hours>."""

    id: int
    hours: str


class FeedbackCb(CallbackData, prefix="fb"):
    """fb:<request id>:<rating 1-5>."""

    id: int
    rating: int


class FeedbackFromDispatchCb(CallbackData, prefix="feedback"):
    """feedback:<request id>:<rating 1-5> (rating buttons written by dispatch)."""

    id: int
    rating: int


TYPED: tuple[type[CallbackData], ...] = (
    OfferCb, RequestCb, ReqCb, TaskCb, CategoryCb, HoursCb, FeedbackCb, FeedbackFromDispatchCb,
)


def parse(data: str) -> CallbackData | None:
    """The typed form of a button string, or None for the simple ones ("lang:zh")."""
    for cls in TYPED:
        try:
            return cls.unpack(data)
        except (TypeError, ValueError):
            continue
    return None
