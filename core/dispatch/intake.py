"""Receiving a request: store it first, classify it, confirm it, route it (emergencies at once)."""

from __future__ import annotations

import time
import tomllib
import weakref
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from importlib import resources
from typing import Any

from sqlalchemy import bindparam, func, insert, select
from sqlalchemy.orm import make_transient_to_detached
from sqlalchemy.orm.attributes import set_committed_value
from sqlmodel import Session

from core.dispatch.common import get_area, get_request, get_resident, now_utc, parse_actor
from core.dispatch.lifecycle import (
    StaleRequest,
    changed_meanwhile,
    detached,
    one_transaction,
    record_event,
    transition,
)
from core.dispatch.matching import build_candidates
from core.dispatch.offers import (
    RingChoice,
    alert_coordinators,
    choose_ring,
    offer_or_unassign,
    tell_resident,
)
from core.exceptions import IllegalTransition, InvalidInput, NotAllowed
from core.models import Area, CarerLink, Category, Event, HelpRequest, Resident, Urgency
from core.settings import Settings

MAX_TEXT = 10_000
AREA_CHECK_S = 5.0
_AREA_INDEX: weakref.WeakKeyDictionary[Any, tuple[tuple[int, int, float], Any]] = (
    weakref.WeakKeyDictionary()
)


@lru_cache(maxsize=1)
def _skill_table() -> dict[str, Any]:
    try:
        raw = resources.files("prompts").joinpath("taxonomy", "skills.toml").read_text("utf-8")
        return tomllib.loads(raw)
    except (FileNotFoundError, tomllib.TOMLDecodeError):
        return {}


def default_skills(category: str, disability_types: list[str]) -> list[str]:
    """Skills a category always needs, plus those the resident's disability needs for it."""
    table = _skill_table()
    skills = list(table.get("category", {}).get(category, []))
    for disability in disability_types:
        rule = table.get("disability", {}).get(disability, {})
        if category in rule.get("categories", []):
            skills += [s for s in rule.get("skills", []) if s not in skills]
    return skills


def area_index(session: Session) -> Any:
    """The classifier's AreaIndex for this database, rebuilt only when the areas change."""
    from core.classifier import AreaIndex

    engine = session.get_bind().engine
    cached = _AREA_INDEX.get(engine)
    clock = time.monotonic()
    # Areas change rarely (seeding, an admin edit): look for a change at most every few seconds.
    if cached and clock - cached[0][2] < AREA_CHECK_S:
        return cached[1]
    count, top = session.execute(select(func.count(Area.id), func.max(Area.id))).one()
    if cached and cached[0][:2] == (count, top):
        _AREA_INDEX[engine] = ((count, top, clock), cached[1])
        return cached[1]
    index = AreaIndex.from_areas(list(session.scalars(select(Area))))
    _AREA_INDEX[engine] = ((count, top, clock), index)
    return index


_INSERT_REQUEST = insert(HelpRequest).returning(HelpRequest.id)
_EVENT_FIELDS = ("at", "kind", "from_status", "to_status", "actor", "data")


@lru_cache(maxsize=1)
def _insert_request_and_event() -> Any:
    """PostgreSQL: WITH stored AS (INSERT request RETURNING id) INSERT its event FROM stored."""
    request_columns = HelpRequest.__table__.c
    stored = (
        insert(HelpRequest)
        .values({name: bindparam(f"r_{name}", type_=request_columns[name].type)
                 for name, _, _ in _request_defaults()})
        .returning(HelpRequest.id)
        .cte("stored")
    )
    columns = Event.__table__.c
    return (
        insert(Event)
        .from_select(
            ["request_id", *_EVENT_FIELDS],
            select(stored.c.id, *[bindparam(f"e_{name}", type_=columns[name].type)
                                  for name in _EVENT_FIELDS]),
        )
        .returning(Event.request_id)
        .add_cte(stored)
    )


