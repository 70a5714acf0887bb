"""Coordinator flows: /queue (open and overdue in their area) and reassigning from an alert."""

from __future__ import annotations

from core import dispatch
from core.dialog import fmt
from core.dialog.context import Ctx, btn
from core.exceptions import NotAllowed, NotFound
from core.models import HelpRequest
from core.services.apikeys import expand_areas
from core.services.queue import list_queue

QUEUE_LINES = 10


def _me(ctx: Ctx) -> int:
    if ctx.who.coordinator is None or ctx.who.coordinator.id is None:
        raise NotAllowed("not a coordinator")
    return ctx.who.coordinator.id


def _scope(ctx: Ctx) -> frozenset[int]:
    assert ctx.who.coordinator is not None
    return expand_areas(ctx.session, [ctx.who.coordinator.area_id])


def queue(ctx: Ctx) -> None:
    """/queue: how many are open and overdue, the most pressing first, each reassignable."""
    _me(ctx)
    scope = _scope(ctx)
    page = list_queue(ctx.session, area_scope=scope, limit=200, sort="deadline", now=ctx.now)
    items = page.items
    overdue = [i for i in items if i["overdue"] or i["status"] == "unassigned"]
    shown = (overdue + [i for i in items if i not in overdue])[:QUEUE_LINES]
    if not items:
        ctx.say("dialog.coord.queue_empty")
        return
    lines = [
        ctx.t(
            "dialog.coord.queue_item_overdue" if item in overdue else "dialog.coord.queue_item",
            id=item["id"],
            category=fmt.category(item.get("category"), ctx.lang),
            status=fmt.status(item["status"], ctx.lang),
            when=fmt.when(item["created_at"], ctx.tz, ctx.lang),
        )
        for item in shown
    ]
    buttons = [
        [btn("dialog.btn.reassign", f"req:reassign:{item['id']}", id=item["id"])]
        for item in shown
        if item in overdue
    ]
    ctx.say("dialog.coord.queue", buttons, open=len(items), overdue=len(overdue),
            items="\n".join(lines))


def reassign(ctx: Ctx, request_id: int) -> None:
    """Reassign a request (from /queue or an alert): dispatch offers it again, wider."""
    coordinator_id = _me(ctx)
    request = ctx.session.get(HelpRequest, request_id)
    if request is None:
        raise NotFound("request")
    area_ids = [a for a in (request.area_id, request.place_area_id) if a]
    if area_ids and not set(area_ids) & set(_scope(ctx)):
        raise NotAllowed("outside your area")
    request = dispatch.reassign_request(
        ctx.session, settings=ctx.settings, request_id=request_id,
        actor=f"coordinator:{coordinator_id}", now=ctx.now,
    )
    ctx.say("dialog.coord.reassigned", id=request_id,
            status=fmt.status(request.status, ctx.lang))




def open_request(ctx: Ctx, request_id: int) -> None:
    """A coordinator opened a request from an alert: its state and a reassign button."""
    _me(ctx)
    request = ctx.session.get(HelpRequest, request_id)
    if request is None:
        raise NotFound("request")
    area_ids = [a for a in (request.area_id, request.place_area_id) if a]
    if area_ids and not set(area_ids) & set(_scope(ctx)):
        raise NotAllowed("outside your area")
    ctx.say(
        "dialog.coord.request",
        [[btn("dialog.btn.reassign", f"req:reassign:{request_id}", id=request_id)]],
        id=request_id,
        category=fmt.category(request.category, ctx.lang),
        status=fmt.status(request.status, ctx.lang),
        text=(request.transcript or request.text or "").strip() or "-",
        when=fmt.when(request.created_at, ctx.tz, ctx.lang),
    )
