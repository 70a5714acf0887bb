"""Who should get a request: candidate teams ranked by nearness, skills, duty, language, load.

Every query is indexed and bounded (teams of one district, members of a few teams), so a
decision stays in the low milliseconds with thousands of volunteers and teams.
"""

from __future__ import annotations

import json
from datetime import datetime, time
from typing import Any

from sqlalchemy import ARRAY, Integer, String, bindparam, cast, func, literal_column, or_, select
from sqlalchemy.engine import Dialect
from sqlmodel import Session

from core.dispatch.common import ACTIVE_STATUSES, EPOCH, utc, zone
from core.models import Area, HelpRequest, Offer, Resident, Team, TeamMember, Volunteer
from core.prepared import Prepared

# How many rings (candidates tried one after another) a request gets before a coordinator.
MAX_RINGS = 4
# How many volunteers one ring offers to at once.
MAX_OFFERS_PER_RING = 8
# Nobody gets more pending offers than this at a time ("nobody flooded").
FLOOD_PENDING = 5
# Emergencies: how many on-duty volunteers nearby are told at once.
MAX_EMERGENCY_OFFERS = 40
# Bound on the teams one query reads (a district holds far fewer).
TEAM_ROW_LIMIT = 2000
NEAR_LEVELS = ("elsewhere", "same_city", "same_district", "same_street", "same_community")


def segments(path: str | None) -> list[int]:
    """'/1/4/17/' → [1, 4, 17]."""
    if not path:
        return []
    return [int(part) for part in path.strip("/").split("/") if part]


def prefix(segs: list[int], n: int) -> str:
    """The materialised path of the ancestor n levels down ('/1/4/' for n=2)."""
    return "/" + "".join(f"{s}/" for s in segs[:n])


def common_depth(a: list[int], b: list[int]) -> int:
    """How many leading levels two area paths share (higher = nearer)."""
    depth = 0
    for x, y in zip(a, b, strict=False):
        if x != y:
            break
        depth += 1
    return depth


def under(session: Session, area_prefix: str) -> Any:
    """Areas whose path starts with area_prefix, as an index-friendly condition.

    SQLite (binary collation): a range scan on the path index; paths hold only digits and
    '/', and '0' follows '/', so "starts with /1/4/" is "/1/4/" <= path < "/1/40".
    PostgreSQL: LIKE (its text collation may not order '/' like that).
    """
    if session.get_bind().dialect.name == "sqlite":
        return (Area.path >= area_prefix) & (Area.path < area_prefix[:-1] + "0")
    return Area.path.like(area_prefix + "%")


def json_has(column: Any, value: str) -> Any:
    """A JSON list column contains a string value (portable: the JSON text holds '"value"')."""
    return cast(column, String).like(f'%"{value}"%')


def in_duty_hours(start: str, end: str, now: datetime, tz: str | None) -> bool:
    """Whether now (resident's zone) is in an 'HH:MM'-'HH:MM' window (may wrap midnight)."""
    try:
        begin = time.fromisoformat(start)
        finish = time.fromisoformat(end)
    except ValueError:
        return True
    local = (utc(now) or now).astimezone(zone(tz)).time()
    if begin <= finish:
        return begin <= local < finish
    return local >= begin or local < finish


_STATEMENTS: dict[tuple[Any, ...], Any] = {}


def _has(column: Any, param: str) -> Any:
    """json_has with the '%"value"%' pattern as a named bind parameter (cacheable)."""
    return cast(column, String).like(bindparam(param))


def _pattern(value: str) -> str:
    return f'%"{value}"%'