@lru_cache(maxsize=1)
def _request_defaults() -> tuple[tuple[str, Any, Any], ...]:
    """(column, default factory, default) of every HelpRequest column but id, read once."""
    return tuple(
        (name, field.default_factory, field.default)
        for name, field in HelpRequest.model_fields.items()
        if name != "id"
    )


def _stored_request(session: Session, *, created: dict[str, Any], **given: Any) -> HelpRequest:
    """INSERT a new request row and its `created` event; return it persistent and clean.

    The same row the unit of work would write (every column from the model's defaults or
    `given`), with a plain INSERT ... RETURNING id and no constructor validation pass: this
    is on the path of every request. On PostgreSQL both rows go in one statement.
    """
    values = {
        name: given[name] if name in given else factory() if factory else default
        for name, factory, default in _request_defaults()
    }
    connection = session.connection()
    if connection.dialect.name == "postgresql":
        params = {f"r_{name}": value for name, value in values.items()}
        params.update({f"e_{name}": value for name, value in created.items()})
        request_id = connection.execute(_insert_request_and_event(), params).scalar_one()
    else:
        request_id = connection.execute(_INSERT_REQUEST, values).scalar_one()
        record_event(session, request_id=request_id, kind=created["kind"],
                     from_status=created["from_status"], to_status=created["to_status"],
                     actor=created["actor"], now=created["at"], data=created["data"])
    req = detached(HelpRequest, {"id": request_id, **values})
    make_transient_to_detached(req)
    session.add(req)
    return req


def _check_category(category: str | None, urgency: str | None) -> None:
    if category is not None and category not in set(Category):
        raise InvalidInput("unknown category", detail=category)
    if urgency is not None and urgency not in set(Urgency):
        raise InvalidInput("unknown urgency", detail=urgency)


def _may_act_for(session: Session, req: HelpRequest, actor: str) -> None:
    kind, ident = parse_actor(actor)
    if kind in ("admin", "system", "coordinator"):
        return
    if kind == "resident" and ident == req.resident_id:
        return
    if kind == "carer" and ident is not None:
        if req.carer_id == ident or session.get(CarerLink, (ident, req.resident_id)):
            return
    raise NotAllowed("not your request", request_id=req.id)


def create_request(
    session: Session,
    *,
    settings: Settings,
    resident_id: int,
    text: str = "",
    lang: str | None = None,
    channel: str = "api",
    area_id: int | None = None,
    audio_path: str | None = None,
    photo_path: str | None = None,
    transcript: str | None = None,
    carer_id: int | None = None,
    category: str | None = None,
    now: datetime | None = None,
    urgency: str | None = None,
    skills: list[str] | None = None,
    confirmed_by: str | None = None,
) -> HelpRequest:
    """Store the request (status new, committed), then classify it; emergencies go out at once.

    `confirmed_by` (an actor): the filer has no read-back step (an API client), so a request
    understood well enough to be classified is routed and offered at once, in the same
    transaction as its classification, as if that actor had confirmed it.
    """
    moment = now_utc(now)
    _check_category(category, urgency)
    resident = get_resident(session, resident_id)
    words = (text or "").strip()
    if not words and not (transcript or "").strip() and not audio_path and not category:
        raise InvalidInput("empty request", detail="text")
    actor = f"carer:{carer_id}" if carer_id else f"resident:{resident_id}"
    # What the filer asked for goes into the created event too: a worker finishing a request
    # whose process died before classifying it does what this call would have done.
    asked = {"category": category, "urgency": urgency, "skills": skills,
             "confirmed_by": confirmed_by}
    req = _stored_request(
        session,
        created={"at": moment, "kind": "created", "from_status": None, "to_status": "new",
                 "actor": actor,
                 "data": {"channel": channel, **{k: v for k, v in asked.items() if v}}},
        resident_id=resident_id,
        text=words[:MAX_TEXT],
        lang=lang,
        area_id=area_id if area_id is not None else resident.area_id,
        channel=channel,
        audio_path=audio_path,
        photo_path=photo_path,
        transcript=(transcript or None) and transcript[:MAX_TEXT],
        carer_id=carer_id,
        status="new",
        created_at=moment,
        updated_at=moment,
    )
    session.commit()
    # Classification may be slow: it runs after the request is safely stored.
    finish_intake(session, settings=settings, req=req, resident=resident, category=category,
                  urgency=urgency, skills=skills, confirmed_by=confirmed_by, now=moment)
    return req


