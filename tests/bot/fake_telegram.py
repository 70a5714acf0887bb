"""A real HTTP fake of the Telegram Bot API for tests: aiohttp on a free localhost port.

It answers the methods the bot uses, records every call and every message, lets tests
inject updates (messages, voice notes, photos, stickers, files, locations, button presses),
and can be told to answer 429 (with retry_after), 500, or drop connections for a while, or to
hold calls until released (a held call whose client died meanwhile is dropped, as a request
Telegram never got). Like Telegram, files over 20 MB cannot be fetched (getFile says so).
"""

from __future__ import annotations

import asyncio
import itertools
import json
import time
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web
from pydantic import SecretStr

from core.settings import Settings

TOKEN = "123456:TEST-TOKEN"
FETCH_LIMIT = 20 * 1024 * 1024  # Telegram's getFile limit for bots
BOT_USER = {"id": 123456, "is_bot": True, "first_name": "Lightwing",
            "username": "lightwing_test_bot"}
POLL_CAP_S = 1.0  # long polls return at least this often, so shutdowns are quick


@dataclass
class Failure:
    """A rule: answer `kind` ('429', '500', 'drop') to matching methods, n times or until."""

    kind: str
    methods: frozenset[str] | None = None
    remaining: int | None = None
    until: float | None = None
    retry_after: int = 1

    def applies(self, method: str) -> bool:
        """Whether this rule hits the method now."""
        if self.methods is not None and method not in self.methods:
            return False
        if self.until is not None and time.monotonic() >= self.until:
            return False
        return self.remaining is None or self.remaining > 0


@dataclass
class Hold:
    """Calls of a method (to some chats) wait until release(); `held` lists them."""

    methods: frozenset[str]
    chats: frozenset[int] | None = None
    held: list[dict[str, Any]] = field(default_factory=list)
    event: asyncio.Event = field(default_factory=asyncio.Event)

    def matches(self, method: str, params: dict[str, Any]) -> bool:
        """Whether this hold stops the call."""
        if method not in self.methods or self.event.is_set():
            return False
        chat = params.get("chat_id")
        return self.chats is None or (chat is not None and int(chat) in self.chats)

    def release(self) -> None:
        """Let the held calls (and later ones) through."""
        self.event.set()


@dataclass
class Sent:
    """A message as the fake stored it (text, caption, buttons, kind)."""

    chat_id: int
    message_id: int
    kind: str  # text, voice, photo
    text: str = ""
    buttons: list[list[dict[str, Any]]] = field(default_factory=list)
    size: int = 0
    edits: int = 0

    def data(self) -> list[str]:
        """Every callback_data on the message's buttons, as sent (signed)."""
        return [b.get("callback_data", "") for row in self.buttons for b in row]

    def actions(self) -> list[str]:
        """The buttons' dialog data, without the signature."""
        return [unsigned(d) for d in self.data()]


def unsigned(data: str) -> str:
    """Button data without its signature ("offer:accept:3|sig" → "offer:accept:3")."""
    return data.rpartition("|")[0] or data


def signed(user_id: int, data: str, settings: Settings | None = None) -> str:
    """Data signed as the bot signs it for user_id's chat (a button the bot really sent);
    settings: the bot's (default: only the test token set)."""
    from bot.callbacks import button_key, sign

    bot_settings = settings or Settings(telegram_bot_token=SecretStr(TOKEN))
    return sign(data, user_id, button_key(bot_settings))


