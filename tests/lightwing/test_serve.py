"""`lightwing serve --demo` as a new user runs it: the schema, the demo and a healthy server."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.mark.slow
def test_serve_with_demo_answers_healthz_and_pages(tmp_path: Path) -> None:
    port = _free_port()
    env = {
        **os.environ,
        "LIGHTWING_DATA_DIR": str(tmp_path / "data"),
        "LIGHTWING_PORT": str(port),
        "LIGHTWING_HOST": "127.0.0.1",
    }
    for name in ("DATABASE_URL", "TELEGRAM_BOT_TOKEN"):
        env.pop(name, None)
    log = (tmp_path / "serve.log").open("wb")
    proc = subprocess.Popen(
        [sys.executable, "-m", "lightwing.cli", "serve", "--demo"],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        cwd=tmp_path,
    )
    try:
        deadline = time.monotonic() + 20
        status = None
        while time.monotonic() < deadline:
            try:
                status = httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code
                if status == 200:
                    break
            except httpx.HTTPError:
                pass
            assert proc.poll() is None, (tmp_path / "serve.log").read_text()
            time.sleep(0.2)
        assert status == 200
        assert (tmp_path / "data" / "lightwing.db").exists()
        page = httpx.get(f"http://127.0.0.1:{port}/", timeout=5)
        assert page.status_code == 200
        assert "<main" in page.text
    finally:
        proc.terminate()
        proc.wait(timeout=15)
        log.close()
