"""Residents (and carers) asking: new requests, read-back, clarifying, status, cancel, feedback."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session, col, func, select

from core import dispatch
from core.dialog import areas as area_tools
from core.dialog import delivery, fmt
from core.dialog.context import Ctx, btn, rows
from core.dialog.onboarding import ensure_resident
from core.exceptions import ConsentRequired, NotAllowed, NotFound
from core.models import OPEN_STATUSES, Area, Category, Feedback, HelpRequest, Resident

CATEGORIES = [c.value for c in Category if c.value != "emergency"]
# Statuses in which the read-back can still be confirmed.
CONFIRMABLE = frozenset({"new", "classified", "needs_clarification"})


def new_request(
    ctx: Ctx,
    *,
    text: str = "",
    audio_path: str | None = None,
    transcript: str | None = None,
    photo_path: str | None = None,
    category: str | None = None,
    resident_id: int | None = None,
) -> None:
    """Store what the person asked (first of all), then read back what we understood."""
    pending: dict[str, Any] = {
        "text": text, "audio_path": audio_path, "transcript": transcript,
        "photo_path": photo_path, "category": category,
    }
    carer_id = None
    if resident_id is None:
        if ctx.who.carer is not None and ctx.who.carer_resident_ids:
            carer_id = ctx.who.carer.id
            ids = ctx.who.carer_resident_ids
            if len(ids) == 1:
                resident_id = ids[0]
            else:
                _ask_for_whom(ctx, ids, pending)
                return
        else:
            resident_id = ensure_resident(ctx).id
    elif ctx.who.carer is not None and resident_id in ctx.who.carer_resident_ids:
        carer_id = ctx.who.carer.id
    resident = ctx.session.get(Resident, resident_id)
    if resident is None:
        raise NotFound("resident")
    stored = _stored_by_earlier_run(ctx, resident.id or 0)
    if stored is not None:
        ctx.conv.reset()
        present(ctx, stored)
        return
    if "after" not in ctx.marker:
        ctx.checkpoint(after=_last_request_id(ctx.session, resident.id or 0))
    try:
        request = dispatch.create_request(
            ctx.session,
            settings=ctx.settings,
            resident_id=resident.id,
            text=text or "",
            lang=ctx.lang,
            channel=ctx.user.channel,
            area_id=resident.area_id,
            audio_path=audio_path,
            photo_path=photo_path,
            transcript=transcript,
            carer_id=carer_id,
            category=category,
            now=ctx.now,
        )
    except ConsentRequired:
        ctx.session.rollback()
        # Nothing lost: the words wait in the conversation until consent is given.
        ctx.conv.go("onb:consent", pending=pending)
        ctx.conv.data["settings"] = False
        ctx.say("dialog.consent_needed_first")
        buttons = [btn("dialog.btn.agree", "consent:yes"), btn("dialog.btn.disagree", "consent:no")]
        ctx.say("dialog.ask.consent", [buttons])
        return
    ctx.conv.reset()
    present(ctx, request)


def _last_request_id(session: Session, resident_id: int) -> int:
    """The newest request id of a resident (0 when none)."""
    found = session.exec(
        select(func.max(HelpRequest.id)).where(HelpRequest.resident_id == resident_id)
    ).one()
    return int(found or 0)


def _stored_by_earlier_run(ctx: Ctx, resident_id: int) -> HelpRequest | None:
    """The request an earlier run of this same input stored before the process died."""
    after = ctx.marker.get("after") if ctx.recovering else None
    if after is None:
        return None
    return ctx.session.exec(
        select(HelpRequest)
        .where(HelpRequest.resident_id == resident_id)
        .where(col(HelpRequest.id) > int(after))
        .order_by(col(HelpRequest.id))
    ).first()


def _ask_for_whom(ctx: Ctx, ids: list[int], pending: dict[str, Any]) -> None:
    ctx.conv.go("ask:for_whom", pending=pending)
    people = [ctx.session.get(Resident, i) for i in ids]
    buttons = [btn("dialog.btn.plain", f"for:{p.id}", label=p.name) for p in people if p]
    ctx.say("dialog.ask.for_whom", rows(buttons))


def on_for_whom(ctx: Ctx, resident_id: int) -> None:
    """A carer chose the resident the waiting request is for."""
    pending = ctx.conv.data.get("pending") or {}
    if resident_id not in ctx.who.carer_resident_ids:
        raise NotAllowed("not your resident")
    ctx.conv.reset()
    new_request(ctx, resident_id=resident_id, **pending)


def present(ctx: Ctx, request: HelpRequest) -> None:
    """Say what happens next for a stored request, by its status."""
    rid = request.id
    if request.category == "emergency":
        if _news_is_mine(ctx, request, "dispatch.resident.emergency"):
            joiner = "、" if ctx.lang == "zh" else ", "
            ctx.say("dialog.emergency",
                    numbers=joiner.join(ctx.settings.emergency_number_list()))
        return
    if request.status == "new":
        # Stored, but its process died before classifying it: ask, with the classifier's
        # guesses, and treat danger at once.
        from core.classifier import classify  # loaded only when needed, like dispatch does

        guess = classify(request.transcript or request.text or "", ctx.lang,
                         spoken=bool(request.transcript) and not request.text)
        if guess.category == "emergency":
            confirm(ctx, request, "emergency")
            return
        _ask_category(ctx, request, [guess.category, *(a.category for a in guess.alternatives)])
        return
    if request.status == "needs_clarification":
        alternatives = [
            a.get("category") for a in (request.classification or {}).get("alternatives", [])
        ]
        top = [c for c in alternatives if c in CATEGORIES][:3]
        if request.category in CATEGORIES and request.category not in top:
            top.insert(0, request.category)
        _ask_category(ctx, request, top)
        return
    if request.status == "classified":
        readback(ctx, request)
        return
    if request.status in ("offered", "accepted"):
        if _news_is_mine(ctx, request, "dispatch.resident.offered"):
            ctx.say("dialog.request.sent", id=rid,
                    category=fmt.category(request.category, ctx.lang))
        return
    if request.status == "unassigned":
        if _news_is_mine(ctx, request, "dispatch.resident.unassigned"):
            ctx.say("dialog.request.unassigned", id=rid)
        return
    ctx.say("dialog.request.stored", id=rid)


def _ask_category(ctx: Ctx, request: HelpRequest, guesses: list[str | None]) -> None:
    """'Which kind of help?' with up to three likely kinds, another kind, and cancel."""
    rid = request.id
    top: list[str] = []
    for c in guesses:
        if c in CATEGORIES and c not in top:
            top.append(c)
    if not top:
        top = ["escort", "errands", "daily_living"]
    buttons = [
        btn("dialog.btn.plain", f"cat:{c}:{rid}", label=fmt.category(c, ctx.lang, ctx.easy))
        for c in top[:3]
    ]
    more = [btn("dialog.btn.other_kind", f"req:change:{rid}"),
            btn("dialog.btn.cancel", f"req:cancel:{rid}")]
    ctx.say("dialog.clarify", rows(buttons, 1) + [more])


def _news_is_mine(ctx: Ctx, request: HelpRequest, key: str) -> bool:
    """Whether to tell this news in the reply: dispatch queued the same news for the person
    we answer; the reply takes that message over, unless a sender already has it."""
    who = ctx.who
    if who.resident is not None and who.resident.id == request.resident_id:
        recipient = ("resident", request.resident_id)
    elif who.carer is not None and who.carer.id is not None and request.carer_id == who.carer.id:
        recipient = ("carer", who.carer.id)
    else:
        return True
    return delivery.take_over(ctx.session, request_id=request.id or 0,
                              recipient_kind=recipient[0], recipient_id=recipient[1],
                              keys=(key,), now=ctx.now)


def readback(ctx: Ctx, request: HelpRequest) -> None:
    """Tell what we understood (what, when, where) and ask to confirm, change or cancel."""
    rid = request.id
    info = request.classification or {}
    when = fmt.when(request.time_start, ctx.tz, ctx.lang)
    time_text = ((info.get("time") or {}) or {}).get("text") if isinstance(info, dict) else None
    if time_text and when:
        when = f"{time_text} ({when})"
    where_area = ctx.session.get(Area, request.place_area_id or request.area_id or 0)
    place_text = (info.get("place") or {}).get("text") if isinstance(info, dict) else None
    where = area_tools.name(where_area, ctx.lang) or (place_text or "")
    buttons = [
        [btn("dialog.btn.confirm", f"req:confirm:{rid}")],
        [
            btn("dialog.btn.change", f"req:change:{rid}"),
            btn("dialog.btn.cancel", f"req:cancel:{rid}"),
        ],
    ]
    ctx.say(
        "dialog.readback",
        buttons,
        category=fmt.category(request.category, ctx.lang, ctx.easy),
        when=when or ctx.t("dialog.when_unknown"),
        where=where or ctx.t("dialog.where_unknown"),
        text=_short(request.transcript or request.text),
    )


def _short(text: str | None, limit: int = 200) -> str:
    text = (text or "").strip()
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _own_request(ctx: Ctx, request_id: int) -> HelpRequest:
    request = ctx.session.get(HelpRequest, request_id)
    if request is None:
        raise NotFound("request")
    mine = {ctx.who.resident.id} if ctx.who.resident else set()
    mine |= set(ctx.who.carer_resident_ids)
    if request.resident_id not in mine:
        raise NotAllowed("not your request")
    return request


def _actor(request: HelpRequest) -> str:
    if request.carer_id is not None:
        return f"carer:{request.carer_id}"
    return f"resident:{request.resident_id}"


def on_request_button(ctx: Ctx, action: str, request_id: int) -> None:
    """req:confirm / req:change / req:cancel on a read-back."""
    request = _own_request(ctx, request_id)
    if action == "confirm":
        confirm(ctx, request, None)
    elif action == "change":
        buttons = [
            btn("dialog.btn.plain", f"cat:{c}:{request_id}", label=fmt.category(c, ctx.lang))
            for c in CATEGORIES
        ]
        ctx.say("dialog.ask.category", rows(buttons) + [[btn("dialog.btn.cancel",
                                                            f"req:cancel:{request_id}")]])
    elif action == "cancel":
        if request.status not in OPEN_STATUSES:
            ctx.conv.reset()
            _already(ctx, request, "cancelled")
            return
        dispatch.cancel_request(
            ctx.session, settings=ctx.settings, request_id=request_id,
            actor=_actor(request), now=ctx.now,
        )
        ctx.conv.reset()
        if _news_is_mine(ctx, request, "dispatch.resident.cancelled"):
            ctx.say("dialog.request.cancelled", id=request_id)


def _already(ctx: Ctx, request: HelpRequest, done_status: str) -> None:
    """A button for a step that already happened: what an earlier run of this very input
    did is said as news; an old button pressed again gets where the request stands."""
    if ctx.recovering and request.status == done_status == "cancelled":
        if _news_is_mine(ctx, request, "dispatch.resident.cancelled"):
            ctx.say("dialog.request.cancelled", id=request.id)
        return
    if ctx.recovering and done_status == "confirmed":
        present(ctx, request)
        return
    ctx.say("dialog.request.already", id=request.id,
            status=fmt.status(request.status, ctx.lang, ctx.easy))


def on_category(ctx: Ctx, category: str, request_id: int) -> None:
    """cat:<category>:<id>: the person chose (or corrected) the kind of help."""
    request = _own_request(ctx, request_id)
    if category not in CATEGORIES:
        raise NotFound("category")
    confirm(ctx, request, category)


def confirm(ctx: Ctx, request: HelpRequest, category: str | None) -> None:
    """Confirm the read-back: dispatch routes it and offers it to volunteers (after consent)."""
    if request.status not in CONFIRMABLE:
        ctx.conv.reset()
        _already(ctx, request, "confirmed")
        return
    resident = ctx.session.get(Resident, request.resident_id)
    if resident is not None and resident.consent_at is None:
        # Volunteers see the details only with consent; the request waits, nothing is lost.
        ctx.conv.go("onb:consent", settings=False,
                    pending_confirm={"request_id": request.id, "category": category})
        ctx.say("dialog.consent_needed_first")
        buttons = [btn("dialog.btn.agree", "consent:yes"), btn("dialog.btn.disagree", "consent:no")]
        ctx.say("dialog.ask.consent", [buttons])
        return
    request = dispatch.confirm_request(
        ctx.session, settings=ctx.settings, request_id=request.id,
        actor=_actor(request), category=category, now=ctx.now,
    )
    ctx.conv.reset()
    present(ctx, request)


def resume_confirm(ctx: Ctx, pending: dict[str, Any]) -> None:
    """Consent was just given: confirm the request that waited for it."""
    request = _own_request(ctx, int(pending["request_id"]))
    confirm(ctx, request, pending.get("category"))


def consent_target(ctx: Ctx) -> Resident:
    """Whose consent a consent button gives: the waiting request's resident, or one's own."""
    pending = ctx.conv.data.get("pending_confirm")
    if pending:
        request = _own_request(ctx, int(pending["request_id"]))
        resident = ctx.session.get(Resident, request.resident_id)
        if resident is not None:
            return resident
    return ensure_resident(ctx)


def open_requests(session: Session, resident_ids: list[int]) -> list[HelpRequest]:
    """Open requests of these residents, newest first."""
    if not resident_ids:
        return []
    stmt = (
        select(HelpRequest)
        .where(col(HelpRequest.resident_id).in_(resident_ids))
        .where(col(HelpRequest.status).in_(list(OPEN_STATUSES)))
        .order_by(col(HelpRequest.created_at).desc())
        .limit(10)
    )
    return list(session.exec(stmt).all())


def status(ctx: Ctx, *, for_cancel: bool = False) -> None:
    """/my: the open requests with their status (and a cancel button each)."""
    ids = ([ctx.who.resident.id] if ctx.who.resident else []) + ctx.who.carer_resident_ids
    found = open_requests(ctx.session, ids)
    if not found:
        ctx.say("dialog.status.none")
        return
    lines = [
        ctx.t("dialog.status.item", id=r.id, category=fmt.category(r.category, ctx.lang),
              status=fmt.status(r.status, ctx.lang, ctx.easy),
              when=fmt.when(r.created_at, ctx.tz, ctx.lang))
        for r in found
    ]
    buttons = []
    for r in found:
        row = [btn("dialog.btn.cancel_request", f"req:cancel:{r.id}", id=r.id)]
        if r.status in ("classified", "needs_clarification") and not for_cancel:
            # A request that waited (for consent or an answer) can be sent from here.
            row.insert(0, btn("dialog.btn.send_request", f"req:confirm:{r.id}", id=r.id))
        buttons.append(row)
    key = "dialog.status.pick_cancel" if for_cancel else "dialog.status.list"
    ctx.say(key, buttons, count=len(found), items="\n".join(lines))


def ask_dispute_rating(ctx: Ctx, request_id: int) -> None:
    """feedback:<id>:dispute: the hours look wrong; still ask for a rating, then a coordinator."""
    _own_request(ctx, request_id)
    ctx.say("dialog.feedback.dispute_rate", feedback_buttons(request_id, prefix="fbd"))


def on_feedback(ctx: Ctx, request_id: int, rating: int, *, hours_confirmed: bool = True) -> None:
    """feedback:<id>:<1-5>: the resident rates the finished service; then an optional comment."""
    request = _own_request(ctx, request_id)
    if not 1 <= rating <= 5:
        raise NotFound("rating")
    dispatch.give_feedback(
        ctx.session, settings=ctx.settings, request_id=request.id,
        resident_id=request.resident_id, rating=rating, hours_confirmed=hours_confirmed,
        now=ctx.now,
    )
    ctx.conv.go("fb:comment", feedback_request=request.id)
    ctx.say("dialog.feedback.ask_comment", [[btn("dialog.btn.no_comment", "fb:skip")]],
            rating=rating)


def on_feedback_comment(ctx: Ctx, text: str) -> None:
    """The optional comment after a rating."""
    rid = ctx.conv.data.get("feedback_request")
    feedback = ctx.session.exec(select(Feedback).where(Feedback.request_id == rid)).first()
    if feedback is not None and text.strip():
        feedback.comment = text.strip()[:2000]
        ctx.session.add(feedback)
    ctx.conv.reset()
    ctx.say("dialog.feedback.thanks")


def feedback_buttons(request_id: int, prefix: str = "feedback") -> list[list[Any]]:
    """Rating buttons 5 to 1 (one per row so a screen reader reads each clearly)."""
    return [[btn(f"dialog.btn.rate_{n}", f"{prefix}:{request_id}:{n}")] for n in range(5, 0, -1)]
