"""Deleting a team when nothing refers to it."""

from __future__ import annotations

from sqlalchemy import func
from sqlmodel import Session, select

from core.exceptions import NotAllowed, NotFound
from core.models import HelpRequest, Offer, ServiceRecord, Team, TeamMember


def delete_team(session: Session, *, team_id: int) -> None:
    """Remove a team (and its memberships); NotAllowed (uses=[…]) while history refers to it."""
    team = session.get(Team, team_id)
    if team is None:
        raise NotFound("team not found", team_id=team_id)
    uses = []
    for label, model, column in (
        ("subteams", Team, Team.parent_id),
        ("requests", HelpRequest, HelpRequest.team_id),
        ("offers", Offer, Offer.team_id),
        ("ledger", ServiceRecord, ServiceRecord.team_id),
    ):
        count = session.exec(select(func.count()).select_from(model).where(column == team_id)).one()
        if count:
            uses.append(label)
    if uses:
        raise NotAllowed(f"team {team_id} is in use", uses=uses)
    for member in session.exec(select(TeamMember).where(TeamMember.team_id == team_id)):
        session.delete(member)
    session.flush()
    session.delete(team)
    session.commit()