def finish_intake(
    session: Session, *, settings: Settings, req: HelpRequest, resident: Resident,
    category: str | None = None, urgency: str | None = None, skills: list[str] | None = None,
    confirmed_by: str | None = None, now: datetime,
) -> HelpRequest:
    """Classify a stored `new` request (routing it at once for `confirmed_by`) and commit."""
    fields = _classify(session, req=req, resident=resident, category=category,
                       urgency=urgency, skills=skills, now=now)
    plan = None
    if confirmed_by is not None and _routes_now(fields):
        # Ranked and the first ring chosen before the first write, as in confirm_request
        # (on SQLite the write lock is held from the first write to COMMIT).
        plan = plan_offers(session, req=_classified_preview(req, fields), resident=resident,
                           now=now)
    try:
        if plan is not None and plan.choice is not None and confirmed_by is not None:
            # Classified and offered by one UPDATE; both steps are logged.
            values = _classified_values(req, fields)
            for name, value in values.items():
                set_committed_value(req, name, value)
            route(session, settings=settings, req=req, resident=resident, actor=confirmed_by,
                  now=now, plan=plan, values=values, before=(_classification_step(fields),))
        else:
            _apply_classification(session, settings=settings, req=req, resident=resident,
                                  fields=fields, now=now)
            if confirmed_by is not None and req.status == "classified":
                route(session, settings=settings, req=req, resident=resident,
                      actor=confirmed_by, now=now, plan=plan)
        session.commit()
    except StaleRequest:
        session.rollback()
        session.refresh(req)
    return req


def _is_emergency(fields: dict[str, Any]) -> bool:
    """Whether a classification says danger now (either field may say so)."""
    return fields.get("urgency") == "emergency" or fields.get("category") == "emergency"


def _routes_now(fields: dict[str, Any]) -> bool:
    """Whether a classification leaves the request classified and not an emergency."""
    return not _is_emergency(fields) and not fields["needs_clarification"]


def _classified_values(req: HelpRequest, fields: dict[str, Any]) -> dict[str, Any]:
    """The request columns a classification sets (the language only when none was given)."""
    values = {
        name: fields[name]
        for name in ("category", "urgency", "confidence", "skills", "classification",
                     "time_start", "time_end", "place_area_id")
        if name in fields
    }
    if req.lang is None and fields.get("lang"):
        values["lang"] = fields["lang"]
    return values


def _classified_preview(req: HelpRequest, fields: dict[str, Any]) -> HelpRequest:
    """The request as it will be once classified (for ranking before anything is written)."""
    names = ("id", "lang", "urgency", "category", "skills", "area_id", "place_area_id",
             "first_offer_at")
    values = {name: getattr(req, name) for name in names}
    values.update(_classified_values(req, fields))
    return detached(HelpRequest, values)