def _team_statement(dialect: Dialect, n_ancestors: int | None, n_skills: int) -> Prepared:
    """The team query for one shape (n_ancestors None: anywhere), prepared once: routing is
    hot, and SQLAlchemy's execution costs more than SQLite's answer."""
    key = ("teams", dialect.name, n_ancestors, n_skills)
    if key in _STATEMENTS:
        return _STATEMENTS[key]
    query = (
        select(
            Team.id, Team.area_id, Team.skills, Team.capacity, Team.duty_start, Team.duty_end,
            Team.last_assigned_at, Team.is_partner, Area.path,
        )
        .join(Area, Area.id == Team.area_id)
        .where(_has(Team.categories, "cat_pat"))
    )
    for index in range(n_skills):
        query = query.where(_has(Team.skills, f"skill_{index}"))
    if n_ancestors is not None:
        if dialect.name == "sqlite":
            subtree = (Area.path >= bindparam("lo")) & (Area.path < bindparam("hi"))
        else:
            subtree = Area.path.like(bindparam("like"))
        # Teams in the subtree (index on area.path, then team.area_id) or at an ancestor.
        inside = Team.area_id.in_(select(Area.id).where(subtree))
        above = Team.area_id.in_([bindparam(f"ancestor_{i}") for i in range(n_ancestors)])
        query = query.where(or_(inside, above) if n_ancestors else inside)
    _STATEMENTS[key] = Prepared.compile(query.limit(TEAM_ROW_LIMIT), dialect, convert=True)
    return _STATEMENTS[key]


def _loads_statement(dialect: Dialect) -> Prepared:
    """Each team's on-duty members, speakers of a language and open tasks, prepared once."""
    key = ("team_loads", dialect.name)
    if key not in _STATEMENTS:
        member_on_duty = (TeamMember.team_id == Team.id, Volunteer.on_duty.is_(True))
        on_duty = (
            select(func.count()).select_from(TeamMember)
            .join(Volunteer, Volunteer.id == TeamMember.volunteer_id)
            .where(*member_on_duty).scalar_subquery()
        )
        speakers = (
            select(func.count()).select_from(TeamMember)
            .join(Volunteer, Volunteer.id == TeamMember.volunteer_id)
            .where(*member_on_duty, _has(Volunteer.languages, "lang_pat")).scalar_subquery()
        )
        active = (
            select(func.count()).select_from(HelpRequest)
            .where(HelpRequest.team_id == Team.id, HelpRequest.status.in_(ACTIVE_STATUSES))
            .scalar_subquery()
        )
        # One statement text for any number of teams (an IN list would be a new text, and a
        # new plan, for each length): an array on PostgreSQL, a JSON list on SQLite.
        if dialect.name == "postgresql":
            wanted = Team.id == func.any(bindparam("ids", type_=ARRAY(Integer)))
        else:
            listed = select(literal_column("value")).select_from(func.json_each(bindparam("ids")))
            wanted = Team.id.in_(listed)
        _STATEMENTS[key] = Prepared.compile(select(
            Team.id, on_duty.label("on_duty"), speakers.label("speakers"),
            active.label("active"),
        ).where(wanted), dialect)
    return _STATEMENTS[key]


def _team_rows(
    session: Session, category: str, area_prefix: str | None, ancestors: list[int],
    require: list[str],
) -> list[Any]:
    """Teams serving the category near the area (what does not change from one request to
    the next; their loads are read only for the teams that can be asked, see _team_loads)."""
    dialect = session.get_bind().dialect
    stmt = _team_statement(dialect, None if area_prefix is None else len(ancestors),
                           len(require))
    params: dict[str, Any] = {"cat_pat": _pattern(category)}
    for index, skill in enumerate(require):
        params[f"skill_{index}"] = _pattern(skill)
    if area_prefix is not None:
        params.update(lo=area_prefix, hi=area_prefix[:-1] + "0", like=area_prefix + "%")
        params.update((f"ancestor_{i}", area_id) for i, area_id in enumerate(ancestors))
    return stmt.run(session, params)


def _team_loads(session: Session, ids: list[int], lang: str) -> dict[int, tuple[int, int, int]]:
    """Team id → (on-duty members, of them speakers of lang, open tasks): correlated counts,
    indexed, one round trip."""
    dialect = session.get_bind().dialect
    listed = ids if dialect.name == "postgresql" else json.dumps(ids)
    rows = _loads_statement(dialect).run(session, {"ids": listed, "lang_pat": _pattern(lang)})
    return {team: (on_duty or 0, speakers or 0, active or 0)
            for team, on_duty, speakers, active in rows}


