"""`lightwing keys …` and `lightwing ledger …`."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path
from typing import Any

from sqlmodel import or_, select

from core.db import session_scope
from core.models import ApiKeyPublic, Area


def _area_ids(session: Any, refs: list[str]) -> list[int]:
    ids: list[int] = []
    for ref in refs:
        column = Area.id if ref.isdigit() else Area.code
        value: int | str = int(ref) if ref.isdigit() else ref
        area = session.exec(
            select(Area).where(or_(column == value, Area.name_zh == ref, Area.name_en == ref))
        ).first()
        if area is None:
            raise SystemExit(f"no area {ref!r}")
        ids.append(area.id)
    return ids


def keys_command(args: argparse.Namespace, sessions: Callable[[], Any]) -> int:
    """Create (printing the key once), list or revoke API keys."""
    from core.services import apikeys

    with session_scope(sessions) as session:
        if args.keys_command == "create":
            area_ids = _area_ids(session, args.area)
            if args.role == "coordinator" and not area_ids:
                print("A coordinator key needs at least one --area.", file=sys.stderr)
                return 2
            key, plaintext = apikeys.create_key(
                session, role=args.role, area_ids=area_ids, subject_id=args.subject, name=args.name
            )
            print(json.dumps({"key": plaintext, "prefix": key.prefix, "role": key.role,
                              "area_ids": key.area_ids}))
            print("Store this key now: it is shown only once.", file=sys.stderr)
        elif args.keys_command == "list":
            for key in apikeys.list_keys(session):
                public = ApiKeyPublic.model_validate(key, from_attributes=True)
                print(json.dumps(public.model_dump(mode="json")))
        else:
            apikeys.revoke_key(session, prefix=args.prefix)
            print(f"revoked {args.prefix}")
    return 0


def _write(text: str, output: str) -> None:
    if output == "-":
        sys.stdout.write(text)
    else:
        Path(output).write_text(text, encoding="utf-8")


def ledger_command(args: argparse.Namespace, sessions: Callable[[], Any]) -> int:
    """Verify the hash chain (exit 1 when broken), export CSV, or print a certificate."""
    from core import dispatch

    with session_scope(sessions) as session:
        if args.ledger_command == "verify":
            report = dispatch.verify_ledger(session)
            print(json.dumps(asdict(report), ensure_ascii=False))
            return 0 if report.ok else 1
        if args.ledger_command == "export":
            _write(dispatch.export_ledger_csv(session), args.output)
            return 0
        _write(
            dispatch.certificate_html(session, volunteer_id=args.volunteer_id, lang=args.lang),
            args.output,
        )
    return 0
