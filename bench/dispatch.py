"""Dispatch benchmark: routing decision p95 on a city-sized database, and end-to-end throughput.

    python bench/dispatch.py                 # SQLite (a temporary file)
    python bench/dispatch.py --pg postgresql://user:pw@host:5432/postgres

Fills the database with synthetic data (10,000 volunteers, 1,000 teams, 100,000 past
requests by default) using bulk inserts, then prints:
  - the routing decision time (rank candidates + choose the first ring's volunteers), p50/p95;
  - requests classified, routed and offered per second, filed as the API files them
    (create_request with confirmed_by: routed in the classification's transaction), from one
    process and from several at once (--processes, default one per core).
Targets: p95 < 10 ms, throughput >= 200 requests/s on SQLite.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import random
import statistics
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import create_engine, event, insert, text  # noqa: E402

from core import dispatch  # noqa: E402
from core.db import make_engine, session_factory, upgrade_schema  # noqa: E402
from core.dispatch.matching import build_candidates, eligible_volunteers  # noqa: E402
from core.models import (  # noqa: E402
    Area,
    HelpRequest,
    Resident,
    Team,
    TeamMember,
    Volunteer,
)
from core.prepared import Prepared  # noqa: E402
from core.settings import Settings  # noqa: E402

CATEGORIES = ["escort", "reading", "sign_language", "daily_living", "errands", "health",
              "repair", "legal", "employment", "education", "companionship", "digital",
              "accessibility", "culture_sports"]
SKILLS = ["sign_language", "braille", "guiding", "wheelchair", "first_aid", "driving",
          "nursing", "legal", "it", "repair", "tutoring", "counselling"]
TEXTS = {
    "escort": "明天上午请人陪我去医院复查",
    "reading": "please read a letter from the bank for me",
    "errands": "帮我买点菜和药",
    "repair": "my wheelchair wheel is broken",
    "companionship": "我一个人在家很孤单，想找人聊聊天",
    "digital": "手机上的健康码不会用",
}
NOW = datetime(2026, 5, 4, 2, 0, tzinfo=UTC)


def _chunks(rows: list[dict[str, Any]], size: int = 5000):
    for start in range(0, len(rows), size):
        yield rows[start:start + size]


def fill(url: str, *, volunteers: int, teams: int, requests: int, seed: int = 1) -> dict:
    """Bulk-insert a synthetic city: 10 districts × 10 streets × 10 communities."""
    rng = random.Random(seed)
    engine = make_engine(url)
    areas: list[dict[str, Any]] = []
    communities: list[int] = []
    aid = 0

    def add(code: str, level: str, parent: dict | None) -> dict:
        nonlocal aid
        aid += 1
        path = (parent["path"] if parent else "/") + f"{aid}/"
        row = {"id": aid, "code": code, "level": level, "name_zh": code, "name_en": code,
               "aliases": [], "parent_id": parent["id"] if parent else None, "path": path,
               "depth": path.count("/") - 2}
        areas.append(row)
        return row

    city = add("city", "city", None)
    districts, streets = [], []
    for d in range(10):
        dist = add(f"d{d}", "district", city)
        districts.append(dist["id"])
        for s in range(10):
            street = add(f"d{d}s{s}", "street", dist)
            streets.append(street["id"])
            for c in range(10):
                communities.append(add(f"d{d}s{s}c{c}", "community", street)["id"])
    team_rows = []
    places = districts + streets
    places += rng.sample(communities, max(0, teams - len(places)))
    for tid, area_id in enumerate(places[:teams], start=1):
        level = "district" if area_id in districts else "street" if area_id in streets else \
            "community"
        team_rows.append({
            "id": tid, "code": f"t{tid}", "name_zh": f"队{tid}", "name_en": f"team {tid}",
            "area_id": area_id, "level": level, "parent_id": None,
            "categories": rng.sample(CATEGORIES, rng.randint(4, 8)),
            "skills": rng.sample(SKILLS, rng.randint(1, 4)), "capacity": 10,
            "duty_start": "00:00", "duty_end": "23:59", "is_partner": rng.random() < 0.05,
            "association": None, "last_assigned_at": None,
        })
    vol_rows, members = [], []
    for vid in range(1, volunteers + 1):
        team = team_rows[(vid - 1) % len(team_rows)]
        vol_rows.append({
            "id": vid, "name": f"v{vid}", "name_en": None, "phone": None,
            "languages": ["zh"] if rng.random() < 0.9 else ["en", "zh"],
            "skills": rng.sample(SKILLS, rng.randint(0, 3)), "home_area_id": team["area_id"],
            "service_area_ids": [], "on_duty": rng.random() < 0.6, "max_tasks": 3,
            "code": None, "telegram_id": None, "last_assigned_at": None,
            "created_at": NOW,
        })
        members.append({"team_id": team["id"], "volunteer_id": vid, "role": "member"})
    res_rows = [
        {"id": rid, "name": f"r{rid}", "lang": "zh" if rng.random() < 0.9 else "en",
         "disability_types": [rng.choice(["visual", "hearing", "physical", "intellectual"])],
         "mode": "text", "area_id": rng.choice(communities), "address": "addr", "phone": "1",
         "emergency_contact": None, "paired_volunteer_id": None, "timezone": "Asia/Shanghai",
         "code": None, "telegram_id": None, "web_id": None, "consent_at": NOW, "created_at": NOW}
        for rid in range(1, 5001)
    ]
    req_rows = []
    for qid in range(1, requests + 1):
        resident = res_rows[rng.randrange(len(res_rows))]
        team = team_rows[rng.randrange(len(team_rows))]
        roll = rng.random()
        status = "confirmed" if roll < 0.9 else "cancelled" if roll < 0.98 else \
            rng.choice(["accepted", "in_progress"])
        at = NOW - timedelta(minutes=rng.randint(60, 60 * 24 * 365))
        req_rows.append({
            "id": qid, "resident_id": resident["id"], "text": "past", "lang": "zh",
            "area_id": resident["area_id"], "carer_id": None, "channel": "api",
            "transcript": None, "audio_path": None, "photo_path": None, "status": status,
            "category": rng.choice(team["categories"]), "urgency": "normal", "confidence": 1.0,
            "skills": [], "classification": {}, "time_start": None, "time_end": None,
            "place_area_id": None, "team_id": team["id"],
            "volunteer_id": rng.randint(1, volunteers), "ring": 0, "routing": {},
            "deadline": None, "hours_reported": 2.0, "note": None, "pair_id": None,
            "created_at": at, "updated_at": at, "first_offer_at": at, "accepted_at": at,
            "done_at": None, "closed_at": None,
        })
    with engine.begin() as conn:
        for table, rows in ((Area, areas), (Team, team_rows), (Volunteer, vol_rows),
                            (TeamMember, members), (Resident, res_rows), (HelpRequest, req_rows)):
            for chunk in _chunks(rows):
                conn.execute(insert(table), chunk)
        if engine.dialect.name == "postgresql":
            for table in ("area", "team", "volunteer", "resident", "helprequest"):
                conn.execute(text(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                    f"(SELECT max(id) FROM {table}))"))
            conn.execute(text("ANALYZE"))
        else:
            conn.execute(text("ANALYZE"))
    engine.dispose()
    return {"residents": [r["id"] for r in res_rows], "communities": communities}


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def bench_routing(
    url: str, residents: list[int], n: int, seed: int = 2, cpu_ms: list[float] | None = None
) -> list[float]:
    """Time one routing decision: candidates ranked and the first ring's volunteers chosen."""
    rng = random.Random(seed)
    sessions = session_factory(make_engine(url))
    times: list[float] = []
    cpu_ms = cpu_ms if cpu_ms is not None else []
    with sessions() as session:
        for i in range(n + 20):
            resident = session.get(Resident, rng.choice(residents))
            category = rng.choice(CATEGORIES)
            req = HelpRequest(resident_id=resident.id, category=category, urgency="normal",
                              skills=[], lang=resident.lang, area_id=resident.area_id)
            start = time.perf_counter()
            cpu = time.process_time()
            area = session.get(Area, req.area_id)
            rings = build_candidates(session, req=req, resident=resident,
                                     area_path=area.path, now=NOW)
            for ring in rings:
                if eligible_volunteers(session, candidate=ring, req=req, area_path=area.path,
                                       lang=req.lang, exclude=set()):
                    break
            elapsed = (time.perf_counter() - start) * 1000
            cpu_ms.append((time.process_time() - cpu) * 1000)
            session.expunge_all()
            if i >= 20:  # warm-up excluded
                times.append(elapsed)
    del cpu_ms[:20]
    return times


