"""Volunteer flows: invite link, registration, duty, offers, task progress, hours and stars."""

from __future__ import annotations

from sqlmodel import col, select

from core import dispatch
from core.dialog import areas as area_tools
from core.dialog import fmt
from core.dialog.context import Ctx, btn, rows
from core.exceptions import InvalidInput, NotAllowed, NotFound
from core.models import Area, HelpRequest, Offer, Resident, Team, VolunteerCreate
from core.services import profiles, registration, teams
from core.skills import SKILLS

LANG_CHOICES = ("zh", "en")
HOUR_CHOICES = ("0.5", "1", "2", "3", "4")


def _team_name(team: Team, lang: str) -> str:
    return team.name_en if lang == "en" and team.name_en else team.name_zh


def join_team(ctx: Ctx, code: str) -> None:
    """/start team-<code>: join the team, registering as a volunteer first when new."""
    try:
        team = teams.team_for_invite(ctx.session, settings=ctx.settings, code=code)
    except InvalidInput:
        ctx.say("dialog.vol.invite_invalid")
        return
    if ctx.who.volunteer is not None:
        teams.join_by_invite(
            ctx.session, settings=ctx.settings, code=code, volunteer_id=ctx.who.volunteer.id
        )
        ctx.session.commit()
        ctx.say("dialog.vol.joined", team=_team_name(team, ctx.lang))
        return
    ctx.conv.data["invite"] = code
    ctx.say("dialog.vol.invite_welcome", team=_team_name(team, ctx.lang))
    start_registration(ctx)


def start_registration(ctx: Ctx) -> None:
    """/volunteer: skills, then languages, then service area."""
    if ctx.who.volunteer is not None and not ctx.conv.data.get("invite"):
        v = ctx.who.volunteer
        ctx.say("dialog.vol.already", name=v.name,
                skills=", ".join(ctx.t(f"dialog.skill.{s}") for s in v.skills) or "-",
                duty=ctx.t("dialog.vol.on_duty" if v.on_duty else "dialog.vol.off_duty"))
        return
    ctx.conv.go("vol:skills", vol_skills=[], vol_langs=[ctx.lang])
    ask_skills(ctx)


def ask_skills(ctx: Ctx) -> None:
    """Skills as toggle buttons."""
    chosen = set(ctx.conv.data.get("vol_skills", []))
    buttons = [
        btn("dialog.btn.chosen" if s in chosen else "dialog.btn.plain", f"vskill:{s}",
            label=ctx.t(f"dialog.skill.{s}"))
        for s in SKILLS
    ]
    ctx.say("dialog.vol.ask_skills", rows(buttons, 3) + [[btn("dialog.btn.done", "vskill:done")]])


def ask_langs(ctx: Ctx) -> None:
    """Languages as toggle buttons."""
    chosen = set(ctx.conv.data.get("vol_langs", []))
    buttons = [
        btn("dialog.btn.chosen" if code in chosen else "dialog.btn.plain", f"vlang:{code}",
            label=ctx.t(f"dialog.lang_name.{code}"))
        for code in LANG_CHOICES
    ]
    ctx.say("dialog.vol.ask_langs", [buttons, [btn("dialog.btn.done", "vlang:done")]])


def on_button(ctx: Ctx, parts: list[str]) -> None:
    """vskill:, vlang:, duty:, offer:, task:, hours: buttons."""
    head, arg = parts[0], (parts[1] if len(parts) > 1 else "")
    waits_for = {"vskill": "vol:skills", "vlang": "vol:langs"}.get(head)
    if waits_for is not None and ctx.conv.state != waits_for:
        ctx.say("dialog.button_stale")  # a registration step that is over
        return
    if head == "vskill":
        if arg == "done":
            ctx.conv.go("vol:langs")
            ask_langs(ctx)
            return
        chosen = list(ctx.conv.data.get("vol_skills", []))
        if arg in SKILLS:
            chosen.remove(arg) if arg in chosen else chosen.append(arg)
        ctx.conv.data["vol_skills"] = chosen
        ask_skills(ctx)
    elif head == "vlang":
        if arg == "done":
            from core.dialog.onboarding import ask_area

            ctx.conv.go("vol:area")
            ask_area(ctx, None, purpose="vol")
            ctx.conv.state = "vol:area"
            return
        chosen = list(ctx.conv.data.get("vol_langs", []))
        if arg in LANG_CHOICES:
            chosen.remove(arg) if arg in chosen else chosen.append(arg)
        ctx.conv.data["vol_langs"] = chosen
        ask_langs(ctx)
    elif head == "duty":
        set_duty(ctx, arg == "on")
    elif head == "offer" and len(parts) == 3 and parts[2].isdigit():
        on_offer(ctx, arg, int(parts[2]))
    elif head == "task" and len(parts) == 3 and parts[2].isdigit():
        on_task(ctx, arg, int(parts[2]))
    elif head == "hours" and len(parts) == 3 and parts[1].isdigit():
        complete(ctx, int(parts[1]), parts[2])
    else:
        raise NotFound("button")