class FakeTelegram:
    """The fake server; `await start()` gives the base URL for TELEGRAM_API_BASE."""

    def __init__(self, token: str = TOKEN) -> None:
        self.token = token
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self.messages: dict[tuple[int, int], Sent] = {}
        self.sent: list[Sent] = []
        self.failures: list[Failure] = []
        self.failed_calls: list[tuple[str, str]] = []
        self.commands: list[dict[str, Any]] = []
        self.files: dict[str, tuple[str, bytes]] = {}
        self.sizes: dict[str, int] = {}
        self.downloads: list[str] = []
        self.holds: list[Hold] = []
        self.all_updates: list[dict[str, Any]] = []
        self._updates: list[dict[str, Any]] = []
        self._update_ids = itertools.count(1)
        self._message_ids = itertools.count(1000)
        self._file_ids = itertools.count(1)
        self._new_update = asyncio.Event()
        self._runner: web.AppRunner | None = None
        self.base_url = ""

    # -- server ---------------------------------------------------------------------------
    async def start(self) -> str:
        """Start on a free port; returns the base URL."""
        app = web.Application(client_max_size=50_000_000)
        app.router.add_route("*", "/bot{token}/{method}", self._api)
        app.router.add_get("/file/bot{token}/{path:.+}", self._file)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.base_url = f"http://127.0.0.1:{port}"
        return self.base_url

    async def stop(self) -> None:
        """Stop the server."""
        if self._runner is not None:
            await self._runner.cleanup()

    # -- failure control -------------------------------------------------------------------
    def fail(self, kind: str, *, times: int | None = None, seconds: float | None = None,
             methods: set[str] | None = None, retry_after: int = 1) -> None:
        """Answer kind ('429', '500', 'drop') to methods for n calls or some seconds."""
        until = time.monotonic() + seconds if seconds is not None else None
        self.failures.append(Failure(kind, frozenset(methods) if methods else None, times,
                                     until, retry_after))

    def hold(self, methods: set[str], chats: set[int] | None = None) -> Hold:
        """Hold calls of methods (to chats) until the returned Hold is released."""
        rule = Hold(frozenset(methods), frozenset(chats) if chats is not None else None)
        self.holds.append(rule)
        return rule

    def _failure_for(self, method: str) -> Failure | None:
        for rule in self.failures:
            if rule.applies(method):
                if rule.remaining is not None:
                    rule.remaining -= 1
                return rule
        return None

    # -- injecting updates ----------------------------------------------------------------
    def _user(self, user_id: int, lang: str) -> dict[str, Any]:
        return {"id": user_id, "is_bot": False, "first_name": f"User{user_id}",
                "language_code": lang}

    def _message(self, user_id: int, lang: str, **fields: Any) -> dict[str, Any]:
        return {"message_id": next(self._message_ids), "date": int(time.time()),
                "chat": {"id": user_id, "type": "private"}, "from": self._user(user_id, lang),
                **fields}

    def _push(self, update: dict[str, Any]) -> int:
        update["update_id"] = next(self._update_ids)
        self._updates.append(update)
        self.all_updates.append(update)
        self._new_update.set()
        return update["update_id"]

    def redeliver_all(self) -> None:
        """Offer every update ever sent again, as Telegram does with unconfirmed ones."""
        known = {u["update_id"] for u in self._updates}
        self._updates = sorted(self._updates + [u for u in self.all_updates
                                                if u["update_id"] not in known],
                               key=lambda u: u["update_id"])
        self._new_update.set()

    def send_text(self, user_id: int, text: str, lang: str = "en") -> int:
        """The user writes text (commands too)."""
        fields: dict[str, Any] = {"text": text}
        if text.startswith("/"):
            fields["entities"] = [{"type": "bot_command", "offset": 0,
                                   "length": len(text.split()[0])}]
        return self._push({"message": self._message(user_id, lang, **fields)})

    def _add_file(self, content: bytes, suffix: str, size: int | None = None) -> tuple[str, str]:
        n = next(self._file_ids)
        file_id, unique = f"file{n}", f"uniq{n}"
        self.files[file_id] = (f"media/{unique}.{suffix}", content)
        self.sizes[file_id] = len(content) if size is None else size
        return file_id, unique

    def send_voice(self, user_id: int, ogg: bytes, lang: str = "en", duration: int = 3,
                   size: int | None = None, size_in_message: bool = True) -> int:
        """The user sends a voice note (size: what Telegram says it weighs)."""
        file_id, unique = self._add_file(ogg, "oga", size)
        voice: dict[str, Any] = {"file_id": file_id, "file_unique_id": unique,
                                 "duration": duration, "mime_type": "audio/ogg"}
        if size_in_message:
            voice["file_size"] = self.sizes[file_id]
        return self._push({"message": self._message(user_id, lang, voice=voice)})

    def send_sticker(self, user_id: int, emoji: str = "👍", lang: str = "en") -> int:
        """The user sends a sticker."""
        file_id, unique = self._add_file(b"RIFFwebp", "webp")
        sticker = {"file_id": file_id, "file_unique_id": unique, "type": "regular",
                   "width": 512, "height": 512, "is_animated": False, "is_video": False,
                   "emoji": emoji}
        return self._push({"message": self._message(user_id, lang, sticker=sticker)})

    def send_document(self, user_id: int, content: bytes, name: str, mime: str,
                      caption: str | None = None, lang: str = "en") -> int:
        """The user sends a file."""
        file_id, unique = self._add_file(content, name.rsplit(".", 1)[-1])
        document = {"file_id": file_id, "file_unique_id": unique, "file_name": name,
                    "mime_type": mime, "file_size": len(content)}
        fields: dict[str, Any] = {"document": document}
        if caption:
            fields["caption"] = caption
        return self._push({"message": self._message(user_id, lang, **fields)})

    def send_location(self, user_id: int, latitude: float, longitude: float,
                      title: str | None = None, address: str | None = None,
                      lang: str = "en") -> int:
        """The user shares a map pin, or a venue (with a title and address)."""
        location = {"latitude": latitude, "longitude": longitude}
        fields: dict[str, Any] = {"location": location}
        if title is not None:
            fields["venue"] = {"location": location, "title": title, "address": address or ""}
        return self._push({"message": self._message(user_id, lang, **fields)})

    def send_photo(self, user_id: int, jpeg: bytes, caption: str | None = None,
                   lang: str = "en") -> int:
        """The user sends a photo (optionally with a caption)."""
        file_id, unique = self._add_file(jpeg, "jpg")
        photo = [{"file_id": file_id, "file_unique_id": unique, "width": 800, "height": 600,
                  "file_size": len(jpeg)}]
        fields: dict[str, Any] = {"photo": photo}
        if caption:
            fields["caption"] = caption
        return self._push({"message": self._message(user_id, lang, **fields)})

    def press(self, user_id: int, data: str, message_id: int | None = None,
              lang: str = "en") -> int:
        """The user presses an inline button (data may be forged by the test)."""
        query: dict[str, Any] = {"id": f"cb{next(self._update_ids)}",
                                 "from": self._user(user_id, lang), "chat_instance": "ci",
                                 "data": data}
        if message_id is not None:
            held = self.messages.get((user_id, message_id))
            query["message"] = {"message_id": message_id, "date": int(time.time()),
                                "chat": {"id": user_id, "type": "private"},
                                "from": BOT_USER, "text": held.text if held else ""}
        return self._push({"callback_query": query})

    # -- looking at what was sent ---------------------------------------------------------
    def to(self, chat_id: int) -> list[Sent]:
        """Messages sent to a chat, in order."""
        return [m for m in self.sent if m.chat_id == chat_id]

    def method_calls(self, method: str) -> list[dict[str, Any]]:
        """Parameters of every successful call of a method."""
        return [p for m, p in self.calls if m == method]

    async def wait_for(self, chat_id: int, predicate: Any = None, *, after: int = 0,
                       timeout: float = 15.0) -> Sent:
        """The first message to chat_id (from index `after` of its messages) matching."""
        deadline = time.monotonic() + timeout
        while True:
            for message in self.to(chat_id)[after:]:
                if predicate is None or predicate(message):
                    return message
            if time.monotonic() > deadline:
                got = [(m.kind, m.text[:60], m.data()) for m in self.to(chat_id)]
                raise AssertionError(f"no matching message to {chat_id}; got {got}")
            await asyncio.sleep(0.02)

    async def wait_button(self, chat_id: int, prefix: str, *, after: int = 0,
                          timeout: float = 15.0) -> tuple[Sent, str]:
        """The first message to chat_id with a button whose data starts with prefix."""
        message = await self.wait_for(
            chat_id, lambda m: any(d.startswith(prefix) for d in m.data()), after=after,
            timeout=timeout)
        return message, next(d for d in message.data() if d.startswith(prefix))

    # -- the API ---------------------------------------------------------------------------
    async def _params(self, request: web.Request) -> dict[str, Any]:
        params: dict[str, Any] = dict(request.query)
        if request.can_read_body:
            if request.content_type == "application/json":
                params.update(await request.json())
            else:
                form = await request.post()
                for key, value in form.items():
                    params[key] = value.file.read() if hasattr(value, "file") else value
                # Uploaded files arrive as "attach://<name>" pointing at another form field.
                for key, value in list(params.items()):
                    if isinstance(value, str) and value.startswith("attach://"):
                        params[key] = params.get(value[len("attach://"):], b"")
        return params

    async def _api(self, request: web.Request) -> web.StreamResponse:
        if request.match_info["token"] != self.token:
            return web.json_response({"ok": False, "error_code": 401,
                                      "description": "Unauthorized"}, status=401)
        method = request.match_info["method"]
        params = await self._params(request)
        for rule in self.holds:
            if rule.matches(method, params):
                rule.held.append(params)
                await rule.event.wait()
                if request.transport is None or request.transport.is_closing():
                    # The client died while we held it: Telegram never got this call.
                    return web.Response(status=499)
        failure = self._failure_for(method)
        if failure is not None:
            self.failed_calls.append((method, failure.kind))
            if failure.kind == "drop":
                assert request.transport is not None
                request.transport.close()
                return web.Response(status=500)
            if failure.kind == "429":
                return web.json_response(
                    {"ok": False, "error_code": 429,
                     "description": f"Too Many Requests: retry after {failure.retry_after}",
                     "parameters": {"retry_after": failure.retry_after}}, status=429)
            return web.json_response({"ok": False, "error_code": 500,
                                      "description": "Internal Server Error"}, status=500)
        handler = getattr(self, f"_m_{method}", None)
        if handler is None:
            return web.json_response({"ok": False, "error_code": 404,
                                      "description": f"Not Found: method {method}"}, status=404)
        result = await handler(params)
        if isinstance(result, web.Response):
            return result
        self.calls.append((method, params))
        return web.json_response({"ok": True, "result": result})

    @staticmethod
    def _bad(description: str) -> web.Response:
        return web.json_response({"ok": False, "error_code": 400,
                                  "description": f"Bad Request: {description}"}, status=400)

    async def _m_getMe(self, _: dict[str, Any]) -> Any:
        return BOT_USER

    async def _m_deleteWebhook(self, _: dict[str, Any]) -> Any:
        return True

    async def _m_setWebhook(self, _: dict[str, Any]) -> Any:
        return True

    async def _m_setMyCommands(self, params: dict[str, Any]) -> Any:
        self.commands.append({
            "commands": json.loads(params.get("commands", "[]")),
            "scope": json.loads(params["scope"]) if params.get("scope") else None,
            "language_code": params.get("language_code"),
        })
        return True

    async def _m_sendChatAction(self, _: dict[str, Any]) -> Any:
        return True

    async def _m_answerCallbackQuery(self, _: dict[str, Any]) -> Any:
        return True

    async def _m_getUpdates(self, params: dict[str, Any]) -> Any:
        offset = int(params.get("offset") or 0)
        timeout = min(float(params.get("timeout") or 0), POLL_CAP_S)
        # Confirmed updates are forgotten, as Telegram does.
        self._updates = [u for u in self._updates if u["update_id"] >= offset]
        if not self._updates and timeout > 0:
            self._new_update.clear()
            try:
                await asyncio.wait_for(self._new_update.wait(), timeout)
            except TimeoutError:
                pass
        return list(self._updates[:100])

    def _store(self, params: dict[str, Any], kind: str, text: str, size: int = 0) -> Any:
        chat_id = int(params["chat_id"])
        markup = json.loads(params["reply_markup"]) if params.get("reply_markup") else {}
        message = Sent(chat_id, next(self._message_ids), kind, text,
                       markup.get("inline_keyboard", []), size)
        self.messages[(chat_id, message.message_id)] = message
        self.sent.append(message)
        return self._as_result(message)

    @staticmethod
    def _as_result(message: Sent) -> dict[str, Any]:
        out: dict[str, Any] = {"message_id": message.message_id, "date": int(time.time()),
                               "chat": {"id": message.chat_id, "type": "private"},
                               "from": BOT_USER}
        if message.kind == "text":
            out["text"] = message.text
        elif message.kind == "voice":
            out["voice"] = {"file_id": "v", "file_unique_id": "v", "duration": 1}
        else:
            out["photo"] = [{"file_id": "p", "file_unique_id": "p", "width": 1, "height": 1}]
            out["caption"] = message.text
        if message.buttons:
            out["reply_markup"] = {"inline_keyboard": message.buttons}
        return out

    async def _m_sendMessage(self, params: dict[str, Any]) -> Any:
        return self._store(params, "text", str(params.get("text", "")))

    async def _m_sendVoice(self, params: dict[str, Any]) -> Any:
        voice = params.get("voice", b"")
        return self._store(params, "voice", "", len(voice) if isinstance(voice, bytes) else 0)

    async def _m_sendPhoto(self, params: dict[str, Any]) -> Any:
        photo = params.get("photo", b"")
        return self._store(params, "photo", str(params.get("caption", "")),
                           len(photo) if isinstance(photo, bytes) else 0)

    def _held(self, params: dict[str, Any]) -> Sent | None:
        return self.messages.get((int(params["chat_id"]), int(params["message_id"])))

    async def _m_editMessageText(self, params: dict[str, Any]) -> Any:
        held = self._held(params)
        if held is None:
            return self._bad("message to edit not found")
        markup = json.loads(params["reply_markup"]) if params.get("reply_markup") else {}
        held.text = str(params.get("text", ""))
        held.buttons = markup.get("inline_keyboard", [])
        held.edits += 1
        return self._as_result(held)

    async def _m_editMessageReplyMarkup(self, params: dict[str, Any]) -> Any:
        held = self._held(params)
        if held is None:
            return self._bad("message to edit not found")
        markup = json.loads(params["reply_markup"]) if params.get("reply_markup") else {}
        new = markup.get("inline_keyboard", [])
        if new == held.buttons:
            return self._bad("message is not modified")
        held.buttons = new
        held.edits += 1
        return self._as_result(held)

    async def _m_getFile(self, params: dict[str, Any]) -> Any:
        file_id = str(params.get("file_id"))
        if file_id not in self.files:
            return self._bad("invalid file_id")
        path, _ = self.files[file_id]
        if self.sizes[file_id] > FETCH_LIMIT:
            return self._bad("file is too big")
        return {"file_id": file_id, "file_unique_id": file_id, "file_size": self.sizes[file_id],
                "file_path": path}

    async def _file(self, request: web.Request) -> web.StreamResponse:
        if request.match_info["token"] != self.token:
            return web.Response(status=401)
        wanted = request.match_info["path"]
        self.downloads.append(wanted)
        for path, content in self.files.values():
            if path == wanted:
                return web.Response(body=content, content_type="application/octet-stream")
        return web.Response(status=404)
