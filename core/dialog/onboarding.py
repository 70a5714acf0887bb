"""Onboarding and /settings: language, mode, disability, area, consent (every step skippable)."""

from __future__ import annotations

from core.dialog import areas as area_tools
from core.dialog.context import Ctx, btn, rows
from core.dialog.identity import new_resident
from core.models import Area, Disability, HelpRequest, Mode, Resident

STEPS = ("lang", "mode", "dis", "area", "consent")
MODES = [m.value for m in Mode]
DISABILITIES = [d.value for d in Disability]


def ensure_resident(ctx: Ctx) -> Resident:
    """The resident profile of this person, created on first contact."""
    if ctx.who.resident is None:
        ctx.who.resident = new_resident(ctx.session, ctx.user, ctx.lang)
        ctx.session.commit()
    return ctx.who.resident


def start(ctx: Ctx) -> None:
    """/start: welcome a new person and begin onboarding, or continue where they stopped."""
    state = ctx.conv.state
    if state.startswith("onb:"):
        ctx.say("dialog.onboarding.continue")
        ask(ctx, state.split(":", 1)[1])
        return
    if ctx.who.resident is not None and ctx.who.resident.consent_at is not None:
        ctx.say("dialog.welcome_back", name=ctx.who.resident.name)
        return
    if ctx.who.resident is None and (ctx.who.volunteer or ctx.who.coordinator or ctx.who.carer):
        ctx.say("dialog.welcome_back", name=_staff_name(ctx))
        return
    ensure_resident(ctx)
    ctx.conv.data.pop("settings", None)
    ctx.say("dialog.welcome")
    ask(ctx, "lang")


def _staff_name(ctx: Ctx) -> str:
    for person in (ctx.who.coordinator, ctx.who.volunteer, ctx.who.carer):
        if person is not None:
            return person.name
    return ""


def ask(ctx: Ctx, step: str, *, parent_id: int | None = None) -> None:
    """Ask one onboarding step and remember that we are waiting for it."""
    ctx.conv.state = f"onb:{step}"
    skip = [btn("dialog.btn.skip", f"skip:{step}")]
    if step == "lang":
        buttons = [btn("dialog.btn.lang_zh", "lang:zh"), btn("dialog.btn.lang_en", "lang:en")]
        ctx.say("dialog.ask.lang", [buttons, skip], current=ctx.t(f"dialog.lang_name.{ctx.lang}"))
    elif step == "mode":
        buttons = [btn(f"dialog.mode.{m}", f"mode:{m}") for m in MODES]
        ctx.say("dialog.ask.mode", rows(buttons) + [skip])
    elif step == "dis":
        chosen = set(ctx.conv.data.get("dis_chosen", []))
        buttons = [
            btn("dialog.btn.chosen" if d in chosen else "dialog.btn.plain", f"dis:{d}",
                label=ctx.t(f"dialog.disability.{d}"))
            for d in DISABILITIES
        ]
        done = [btn("dialog.btn.done", "dis:done"), btn("dialog.btn.skip_private", "skip:dis")]
        ctx.say("dialog.ask.disability", rows(buttons) + [done])
    elif step == "area":
        ask_area(ctx, parent_id, purpose="onb")
    elif step == "consent":
        buttons = [btn("dialog.btn.agree", "consent:yes"), btn("dialog.btn.disagree", "consent:no")]
        ctx.say("dialog.ask.consent", [buttons])
    else:
        finish(ctx)


def ask_area(ctx: Ctx, parent_id: int | None, *, purpose: str) -> None:
    """Show one level of the area tree as buttons (or ask to type the name)."""
    session = ctx.session
    level = (
        area_tools.children(session, parent_id)
        if parent_id is not None
        else area_tools.roots_for_picker(session)
    )
    ctx.conv.data["area_parent"] = parent_id
    ctx.conv.data["area_purpose"] = purpose
    buttons = [
        btn("dialog.btn.plain", f"area:{a.id}", label=area_tools.name(a, ctx.lang))
        for a in level[: area_tools.MAX_AREA_BUTTONS]
    ]
    extra = []
    if parent_id is not None:
        parent = session.get(Area, parent_id)
        extra.append(
            btn("dialog.btn.area_whole", f"area:set:{parent_id}",
                name=area_tools.name(parent, ctx.lang))
        )
        extra.append(btn("dialog.btn.back", "area:up"))
    extra.append(btn("dialog.btn.skip", f"skip:{'area' if purpose == 'onb' else 'varea'}"))
    key = "dialog.ask.area" if level else "dialog.ask.area_type"
    ctx.say(key, rows(buttons) + rows(extra))


