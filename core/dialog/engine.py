"""handle(): one turn of the conversation, whatever the channel."""

from __future__ import annotations

import logging
from datetime import datetime

from sqlmodel import Session

from core import texts
from core.dialog import asking, coordinator, onboarding, state, unusual, volunteer
from core.dialog.context import Ctx
from core.dialog.identity import find
from core.dialog.types import Incoming, Reply, Turn, UserRef
from core.exceptions import (
    AlreadyExists,
    DomainError,
    IllegalTransition,
    NotAllowed,
    OfferClosed,
    RequestAlreadyTaken,
)
from core.models._types import utcnow
from core.settings import Settings

log = logging.getLogger(__name__)

# Errors whose dialog wording is kinder than the generic text of the exception.
_ERROR_KEYS: dict[type[DomainError], str] = {
    RequestAlreadyTaken: "dialog.offer.taken",
    OfferClosed: "dialog.offer.closed",
}


def handle(
    session: Session,
    *,
    settings: Settings,
    user: UserRef,
    incoming: Incoming,
    now: datetime | None = None,
) -> list[Reply]:
    """Take one input of a user and return the replies (state kept in ConversationState)."""
    return handle_turn(session, settings=settings, user=user, incoming=incoming, now=now).replies


def handle_turn(
    session: Session,
    *,
    settings: Settings,
    user: UserRef,
    incoming: Incoming,
    now: datetime | None = None,
) -> Turn:
    """Like handle(), plus how this user wants replies delivered (mode, voice, roles).

    With incoming.ref the turn happens at most once: the same ref again (a channel that
    redelivers after a crash) gets the stored replies back and changes nothing; a turn that
    died half-way is finished without repeating what it had committed.
    """
    now = now or utcnow()
    conv = state.load(session, user.key)
    ref = incoming.ref
    last = conv.data.get(state.LAST_TURN)
    if ref and isinstance(last, dict) and last.get("ref") == ref:
        return Turn.model_validate(last["turn"])
    inflight = conv.data.get(state.INFLIGHT)
    recovering = bool(ref) and isinstance(inflight, dict) and inflight.get("ref") == ref
    who = find(session, user, conv)
    ctx = Ctx(session=session, settings=settings, user=user, incoming=incoming, now=now,
              conv=conv, who=who, ref=ref, recovering=recovering,
              marker=dict(inflight) if recovering and isinstance(inflight, dict) else {})
    ctx.checkpoint()
    try:
        _route(ctx)
    except DomainError as exc:
        session.rollback()
        # The row objects are expired by the rollback; find them again for the error reply.
        ctx.who = find(session, user, conv)
        ctx.replies.append(_error_reply(ctx, exc))
    resident = ctx.who.resident
    voice_ok = bool(
        ctx.mode == "voice"
        and not (resident and {"hearing"} & set(resident.disability_types or []))
    )
    turn = Turn(replies=ctx.replies, lang=ctx.lang, mode=ctx.mode, easy=ctx.easy,
                voice_ok=voice_ok, roles=ctx.who.roles)
    conv.data.pop(state.INFLIGHT, None)
    if ref:
        conv.data[state.LAST_TURN] = {"ref": ref, "turn": turn.model_dump(mode="json")}
    else:
        conv.data.pop(state.LAST_TURN, None)
    conv.save(session, now)
    session.commit()
    return turn


def _error_reply(ctx: Ctx, exc: DomainError) -> Reply:
    key = _ERROR_KEYS.get(type(exc))
    if key is None and isinstance(exc, NotAllowed) and ctx.incoming.data:
        key = "dialog.not_yours"
    if key is None and isinstance(exc, IllegalTransition | AlreadyExists) \
            and ctx.incoming.kind == "button":
        # An old button pressed again after the request moved on (or a step done twice).
        key = "dialog.button_stale"
    if key is None:
        key = exc.prompt_key if texts.has(exc.prompt_key, ctx.lang) else "error.generic"
    values = {k: str(v) for k, v in exc.values.items()}
    values.setdefault("detail", "")
    return Reply(key=key, values=values, lang=ctx.lang, easy=ctx.easy)


def _command_name(incoming: Incoming) -> str:
    raw = (incoming.text or "").strip().split()[0] if (incoming.text or "").strip() else ""
    return raw.lstrip("/").split("@", 1)[0].lower()


def _route(ctx: Ctx) -> None:
    inc = ctx.incoming
    if inc.kind == "start":
        _start(ctx)
    elif inc.kind == "command":
        _command(ctx, _command_name(inc), (inc.command_args or "").strip())
    elif inc.kind == "button":
        _button(ctx, (inc.data or "").strip())
    elif inc.kind == "voice":
        _voice(ctx)
    elif inc.kind == "photo":
        caption = (inc.text or "").strip()
        # A photo without words is almost always "please read this for me".
        asking.new_request(ctx, text=caption, photo_path=inc.photo_path,
                           category=None if caption else "reading")
    elif inc.kind in unusual.KINDS:
        unusual.handle(ctx, _text)
    else:
        _text(ctx, (inc.text or "").strip())


