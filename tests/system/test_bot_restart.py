"""`kill -9` of a real `lightwing bot` (long polling against the fake Telegram server over
the network) in the middle of a conversation, then a restart: the conversation carries on
where it was, the update being handled is handled once, nothing is said twice, nothing lost.

Where the kills land:
1. while the resident's first message is being handled: after the request was stored, before
   it was classified (the first classification in a process loads the model: a second-long
   window we wait for by watching the table);
2. after the button press was handled and committed, while its reply to the resident and the
   offers to the volunteers are on the wire (the fake holds those calls; a held call whose
   client died is dropped, like a request Telegram never got).
Then Telegram redelivers every update (as after a lost confirmation): all are skipped.
Runs on SQLite, and on PostgreSQL when LIGHTWING_TEST_PG_URL is set (then also with Redis bot
storage when LIGHTWING_TEST_REDIS_URL is set). Most of its time is the three process starts
(aiogram's imports: 2-6 s each on a loaded 2-core machine).
"""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import Session, col, select

from bot import inbox
from core import texts
from core.models import ConversationState, HelpRequest
from tests.bot.fake_telegram import TOKEN, FakeTelegram, Sent
from tests.core.dialog.world import RESIDENT_TG, VOLUNTEER_TGS, build_world
from tests.system import invariants
from tests.system.processes import Proc, base_env

ESCORT = "Please go with me to the hospital tomorrow morning"
REDIS = os.environ.get("LIGHTWING_TEST_REDIS_URL")
Sessions = Callable[[], Session]


async def until(check: Callable[[], Any], what: str, timeout: float = 90.0,
                every: float = 0.02) -> Any:
    """Poll check() (in a thread: it may query the database) until it is truthy."""
    deadline = time.monotonic() + timeout
    while True:
        found = await asyncio.to_thread(check)
        if found:
            return found
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        await asyncio.sleep(every)


async def own_redis_db(url: str) -> str:
    """The Redis URL with database 13, emptied: nothing left from other runs or users."""
    from redis.asyncio import Redis

    mine = url.rsplit("/", 1)[0] + "/13" if url.rsplit("/", 1)[-1].isdigit() else url + "/13"
    client = Redis.from_url(mine)
    try:
        await client.flushdb()
    finally:
        await client.aclose()
    return mine


def requests(sessions: Sessions) -> list[HelpRequest]:
    """Every request, oldest first."""
    with sessions() as session:
        return list(session.exec(select(HelpRequest).order_by(col(HelpRequest.id))).all())


def inbox_states(sessions: Sessions) -> list[str | None]:
    """The state of every inbox row."""
    with sessions() as session:
        return [r.state for r in session.exec(select(ConversationState).where(
            col(ConversationState.key).startswith(inbox.PREFIX))).all()]


def with_button(fake: FakeTelegram, chat: int, prefix: str) -> list[Sent]:
    """Messages to chat carrying a button whose data starts with prefix."""
    return [m for m in fake.to(chat) if any(a.startswith(prefix) for a in m.actions())]


@pytest.mark.slow
@pytest.mark.parametrize("storage", [
    "database",
    pytest.param("redis", marks=pytest.mark.skipif(
        not REDIS, reason="LIGHTWING_TEST_REDIS_URL is not set (.ci/run sets it)")),
])
async def test_bot_killed_mid_conversation_carries_on_once(
    storage: str, db_url: str, sessions: Sessions, tmp_path: Path,
) -> None:
    if storage == "redis" and db_url.startswith("sqlite"):
        # Redis bot storage is for several processes, which means PostgreSQL; once is enough.
        pytest.skip("the Redis variant runs in the PostgreSQL pass")
    with sessions() as session:
        build_world(session)
    fake = FakeTelegram()
    api_base = await fake.start()
    extra = {"REDIS_URL": await own_redis_db(REDIS)} if storage == "redis" and REDIS else {}
    env = base_env(tmp_path / "data", DATABASE_URL=db_url, TELEGRAM_BOT_TOKEN=TOKEN,
                   TELEGRAM_API_BASE=api_base, **extra)
    procs: list[Proc] = []

    def start(n: int) -> Proc:
        proc = Proc(f"bot{n}", ["bot"], env, tmp_path / f"bot{n}.log")
        procs.append(proc.start())
        return proc

    try:
        await scenario(fake, sessions, start)
    finally:
        for proc in procs:
            await asyncio.to_thread(proc.stop)
        await fake.stop()
    for proc in procs:
        out = proc.output()
        assert "Traceback" not in out, f"{proc.name} logged an error:\n{out[-5000:]}"
    report = invariants.check(db_url, {r.id or 0 for r in requests(sessions)})
    assert report.problems == [], report.problems