def next_step(ctx: Ctx, step: str) -> None:
    """After a step: in /settings say saved; in onboarding ask the next one."""
    if ctx.conv.data.get("settings"):
        ctx.conv.reset()
        ctx.say("dialog.settings.saved")
        return
    index = STEPS.index(step) + 1 if step in STEPS else len(STEPS)
    if index >= len(STEPS):
        finish(ctx)
    else:
        ask(ctx, STEPS[index])


def finish(ctx: Ctx) -> None:
    """Onboarding is over: tell how to ask, and go on with a request that was waiting."""
    from core.dialog import asking

    pending = ctx.conv.data.get("pending")
    pending_confirm = ctx.conv.data.get("pending_confirm")
    resident = ctx.who.resident
    ctx.conv.reset()
    if pending_confirm:
        target = ctx.session.get(HelpRequest, int(pending_confirm["request_id"]))
        owner = ctx.session.get(Resident, target.resident_id) if target else None
        if owner is not None and owner.consent_at is not None:
            asking.resume_confirm(ctx, pending_confirm)
        else:
            ctx.say("dialog.request.waiting_consent")
        return
    if ctx.who.carer is None or resident is not None:
        ctx.say("dialog.onboarding.done")
    if pending:
        asking.new_request(ctx, **pending)


def on_button(ctx: Ctx, parts: list[str]) -> None:
    """lang:, mode:, dis:, area:, consent:, skip:, set: buttons."""
    head = parts[0]
    arg = parts[1] if len(parts) > 1 else ""
    if not _button_fits(ctx.conv.state, head, arg):
        # An old button of a step that is over (pressed again, or from an older message).
        ctx.say("dialog.button_stale")
        return
    resident = ensure_resident(ctx) if head in {"lang", "mode", "dis"} else None
    if head == "consent":
        from core.dialog.asking import consent_target

        resident = consent_target(ctx)
    if head == "lang" and resident is not None and arg in ("zh", "en"):
        resident.lang = arg
        ctx.conv.data["lang"] = arg
        ctx.session.add(resident)
        ctx.say("dialog.lang_set", name=ctx.t(f"dialog.lang_name.{arg}"))
        next_step(ctx, "lang")
    elif head == "mode" and resident is not None and arg in MODES:
        resident.mode = arg
        ctx.session.add(resident)
        ctx.say("dialog.mode_set", name=ctx.t(f"dialog.mode.{arg}"))
        next_step(ctx, "mode")
    elif head == "dis" and resident is not None:
        _on_disability(ctx, resident, arg)
    elif head == "area":
        _on_area(ctx, parts[1:])
    elif head == "consent" and resident is not None:
        if arg == "yes":
            resident.consent_at = ctx.now
            ctx.session.add(resident)
            ctx.say("dialog.consent_given")
        else:
            ctx.say("dialog.consent_declined")
        next_step(ctx, "consent")
    elif head == "skip":
        if arg == "varea":
            from core.dialog import volunteer

            volunteer.area_chosen(ctx, None)
            return
        next_step(ctx, arg)
    elif head == "set":
        ctx.conv.data["settings"] = True
        if arg == "dis":
            chosen = list(resident.disability_types) if (resident := ctx.who.resident) else []
            ctx.conv.data["dis_chosen"] = chosen
        ask(ctx, arg)


def _button_fits(state: str, head: str, arg: str) -> bool:
    """Whether a step button belongs to the step the conversation waits for now."""
    if head == "set":
        return True  # the settings menu works from anywhere
    if head == "skip":
        return state == ("vol:area" if arg == "varea" else f"onb:{arg}")
    if head == "area":
        return state in ("onb:area", "vol:area")
    return state == f"onb:{head}"