def rank_teams(
    session: Session,
    *,
    category: str,
    skills: list[str],
    area_path: str | None,
    lang: str,
    tz: str | None,
    now: datetime,
    limit: int = MAX_RINGS,
) -> list[dict[str, Any]]:
    """The `limit` best candidate teams for the category, each with the reasons for its place."""
    segs = segments(area_path)
    needed = set(skills)
    # Widen the search street → district → city only while too few teams with every
    # needed skill were found: most decisions read a handful of rows.
    levels = [n for n in (3, 2, 1) if n <= len(segs)] or [0]
    if not segs:
        levels = [0]
    found: dict[int, Any] = {}
    district: list[Any] | None = None
    if levels[:2] == [3, 2] and needed:
        # A request needing skills nearly always widens from the street to the district
        # (few street teams have every skill): read the district once and take the street's
        # teams out of it here (one round trip instead of two). Its street part is exactly
        # what the street query returns, unless the row limit cut it. Without skills the
        # street usually suffices, and its query reads far fewer rows.
        district = _team_rows(session, category, prefix(segs, 2), segs, [])
        if len(district) >= TEAM_ROW_LIMIT:
            district = None
    for step, level in enumerate(levels):
        # Beyond the district only teams with every needed skill are worth a ring.
        require = sorted(needed) if step >= 2 else []
        area_prefix = prefix(segs, level) if level else None
        if district is not None and step == 0 and area_prefix is not None:
            street = area_prefix
            rows_here = [row for row in district
                         if row.area_id in segs or (row.path or "").startswith(street)]
        elif district is not None and step == 1:
            rows_here = district
        else:
            rows_here = _team_rows(session, category, area_prefix, segs, require)
        for row in rows_here:
            found[row.id] = row
        complete = sum(1 for row in found.values() if needed <= set(row.skills or []))
        if complete >= MAX_RINGS:
            break
    rows = list(found.values())
    if not rows:
        return []
    # Missing skills rank first, and they are known without the loads: read the loads only
    # for the fewest-missing groups that fill `limit` (the rest can never be asked first).
    missing_of = {
        row.id: sorted(needed - set(row.skills or [])) if needed else [] for row in rows
    }
    rows.sort(key=lambda row: len(missing_of[row.id]))
    cut = min(limit, len(rows)) - 1
    worst = len(missing_of[rows[cut].id])
    rows = [row for row in rows if len(missing_of[row.id]) <= worst]
    loads = _team_loads(session, [row.id for row in rows], lang)
    hours: dict[tuple[str, str], bool] = {}  # most teams share a few duty windows
    keyed: list[tuple[tuple[Any, ...], Any, int, bool, list[str], bool, tuple[int, ...]]] = []
    for row in rows:
        if row.id not in loads:  # removed since it was read
            continue
        on_duty, speakers, active = loads[row.id]
        team_segs = segments(row.path)
        near = common_depth(segs, team_segs) if segs else 0
        covers = bool(segs) and segs[: len(team_segs)] == team_segs
        missing = missing_of[row.id]
        window = (row.duty_start, row.duty_end)
        if window not in hours:
            hours[window] = in_duty_hours(*window, now, tz)
        hours_ok = hours[window]
        key = (
            len(missing),
            not on_duty,
            active >= max(row.capacity, 1),
            -near,
            not covers,
            not hours_ok,
            not speakers,
            round(active / max(row.capacity, 1), 1),
            utc(row.last_assigned_at) or EPOCH,
            row.id,
        )
        keyed.append((key, row, near, covers, missing, hours_ok, loads[row.id]))
    keyed.sort(key=lambda item: item[0])
    # Reasons only for the teams that will be asked: building them for every row costs more
    # than ranking them.
    return [
        _team_entry(row, near, covers, missing, hours_ok, load, lang)
        for _, row, near, covers, missing, hours_ok, load in keyed[:limit]
    ]