def area_chosen(ctx: Ctx, area: Area | None) -> None:
    """The last registration step: create the volunteer (and join the invited team)."""
    langs = ctx.conv.data.get("vol_langs") or [ctx.lang]
    data = VolunteerCreate(
        name=(ctx.user.name or ctx.user.external_id)[:100],
        languages=langs,
        skills=ctx.conv.data.get("vol_skills", []),
        home_area_id=area.id if area else None,
        service_area_ids=[area.id] if area and area.id else [],
        telegram_id=int(ctx.user.external_id) if ctx.user.channel == "telegram" else None,
    )
    volunteer = registration.register_volunteer(ctx.session, data=data)
    ctx.who.volunteer = volunteer
    if ctx.user.channel != "telegram":
        ctx.conv.data["volunteer_id"] = volunteer.id
    code = ctx.conv.data.get("invite")
    ctx.conv.reset()
    ctx.say("dialog.vol.registered", name=volunteer.name,
            area=area_tools.name(area, ctx.lang) or ctx.t("dialog.not_given"))
    if code:
        team = teams.team_for_invite(ctx.session, settings=ctx.settings, code=code)
        teams.join_by_invite(ctx.session, settings=ctx.settings, code=code,
                             volunteer_id=volunteer.id)
        ctx.session.commit()
        ctx.say("dialog.vol.joined", team=_team_name(team, ctx.lang))
    ctx.say("dialog.vol.duty_hint", [[btn("dialog.btn.duty_on", "duty:on")]])


def _me(ctx: Ctx) -> int:
    if ctx.who.volunteer is None or ctx.who.volunteer.id is None:
        raise NotAllowed("not a volunteer")
    return ctx.who.volunteer.id


def set_duty(ctx: Ctx, on: bool | None) -> None:
    """/duty on|off (no argument: switch)."""
    if ctx.who.volunteer is None:
        ctx.say("dialog.vol.not_registered", [[btn("dialog.btn.register", "vreg:start")]])
        return
    target = (not ctx.who.volunteer.on_duty) if on is None else on
    ctx.who.volunteer = profiles.set_on_duty(ctx.session, volunteer_id=_me(ctx), on_duty=target)
    if target:
        ctx.say("dialog.vol.duty_now_on", [[btn("dialog.btn.duty_off", "duty:off")]])
    else:
        ctx.say("dialog.vol.duty_now_off", [[btn("dialog.btn.duty_on", "duty:on")]])


def on_offer(ctx: Ctx, action: str, offer_id: int) -> None:
    """offer:accept / offer:decline; details only after a successful accept."""
    volunteer_id = _me(ctx)
    offer = ctx.session.get(Offer, offer_id)
    if offer is None:
        raise NotFound("offer")
    if offer.volunteer_id != volunteer_id:
        # A forged or forwarded button: say so without telling anything about the request.
        raise NotAllowed("not your offer")
    if action == "accept":
        request = dispatch.accept_offer(
            ctx.session, settings=ctx.settings, offer_id=offer_id, volunteer_id=volunteer_id,
            now=ctx.now,
        )
        # The private details follow in dispatch's own message to the winner (the outbox),
        # so they are not said twice; here only the quick answer to the tap.
        ctx.say("dialog.offer.accepted", id=request.id)
    elif action == "decline":
        dispatch.decline_offer(
            ctx.session, settings=ctx.settings, offer_id=offer_id, volunteer_id=volunteer_id,
            now=ctx.now,
        )
        ctx.say("dialog.offer.declined")
    else:
        raise NotFound("action")


