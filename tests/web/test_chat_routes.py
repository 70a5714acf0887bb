"""The web chat and page routes over HTTP (no browser): session, history, poll, errors, files."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from api.app import create_app
from api.web import chat
from core import texts
from core.models import Notification, Resident
from core.settings import Settings

LOCALES = ("en", "zh", "en-easy", "zh-easy")


@pytest.fixture
def client(settings: Settings, sessions: Callable[[], Session]) -> Iterator[TestClient]:
    """The whole app, as a browser would see it."""
    with TestClient(create_app(settings, sessions=sessions)) as test_client:
        yield test_client


def _resident(sessions: Callable[[], Session], client: TestClient) -> Resident:
    with sessions() as session:
        found = session.exec(
            select(Resident).where(Resident.web_id == client.cookies["lw_chat"])
        ).one()
        return found


def test_chat_page_starts_a_private_session(client: TestClient) -> None:
    """The page sets an httpOnly session cookie, its language, and a strict CSP."""
    response = client.get("/?lang=zh")
    assert response.status_code == 200
    assert '<html lang="zh-Hans">' in response.text
    assert texts.get("web.skip_link", "zh") in response.text
    assert 'role="log" aria-live="polite"' in response.text
    cookie = response.headers.get_list("set-cookie")
    session_cookie = next(c for c in cookie if c.startswith("lw_chat="))
    assert "httponly" in session_cookie.lower() and "samesite=lax" in session_cookie.lower()
    assert "script-src 'self'" in response.headers["content-security-policy"]
    assert "<script>" not in response.text  # no inline script: the CSP would block it


def test_history_is_kept_across_reloads(client: TestClient) -> None:
    """What was shown comes back, rendered into the page, after a reload."""
    client.get("/?lang=en")
    greeting = client.post("/chat/start").json()["messages"]
    assert greeting and all(m["from"] == "bot" for m in greeting)
    choice = next(b for m in greeting for line in m["buttons"] for b in line)
    pressed = client.post("/chat/button", json={"data": choice["data"]}).json()["messages"]
    assert pressed[0] == {**pressed[0], "from": "user", "text": choice["label"]}
    history = client.get("/chat/history").json()["messages"]
    assert [m["id"] for m in history] == [m["id"] for m in greeting + pressed]
    # The answered question's buttons are closed; the page shows them disabled.
    assert next(m for m in history if m["buttons"])["answered"] is True
    page = client.get("/").text
    for message in history:
        assert f'id="msg-{message["id"]}"' in page


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_empty_message_is_refused_politely(client: TestClient, lang: str) -> None:
    """Nothing typed: a clear message in the user's language, not a crash."""
    client.get(f"/?lang={lang}")
    response = client.post("/chat/message", json={"text": "   "})
    assert response.status_code == 422
    assert response.json()["error"]["message"] == texts.get("web.chat.error_empty", lang)


def test_poll_shows_each_notification_once(
    client: TestClient, sessions: Callable[[], Session]
) -> None:
    """Outbox news for this browser's resident appears once, in the resident's language."""
    client.get("/?lang=en")
    client.post("/chat/start")
    resident = _resident(sessions, client)
    with sessions() as session:
        note = Notification(
            recipient_kind="resident", recipient_id=resident.id or 0,
            key="web.dash.reassigned", values={"id": 7},
            buttons=[{"key": "web.dash.details", "data": "req:status:7"}],
        )
        other = Notification(recipient_kind="resident", recipient_id=(resident.id or 0) + 999,
                             key="web.dash.reassigned", values={"id": 8})
        session.add(note)
        session.add(other)
        session.commit()
        note_id, other_id = note.id, other.id
    shown = client.get("/chat/poll").json()["messages"]
    assert [m["text"] for m in shown] == [texts.get("web.dash.reassigned", resident.lang, id=7)]
    assert shown[0]["buttons"] == [[{"label": texts.get("web.dash.details", resident.lang),
                                     "data": "req:status:7"}]]
    assert client.get("/chat/poll").json()["messages"] == []
    with sessions() as session:
        assert session.get(Notification, note_id).seen_at is not None  # type: ignore[union-attr]
        assert session.get(Notification, other_id).seen_at is None  # type: ignore[union-attr]


def test_session_id_is_never_the_residents_name(
    client: TestClient, sessions: Callable[[], Session]
) -> None:
    """The cookie is a secret: the new profile gets a stand-in name derived from it."""
    client.get("/")
    client.post("/chat/start")
    resident = _resident(sessions, client)
    assert client.cookies["lw_chat"] not in resident.name
    assert resident.name == chat.display_name(client.cookies["lw_chat"])


def test_audio_of_another_session_is_not_found(
    client: TestClient, settings: Settings, sessions: Callable[[], Session]
) -> None:
    """A spoken reply belongs to its browser session only."""
    client.get("/")
    message = client.post("/chat/start").json()["messages"][0]
    with TestClient(create_app(settings, sessions=sessions)) as stranger:
        assert stranger.get(f"/chat/audio/{message['id']}.ogg").status_code == 404
    assert client.get("/chat/audio/99999.ogg").status_code == 404


def test_voice_note_is_kept_before_anything_else(
    client: TestClient, settings: Settings
) -> None:
    """An upload nobody can decode is still stored under the media folder and answered."""
    client.get("/?lang=en")
    client.post("/chat/start")
    response = client.post(
        "/chat/voice", files={"audio": ("note.webm", b"not really audio", "audio/webm")}
    )
    assert response.status_code == 200
    said, *answers = response.json()["messages"]
    assert said["from"] == "user" and said["text"] == texts.get("web.voice.note_sent", "en")
    assert answers and all(m["from"] == "bot" for m in answers)
    kept = list((settings.media_dir / "web").glob("*.webm"))
    assert [p.read_bytes() for p in kept] == [b"not really audio"]


