"""The `lightwing` command line contract of DESIGN.md."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from core.settings import Settings
from lightwing import cli
from lightwing.classify_cli import classify_batch


def test_seed_demo_twice_changes_nothing(settings: Settings, monkeypatch: pytest.MonkeyPatch,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr(cli, "get_settings", lambda: settings)
    assert cli.main(["seed", "--demo"]) == 0
    first = json.loads(capsys.readouterr().out)
    assert cli.main(["seed", "--demo"]) == 0
    second = json.loads(capsys.readouterr().out)
    assert first["volunteers"] == second["volunteers"] >= 300
    assert second["created"] == 0 and second["updated"] == 0


def test_classify_batch_writes_one_line_per_input(settings: Settings) -> None:
    pytest.importorskip("core.classifier")
    lines = [
        {"id": "a", "text": "我明天上午要去医院，需要有人陪我"},
        {"id": "b", "text": "Please read my electricity bill to me"},
        {"text": 42},
        {"id": "c", "text": "my neighbour collapsed and is not breathing"},
    ]
    out = io.StringIO()
    inp = io.StringIO("\n".join(json.dumps(x, ensure_ascii=False) for x in lines) + "\n")
    status = classify_batch(inp, out, settings=settings, lang=None)
    rows = [json.loads(x) for x in out.getvalue().splitlines()]
    assert len(rows) == 4
    assert rows[0]["id"] == "a" and rows[0]["category"] == "escort"
    assert rows[1]["category"] == "reading"
    assert "error" in rows[2] and status == 1
    assert rows[3]["category"] == "emergency" and rows[3]["urgency"] == "emergency"
    for row in (rows[0], rows[1], rows[3]):
        assert {"id", "category", "urgency", "confidence"} <= row.keys()


def test_ledger_verify_on_an_empty_ledger(settings: Settings, monkeypatch: pytest.MonkeyPatch,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    pytest.importorskip("core.dispatch")
    monkeypatch.setattr(cli, "get_settings", lambda: settings)
    assert cli.main(["ledger", "verify"]) == 0
    assert json.loads(capsys.readouterr().out)["ok"] is True


def test_keys_create_prints_the_key_once(settings: Settings, monkeypatch: pytest.MonkeyPatch,
                                         capsys: pytest.CaptureFixture[str],
                                         tmp_path: Path) -> None:
    monkeypatch.setattr(cli, "get_settings", lambda: settings)
    assert cli.main(["seed", "--demo"]) == 0
    capsys.readouterr()
    assert cli.main(["keys", "create", "--role", "coordinator", "--area", "gm-xh"]) == 0
    created = json.loads(capsys.readouterr().out)
    assert created["key"].startswith("lw_") and created["role"] == "coordinator"
    assert cli.main(["keys", "list"]) == 0
    listed = capsys.readouterr().out
    assert created["key"] not in listed and created["prefix"] in listed
    assert "hash" not in listed