def _team_entry(
    row: Any, near: int, covers: bool, missing: list[str], hours_ok: bool,
    load: tuple[int, ...], lang: str,
) -> dict[str, Any]:
    """A ranked team as a routing candidate, with the reasons for its place."""
    on_duty, speakers, active = load
    reasons = [NEAR_LEVELS[min(near, len(NEAR_LEVELS) - 1)]]
    if covers:
        reasons.append("covers_area")
    if row.is_partner:
        reasons.append("partner_unit")
    reasons.append("skills_missing:" + ",".join(missing) if missing else "skills_ok")
    reasons.append(f"on_duty:{on_duty}")
    reasons.append("in_duty_hours" if hours_ok else "outside_duty_hours")
    reasons.append(f"speaks_{lang}:{speakers}")
    reasons.append(f"load:{active}/{row.capacity}")
    return {"kind": "team", "team_id": row.id, "area_id": row.area_id, "reasons": reasons}


def paired_candidate(resident: Resident, override: int | None = None) -> dict[str, Any] | None:
    """The resident's 一助一 volunteer, who is asked first."""
    volunteer_id = override if override is not None else resident.paired_volunteer_id
    if volunteer_id is None:
        return None
    return {
        "kind": "paired",
        "volunteer_ids": [volunteer_id],
        "reasons": ["paired_volunteer"],
    }


def individual_candidates(
    session: Session, *, skills: list[str], area_path: str | None, lang: str, limit: int = 10
) -> dict[str, Any] | None:
    """When no team serves the category: on-duty volunteers nearby with the skills."""
    segs = segments(area_path)
    query = select(Volunteer.id).where(Volunteer.on_duty.is_(True))
    for skill in skills:
        query = query.where(json_has(Volunteer.skills, skill))
    if segs:
        areas = select(Area.id).where(under(session, prefix(segs, 2)))
        query = query.where(Volunteer.home_area_id.in_(areas))
    query = query.order_by(Volunteer.last_assigned_at.is_not(None), Volunteer.last_assigned_at)
    ids = list(session.scalars(query.limit(limit)))
    if not ids:
        return None
    return {"kind": "individuals", "volunteer_ids": ids, "reasons": ["no_team", "nearby_skilled"]}


def build_candidates(
    session: Session,
    *,
    req: HelpRequest,
    resident: Resident,
    area_path: str | None,
    now: datetime,
    paired_volunteer_id: int | None = None,
) -> list[dict[str, Any]]:
    """The rings of a request, in order: paired volunteer, best teams, else individuals."""
    lang = req.lang or resident.lang or "zh"
    if req.urgency == "emergency":
        rings: list[dict[str, Any]] = [
            {"kind": "nearby", "level": 3, "reasons": ["emergency", "same_street"]},
            {"kind": "nearby", "level": 2, "reasons": ["emergency", "same_district"]},
        ]
        paired = paired_candidate(resident, paired_volunteer_id)
        if paired:
            rings[0]["volunteer_ids"] = paired["volunteer_ids"]
        return rings
    rings = []
    paired = paired_candidate(resident, paired_volunteer_id)
    if paired:
        rings.append(paired)
    teams = rank_teams(
        session,
        category=req.category or "other",
        skills=list(req.skills or []),
        area_path=area_path,
        lang=lang,
        tz=resident.timezone,
        now=now,
        limit=MAX_RINGS - len(rings),
    )
    rings.extend(teams)
    if len(rings) < MAX_RINGS and not teams:
        individuals = individual_candidates(
            session, skills=list(req.skills or []), area_path=area_path, lang=lang
        )
        if individuals:
            rings.append(individuals)
    return rings


