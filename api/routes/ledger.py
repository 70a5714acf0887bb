"""The service-hours ledger: a volunteer's records, CSV export and chain verification."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import Response

from api.deps import AnyPrincipal, SessionDep, Staff
from api.errors import forbidden, not_found
from api.render import utc
from api.routes.common import ERRORS, PathId
from api.schemas import LedgerOut, LedgerVerifyOut
from core import dispatch
from core.models import Role, ServiceRecordPublic
from core.services import crud_people, profiles

router = APIRouter(prefix="/api/v1", tags=["ledger"], responses=ERRORS)


@router.get("/volunteers/{volunteer_id}/ledger", response_model=LedgerOut)
def volunteer_ledger(
    volunteer_id: PathId, session: SessionDep, principal: AnyPrincipal
) -> LedgerOut:
    """A volunteer's service records, total hours and star level."""
    if principal.role == Role.resident:
        raise forbidden()
    volunteer = profiles.get_volunteer(session, volunteer_id=volunteer_id)
    if not crud_people.can_see_volunteer(principal, volunteer):
        raise not_found()
    ledger = dispatch.volunteer_ledger(session, volunteer_id=volunteer_id)
    records = [
        ServiceRecordPublic(
            **{k: utc(v) for k, v in ServiceRecordPublic.model_validate(r).model_dump().items()}
        )
        for r in ledger.records
    ]
    return LedgerOut(
        volunteer_id=volunteer_id, records=records, total_hours=float(ledger.total_hours),
        stars=int(ledger.stars),
    )


@router.get(
    "/ledger/export.csv",
    response_class=Response,
    responses={200: {"content": {"text/csv": {"schema": {"type": "string"}}}}},
)
def export_ledger(session: SessionDep, principal: Staff) -> Response:
    """The ledger of the caller's areas as CSV (UTF-8)."""
    # An empty scope must match nothing, never "no filter".
    area_ids = None if principal.is_admin else (sorted(principal.area_scope) or [0])
    csv_text = dispatch.export_ledger_csv(session, area_ids=area_ids)
    return Response(
        content=csv_text.encode("utf-8"),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="ledger.csv"'},
    )


@router.get("/ledger/verify", response_model=LedgerVerifyOut)
def verify_ledger(session: SessionDep, principal: Staff) -> LedgerVerifyOut:
    """Check the hash chain of the whole ledger."""
    report = dispatch.verify_ledger(session)
    return LedgerVerifyOut(ok=report.ok, count=report.count, problems=list(report.problems))