def baseline_ms(url: str, residents: list[int], n: int = 300) -> float:
    """p50 of a primary-key SELECT through the ORM: how fast this machine is right now."""
    rng = random.Random(4)
    sessions = session_factory(make_engine(url))
    times = []
    with sessions() as session:
        for _ in range(n):
            start = time.perf_counter()
            session.get(Resident, rng.choice(residents))
            times.append((time.perf_counter() - start) * 1000)
            session.expunge_all()
    return statistics.median(times)


def count_round_trips(engine: Any, counts: dict[str, int]) -> None:
    """Count the SQL statements and commits the engine sends (diagnostics of the bench)."""

    @event.listens_for(engine, "before_cursor_execute")
    def _statement(*_: Any) -> None:
        counts["statements"] += 1

    @event.listens_for(engine, "commit")
    def _commit(*_: Any) -> None:
        counts["commits"] += 1

    _PREPARED_COUNTS[:] = [counts]


# The hot reads run on the DB-API cursor (core/prepared.py), where engine events do not see
# them: they are counted into the counts of the engine counted last.
_PREPARED_COUNTS: list[dict[str, int]] = []
_prepared_rows = Prepared.rows


def _counted_rows(self: Prepared, connection: Any, given: dict[str, Any]) -> list[Any]:
    for counts in _PREPARED_COUNTS:
        counts["statements"] += 1
    return _prepared_rows(self, connection, given)


