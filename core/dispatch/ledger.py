"""The service-hours ledger: hash-chained records, verification, star levels, CSV, certificate."""

from __future__ import annotations

import csv
import hashlib
import html
import io
from dataclasses import dataclass, field
from datetime import UTC, datetime

from sqlalchemy import or_, select, text
from sqlmodel import Session

from core import texts
from core.dispatch.common import category_label, utc, zone
from core.exceptions import NotFound
from core.models import Area, HelpRequest, Resident, ServiceRecord, Team, Volunteer

GENESIS = "0" * 64
# Cumulative hours for 1★ … 5★ (Ministry of Civil Affairs volunteer star levels).
STAR_THRESHOLDS: tuple[float, ...] = (100, 300, 600, 1000, 1500)
# Any fixed number: the PostgreSQL advisory lock that serialises appends to the chain.
LEDGER_LOCK_ID = 4_242_001


@dataclass
class LedgerReport:
    """The outcome of verify_ledger."""

    ok: bool
    count: int
    problems: list[str] = field(default_factory=list)


@dataclass
class VolunteerLedger:
    """One volunteer's records, total hours and star level."""

    volunteer_id: int
    records: list[ServiceRecord]
    total_hours: float
    stars: int


def star_level(hours: float) -> int:
    """0–5 stars from cumulative hours (1★ 100 h, 2★ 300 h, 3★ 600 h, 4★ 1000 h, 5★ 1500 h)."""
    return sum(1 for threshold in STAR_THRESHOLDS if hours >= threshold)


def record_hash(record: ServiceRecord) -> str:
    """sha256 over the record's canonical fields and the previous record's hash."""
    parts = [
        str(record.request_id),
        str(record.volunteer_id),
        "" if record.team_id is None else str(record.team_id),
        "" if record.recipient_area_id is None else str(record.recipient_area_id),
        record.category,
        record.service_date.isoformat(),
        f"{float(record.hours):.2f}",
        "" if record.rating is None else str(record.rating),
        record.prev_hash,
    ]
    return hashlib.sha256("|".join(parts).encode("utf-8")).hexdigest()


def append_record(
    session: Session, *, req: HelpRequest, hours: float, rating: int | None, now: datetime
) -> ServiceRecord:
    """Add the request's record at the end of the chain (inside the caller's transaction).

    PostgreSQL: a transaction-scoped advisory lock makes concurrent appends wait their turn.
    SQLite: the caller's earlier UPDATE already holds the database write lock.
    """
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:id)"), {"id": LEDGER_LOCK_ID})
    last = session.scalar(select(ServiceRecord.hash).order_by(ServiceRecord.id.desc()).limit(1))
    resident = session.get(Resident, req.resident_id)
    tz = resident.timezone if resident else None
    when = utc(req.done_at) or now
    record = ServiceRecord(
        request_id=req.id or 0,
        volunteer_id=req.volunteer_id or 0,
        team_id=req.team_id,
        recipient_area_id=req.area_id,
        category=req.category or "other",
        service_date=when.astimezone(zone(tz)).date(),
        hours=round(float(hours), 2),
        rating=rating,
        prev_hash=last or GENESIS,
        hash="",
        created_at=now,
    )
    record.hash = record_hash(record)
    session.add(record)
    session.flush()
    return record


def verify_ledger(session: Session) -> LedgerReport:
    """Walk the chain: an edited record breaks its hash, a removed one breaks the next link,
    and a confirmed request without a record shows a removed last record."""
    problems: list[str] = []
    previous = GENESIS
    count = 0
    for record in session.scalars(select(ServiceRecord).order_by(ServiceRecord.id)):
        count += 1
        if record.prev_hash != previous:
            problems.append(f"record:{record.id}:chain_broken")
        if record_hash(record) != record.hash:
            problems.append(f"record:{record.id}:hash_mismatch")
        previous = record.hash
    missing = session.scalars(
        select(HelpRequest.id)
        .where(HelpRequest.status == "confirmed")
        .where(HelpRequest.id.not_in(select(ServiceRecord.request_id)))
        .order_by(HelpRequest.id)
    )
    problems += [f"request:{rid}:record_missing" for rid in missing]
    return LedgerReport(ok=not problems, count=count, problems=problems)


