"""Volunteer teams (a tree over the area tree), membership and invite links."""

from __future__ import annotations

import hashlib
import hmac

from sqlmodel import Session, col, select

from core.exceptions import AlreadyExists, NotFound
from core.models import Team, TeamCreate, TeamMember, TeamRole, TeamUpdate, Volunteer
from core.services import _validate as v
from core.settings import Settings

# city/district/street/community follow the area tree; "unit" is a partner unit (爱心单位).
TEAM_LEVELS: tuple[str, ...] = ("city", "district", "street", "community", "unit")
ASSOCIATIONS: tuple[str, ...] = ("blind", "deaf", "physical", "intellectual_psychosocial")
INVITE_PREFIX = "team-"
_SIG_CHARS = 16  # 64 bits of HMAC: the deep link stays well under Telegram's 64 characters


def _check_team_fields(team: TeamCreate | Team) -> None:
    if team.level not in TEAM_LEVELS:
        raise v.invalid(f"unknown team level {team.level!r}", "profile.invalid.level",
                        value=team.level)
    if team.association is not None and team.association not in ASSOCIATIONS:
        raise v.invalid(f"unknown association {team.association!r}",
                        "profile.invalid.association", value=team.association)


def create_team(session: Session, *, data: TeamCreate) -> Team:
    """A new team in an area, optionally under a parent team."""
    v.code(data.code)
    if session.exec(select(Team).where(Team.code == data.code)).first() is not None:
        raise AlreadyExists(f"team code {data.code!r} exists", kind="team", code=data.code)
    _check_team_fields(data)
    v.area_exists(session, data.area_id)
    if data.parent_id is not None and session.get(Team, data.parent_id) is None:
        raise v.invalid(f"no parent team {data.parent_id}", "profile.invalid.team",
                        value=data.parent_id)
    team = Team(
        code=data.code,
        name_zh=v.name(data.name_zh, field="name_zh"),
        name_en=v.name(data.name_en, field="name_en"),
        area_id=data.area_id,
        level=data.level,
        parent_id=data.parent_id,
        categories=v.categories(data.categories),
        skills=v.skills(data.skills),
        capacity=v.positive(data.capacity, field="capacity"),
        duty_start=v.hhmm(data.duty_start, field="duty_start"),
        duty_end=v.hhmm(data.duty_end, field="duty_end"),
        is_partner=data.is_partner,
        association=data.association,
    )
    session.add(team)
    session.commit()
    session.refresh(team)
    return team


def get_team(session: Session, *, team_id: int) -> Team:
    """One team, or NotFound."""
    return v.get_or_404(session, Team, team_id, "team")


def get_team_by_code(session: Session, *, code: str) -> Team:
    """The team with that code, or NotFound."""
    team = session.exec(select(Team).where(Team.code == code)).first()
    if team is None:
        raise NotFound(f"no team with code {code!r}", kind="team", code=code)
    return team


def update_team(session: Session, *, team_id: int, data: TeamUpdate) -> Team:
    """Change the fields given in data (each checked)."""
    team = get_team(session, team_id=team_id)
    given = data.model_dump(exclude_unset=True)
    checks = {
        "name_zh": lambda x: v.name(x, field="name_zh"),
        "name_en": lambda x: v.name(x, field="name_en"),
        "categories": lambda x: v.categories(x or []),
        "skills": lambda x: v.skills(x or []),
        "capacity": lambda x: v.positive(int(x or 0), field="capacity"),
        "duty_start": lambda x: v.hhmm(x, field="duty_start"),
        "duty_end": lambda x: v.hhmm(x, field="duty_end"),
    }
    for field, value in given.items():
        setattr(team, field, checks[field](value))
    session.add(team)
    session.commit()
    session.refresh(team)
    return team


def list_teams(session: Session, *, area_id: int | None = None) -> list[Team]:
    """All teams, or the teams of one area, by id."""
    query = select(Team)
    if area_id is not None:
        query = query.where(Team.area_id == area_id)
    return list(session.exec(query.order_by(col(Team.id))).all())


def add_member(
    session: Session, *, team_id: int, volunteer_id: int, role: str = TeamRole.member
) -> TeamMember:
    """Put a volunteer in a team; a new leader replaces the old one (who stays a member)."""
    get_team(session, team_id=team_id)
    v.get_or_404(session, Volunteer, volunteer_id, "volunteer")
    if role not in {r.value for r in TeamRole}:
        raise v.invalid(f"unknown team role {role!r}", "profile.invalid.team_role", value=role)
    if session.get(TeamMember, (team_id, volunteer_id)) is not None:
        raise AlreadyExists(f"volunteer {volunteer_id} is already in team {team_id}",
                            kind="team_member")
    if role == TeamRole.leader:
        _demote_leaders(session, team_id)
    member = TeamMember(team_id=team_id, volunteer_id=volunteer_id, role=str(role))
    session.add(member)
    session.commit()
    session.refresh(member)
    return member