def _volunteer_columns() -> tuple[Any, ...]:
    """Volunteer fields plus open tasks and pending offers (correlated counts, indexed)."""
    if "volunteer_columns" not in _STATEMENTS:
        busy = (
            select(func.count()).select_from(HelpRequest)
            .where(HelpRequest.volunteer_id == Volunteer.id,
                   HelpRequest.status.in_(ACTIVE_STATUSES))
            .scalar_subquery()
        )
        waiting = (
            select(func.count()).select_from(Offer)
            .where(Offer.volunteer_id == Volunteer.id, Offer.state == "pending")
            .scalar_subquery()
        )
        _STATEMENTS["volunteer_columns"] = (
            Volunteer.id, Volunteer.languages, Volunteer.skills, Volunteer.max_tasks,
            Volunteer.last_assigned_at, Volunteer.on_duty, busy.label("busy"),
            waiting.label("waiting"),
        )
    return _STATEMENTS["volunteer_columns"]


def _team_members_statement(dialect: Dialect) -> Prepared:
    """On-duty members of one team with their loads, prepared once."""
    key = ("team_members", dialect.name)
    if key not in _STATEMENTS:
        _STATEMENTS[key] = Prepared.compile(
            select(*_volunteer_columns())
            .join(TeamMember, TeamMember.volunteer_id == Volunteer.id)
            .where(TeamMember.team_id == bindparam("team_id"), Volunteer.on_duty.is_(True)),
            dialect, convert=True,
        )
    return _STATEMENTS[key]


def eligible_volunteers(
    session: Session,
    *,
    candidate: dict[str, Any],
    req: HelpRequest,
    area_path: str | None,
    lang: str,
    exclude: set[int],
) -> list[int]:
    """The volunteers one ring offers to now: on duty, not overloaded, not asked before."""
    return [
        vid
        for vid, _ in choose_volunteers(
            session, candidate=candidate, req=req, area_path=area_path, lang=lang,
            exclude=exclude,
        )
    ]


def choose_volunteers(
    session: Session,
    *,
    candidate: dict[str, Any],
    req: HelpRequest,
    area_path: str | None,
    lang: str,
    exclude: set[int],
) -> list[tuple[int, list[str]]]:
    """eligible_volunteers with each one's languages (the offer message needs them)."""
    kind = candidate["kind"]
    cols = _volunteer_columns()
    limit = MAX_OFFERS_PER_RING
    if kind == "team":
        found = _team_members_statement(session.get_bind().dialect).run(
            session, {"team_id": candidate["team_id"]})
    elif kind in ("paired", "individuals"):
        query = select(*cols).where(Volunteer.id.in_(candidate["volunteer_ids"]))
        found = session.connection().execute(query).all()
    elif kind == "nearby":
        limit = MAX_EMERGENCY_OFFERS
        segs = segments(area_path)
        query = select(*cols).where(Volunteer.on_duty.is_(True))
        if segs:
            areas = select(Area.id).where(under(session, prefix(segs, candidate["level"])))
            query = query.where(Volunteer.home_area_id.in_(areas))
        found = session.connection().execute(query.limit(MAX_EMERGENCY_OFFERS * 3)).all()
    else:
        return []
    rows = [row for row in found if row.id not in exclude]
    extra = [vid for vid in candidate.get("volunteer_ids", []) if kind == "nearby"]
    if extra:
        known = {row.id for row in rows}
        rows += [
            row
            for row in session.execute(select(*cols).where(Volunteer.id.in_(extra))).all()
            if row.id not in exclude and row.id not in known
        ]
    if not rows:
        return []
    needed = set(req.skills or [])
    emergency = kind == "nearby"
    chosen = []
    for row in rows:
        busy = row.busy or 0
        if not emergency and (busy >= row.max_tasks or (row.waiting or 0) >= FLOOD_PENDING):
            continue
        key = (
            lang not in (row.languages or []),
            len(needed - set(row.skills or [])),
            busy,
            utc(row.last_assigned_at) or EPOCH,
            row.id,
        )
        chosen.append((key, row.id, row.languages))
    chosen.sort(key=lambda item: item[0])
    return [(vid, list(languages or [])) for _, vid, languages in chosen[:limit]]