def details(ctx: Ctx, request: HelpRequest) -> None:
    """Everything the accepted volunteer needs, with the progress buttons."""
    resident = ctx.session.get(Resident, request.resident_id)
    area = ctx.session.get(Area, request.place_area_id or request.area_id or 0)
    rid = request.id
    buttons = [
        [btn("dialog.btn.on_my_way", f"task:onway:{rid}")],
        [btn("dialog.btn.arrived", f"task:arrived:{rid}")],
        [btn("dialog.btn.done_task", f"task:done:{rid}")],
    ]
    ctx.say(
        "dialog.task.details",
        buttons,
        id=rid,
        category=fmt.category(request.category, ctx.lang),
        text=(request.transcript or request.text or "").strip() or "-",
        when=fmt.when(request.time_start, ctx.tz, ctx.lang) or ctx.t("dialog.when_unknown"),
        where=area_tools.name(area, ctx.lang) or ctx.t("dialog.where_unknown"),
        name=resident.name if resident else "-",
        address=(resident.address if resident else None) or "-",
        phone=(resident.phone if resident else None) or "-",
        needs=", ".join(ctx.t(f"dialog.disability.{d}") for d in
                        (resident.disability_types if resident else [])) or "-",
    )


def _my_task(ctx: Ctx, request_id: int) -> HelpRequest:
    request = ctx.session.get(HelpRequest, request_id)
    if request is None:
        raise NotFound("request")
    if request.volunteer_id != _me(ctx):
        raise NotAllowed("not your task")
    return request


def on_task(ctx: Ctx, action: str, request_id: int) -> None:
    """task:onway / task:arrived / task:done on an accepted request."""
    _my_task(ctx, request_id)
    kwargs = {"settings": ctx.settings, "request_id": request_id, "volunteer_id": _me(ctx),
              "now": ctx.now}
    if action == "onway":
        dispatch.start_request(ctx.session, **kwargs)
        ctx.say("dialog.task.on_way_noted",
                [[btn("dialog.btn.arrived", f"task:arrived:{request_id}")],
                 [btn("dialog.btn.done_task", f"task:done:{request_id}")]])
    elif action == "arrived":
        dispatch.mark_arrived(ctx.session, **kwargs)
        ctx.say("dialog.task.arrived_noted",
                [[btn("dialog.btn.done_task", f"task:done:{request_id}")]])
    elif action == "done":
        ctx.conv.go("vol:hours", hours_request=request_id)
        buttons = [btn("dialog.btn.hours", f"hours:{request_id}:{h}", hours=h)
                   for h in HOUR_CHOICES]
        ctx.say("dialog.task.ask_hours", rows(buttons, 3))
    else:
        raise NotFound("action")


def complete(ctx: Ctx, request_id: int, raw_hours: str) -> None:
    """Report the task done with its hours."""
    try:
        hours = float(raw_hours.strip().replace(",", ".").replace("小时", "").replace("h", ""))
    except ValueError:
        ctx.say("dialog.task.hours_invalid")
        return
    if not 0 < hours <= 24:
        ctx.say("dialog.task.hours_invalid")
        return
    _my_task(ctx, request_id)
    dispatch.complete_request(
        ctx.session, settings=ctx.settings, request_id=request_id, volunteer_id=_me(ctx),
        hours=hours, now=ctx.now,
    )
    ctx.conv.reset()
    ctx.say("dialog.task.done_noted", hours=fmt.hours(hours))


def on_hours_text(ctx: Ctx, text: str) -> None:
    """Hours typed instead of pressed."""
    complete(ctx, int(ctx.conv.data.get("hours_request") or 0), text)


def me(ctx: Ctx) -> None:
    """/me: total hours, star level and the next level."""
    volunteer_id = _me(ctx)
    ledger = dispatch.volunteer_ledger(ctx.session, volunteer_id=volunteer_id)
    total = float(ledger.total_hours)
    stars = dispatch.star_level(total)
    thresholds = (100, 300, 600, 1000, 1500)
    nxt = next((t for t in thresholds if t > total), None)
    key = "dialog.vol.me_next" if nxt else "dialog.vol.me_top"
    ctx.say(key, hours=fmt.hours(round(total, 1)), stars=stars, services=len(ledger.records),
            to_next=fmt.hours(round((nxt or 0) - total, 1)))


def tasks(ctx: Ctx) -> None:
    """/tasks: the details of every task the volunteer has accepted and not finished."""
    stmt = (
        select(HelpRequest)
        .where(HelpRequest.volunteer_id == _me(ctx))
        .where(col(HelpRequest.status).in_(["accepted", "in_progress"]))
        .order_by(col(HelpRequest.id))
    )
    found = list(ctx.session.exec(stmt).all())
    if not found:
        ctx.say("dialog.task.none")
    for request in found:
        details(ctx, request)