def _classify(
    session: Session, *, req: HelpRequest, resident: Resident, category: str | None,
    urgency: str | None, skills: list[str] | None, now: datetime,
) -> dict[str, Any]:
    if category is not None:
        return {
            "category": category,
            # DESIGN: category emergency always has urgency emergency, and no other does.
            "urgency": "emergency" if category == "emergency"
            else ("urgent" if urgency == "emergency" else urgency or "normal"),
            "confidence": 1.0,
            "skills": skills if skills is not None
            else default_skills(category, list(resident.disability_types or [])),
            "classification": {"source": "given", "category": category},
            "needs_clarification": False,
        }
    words = req.text or req.transcript or ""
    try:
        from core.classifier import ClassifierProfile, classify

        profile = ClassifierProfile(
            disability_types=list(resident.disability_types or []),
            timezone=resident.timezone,
            lang=resident.lang,
            area_id=req.area_id,
        )
        # A transcript (no typed words) may hold sound-alike errors of the recogniser.
        result = classify(words, req.lang, profile, now=now, areas=area_index(session),
                          has_photo=bool(req.photo_path),
                          spoken=bool(req.transcript) and not req.text)
    except Exception as exc:  # noqa: BLE001 - a broken classifier must not lose the request
        return {
            "classification": {"source": "error", "error": type(exc).__name__},
            "needs_clarification": True,
        }
    return {
        "category": result.category,
        "urgency": result.urgency,
        "confidence": result.confidence,
        "skills": list(result.skills),
        "classification": {"source": "classifier", **result.model_dump(mode="json")},
        "needs_clarification": bool(result.needs_clarification),
        "lang": result.lang,
        "time_start": result.time.start if result.time else None,
        "time_end": result.time.end if result.time else None,
        "place_area_id": result.place.area_id if result.place else None,
    }


def _classification_step(fields: dict[str, Any]) -> dict[str, Any]:
    """The lifecycle step a classification takes (classified, or needs_clarification)."""
    unclear = fields["needs_clarification"] and not _is_emergency(fields)
    target = "needs_clarification" if unclear else "classified"
    return {"to": target, "kind": target, "actor": "system",
            "data": {k: fields.get(k) for k in ("category", "urgency", "confidence")}}


def _apply_classification(
    session: Session, *, settings: Settings, req: HelpRequest, resident: Resident,
    fields: dict[str, Any], now: datetime,
) -> None:
    step = _classification_step(fields)
    event = transition(session, req, to=step["to"], actor=step["actor"], now=now,
                       values=_classified_values(req, fields), data=step["data"])
    if _is_emergency(fields):
        start_emergency(session, settings=settings, req=req, resident=resident, event=event,
                        now=now)


def start_emergency(
    session: Session, *, settings: Settings, req: HelpRequest, resident: Resident, event: Any,
    now: datetime,
) -> None:
    """Danger now: tell the resident the numbers, alert coordinators, offer to all nearby."""
    lang = resident.lang or req.lang or "zh"
    joiner = "、" if lang.startswith("zh") else ", "
    tell_resident(
        session, req=req, resident=resident, key="dispatch.resident.emergency", event=event,
        now=now, values={"numbers": joiner.join(settings.emergency_number_list())},
    )
    alert_coordinators(session, req=req, resident=resident, key="dispatch.coordinator.emergency",
                       event=event, now=now)
    route(session, settings=settings, req=req, resident=resident, actor="system", now=now)


def plan_route(
    session: Session, *, req: HelpRequest, resident: Resident, now: datetime,
    paired_volunteer_id: int | None = None,
) -> dict[str, Any]:
    """The ranked candidates and why (what HelpRequest.routing stores); reads only."""
    area_id = req.area_id or req.place_area_id or resident.area_id
    area = get_area(session, area_id)
    area_path = area.path if area else None
    candidates = build_candidates(session, req=req, resident=resident, area_path=area_path,
                                  now=now, paired_volunteer_id=paired_volunteer_id)
    return {
        "area_id": area_id,
        "area_path": area_path,
        "decided_at": now.isoformat(),
        "candidates": candidates,
    }


@dataclass(frozen=True)
class RoutePlan:
    """What routing decided before anything is written: the ranked candidates and why
    (HelpRequest.routing), and the first ring with someone free (None: nobody is)."""

    routing: dict[str, Any]
    choice: RingChoice | None