Prepared.rows = _counted_rows  # type: ignore[method-assign]


def _file_requests(session: Any, settings: Settings, residents: list[int], n: int,
                   rng: random.Random, classify: bool) -> None:
    """n requests filed as POST /api/v1/requests does: stored and committed, classified, and
    (no read-back step for an API client) routed and offered in the classification's
    transaction; the few the classifier is unsure of are confirmed with a category after."""
    items = list(TEXTS.items())
    for _ in range(n):
        cat, words = rng.choice(items)
        req = dispatch.create_request(session, settings=settings,
                                      resident_id=rng.choice(residents), text=words,
                                      category=None if classify else cat, now=NOW,
                                      confirmed_by="system")
        if req.status in ("classified", "needs_clarification"):
            dispatch.confirm_request(session, settings=settings, request_id=req.id,
                                     actor="system", category=req.category or cat, now=NOW)
        session.expunge_all()


def _classifier_mode() -> str:
    try:
        import core.classifier  # noqa: F401
    except ImportError:
        return "category given (core.classifier not importable)"
    return "classifier"


def bench_end_to_end(
    url: str, residents: list[int], n: int, seed: int = 3, counts: dict[str, int] | None = None
) -> tuple[float, float, str]:
    """create_request (classification) + confirm_request (routing + offers), per second."""
    rng = random.Random(seed)
    settings = Settings(database_url=url)
    engine = make_engine(url)
    counts = counts if counts is not None else {}
    counts.update(statements=0, commits=0)
    count_round_trips(engine, counts)
    sessions = session_factory(engine)
    mode = _classifier_mode()
    with sessions() as session:
        # Warm-up (and the classifier's first load) outside the timing.
        _file_requests(session, settings, residents, 5, rng, mode == "classifier")
        counts.update(statements=0, commits=0)
        start = time.perf_counter()
        cpu = time.process_time()
        _file_requests(session, settings, residents, n, rng, mode == "classifier")
        elapsed = time.perf_counter() - start
        cpu_s = time.process_time() - cpu
    engine.dispose()
    return n / elapsed, n / cpu_s, mode


def _e2e_process(url: str, residents: list[int], n: int, seed: int, ready: Any,
                 out: Any) -> None:
    """One of several processes filing requests into the same database at the same time."""
    settings = Settings(database_url=url)
    engine = make_engine(url)
    sessions = session_factory(engine)
    rng = random.Random(seed)
    classify = _classifier_mode() == "classifier"
    with sessions() as session:
        _file_requests(session, settings, residents, 5, rng, classify)
        ready.wait()
        start = time.perf_counter()
        _file_requests(session, settings, residents, n, rng, classify)
        out.put((start, time.perf_counter()))
    engine.dispose()


