"""HTML rendering of the web pages: Jinja2 templates and static files from the package folder."""

from __future__ import annotations

import hashlib
import json
import re
from functools import lru_cache
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape

from core import texts
from core.models import Category, RequestStatus, Urgency
from core.settings import Settings

HERE = Path(__file__).resolve().parent
TEMPLATES = HERE / "templates"
STATIC = HERE / "static"
STATIC_URL = "/web/static/"
STATIC_TYPES: dict[str, str] = {
    ".css": "text/css; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".svg": "image/svg+xml",
}
_STATIC_NAME = re.compile(r"^[a-z0-9][a-z0-9_.-]*\.(css|js|svg)$")

# No inline script or style anywhere: the pages work under a strict policy.
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
    "media-src 'self' blob:; connect-src 'self'; object-src 'none'; base-uri 'none'; "
    "frame-ancestors 'none'; form-action 'self'"
)


@lru_cache(maxsize=1)
def environment() -> Environment:
    """The Jinja2 environment (autoescaped HTML), built on first use."""
    env = Environment(
        loader=FileSystemLoader(str(TEMPLATES)),
        autoescape=select_autoescape(["html"]),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.globals["static"] = static_url
    return env


def static_file(name: str) -> Path | None:
    """The path of a static file by its bare name, or None when there is no such file."""
    if not _STATIC_NAME.match(name):
        return None
    path = STATIC / name
    return path if path.is_file() else None


@lru_cache(maxsize=64)
def _version(name: str, mtime: float) -> str:
    path = STATIC / name
    return hashlib.sha256(path.read_bytes()).hexdigest()[:10] if path.is_file() else "0"


def static_url(name: str) -> str:
    """The URL of a static file, with a content hash so browsers never use a stale copy."""
    path = STATIC / name
    mtime = path.stat().st_mtime if path.is_file() else 0.0
    return f"{STATIC_URL}{name}?v={_version(name, mtime)}"


def web_texts(lang: str, *, easy: bool = False) -> dict[str, str]:
    """Every web.* text of one language (what the page scripts need, as JSON)."""
    keys = [k for k in texts.catalogue(lang) if k.startswith("web.")]
    return {key: texts.get(key, lang, easy=easy) for key in sorted(keys)}


def render(
    template: str,
    *,
    lang: str,
    settings: Settings,
    page: str,
    easy: bool = False,
    large: bool = False,
    **context: Any,
) -> str:
    """A full page in one language (easy-read words, large text by default, when asked)."""
    def t(key: str, **values: Any) -> str:
        return texts.get(key, lang, easy=easy, **values)

    script_texts = json.dumps(web_texts(lang, easy=easy), ensure_ascii=False)
    # "</" never appears inside the JSON island, so it cannot close the script element.
    script_texts = script_texts.replace("</", "<\\/")
    return environment().get_template(template).render(
        t=t,
        lang=lang,
        html_lang="zh-Hans" if lang == "zh" else lang,
        page=page,
        easy=easy,
        large_default=large,
        title=t(f"web.{page}.title"),
        texts_json=script_texts,
        emergency_numbers=", ".join(settings.emergency_number_list()),
        statuses=[s.value for s in RequestStatus],
        categories=[c.value for c in Category],
        urgencies=[u.value for u in Urgency],
        **context,
    )