def plan_offers(
    session: Session, *, req: HelpRequest, resident: Resident, now: datetime,
    paired_volunteer_id: int | None = None,
) -> RoutePlan:
    """plan_route and the ring it offers to first; reads only."""
    routing = plan_route(session, req=req, resident=resident, now=now,
                         paired_volunteer_id=paired_volunteer_id)
    return RoutePlan(routing, choose_ring(session, req=req, resident=resident, start=0,
                                          routing=routing))


def route(
    session: Session, *, settings: Settings, req: HelpRequest, resident: Resident, actor: str,
    now: datetime, paired_volunteer_id: int | None = None, plan: RoutePlan | None = None,
    values: dict[str, Any] | None = None, before: tuple[dict[str, Any], ...] = (),
) -> bool:
    """Rank the candidates and choose the first free ring (unless `plan` did), store why
    (HelpRequest.routing), and offer to that ring, or leave the request unassigned. `values`
    and `before` go with the offers' status UPDATE."""
    if plan is None:
        plan = plan_offers(session, req=req, resident=resident, now=now,
                           paired_volunteer_id=paired_volunteer_id)
    # Stored by the status UPDATE that the offers make anyway (one statement, not two).
    set_committed_value(req, "routing", plan.routing)
    return offer_or_unassign(
        session, settings=settings, req=req, resident=resident, choice=plan.choice,
        actor=actor, now=now, values={"routing": plan.routing, **(values or {})}, before=before,
    )


def _route_confirmed(
    session: Session, *, settings: Settings, req: HelpRequest, resident: Resident, actor: str,
    now: datetime,
) -> None:
    """Route a classified request confirmed unchanged. Ranked and its first ring chosen before
    the first write (on SQLite the write lock is held from the first write to COMMIT, so other
    writers wait less); the confirmation is logged by the offers' own status UPDATE."""
    plan = plan_offers(session, req=req, resident=resident, now=now)
    confirmed = {"to": req.status, "kind": "confirmed", "actor": actor}
    if plan.choice is None:
        record_event(session, request_id=req.id or 0, kind="confirmed", from_status=req.status,
                     to_status=req.status, actor=actor, now=now)
    route(session, settings=settings, req=req, resident=resident, actor=actor, now=now,
          plan=plan, before=(confirmed,) if plan.choice else ())


def confirm_request(
    session: Session,
    *,
    settings: Settings,
    request_id: int,
    actor: str,
    category: str | None = None,
    now: datetime | None = None,
) -> HelpRequest:
    """The resident confirmed the read-back (maybe correcting the category): route and offer."""
    moment = now_utc(now)
    _check_category(category, None)
    req = get_request(session, request_id)
    _may_act_for(session, req, actor)
    if req.status not in ("new", "classified", "needs_clarification"):
        raise IllegalTransition("already confirmed", request_id=request_id, status=req.status)
    resident = get_resident(session, req.resident_id)
    with one_transaction(session, changed_meanwhile(request_id)):
        if category is not None and category != req.category:
            values: dict[str, Any] = {
                "category": category,
                "urgency": "emergency" if category == "emergency"
                else ("normal" if req.urgency in (None, "emergency") else req.urgency),
                "skills": default_skills(category, list(resident.disability_types or [])),
            }
        else:
            values = {}
        final = values.get("category", req.category)
        if final is None:
            raise InvalidInput("category needed", detail="category")
        if values or req.status != "classified":
            event = transition(session, req, to="classified", actor=actor, now=moment,
                               kind="clarified", values=values, data=values)
        elif req.urgency != "emergency":
            _route_confirmed(session, settings=settings, req=req, resident=resident,
                             actor=actor, now=moment)
            return req
        else:
            event = record_event(session, request_id=req.id or 0, kind="confirmed",
                                 from_status=req.status, to_status=req.status, actor=actor,
                                 now=moment)
        if req.urgency == "emergency":
            start_emergency(session, settings=settings, req=req, resident=resident, event=event,
                            now=moment)
        else:
            route(session, settings=settings, req=req, resident=resident, actor=actor, now=moment)
    return req