def bench_end_to_end_parallel(url: str, residents: list[int], n: int, processes: int) -> float:
    """Requests per second when `processes` processes (as several `lightwing api` would) file
    n requests between them into one database at the same time."""
    context = multiprocessing.get_context("spawn")
    ready = context.Barrier(processes)
    out = context.Queue()
    each = max(1, n // processes)
    workers = [
        context.Process(target=_e2e_process, args=(url, residents, each, 10 + i, ready, out))
        for i in range(processes)
    ]
    for worker in workers:
        worker.start()
    spans = [out.get(timeout=600) for _ in workers]
    for worker in workers:
        worker.join()
        if worker.exitcode != 0:
            raise RuntimeError(f"a bench process failed (exit code {worker.exitcode})")
    elapsed = max(end for _, end in spans) - min(start for start, _ in spans)
    return each * processes / elapsed


def run(url: str, label: str, args: argparse.Namespace) -> None:
    upgrade_schema(url)
    t0 = time.perf_counter()
    data = fill(url, volunteers=args.volunteers, teams=args.teams, requests=args.requests)
    print(f"[{label}] filled {args.volunteers} volunteers, {args.teams} teams, "
          f"{args.requests} past requests in {time.perf_counter() - t0:.1f} s")
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"[{label}] machine: load average {load:.1f} on {os.cpu_count()} cores; "
          f"primary-key SELECT p50 {baseline_ms(url, data['residents']):.3f} ms")
    cpu_ms: list[float] = []
    times = bench_routing(url, data["residents"], args.routes, cpu_ms=cpu_ms)
    print(f"[{label}] routing decision: p50 {statistics.median(times):.2f} ms, "
          f"p95 {pct(times, 0.95):.2f} ms, max {max(times):.2f} ms over {len(times)} "
          f"(target p95 < 10 ms); this process's CPU time per decision p50 "
          f"{statistics.median(cpu_ms):.2f} ms, p95 {pct(cpu_ms, 0.95):.2f} ms")
    counts: dict[str, int] = {}
    rate, cpu_rate, mode = bench_end_to_end(url, data["residents"], args.e2e, counts=counts)
    print(f"[{label}] end to end (classify + route + offer): {rate:.0f} requests/s wall, "
          f"{cpu_rate:.0f} requests/s of this process's CPU time, over {args.e2e} "
          f"[{mode}] (target >= 200/s on SQLite); per request "
          f"{counts['statements'] / args.e2e:.1f} SQL statements, "
          f"{counts['commits'] / args.e2e:.1f} commits")
    if args.processes > 1:
        parallel = bench_end_to_end_parallel(url, data["residents"], args.e2e, args.processes)
        print(f"[{label}] end to end with {args.processes} processes on one database (as "
              f"several `lightwing api`): {parallel:.0f} requests/s wall "
              f"(target >= 200/s on SQLite)")


def main() -> None:
    """Run the benchmark on SQLite, and on PostgreSQL when --pg is given."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pg", help="PostgreSQL server URL (a temporary database is made)")
    parser.add_argument("--volunteers", type=int, default=10_000)
    parser.add_argument("--teams", type=int, default=1_000)
    parser.add_argument("--requests", type=int, default=100_000)
    parser.add_argument("--routes", type=int, default=500)
    parser.add_argument("--e2e", type=int, default=1_000)
    parser.add_argument("--processes", type=int, default=os.cpu_count() or 1,
                        help="also file the e2e requests from this many processes at once")
    parser.add_argument("--skip-sqlite", action="store_true")
    args = parser.parse_args()
    if not args.skip_sqlite:
        with tempfile.TemporaryDirectory() as tmp:
            run(f"sqlite:///{tmp}/bench.db", "sqlite", args)
    if args.pg:
        server = args.pg
        for prefix in ("postgres://", "postgresql://"):
            if server.startswith(prefix):
                server = "postgresql+psycopg://" + server[len(prefix):]
        name = f"lw_bench_{uuid.uuid4().hex[:8]}"
        admin = create_engine(server, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        try:
            run(server.rsplit("/", 1)[0] + f"/{name}", "postgresql", args)
        finally:
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            admin.dispose()


if __name__ == "__main__":
    main()
