"""The `lightwing` command (DESIGN.md, 'Contract: command line')."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from core import texts
from core.settings import Settings, get_settings


def _upgrade(settings: Settings) -> None:
    """Bring the schema up to date."""
    from core.db import upgrade_schema

    upgrade_schema(settings.resolved_database_url)


@contextmanager
def _database(settings: Settings) -> Iterator[Callable[[], Any]]:
    """Upgrade the schema, then a session factory whose engine is closed afterwards."""
    from core.db import engine_from_settings, session_factory

    _upgrade(settings)
    engine = engine_from_settings(settings)
    try:
        yield session_factory(engine)
    finally:
        engine.dispose()


def cmd_serve(args: argparse.Namespace, settings: Settings) -> int:
    """API, web chat, dashboard and dispatch worker (and the bot when a token is set)."""
    from lightwing.runtime import run_server

    _upgrade(settings)
    if args.demo:
        cmd_seed(argparse.Namespace(demo=True), settings)
    return run_server(settings, with_worker=True, with_bot=True)


def cmd_api(args: argparse.Namespace, settings: Settings) -> int:
    """The API and web pages alone (run several of these against PostgreSQL)."""
    from lightwing.runtime import run_server

    _upgrade(settings)
    return run_server(settings, with_worker=False, with_bot=args.webhook)


def cmd_worker(args: argparse.Namespace, settings: Settings) -> int:
    """The dispatch worker alone: deadlines, widening, recurring pairs."""
    from lightwing.runtime import run_worker_process

    with _database(settings) as sessions:
        return run_worker_process(settings, sessions)


def cmd_bot(args: argparse.Namespace, settings: Settings) -> int:
    """The Telegram bot alone (long polling and the outbox sender)."""
    from lightwing.runtime import run_bot_process

    if settings.telegram_bot_token is None:
        print("TELEGRAM_BOT_TOKEN is not set.", file=sys.stderr)
        return 2
    with _database(settings) as sessions:
        return run_bot_process(settings, sessions)


def cmd_seed(args: argparse.Namespace, settings: Settings) -> int:
    """Load the demo district (idempotent)."""
    if not args.demo:
        print("Nothing to seed: pass --demo.", file=sys.stderr)
        return 2
    from core.db import session_scope
    from core.seed.demo import seed_demo

    with _database(settings) as sessions, session_scope(sessions) as session:
        report = seed_demo(session)
    print(json.dumps(report.model_dump() if hasattr(report, "model_dump") else report, default=str))
    return 0


def cmd_migrate(args: argparse.Namespace, settings: Settings) -> int:
    """Bring the schema up to date."""
    _upgrade(settings)
    print("schema is up to date")
    return 0


def cmd_classify(args: argparse.Namespace, settings: Settings) -> int:
    """Classify one text, or JSONL lines from standard input with --batch."""
    from lightwing.classify_cli import classify_batch, classify_one

    if args.batch:
        return classify_batch(sys.stdin, sys.stdout, settings=settings, lang=args.lang)
    if not args.text:
        print("Give a text, or --batch with JSONL on standard input.", file=sys.stderr)
        return 2
    return classify_one(args.text, settings=settings, lang=args.lang, out=sys.stdout)


def cmd_say(args: argparse.Namespace, settings: Settings) -> int:
    """Speak a text into an OGG/Opus file."""
    from accessibility.cli import say_command

    return say_command(args.text, args.lang, Path(args.output), settings)


def cmd_transcribe(args: argparse.Namespace, settings: Settings) -> int:
    """Transcribe a voice file and print JSON."""
    from accessibility.cli import transcribe_command

    return transcribe_command(Path(args.file), settings)


def cmd_keys(args: argparse.Namespace, settings: Settings) -> int:
    """Create, list or revoke API keys."""
    from lightwing.admin_cli import keys_command

    with _database(settings) as sessions:
        return keys_command(args, sessions)


def cmd_ledger(args: argparse.Namespace, settings: Settings) -> int:
    """Verify or export the service-hours ledger."""
    from lightwing.admin_cli import ledger_command

    with _database(settings) as sessions:
        return ledger_command(args, sessions)


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of every subcommand."""
    parser = argparse.ArgumentParser(prog="lightwing", description="Lightwing (光翼)")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("serve", help="API + web chat + dashboard + worker (+ bot)")
    p.add_argument("--demo", action="store_true", help="load the demo district first")
    p.set_defaults(func=cmd_serve)
    p = sub.add_parser("api", help="the HTTP API and web pages only")
    p.add_argument("--webhook", action="store_true", help="also take Telegram webhook updates")
    p.set_defaults(func=cmd_api)
    sub.add_parser("worker", help="the dispatch worker only").set_defaults(func=cmd_worker)
    sub.add_parser("bot", help="the Telegram bot only (long polling)").set_defaults(func=cmd_bot)
    p = sub.add_parser("seed", help="load data")
    p.add_argument("--demo", action="store_true", help="the demo district")
    p.set_defaults(func=cmd_seed)
    sub.add_parser("migrate", help="upgrade the database schema").set_defaults(func=cmd_migrate)

    p = sub.add_parser("classify", help="classify a help request")
    p.add_argument("text", nargs="?")
    p.add_argument("--batch", action="store_true", help="JSONL in on stdin, JSONL out on stdout")
    p.add_argument("--lang", choices=["zh", "en"], default=None)
    p.set_defaults(func=cmd_classify)

    p = sub.add_parser("say", help="text to speech (OGG/Opus)")
    p.add_argument("text")
    p.add_argument("--lang", choices=["zh", "en"], default="zh")
    p.add_argument("-o", "--output", required=True)
    p.set_defaults(func=cmd_say)
    p = sub.add_parser("transcribe", help="speech to text")
    p.add_argument("file")
    p.set_defaults(func=cmd_transcribe)

    p = sub.add_parser("keys", help="API keys")
    ksub = p.add_subparsers(dest="keys_command", required=True)
    k = ksub.add_parser("create")
    roles = ["admin", "coordinator", "volunteer", "resident"]
    k.add_argument("--role", required=True, choices=roles)
    k.add_argument("--area", action="append", default=[], help="area id or code (coordinators)")
    k.add_argument("--subject", type=int, default=None, help="volunteer or resident id")
    k.add_argument("--name", default="")
    ksub.add_parser("list")
    k = ksub.add_parser("revoke")
    k.add_argument("prefix")
    p.set_defaults(func=cmd_keys)

    p = sub.add_parser("ledger", help="the service-hours ledger")
    lsub = p.add_subparsers(dest="ledger_command", required=True)
    lsub.add_parser("verify")
    e = lsub.add_parser("export")
    e.add_argument("-o", "--output", default="-")
    c = lsub.add_parser("certificate")
    c.add_argument("volunteer_id", type=int)
    c.add_argument("--lang", choices=["zh", "en"], default="zh")
    c.add_argument("-o", "--output", default="-")
    p.set_defaults(func=cmd_ledger)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `lightwing` console command."""
    args = build_parser().parse_args(argv)
    settings = get_settings()
    try:
        return int(args.func(args, settings) or 0)
    except ModuleNotFoundError as exc:
        if exc.name and exc.name.split(".")[0] in {"core", "bot", "api", "accessibility"}:
            print(texts.get("cli.not_built", "en", command=args.command), file=sys.stderr)
            return 3
        raise
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