def test_empty_voice_upload_is_refused(client: TestClient) -> None:
    """An empty file: a polite 422, nothing stored."""
    client.get("/?lang=zh")
    response = client.post("/chat/voice", files={"audio": ("a.ogg", b"", "audio/ogg")})
    assert response.status_code == 422
    assert response.json()["error"]["message"] == texts.get("web.voice.error_empty", "zh")


@pytest.mark.parametrize(
    ("path", "status"),
    [
        ("/web/static/chat.js", 200),
        ("/web/static/web.css", 200),
        ("/web/static/..%2Froutes.py", 404),
        ("/web/static/routes.py", 404),
        ("/web/static/nothing.js", 404),
    ],
)
def test_static_files_come_only_from_the_static_folder(
    client: TestClient, path: str, status: int
) -> None:
    """Only the packaged CSS and JS files are served."""
    assert client.get(path).status_code == status


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_dashboard_page_holds_no_data(client: TestClient, lang: str) -> None:
    """The dashboard page is a shell: data comes from the API with the coordinator's key."""
    response = client.get(f"/dashboard?lang={lang}")
    assert response.status_code == 200
    assert texts.get("web.dash.heading", lang) in response.text
    assert 'type="password"' in response.text and 'autocomplete="off"' in response.text


def test_every_web_text_exists_in_every_locale() -> None:
    """web.* keys: the same set, with the same placeholders, in zh, en and both easy forms."""
    keys = {loc: {k for k in texts.catalogue(loc) if k.startswith("web.")} for loc in LOCALES}
    assert all(found == keys["en"] for found in keys.values())
    for key in keys["en"]:
        expected = texts.placeholders(texts.catalogue("en")[key])
        for loc in LOCALES:
            assert texts.placeholders(texts.catalogue(loc)[key]) == expected, (loc, key)


def test_every_text_the_pages_use_exists() -> None:
    """Each t('web.…') in the templates and scripts has a text (so nothing shows a raw key)."""
    import re

    folder = Path(chat.__file__).parent
    used: set[str] = set()
    for path in [*folder.glob("templates/*.html"), *folder.glob("static/*.js")]:
        used |= set(re.findall(r"""\bt\(\s*['"](web\.[a-z_.]+[a-z_])['"]""", path.read_text()))
    assert used, "no text keys found"
    assert sorted(k for k in used if not texts.has(k, "en")) == []


@pytest.mark.parametrize(
    ("mode", "disabilities", "spoken"),
    [("voice", [], True), ("voice", ["hearing"], False), ("text", [], False)],
)
def test_players_only_for_residents_who_want_voice(
    client: TestClient, sessions: Callable[[], Session],
    mode: str, disabilities: list[str], spoken: bool,
) -> None:
    """Spoken replies for voice mode only, and never for a deaf resident."""
    client.get("/?lang=en")
    client.post("/chat/start")
    resident = _resident(sessions, client)
    with sessions() as session:
        row = session.get(Resident, resident.id)
        assert row is not None
        row.mode, row.disability_types = mode, disabilities
        session.add(row)
        session.commit()
    history = client.get("/chat/history").json()["messages"]
    assert history
    assert all((m["audio"] is not None) is spoken for m in history)
    page = client.get("/").text
    assert ("<audio" in page) is spoken


@pytest.mark.voice
def test_reply_is_spoken_as_ogg_opus(client: TestClient) -> None:
    """A reply of this session, read aloud: OGG/Opus bytes from the voice pipeline."""
    client.get("/?lang=zh")
    message = client.post("/chat/start").json()["messages"][0]
    audio = f"/chat/audio/{message['id']}.ogg"
    response = client.get(audio)
    assert response.status_code == 200
    assert response.headers["content-type"] == "audio/ogg"
    assert response.content[:4] == b"OggS" and b"OpusHead" in response.content[:200]


@pytest.mark.parametrize("mode", ["easy_read", "large_text", "text"])
def test_page_follows_the_residents_mode(
    client: TestClient, sessions: Callable[[], Session], mode: str
) -> None:
    """Easy-read residents get easy words on the page; large-text ones large text by default."""
    client.get("/?lang=en")
    client.post("/chat/start")
    resident = _resident(sessions, client)
    with sessions() as session:
        row = session.get(Resident, resident.id)
        assert row is not None
        row.mode = mode
        session.add(row)
        session.commit()
    page = client.get("/").text
    easy_intro = texts.get("web.chat.intro", "en", easy=True)
    assert easy_intro != texts.get("web.chat.intro", "en")
    assert (easy_intro in page) is (mode == "easy_read")
    assert ('data-large-default="1"' in page) is (mode == "large_text")


def test_language_chosen_in_the_conversation_switches_the_page(client: TestClient) -> None:
    """Choosing 中文 in the chat makes the page Chinese too (next load, and told to the script)."""
    client.get("/?lang=en")
    client.post("/chat/start")
    response = client.post("/chat/button", json={"data": "lang:zh"})
    assert response.status_code == 200
    assert response.json()["page_lang"] == "zh"
    assert client.cookies["lw_lang"] == "zh"
    assert '<html lang="zh-Hans">' in client.get("/").text
    again = client.post("/chat/button", json={"data": "lang:zh"}).json()
    assert "page_lang" not in again
