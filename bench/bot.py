"""Bot benchmark: updates handled per second through the whole stack, and the time from a
resident's message to the offers reaching volunteers (fake Telegram server included).

Run: python -m bench.bot [--updates 300] [--requests 20]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from pydantic import SecretStr
from sqlmodel import Session

from bot.runner import run_bot
from core import dispatch
from core.db import make_engine, session_factory, upgrade_schema
from core.models import ResidentCreate, VolunteerCreate
from core.services import registration, teams
from core.settings import Settings
from tests.bot.fake_telegram import TOKEN, FakeTelegram, unsigned
from tests.core.dialog.world import VOLUNTEER_TGS, World, build_world

TEXT = "Please go with me to the hospital tomorrow morning"


def _people(sessions: Callable[[], Session], world: World, residents: int) -> list[int]:
    """Extra residents (with consent) and enough volunteers that offers never run dry."""
    ids = []
    with sessions() as session:
        for n in range(residents):
            registration.register_resident(session, data=ResidentCreate(
                name=f"Bench {n}", lang="en", area_id=world.community, telegram_id=100_000 + n,
                consent=True))
            ids.append(100_000 + n)
        for n in range(6):
            v = registration.register_volunteer(session, data=VolunteerCreate(
                name=f"Bench volunteer {n}", languages=["en"], skills=["escort"],
                home_area_id=world.street, service_area_ids=[world.street], on_duty=True,
                max_tasks=50, telegram_id=200_000 + n))
            teams.add_member(session, team_id=world.team, volunteer_id=v.id or 0)
        session.commit()
    return ids


async def _throughput(fake: FakeTelegram, chats: list[int], updates: int) -> float:
    """Updates per second: /my from many chats, until every one is answered."""
    before = {c: len(fake.to(c)) for c in chats}
    start = time.perf_counter()
    for n in range(updates):
        fake.send_text(chats[n % len(chats)], "/my")
    expected = {c: before[c] + updates // len(chats) + (1 if i < updates % len(chats) else 0)
                for i, c in enumerate(chats)}
    while any(len(fake.to(c)) < expected[c] for c in chats):
        await asyncio.sleep(0.005)
    return updates / (time.perf_counter() - start)


def _offers_sent(fake: FakeTelegram, chat: int) -> int:
    """Offer messages ever sent to a chat (later edits do not change the count)."""
    return sum(1 for p in fake.method_calls("sendMessage")
               if int(p["chat_id"]) == chat and "offer:accept:" in str(p.get("reply_markup")))


async def _request_latency(fake: FakeTelegram, sessions: Callable[[], Session],
                           settings: Settings, chat: int) -> tuple[float, float, float]:
    """(message → read-back, confirm → first offer delivered, message → first offer)."""
    watch = VOLUNTEER_TGS[0]
    seen_offers = _offers_sent(fake, watch)
    before = len(fake.to(chat))
    t0 = time.perf_counter()
    fake.send_text(chat, TEXT)
    message, data = await fake.wait_button(chat, "", after=before, timeout=60)
    data = next(d for d in message.data() if d.startswith(("req:confirm:", "cat:escort:")))
    t1 = time.perf_counter()
    fake.press(chat, data, message.message_id)
    while _offers_sent(fake, watch) <= seen_offers:
        await asyncio.sleep(0.002)
    t2 = time.perf_counter()
    request_id = int(unsigned(data).rsplit(":", 1)[1])

    def cancel() -> None:
        with sessions() as session:
            dispatch.cancel_request(session, settings=settings, request_id=request_id,
                                    actor="admin")

    # Cancelled, so the volunteers' pending offers never pile up between rounds.
    await asyncio.to_thread(cancel)
    return t1 - t0, t2 - t1, t2 - t0


async def _spaced(fake: FakeTelegram, sessions: Callable[[], Session], settings: Settings,
                  chats: list[int], requests: int, gap: float) -> list[tuple[float, float, float]]:
    rows = []
    for n in range(requests):
        rows.append(await _request_latency(fake, sessions, settings, chats[n % len(chats)]))
        await asyncio.sleep(gap)
    return rows


async def main(updates: int, requests: int, gap: float) -> None:
    """Set up a database, the fake server and the bot; measure; print the figures."""
    tmp = Path(tempfile.mkdtemp(prefix="lw-bench-bot-"))
    url = f"sqlite:///{tmp / 'bench.db'}"
    upgrade_schema(url)
    sessions = session_factory(make_engine(url))
    with sessions() as session:
        world = build_world(session)
    chats = _people(sessions, world, 50)
    fake = FakeTelegram()
    await fake.start()
    settings = Settings(database_url=url, data_dir=tmp, telegram_bot_token=SecretStr(TOKEN),
                        telegram_api_base=fake.base_url)
    stop = asyncio.Event()
    task = asyncio.create_task(run_bot(settings, sessions, stop_event=stop, polling_timeout=1))
    try:
        await _throughput(fake, chats[:5], 20)  # warm-up: imports, menus, first queries
        rate = await _throughput(fake, chats, updates)
        await _request_latency(fake, sessions, settings, chats[-1])  # warm-up: classifier
        rows = await _spaced(fake, sessions, settings, chats, requests, gap)
        burst = await _spaced(fake, sessions, settings, chats, requests, 0.0)
    finally:
        stop.set()
        await task
        await fake.stop()

    def ms(values: list[float]) -> str:
        ordered = sorted(values)
        p95 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))]
        return f"median {statistics.median(values) * 1000:.0f} ms, p95 {p95 * 1000:.0f} ms"

    print(f"database: SQLite ({url})")
    print(f"updates handled (/my through fake HTTP API, polling, dialog, reply): "
          f"{rate:.1f} updates/s over {updates} updates")
    print(f"resident message -> read-back shown:        {ms([r[0] for r in rows])}")
    print(f"confirm pressed -> offer delivered:         {ms([r[1] for r in rows])}")
    print(f"resident message -> offer delivered (sum):  {ms([r[2] for r in rows])}")
    print(f"  (over {requests} requests, {gap:g} s apart)")
    print(f"back to back, confirm -> offer delivered:   {ms([r[1] for r in burst])}")
    print("  (back to back the same volunteer gets a new offer right after the last one was")
    print("   edited, so the 1 message/s per-chat limit of the sender shows)")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--updates", type=int, default=300)
    parser.add_argument("--requests", type=int, default=20)
    parser.add_argument("--gap", type=float, default=2.5, help="seconds between requests")
    args = parser.parse_args()
    asyncio.run(main(args.updates, args.requests, args.gap))