def _on_disability(ctx: Ctx, resident: Resident, arg: str) -> None:
    chosen = list(ctx.conv.data.get("dis_chosen", []))
    if arg == "done":
        resident.disability_types = chosen
        ctx.session.add(resident)
        ctx.conv.data.pop("dis_chosen", None)
        if chosen:
            names = ctx.t("dialog.list_joiner").join(
                ctx.t(f"dialog.disability.{d}") for d in chosen)
            ctx.say("dialog.disability_set", names=names)
        else:
            ctx.say("dialog.disability_none")
        next_step(ctx, "dis")
        return
    if arg in DISABILITIES:
        if arg in chosen:
            chosen.remove(arg)
        else:
            chosen.append(arg)
        ctx.conv.data["dis_chosen"] = chosen
    ask(ctx, "dis")


def _on_area(ctx: Ctx, args: list[str]) -> None:
    purpose = ctx.conv.data.get("area_purpose", "onb")
    if args and args[0] == "up":
        parent = ctx.conv.data.get("area_parent")
        above = ctx.session.get(Area, parent).parent_id if parent else None
        if above is not None and len(area_tools.children(ctx.session, above)) <= 1:
            above = None
        ask_area(ctx, above, purpose=purpose)
        return
    choose_whole = bool(args) and args[0] == "set"
    raw = args[1] if choose_whole and len(args) > 1 else (args[0] if args else "")
    area = ctx.session.get(Area, int(raw)) if raw.isdigit() else None
    if area is None:
        ask_area(ctx, None, purpose=purpose)
        return
    if not choose_whole and area_tools.children(ctx.session, area.id):
        ask_area(ctx, area.id, purpose=purpose)
        return
    set_area(ctx, area)


def set_area(ctx: Ctx, area: Area) -> None:
    """Use this area for the resident (onboarding) or the volunteer (registration)."""
    purpose = ctx.conv.data.pop("area_purpose", "onb")
    ctx.conv.data.pop("area_parent", None)
    if purpose == "vol":
        from core.dialog import volunteer

        volunteer.area_chosen(ctx, area)
        return
    resident = ensure_resident(ctx)
    resident.area_id = area.id
    ctx.session.add(resident)
    ctx.say("dialog.area_set", name=area_tools.name(area, ctx.lang))
    next_step(ctx, "area")


def on_area_text(ctx: Ctx, text: str) -> None:
    """A typed or spoken community name while the area step waits."""
    area = area_tools.match(ctx.session, text)
    if area is None:
        ctx.say("dialog.area_not_found", text=text)
        ask_area(ctx, ctx.conv.data.get("area_parent"),
                 purpose=ctx.conv.data.get("area_purpose", "onb"))
        return
    set_area(ctx, area)


def settings_menu(ctx: Ctx) -> None:
    """/settings: what is stored now, with a button to change each part."""
    resident = ensure_resident(ctx)
    area = ctx.session.get(Area, resident.area_id) if resident.area_id else None
    dis = ", ".join(ctx.t(f"dialog.disability.{d}") for d in resident.disability_types)
    ctx.conv.reset()
    buttons = [
        btn("dialog.btn.set_lang", "set:lang"),
        btn("dialog.btn.set_mode", "set:mode"),
        btn("dialog.btn.set_dis", "set:dis"),
        btn("dialog.btn.set_area", "set:area"),
        btn("dialog.btn.set_consent", "set:consent"),
    ]
    ctx.say(
        "dialog.settings.menu",
        rows(buttons),
        language=ctx.t(f"dialog.lang_name.{ctx.lang}"),
        mode=ctx.t(f"dialog.mode.{resident.mode}") if resident.mode in MODES else resident.mode,
        disability=dis or ctx.t("dialog.not_given"),
        area=area_tools.name(area, ctx.lang) or ctx.t("dialog.not_given"),
        consent=ctx.t("dialog.yes") if resident.consent_at else ctx.t("dialog.no"),
    )
