"""Tokens and personal data never reach the logs: a whole flow (request, offer, accept, the
private details handed over, wrong keys) with logging at DEBUG in-process, and a real
`lightwing serve` with a Telegram bot (fake Bot API server) whose output is scanned."""

from __future__ import annotations

import asyncio
import logging
import sqlite3
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr
from sqlmodel import Session

from api.app import create_app
from core.models import Area, Resident, Volunteer
from core.settings import Settings
from tests.bot.fake_telegram import TOKEN, FakeTelegram
from tests.system.processes import Proc, base_env, free_port, run_cli

ADMIN_KEY = "lw-secret-admin-key-Zq81x"
PHONE = "13955556666"
ADDRESS = "Building 7, Unit 3, Room 1204, Quiet Lane"


def secrets_in(output: str, secrets: list[str]) -> list[str]:
    """The secrets found in the output."""
    return [s for s in secrets if s and s in output]


def test_in_process_flow_logs_no_secret_at_debug(
    settings: Settings, sessions: Callable[[], Session], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    app_settings = settings.model_copy(update={
        "admin_key": SecretStr(ADMIN_KEY), "telegram_bot_token": SecretStr(TOKEN),
        "rate_limit_per_minute": 100_000,
    })
    with sessions() as session:
        area = Area(code="log-area", level="district", name_zh="日志区", name_en="Log District")
        session.add(area)
        session.commit()
        resident = Resident(name="Private Person", lang="en", area_id=area.id, address=ADDRESS,
                            phone=PHONE, disability_types=["visual"],
                            consent_at=datetime.now(UTC))
        volunteer = Volunteer(name="Vol", home_area_id=area.id, on_duty=True,
                              skills=["reading", "escort"], languages=["en"])
        session.add_all([resident, volunteer])
        session.commit()
        resident_id, volunteer_id = resident.id, volunteer.id
    admin = {"Authorization": f"Bearer {ADMIN_KEY}", "Accept-Language": "en"}
    with TestClient(create_app(app_settings, sessions=sessions)) as client:
        created = client.post("/api/v1/requests", headers=admin, json={
            "resident_id": resident_id, "text": f"Please read my letter, call me on {PHONE}",
        })
        assert created.status_code == 201, created.text
        request_id = created.json()["id"]
        detail = client.get(f"/api/v1/requests/{request_id}", headers=admin).json()
        offers = [o for o in detail.get("offers", []) if o["volunteer_id"] == volunteer_id]
        assert offers, detail
        accepted = client.post(f"/api/v1/offers/{offers[0]['id']}/accept", headers=admin,
                               json={"volunteer_id": volunteer_id})
        assert accepted.status_code == 200, accepted.text
        assert client.get(f"/api/v1/residents/{resident_id}", headers=admin).status_code == 200
        # Wrong keys, one of them nearly the admin key: refused, and not echoed into a log.
        for wrong in (ADMIN_KEY + "x", "lw-" + "0" * 30):
            refused = client.get("/api/v1/queue", headers={"Authorization": f"Bearer {wrong}"})
            assert refused.status_code == 401
        bad = client.post("/api/v1/requests", headers=admin,
                          json={"resident_id": resident_id, "text": PHONE, "lang": "xx"})
        assert bad.status_code == 422
    logged = "\n".join(
        f"{r.name} {r.getMessage()} {r.exc_text or ''} {r.args!r}" for r in caplog.records
    )
    assert caplog.records, "nothing was logged at all: the test would prove nothing"
    assert secrets_in(logged, [ADMIN_KEY, TOKEN, PHONE, ADDRESS]) == []


def _telegram_ids(db: Path) -> tuple[list[tuple[int, str, str]], int]:
    """Give every demo volunteer and resident a Telegram chat; residents' private details."""
    with sqlite3.connect(db) as conn:
        conn.execute("UPDATE volunteer SET telegram_id = 700000 + id, on_duty = 1")
        conn.execute("UPDATE resident SET telegram_id = 900000 + id")
        rows = conn.execute("SELECT id, phone, address FROM resident ORDER BY id").fetchall()
        coordinator_rows = conn.execute("SELECT count(*) FROM coordinator").fetchone()
    return [(int(r[0]), str(r[1] or ""), str(r[2] or "")) for r in rows], int(coordinator_rows[0])


def _flow(base: str, residents: list[tuple[int, str, str]]) -> None:
    """Requests for a few residents, an accept each (private details go out), wrong keys."""
    admin = {"Authorization": f"Bearer {ADMIN_KEY}"}
    with httpx.Client(base_url=base, timeout=30) as http:
        for resident_id, _, _ in residents[:4]:
            made = http.post("/api/v1/requests", headers=admin, json={
                "resident_id": resident_id, "text": "请明天上午陪我去医院看病"})
            assert made.status_code == 201, made.text
            detail = http.get(f"/api/v1/requests/{made.json()['id']}", headers=admin).json()
            for offer in detail.get("offers", [])[:1]:
                taken = http.post(f"/api/v1/offers/{offer['id']}/accept", headers=admin,
                                  json={"volunteer_id": offer["volunteer_id"]})
                assert taken.status_code == 200, taken.text
        assert http.get("/api/v1/queue", headers={
            "Authorization": f"Bearer {ADMIN_KEY}nope"}).status_code == 401


@pytest.mark.slow
async def test_serve_with_bot_prints_no_secret(tmp_path: Path) -> None:
    fake = FakeTelegram()
    api_base = await fake.start()
    port = free_port()
    env = base_env(tmp_path / "data", LIGHTWING_ADMIN_KEY=ADMIN_KEY, TELEGRAM_BOT_TOKEN=TOKEN,
                   TELEGRAM_API_BASE=api_base, LIGHTWING_PORT=str(port),
                   LIGHTWING_RATE_LIMIT="100000")
    proc = Proc("serve", ["serve"], env, tmp_path / "serve.log", port=port)
    try:
        seeded = await asyncio.to_thread(run_cli, ["seed", "--demo"], env)
        residents, _ = _telegram_ids(tmp_path / "data" / "lightwing.db")
        proc.start()
        base = await asyncio.to_thread(proc.wait_healthy)
        await asyncio.to_thread(_flow, base, residents)
        # Wait until the bot delivered a volunteer the private details (address included).
        addresses = [a for _, _, a in residents[:4]]
        deadline = time.monotonic() + 30
        while not any(a and a in m.text for m in fake.sent for a in addresses):
            assert time.monotonic() < deadline, [m.text[:80] for m in fake.sent][:10]
            await asyncio.sleep(0.2)
    finally:
        await asyncio.to_thread(proc.stop)
        await fake.stop()
    output = seeded + proc.output()
    assert "Uvicorn running" in output or "Application startup complete" in output, output[-3000:]
    secrets = [ADMIN_KEY, TOKEN, TOKEN.split(":")[1]]
    for _, phone, address in residents:
        secrets += [phone, address]
    assert secrets_in(output, secrets) == []
