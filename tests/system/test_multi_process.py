"""Several real processes on one PostgreSQL database: 2 APIs + 2 workers take 1,000 requests
while offers time out and widen; a worker killed with SIGKILL mid-widening loses nothing."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import httpx
import pytest
from sqlalchemy import create_engine, text

from tests.system import invariants
from tests.system.processes import Proc, api_proc, base_env, processes, run_cli, worker_proc

DATA = Path(__file__).resolve().parent / "data"
ADMIN_KEY = "lw-system-admin-key-7f3a"
# Short offer deadlines: every ring times out within the test, so the workers widen for real.
FAST = {
    "LIGHTWING_DEADLINE_EMERGENCY": "2",
    "LIGHTWING_DEADLINE_URGENT": "2",
    "LIGHTWING_DEADLINE_NORMAL": "2",
    "LIGHTWING_DEADLINE_FLEXIBLE": "2",
    "LIGHTWING_WORKER_INTERVAL": "0.2",
    "LIGHTWING_RATE_LIMIT": "1000000",
    "LIGHTWING_ADMIN_KEY": ADMIN_KEY,
}


def load_texts() -> list[str]:
    """Request texts of the load (data file, comments skipped)."""
    lines = (DATA / "load_texts.txt").read_text(encoding="utf-8").splitlines()
    return [line for line in lines if line.strip() and not line.startswith("#")]


def resident_ids(url: str) -> list[int]:
    """Residents of the demo district."""
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return [r[0] for r in conn.execute(text("SELECT id FROM resident ORDER BY id"))]
    finally:
        engine.dispose()


def scalar(url: str, sql: str) -> int:
    """One number from the database."""
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return int(conn.execute(text(sql)).scalar() or 0)
    finally:
        engine.dispose()


def post_requests(bases: list[str], residents: list[int], count: int,
                  clients: int = 8) -> tuple[set[int], list[str]]:
    """POST count requests spread over the API processes from client threads."""
    texts = load_texts()
    jobs = iter(range(count))
    lock = threading.Lock()
    ids: set[int] = set()
    errors: list[str] = []

    def client(index: int) -> None:
        headers = {"Authorization": f"Bearer {ADMIN_KEY}"}
        with httpx.Client(timeout=60, headers=headers) as http:
            while True:
                with lock:
                    n = next(jobs, None)
                if n is None:
                    return
                body = {"resident_id": residents[n % len(residents)],
                        "text": f"{texts[n % len(texts)]} #{n}"}
                # One server per client thread: a keep-alive connection never sits idle
                # (an idle one may be closed by the server just as we reuse it).
                base = bases[index % len(bases)]
                try:
                    resp = http.post(f"{base}/api/v1/requests", json=body)
                except httpx.HTTPError as exc:
                    with lock:
                        errors.append(f"{n}: {exc!r}")
                    continue
                with lock:
                    if resp.status_code == 201:
                        ids.add(resp.json()["id"])
                    else:
                        errors.append(f"{n}: {resp.status_code} {resp.text[:200]}")

    threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return ids, errors


def wait_quiet(url: str, timeout: float) -> int:
    """Wait until no request waits on an offer any more; how many still do."""
    deadline = time.monotonic() + timeout
    left = -1
    while time.monotonic() < deadline:
        left = scalar(url, "SELECT count(*) FROM helprequest WHERE status = 'offered'")
        if left == 0:
            return 0
        time.sleep(0.5)
    return left


def start_system(url: str, tmp_path: Path, procs: list[Proc], *, apis: int,
                 workers: int) -> tuple[list[str], list[Proc]]:
    """Seed the demo district, then start the API and worker processes."""
    env = base_env(tmp_path / "data", DATABASE_URL=url, **FAST)
    run_cli(["seed", "--demo"], env)
    api_procs = [api_proc(f"api{i}", env, tmp_path) for i in range(apis)]
    worker_procs = [worker_proc(f"worker{i}", env, tmp_path) for i in range(workers)]
    for proc in [*api_procs, *worker_procs]:
        procs.append(proc.start())
    bases = [proc.wait_healthy() for proc in api_procs]
    return bases, worker_procs


def assert_clean(url: str, ids: set[int], procs: list[Proc]) -> invariants.Report:
    """The invariants hold and no process logged a traceback."""
    report = invariants.check(url, ids)
    assert report.problems == [], "\n".join(report.problems[:40])
    for proc in procs:
        out = proc.output()
        assert "Traceback" not in out, f"{proc.name} logged an error:\n{out[-6000:]}"
    return report


@pytest.mark.slow
@pytest.mark.postgres
def test_two_apis_two_workers_take_a_thousand_requests(pg_db: str, tmp_path: Path) -> None:
    with processes() as procs:
        bases, _ = start_system(pg_db, tmp_path, procs, apis=2, workers=2)
        residents = resident_ids(pg_db)
        assert len(residents) >= 20
        started = time.monotonic()
        ids, errors = post_requests(bases, residents, 1000)
        took = time.monotonic() - started
        assert errors == [], errors[:10]
        assert len(ids) == 1000
        left = wait_quiet(pg_db, timeout=150)
        assert left == 0, f"{left} requests still waiting on offers after 150 s"
        for proc in procs:
            assert proc.alive(), f"{proc.name} died:\n{proc.output()[-4000:]}"
        report = assert_clean(pg_db, ids, procs)
    # Widening really happened while the load ran (deadlines of 2 s).
    assert report.widened > 0, report
    assert report.offers > 0 and report.notifications > 0, report
    print(f"\n1000 requests in {took:.1f} s over 2 APIs; {report}")


@pytest.mark.slow
@pytest.mark.postgres
def test_worker_killed_during_widening_loses_and_duplicates_nothing(
    pg_db: str, tmp_path: Path
) -> None:
    with processes() as procs:
        bases, workers = start_system(pg_db, tmp_path, procs, apis=1, workers=2)
        residents = resident_ids(pg_db)
        ids, errors = post_requests(bases, residents, 150, clients=4)
        assert errors == [], errors[:10]
        # Kill a worker while it widens: after the first widening, while rings are still due.
        deadline = time.monotonic() + 30
        while scalar(pg_db, "SELECT count(*) FROM event WHERE kind = 'widened'") == 0:
            assert time.monotonic() < deadline, "no widening within 30 s"
            time.sleep(0.05)
        victim = workers[0]
        victim.kill9()
        killed_at = scalar(pg_db, "SELECT count(*) FROM event WHERE kind = 'widened'")
        still_offered = scalar(pg_db, "SELECT count(*) FROM helprequest WHERE status='offered'")
        restarted = Proc("worker0-restarted", victim.args, victim.env,
                         tmp_path / "worker0-restarted.log")
        procs.append(restarted.start())
        left = wait_quiet(pg_db, timeout=150)
        due = scalar(pg_db, "SELECT count(*) FROM helprequest WHERE status = 'offered' "
                            "AND deadline < now() - interval '5 seconds'")
        assert left == 0, (f"{left} requests still waiting on offers after the restart, {due} "
                           f"overdue; restarted worker:\n{restarted.output()[-3000:]}")
        report = assert_clean(pg_db, ids, [p for p in procs if p.name != victim.name])
    assert still_offered > 0, "the kill came too late: nothing was left to widen"
    assert report.widened > killed_at, "nothing was widened after the kill"
    print(f"\nkilled at {killed_at} widenings with {still_offered} offered; {report}")
