"""What must hold after any number of processes worked on one database: nothing lost, nothing
offered or sent twice. Read straight from the tables (no service code in between)."""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import create_engine, text

KNOWN_STATUSES = frozenset({
    "new", "classified", "needs_clarification", "offered", "accepted", "in_progress", "done",
    "confirmed", "disputed", "unassigned", "cancelled",
})
# Keys a resident may legitimately get more than once per request (one per widening).
REPEATABLE_KEYS = frozenset({"dispatch.resident.widened"})


@dataclass
class Report:
    """Counts seen and every problem found (empty problems = all good)."""

    requests: int = 0
    offers: int = 0
    events: int = 0
    notifications: int = 0
    widened: int = 0
    statuses: dict[str, int] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)


def _data(value: Any) -> dict[str, Any]:
    if isinstance(value, str):
        return json.loads(value)
    return value or {}


def check(url: str, expected_ids: set[int]) -> Report:
    """Check the request, offer, event and notification tables against the invariants."""
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            requests = conn.execute(text("SELECT id, status, ring FROM helprequest")).all()
            offers = conn.execute(
                text("SELECT id, request_id, volunteer_id, ring, state FROM offer")
            ).all()
            events = conn.execute(
                text("SELECT id, request_id, kind, from_status, to_status, data FROM event "
                     "ORDER BY id")
            ).all()
            notes = conn.execute(
                text("SELECT id, recipient_kind, recipient_id, key, request_id, offer_id, "
                     "dedupe_key FROM notification")
            ).all()
    finally:
        engine.dispose()
    rep = Report(requests=len(requests), offers=len(offers), events=len(events),
                 notifications=len(notes))
    problems = rep.problems
    rep.statuses = dict(Counter(r.status for r in requests))

    ids = {r.id for r in requests}
    if ids != expected_ids:
        problems.append(f"requests lost {sorted(expected_ids - ids)[:10]} "
                        f"or unexpected {sorted(ids - expected_ids)[:10]}")
    for r in requests:
        if r.status not in KNOWN_STATUSES:
            problems.append(f"request {r.id} has unknown status {r.status!r}")

    by_request: dict[int, list[Any]] = defaultdict(list)
    for e in events:
        by_request[e.request_id].append(e)
    for r in requests:
        evs = by_request.get(r.id, [])
        if not evs or evs[0].kind != "created":
            problems.append(f"request {r.id}: first event is not 'created' ({len(evs)} events)")
            continue
        last_status = [e.to_status for e in evs if e.to_status][-1]
        if last_status != r.status:
            problems.append(f"request {r.id}: status {r.status} but last event says {last_status}")

    # Each ring is offered once: one offering event per (request, ring), and exactly the
    # volunteers that event names got an Offer row.
    ring_events: dict[tuple[int, int], list[Any]] = defaultdict(list)
    for e in events:
        data = _data(e.data)
        if "volunteer_ids" in data and "ring" in data and e.to_status == "offered":
            ring_events[(e.request_id, int(data["ring"]))].append(data)
    rep.widened = sum(1 for e in events if e.kind == "widened")
    offer_keys = Counter((o.request_id, o.volunteer_id, o.ring) for o in offers)
    for key, n in offer_keys.items():
        if n > 1:
            problems.append(f"offer (request, volunteer, ring) {key} made {n} times")
    asked = Counter((o.request_id, o.volunteer_id) for o in offers)
    for key, n in asked.items():
        if n > 1:
            problems.append(f"volunteer asked {n} times for one request: {key}")
    offered_in_ring: dict[tuple[int, int], set[int]] = defaultdict(set)
    for o in offers:
        offered_in_ring[(o.request_id, o.ring)].add(o.volunteer_id)
    for key, vols in offered_in_ring.items():
        evs = ring_events.get(key, [])
        if len(evs) != 1:
            problems.append(f"(request, ring) {key} offered by {len(evs)} events")
        elif set(evs[0]["volunteer_ids"]) != vols:
            problems.append(f"(request, ring) {key}: event names {evs[0]['volunteer_ids']}, "
                            f"offers went to {sorted(vols)}")
    for key in ring_events:
        if key not in offered_in_ring:
            problems.append(f"(request, ring) {key}: offering event without offer rows")

    # No message twice, none lost: one 'new offer' message per offer, one close message per
    # closed offer, and no other message repeated for the same recipient and request.
    per_offer: dict[int, Counter[str]] = defaultdict(Counter)
    repeated: Counter[tuple[Any, ...]] = Counter()
    for n in notes:
        if n.offer_id is not None:
            per_offer[n.offer_id][n.key] += 1
        if n.key not in REPEATABLE_KEYS:
            repeated[(n.recipient_kind, n.recipient_id, n.key, n.request_id, n.offer_id)] += 1
    for key, count in repeated.items():
        if count > 1:
            problems.append(f"notification {key} queued {count} times")
    for o in offers:
        keys = per_offer.get(o.id, Counter())
        new = sum(v for k, v in keys.items() if k.startswith("dispatch.volunteer.offer")
                  and k != "dispatch.volunteer.offer_expired")
        if new != 1:
            problems.append(f"offer {o.id}: {new} 'new offer' messages")
        if o.state in ("expired", "withdrawn") and sum(keys.values()) - new != 1:
            problems.append(f"offer {o.id} ({o.state}): {sum(keys.values()) - new} close messages")
    widened_events = Counter(e.request_id for e in events if e.kind == "widened")
    widened_notes = Counter(n.request_id for n in notes
                            if n.key == "dispatch.resident.widened"
                            and n.recipient_kind == "resident")
    if widened_events != widened_notes:
        diff = {k: (widened_events.get(k), widened_notes.get(k))
                for k in set(widened_events) | set(widened_notes)
                if widened_events.get(k) != widened_notes.get(k)}
        problems.append(f"resident 'widened' messages differ from widen events: "
                        f"{dict(list(diff.items())[:10])}")
    return rep