def volunteer_ledger(session: Session, *, volunteer_id: int) -> VolunteerLedger:
    """A volunteer's records (oldest first), total hours and stars."""
    if session.get(Volunteer, volunteer_id) is None:
        raise NotFound("volunteer not found", volunteer_id=volunteer_id)
    records = list(
        session.scalars(
            select(ServiceRecord)
            .where(ServiceRecord.volunteer_id == volunteer_id)
            .order_by(ServiceRecord.service_date, ServiceRecord.id)
        )
    )
    total = round(sum(r.hours for r in records), 2)
    return VolunteerLedger(volunteer_id=volunteer_id, records=records, total_hours=total,
                           stars=star_level(total))


CSV_COLUMNS = (
    "id", "service_date", "volunteer_id", "volunteer_name", "team_id", "recipient_area_id",
    "category", "hours", "rating", "request_id", "prev_hash", "hash",
)


def export_ledger_csv(session: Session, *, area_ids: list[int] | None = None) -> str:
    """The ledger as CSV; with area_ids, only services to residents in those areas (or below)."""
    query = (
        select(ServiceRecord, Volunteer.name)
        .join(Volunteer, Volunteer.id == ServiceRecord.volunteer_id)
        .order_by(ServiceRecord.id)
    )
    if area_ids is not None:
        paths = list(session.scalars(select(Area.path).where(Area.id.in_(area_ids))))
        if not paths:
            query = query.where(ServiceRecord.id.is_(None))
        else:
            inside = select(Area.id).where(or_(*[Area.path.like(p + "%") for p in paths]))
            query = query.where(ServiceRecord.recipient_area_id.in_(inside))
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for record, name in session.execute(query):
        writer.writerow([
            record.id, record.service_date.isoformat(), record.volunteer_id, name,
            record.team_id or "", record.recipient_area_id or "", record.category,
            f"{record.hours:.2f}", record.rating or "", record.request_id, record.prev_hash,
            record.hash,
        ])
    return out.getvalue()


def certificate_html(session: Session, *, volunteer_id: int, lang: str) -> str:
    """A printable certificate of a volunteer's confirmed service hours."""
    volunteer = session.get(Volunteer, volunteer_id)
    if volunteer is None:
        raise NotFound("volunteer not found", volunteer_id=volunteer_id)
    code = texts.normalise_lang(lang)
    ledger = volunteer_ledger(session, volunteer_id=volunteer_id)
    name = volunteer.name_en if code == "en" and volunteer.name_en else volunteer.name
    team_ids = {r.team_id for r in ledger.records if r.team_id is not None}
    team_name = Team.name_en if code == "en" else Team.name_zh
    teams: dict[int, str] = {
        tid: str(name)
        for tid, name in session.execute(select(Team.id, team_name).where(Team.id.in_(team_ids)))
    }

    def t(key: str, **values: object) -> str:
        return html.escape(texts.get(f"dispatch.certificate.{key}", code, **values))

    rows = "\n".join(
        "<tr><td>{}</td><td>{}</td><td>{}</td><td>{:.2f}</td><td>{}</td></tr>".format(
            r.service_date.isoformat(),
            html.escape(category_label(r.category, code)),
            html.escape(teams.get(r.team_id, "") if r.team_id else ""),
            r.hours,
            r.rating or "",
        )
        for r in ledger.records
    )
    last_hash = ledger.records[-1].hash if ledger.records else GENESIS
    issued = datetime.now(UTC).date().isoformat()
    return f"""<!doctype html>
<html lang="{code}">
<head><meta charset="utf-8"><title>{t("title")}</title>
<style>
body {{ font-family: "Noto Sans CJK SC", sans-serif; font-size: 18px; margin: 2em; }}
h1 {{ font-size: 2em; }} table {{ border-collapse: collapse; width: 100%; }}
th, td {{ border: 1px solid #333; padding: .4em; text-align: left; }}
@media print {{ body {{ margin: 1cm; }} }}
</style></head>
<body>
<main>
<h1>{t("title")}</h1>
<p>{t("body", name=name, hours=f"{ledger.total_hours:.2f}", count=len(ledger.records))}</p>
<p>{t("stars", stars=ledger.stars)}</p>
<table>
<caption>{t("table_caption")}</caption>
<thead><tr><th scope="col">{t("date")}</th><th scope="col">{t("category")}</th>
<th scope="col">{t("team")}</th><th scope="col">{t("hours")}</th>
<th scope="col">{t("rating")}</th></tr></thead>
<tbody>
{rows}
</tbody>
</table>
<p>{t("issued", date=issued)}</p>
<p>{t("verify", hash=last_hash)}</p>
</main>
</body>
</html>
"""