def _start(ctx: Ctx) -> None:
    args = (ctx.incoming.command_args or "").strip()
    if args.startswith("team-"):
        volunteer.join_team(ctx, args)
    else:
        onboarding.start(ctx)


def _command(ctx: Ctx, name: str, args: str) -> None:
    if name == "start":
        ctx.incoming = ctx.incoming.model_copy(update={"command_args": args})
        _start(ctx)
    elif name == "help":
        _help(ctx)
    elif name == "settings":
        onboarding.settings_menu(ctx)
    elif name in ("lang", "language"):
        ctx.conv.data["settings"] = True
        onboarding.ask(ctx, "lang")
    elif name in ("my", "status"):
        asking.status(ctx)
    elif name == "cancel":
        if ctx.conv.state != state.IDLE:
            ctx.conv.reset()
            ctx.say("dialog.cancelled_step")
        else:
            asking.status(ctx, for_cancel=True)
    elif name == "volunteer":
        volunteer.start_registration(ctx)
    elif name == "duty":
        on = {"on": True, "off": False}.get(args.lower()) if args else None
        volunteer.set_duty(ctx, on)
    elif name == "me":
        volunteer.me(ctx)
    elif name == "tasks":
        volunteer.tasks(ctx)
    elif name == "queue":
        coordinator.queue(ctx)
    else:
        ctx.say("dialog.unknown_command")
        _help(ctx)


def _help(ctx: Ctx) -> None:
    roles = ctx.who.roles or ["resident"]
    for role in ("resident", "carer", "volunteer", "coordinator"):
        if role in roles:
            ctx.say(f"dialog.help.{role}")


def _button(ctx: Ctx, data: str) -> None:
    parts = data.split(":")
    head = parts[0]
    ids = [int(p) for p in parts[1:] if p.isdigit()]
    if head in {"lang", "mode", "dis", "area", "consent", "skip", "set"}:
        onboarding.on_button(ctx, parts)
    elif head in {"vskill", "vlang", "duty", "offer", "task", "hours"}:
        volunteer.on_button(ctx, parts)
    elif head == "vreg":
        volunteer.start_registration(ctx)
    elif head == "req" and len(parts) == 3 and ids:
        if parts[1] == "reassign":
            coordinator.reassign(ctx, ids[0])
        else:
            asking.on_request_button(ctx, parts[1], ids[0])
    elif head == "request" and len(parts) == 3 and ids:
        # Buttons written by dispatch into notifications.
        action = {"start": "onway", "arrived": "arrived", "done": "done"}.get(parts[1])
        if action:
            volunteer.on_task(ctx, action, ids[0])
        elif parts[1] in ("open", "reassign"):
            coordinator.open_request(ctx, ids[0]) if parts[1] == "open" else \
                coordinator.reassign(ctx, ids[0])
        else:
            ctx.say("dialog.button_unknown")
    elif head == "reassign" and ids:
        coordinator.reassign(ctx, ids[0])
    elif head == "cat" and len(parts) == 3 and ids:
        asking.on_category(ctx, parts[1], ids[0])
    elif head == "for" and ids:
        asking.on_for_whom(ctx, ids[0])
    elif head in ("fb", "feedback", "rate") and len(ids) == 2:
        asking.on_feedback(ctx, ids[0], ids[1])
    elif head == "feedback" and len(parts) == 3 and parts[2] == "dispute" and ids:
        asking.ask_dispute_rating(ctx, ids[0])
    elif head == "fbd" and len(ids) == 2:
        asking.on_feedback(ctx, ids[0], ids[1], hours_confirmed=False)
    elif head == "fb" and parts[1:] == ["skip"]:
        ctx.conv.reset()
        ctx.say("dialog.feedback.thanks")
    else:
        ctx.say("dialog.button_unknown")


def _text(ctx: Ctx, text: str, *, audio_path: str | None = None) -> None:
    st = ctx.conv.state
    if not text and not audio_path:
        ctx.say("dialog.empty")
        return
    if st == "onb:area" or st == "vol:area":
        onboarding.on_area_text(ctx, text)
    elif st == "fb:comment":
        asking.on_feedback_comment(ctx, text)
    elif st == "vol:hours":
        volunteer.on_hours_text(ctx, text)
    elif _staff_only(ctx) and not audio_path:
        ctx.say("dialog.staff_text")
        _help(ctx)
    else:
        asking.new_request(ctx, text=text if not audio_path else "", audio_path=audio_path,
                           transcript=text if audio_path else None)


def _staff_only(ctx: Ctx) -> bool:
    who = ctx.who
    return who.resident is None and who.carer is None and bool(who.volunteer or who.coordinator)


def _voice(ctx: Ctx) -> None:
    inc = ctx.incoming
    transcript = (inc.transcript or "").strip()
    if ctx.conv.state in ("onb:area", "vol:area", "fb:comment", "vol:hours") and transcript:
        _text(ctx, transcript)
        return
    # A voice note is a request even when nobody could transcribe it: a person will listen.
    if not transcript:
        ctx.say("dialog.voice_unclear")
    asking.new_request(ctx, text="", audio_path=inc.audio_path, transcript=transcript or None)