def set_member_role(session: Session, *, team_id: int, volunteer_id: int, role: str) -> TeamMember:
    """Change a member's role (making someone leader demotes the previous leader)."""
    member = session.get(TeamMember, (team_id, volunteer_id))
    if member is None:
        raise NotFound(f"volunteer {volunteer_id} is not in team {team_id}", kind="team_member")
    if role not in {r.value for r in TeamRole}:
        raise v.invalid(f"unknown team role {role!r}", "profile.invalid.team_role", value=role)
    if role == TeamRole.leader:
        _demote_leaders(session, team_id)
    member.role = str(role)
    session.add(member)
    session.commit()
    session.refresh(member)
    return member


def _demote_leaders(session: Session, team_id: int) -> None:
    query = select(TeamMember).where(TeamMember.team_id == team_id,
                                     TeamMember.role == TeamRole.leader)
    for old in session.exec(query).all():
        old.role = TeamRole.member
        session.add(old)


def remove_member(session: Session, *, team_id: int, volunteer_id: int) -> None:
    """Take a volunteer out of a team; NotFound when they were not in it."""
    member = session.get(TeamMember, (team_id, volunteer_id))
    if member is None:
        raise NotFound(f"volunteer {volunteer_id} is not in team {team_id}", kind="team_member")
    session.delete(member)
    session.commit()


def team_members(session: Session, *, team_id: int) -> list[TeamMember]:
    """The memberships of a team: the leader first, then by volunteer id."""
    get_team(session, team_id=team_id)
    rows = session.exec(select(TeamMember).where(TeamMember.team_id == team_id)).all()
    return sorted(rows, key=lambda m: (m.role != TeamRole.leader, m.volunteer_id))


def team_volunteers(
    session: Session, *, team_id: int, on_duty: bool | None = None
) -> list[Volunteer]:
    """The volunteers of a team (only those on/off duty when asked), by id."""
    get_team(session, team_id=team_id)
    query = (
        select(Volunteer)
        .join(TeamMember, col(TeamMember.volunteer_id) == col(Volunteer.id))
        .where(TeamMember.team_id == team_id)
    )
    if on_duty is not None:
        query = query.where(Volunteer.on_duty == on_duty)
    return list(session.exec(query.order_by(col(Volunteer.id))).all())


def volunteer_teams(session: Session, *, volunteer_id: int) -> list[Team]:
    """The teams a volunteer belongs to, by id."""
    query = (
        select(Team)
        .join(TeamMember, col(TeamMember.team_id) == col(Team.id))
        .where(TeamMember.volunteer_id == volunteer_id)
    )
    return list(session.exec(query.order_by(col(Team.id))).all())


def _invite_secret(settings: Settings) -> bytes:
    return settings.signing_key("team-invite")


def _signature(settings: Settings, team: Team) -> str:
    message = f"{team.id}:{team.code}".encode()
    return hmac.new(_invite_secret(settings), message, hashlib.sha256).hexdigest()[:_SIG_CHARS]


def create_invite_code(session: Session, *, settings: Settings, team_id: int) -> str:
    """An invite code '<team id>-<signature>'; the Telegram deep link is 'team-' + code."""
    team = get_team(session, team_id=team_id)
    return f"{team.id}-{_signature(settings, team)}"


def invite_deep_link_payload(code: str) -> str:
    """The /start payload of an invite code ('team-<code>')."""
    return INVITE_PREFIX + code


def team_for_invite(session: Session, *, settings: Settings, code: str) -> Team:
    """The team an invite code (or 'team-<code>' payload) belongs to; InvalidInput when forged."""
    raw = code.strip()
    if raw.startswith(INVITE_PREFIX):
        raw = raw[len(INVITE_PREFIX):]
    team_part, _, signature = raw.partition("-")
    if not team_part.isdigit() or len(signature) != _SIG_CHARS:
        raise v.invalid("not an invite code", "profile.invalid.invite")
    team = session.get(Team, int(team_part))
    if team is None or not hmac.compare_digest(signature, _signature(settings, team)):
        raise v.invalid("not a valid invite code", "profile.invalid.invite")
    return team


def join_by_invite(
    session: Session, *, settings: Settings, code: str, volunteer_id: int
) -> TeamMember:
    """Add a volunteer to the team of a valid invite (already a member: that membership)."""
    team = team_for_invite(session, settings=settings, code=code)
    v.get_or_404(session, Volunteer, volunteer_id, "volunteer")
    existing = session.get(TeamMember, (team.id, volunteer_id))
    if existing is not None:
        return existing
    assert team.id is not None
    return add_member(session, team_id=team.id, volunteer_id=volunteer_id)