async def scenario(fake: FakeTelegram, sessions: Sessions, start: Callable[[int], Proc]) -> None:
    """The conversation with two kills; every check of what the people saw."""
    started = time.monotonic()
    marks: list[tuple[str, float]] = []

    def mark(stage: str) -> None:
        marks.append((stage, time.monotonic() - started))

    # 1. Killed while the first message is handled: stored, not yet classified.
    bot = start(1)
    fake.send_text(RESIDENT_TG, ESCORT)
    stored = await until(lambda: requests(sessions), "the request to be stored")
    mark("first kill")
    await asyncio.to_thread(bot.kill9)
    assert [r.status for r in requests(sessions)] == ["new"], "the kill came too late"
    assert fake.to(RESIDENT_TG) == []

    bot = start(2)
    question = await until(lambda: with_button(fake, RESIDENT_TG, "cat:escort:"),
                           "the question after the restart")
    mark("recovered")
    assert len(requests(sessions)) == 1, "the message was handled twice"
    assert [m.text for m in fake.to(RESIDENT_TG)] == [texts.get("dialog.clarify", "en")]
    rid = stored[0].id

    # 2. Killed after the press was handled, with its reply and the offers on the wire.
    to_resident = fake.hold({"sendMessage"}, {RESIDENT_TG})
    to_volunteers = fake.hold({"sendMessage"}, set(VOLUNTEER_TGS))
    escort = next(d for d in question[0].data() if d.startswith("cat:escort:"))
    fake.press(RESIDENT_TG, escort, question[0].message_id)
    await until(lambda: to_resident.held and to_volunteers.held, "the reply and an offer")
    mark("second kill")
    await asyncio.to_thread(bot.kill9)
    to_resident.release()
    to_volunteers.release()
    assert [r.status for r in requests(sessions)] == ["offered"]

    bot = start(3)
    sent = texts.get("dialog.request.sent", "en", id=rid,
                     category=texts.get("dialog.cat.escort", "en"))
    await until(lambda: sent in [m.text for m in fake.to(RESIDENT_TG)], "the reply")
    offers = {tg: await until(lambda tg=tg: with_button(fake, tg, "offer:accept:"), "offers")
              for tg in VOLUNTEER_TGS}

    mark("recovered again")
    # 3. Telegram offers every update again: all were finished, none is handled again.
    seen = len(fake.sent)
    fake.redeliver_all()
    await until(lambda: len(fake.method_calls("getUpdates")) > 3 and not fake._updates,
                "the redelivered updates to be taken")
    await asyncio.sleep(1.0)
    assert fake.sent[seen:] == [], [m.text for m in fake.sent[seen:]]

    mark("redelivered")
    # 4. The conversation carries on: a volunteer accepts, the resident is told once.
    winner = VOLUNTEER_TGS[0]
    accept = next(d for d in offers[winner][0].data() if d.startswith("offer:accept:"))
    fake.press(winner, accept, offers[winner][0].message_id)
    accepted = texts.get("dispatch.resident.accepted", "en", volunteer="Volunteer 1",
                         category=texts.get("dialog.cat.escort", "en"))
    await until(lambda: accepted in [m.text for m in fake.to(RESIDENT_TG)], "the good news")
    await until(lambda: all(s == "done" for s in inbox_states(sessions)), "the inbox to finish")
    await asyncio.sleep(0.5)

    said = [m.text for m in fake.to(RESIDENT_TG)]
    assert said == [texts.get("dialog.clarify", "en"), sent, accepted], said
    for tg in VOLUNTEER_TGS:
        assert len(offers[tg]) == 1, f"volunteer {tg} got {len(offers[tg])} offers"
    assert [r.status for r in requests(sessions)] == ["accepted"]
    mark("finished")
    print("\nbot killed twice and restarted; seconds from the first message: "
          + ", ".join(f"{stage} {at:.1f}" for stage, at in marks))
