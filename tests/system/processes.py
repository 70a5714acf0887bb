"""Real `lightwing` processes for system tests: start, wait until healthy, kill, read logs."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx
from sqlalchemy import create_engine, text

from core.settings import sqlalchemy_url

REPO = Path(__file__).resolve().parents[2]


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def fresh_pg_database(server_url: str) -> Iterator[str]:
    """CREATE DATABASE for one test on the given server; dropped afterwards."""
    name = f"lw_sys_{uuid.uuid4().hex[:10]}"
    admin = create_engine(sqlalchemy_url(server_url), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield sqlalchemy_url(server_url).rsplit("/", 1)[0] + f"/{name}"
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def base_env(data_dir: Path, **extra: str) -> dict[str, str]:
    """The environment of a lightwing process: ours, minus anything that would leak in."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("LIGHTWING_", "TELEGRAM_")) and k != "DATABASE_URL"}
    env["LIGHTWING_DATA_DIR"] = str(data_dir)
    env["LIGHTWING_HOST"] = "127.0.0.1"
    env["PYTHONPATH"] = str(REPO) + os.pathsep + env.get("PYTHONPATH", "")
    env.update(extra)
    return env


def run_cli(args: list[str], env: dict[str, str], timeout: float = 120) -> str:
    """Run one `lightwing` command to the end; its output, or an assertion with it."""
    done = subprocess.run(
        [sys.executable, "-m", "lightwing.cli", *args], env=env, cwd=REPO,
        capture_output=True, text=True, timeout=timeout,
    )
    assert done.returncode == 0, f"lightwing {' '.join(args)} failed:\n{done.stdout}{done.stderr}"
    return done.stdout + done.stderr


@dataclass
class Proc:
    """One running `lightwing <command>` with its output in a log file."""

    name: str
    args: list[str]
    env: dict[str, str]
    log_path: Path
    port: int | None = None
    popen: subprocess.Popen[bytes] | None = field(default=None, repr=False)

    def start(self) -> Proc:
        """Start the process (output appended to its log file)."""
        log = self.log_path.open("ab")
        self.popen = subprocess.Popen(
            [sys.executable, "-m", "lightwing.cli", *self.args], env=self.env, cwd=REPO,
            stdout=log, stderr=subprocess.STDOUT,
        )
        log.close()
        return self

    @property
    def pid(self) -> int:
        """The process id."""
        assert self.popen is not None
        return self.popen.pid

    def alive(self) -> bool:
        """Still running?"""
        return self.popen is not None and self.popen.poll() is None

    def output(self) -> str:
        """Everything it printed so far."""
        return self.log_path.read_text(encoding="utf-8", errors="replace") \
            if self.log_path.exists() else ""

    def wait_healthy(self, timeout: float = 40) -> str:
        """Wait for GET /healthz = 200 on its port; the base URL."""
        assert self.port is not None
        url = f"http://127.0.0.1:{self.port}"
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.alive(), f"{self.name} exited:\n{self.output()[-4000:]}"
            try:
                if httpx.get(f"{url}/healthz", timeout=2).status_code == 200:
                    return url
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        raise AssertionError(f"{self.name} not healthy after {timeout} s:\n{self.output()[-4000:]}")

    def kill9(self) -> None:
        """SIGKILL: no clean-up of any kind, like a power cut of this process."""
        if self.alive():
            os.kill(self.pid, signal.SIGKILL)
            assert self.popen is not None
            self.popen.wait(timeout=10)

    def stop(self, timeout: float = 15) -> None:
        """SIGTERM, then SIGKILL when it does not stop in time."""
        if not self.alive():
            return
        assert self.popen is not None
        self.popen.terminate()
        try:
            self.popen.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.kill9()


@contextmanager
def processes() -> Iterator[list[Proc]]:
    """A list to put started processes in; every one is stopped at the end."""
    procs: list[Proc] = []
    try:
        yield procs
    finally:
        for proc in procs:
            proc.stop()


def api_proc(name: str, env: dict[str, str], log_dir: Path) -> Proc:
    """`lightwing api` on a free port."""
    port = free_port()
    return Proc(name, ["api"], {**env, "LIGHTWING_PORT": str(port)},
                log_dir / f"{name}.log", port=port)


def worker_proc(name: str, env: dict[str, str], log_dir: Path) -> Proc:
    """`lightwing worker`."""
    return Proc(name, ["worker"], env, log_dir / f"{name}.log")
