"""Helpers of bench/run: run each benchmark, pick its key figures out of what it prints,
measure `lightwing serve` under load, describe the machine, and write bench/results.md."""

from __future__ import annotations

import json
import os
import platform
import re
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NUM = r"([0-9]+(?:\.[0-9]+)?)"


@dataclass
class Figure:
    """One row of the results table."""

    name: str
    value: str
    target: str = ""
    source: str = ""


@dataclass
class BenchRun:
    """What one benchmark printed, how long it took and how it ended."""

    name: str
    command: list[str]
    status: str = "not run"
    seconds: float = 0.0
    output: str = ""
    figures: list[Figure] = field(default_factory=list)


def run_bench(name: str, command: list[str], timeout: float) -> BenchRun:
    """Run one benchmark as a child process with the repository on sys.path."""
    run = BenchRun(name, command)
    env = {**os.environ, "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    started = time.monotonic()
    try:
        done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True,
                              timeout=timeout)
        run.output = done.stdout + ("\n" + done.stderr if done.stderr.strip() else "")
        run.status = "ok" if done.returncode == 0 else f"exit {done.returncode}"
    except subprocess.TimeoutExpired as exc:
        out = exc.stdout or ""
        run.output = out.decode(errors="replace") if isinstance(out, bytes) else out
        run.status = f"timeout after {timeout:.0f} s"
    run.seconds = time.monotonic() - started
    return run


def _find(pattern: str, text: str) -> re.Match[str] | None:
    return re.search(pattern, text, flags=re.MULTILINE | re.IGNORECASE)


def bench_json(text: str) -> dict[str, object]:
    """Figures of any `BENCH-JSON {...}` line (benches may print one; later lines win)."""
    found: dict[str, object] = {}
    for line in text.splitlines():
        if line.startswith("BENCH-JSON "):
            try:
                found.update(json.loads(line[len("BENCH-JSON "):]))
            except json.JSONDecodeError:
                continue
    return found


def parse_classifier(text: str) -> list[Figure]:
    """classifications per second, p99 latency, accuracy (bench/classifier.py's table)."""
    out = []
    for label, pattern, target in (
        ("classifier: classifications / s", r"^classifications / s\s+" + NUM, "≥ 2000"),
        ("classifier: latency p99 (ms)", r"^latency p99 \(ms\)\s+" + NUM, "< 5"),
        ("classifier: dev accuracy", r"^dev accuracy\s+" + NUM, "≥ 0.95"),
        ("classifier: emergency recall", r"^emergency recall\s+" + NUM, "= 1.00"),
        ("classifier: peak RSS (MB)", r"^peak RSS \(MB\)\s+" + NUM, "< 150"),
    ):
        m = _find(pattern, text)
        if m:
            out.append(Figure(label, m.group(1), target, "bench/classifier.py"))
    return out


def parse_dispatch(text: str) -> list[Figure]:
    """Routing decision p95 and end-to-end requests per second (bench/dispatch.py)."""
    out = []
    for m in re.finditer(r"^\[(\w+)\] routing decision: p50 " + NUM + r" ms, p95 " + NUM,
                         text, flags=re.MULTILINE):
        out.append(Figure(f"dispatch: routing decision p95 (ms, {m.group(1)})", m.group(3),
                          "< 10", "bench/dispatch.py"))
    for m in re.finditer(r"^\[(\w+)\] end to end( with (\d+) processes)?[^:]*: " + NUM
                         + r" requests/s", text, flags=re.MULTILINE):
        where = m.group(1) + (f", {m.group(3)} processes" if m.group(2) else ", 1 process")
        out.append(Figure(f"dispatch: classify+route+offer / s ({where})", m.group(4),
                          "≥ 200" if m.group(1) == "sqlite" else "", "bench/dispatch.py"))
    return out


def parse_api(text: str) -> list[Figure]:
    """The bare endpoint, and every queue case against it: the worst case is the figure."""
    out = []
    bare = _find(r"^bare FastAPI JSON\s+" + NUM + r" req/s\s+p95\s+" + NUM, text)
    if bare:
        out.append(Figure("api: bare FastAPI endpoint (req/s, p95 ms)",
                          f"{bare.group(1)} / {bare.group(2)}", "", "bench/api.py"))
    shares = [
        (float(m.group(2)), m.group(1).strip(), float(m.group(3)))
        for m in re.finditer(r"^(GET /api/v1/queue[^\n]*?)\s+" + NUM + r" % of bare[^\n]*?"
                             r"p95 " + NUM + r" ms", text, flags=re.MULTILINE)
    ]
    if shares:
        best, worst = max(shares), min(shares)
        out.append(Figure(f"api: queue % of bare, best case ({best[1]})", f"{best[0]:.1f}",
                          "≥ 40", "bench/api.py"))
        out.append(Figure(f"api: queue % of bare, worst case ({worst[1]})", f"{worst[0]:.1f}",
                          "≥ 40", "bench/api.py"))
        out.append(Figure("api: queue p95, slowest case (ms)",
                          f"{max(p for _, _, p in shares):.1f}", "< 50", "bench/api.py"))
    by_cpu = [
        (float(m.group(2)), m.group(1).strip())
        for m in re.finditer(r"^(GET /api/v1/queue[^\n]*?)\s+" + NUM
                             + r" % of bare by server CPU", text, flags=re.MULTILINE)
    ]
    if by_cpu:
        worst = min(by_cpu)
        out.append(Figure(f"api: queue % of bare by server CPU per request, worst case "
                          f"({worst[1]})", f"{worst[0]:.1f}", "≥ 40", "bench/api.py"))
    return out


def parse_bot(text: str) -> list[Figure]:
    """Updates per second and message-to-offer latency (bench/bot.py)."""
    out = []
    m = _find(r"updates handled[^\n]*?" + NUM + r" updates/s", text)
    if m:
        out.append(Figure("bot: updates handled / s", m.group(1), "", "bench/bot.py"))
    m = _find(r"resident message -> offer delivered \(sum\):\s+median " + NUM
              + r" ms, p95 " + NUM, text)
    if m:
        out.append(Figure("bot: message → offer delivered p95 (ms)", m.group(2), "",
                          "bench/bot.py"))
    return out


def parse_voice(text: str) -> list[Figure]:
    """Real-time factors of speech synthesis and recognition, read-back time (bench/voice.py)."""
    out = []
    m = _find(r"TTS real-time factor:\s*" + NUM, text)
    if m:
        out.append(Figure("voice: TTS real-time factor (×)", m.group(1), "≤ 0.2",
                          "bench/voice.py"))
    for lang, rtf in re.findall(r"^\[(\w+)\] STT real-time factor:\s*" + NUM, text,
                                flags=re.MULTILINE):
        out.append(Figure(f"voice: STT real-time factor (×, {lang})", rtf, "≤ 0.5",
                          "bench/voice.py"))
    for lang, secs in re.findall(r"^\[(\w+)\] voice note -> read-back text:\s*" + NUM,
                                 text, flags=re.MULTILINE):
        out.append(Figure(f"voice: voice note → read-back (s, {lang})", secs, "≤ 6",
                          "bench/voice.py"))
    if not out:  # another wording: any line naming TTS/STT with a real-time factor
        for part, words in (("TTS", r"(?:tts|synthes\w*)"), ("STT", r"(?:stt|transcri\w*)")):
            m = _find(words + r"[^\n]*?(?:rtf|real[- ]?time factor)[^\n0-9]*" + NUM, text)
            if m:
                out.append(Figure(f"voice: {part} real-time factor", m.group(1), "",
                                  "bench/voice.py"))
    return out


def figures_of(run: BenchRun, parser: object) -> list[Figure]:
    """Parsed figures plus any BENCH-JSON ones."""
    figures = list(parser(run.output)) if callable(parser) else []
    for key, value in bench_json(run.output).items():
        if not any(f.name.endswith(key) for f in figures):
            figures.append(Figure(f"{run.name}: {key}", str(value), "", run.name))
    return figures


# -- peak memory of `lightwing serve` under load -----------------------------------------------

def _vm(pid: int, key: str) -> int:
    """A /proc/<pid>/status size in kB (VmHWM, VmRSS)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(key + ":"):
            return int(line.split()[1])
    return 0


def serve_memory(seconds: float = 20.0, clients: int = 4) -> tuple[list[Figure], str]:
    """Start `lightwing serve` on a temporary SQLite with the demo seed, load it, read VmHWM."""
    import httpx

    admin_key = "lw-bench-serve-admin"
    with tempfile.TemporaryDirectory(prefix="lw-bench-serve-") as tmp:
        import socket

        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port = int(sock.getsockname()[1])
        env = {k: v for k, v in os.environ.items()
               if not k.startswith(("LIGHTWING_", "TELEGRAM_")) and k != "DATABASE_URL"}
        env.update({"LIGHTWING_DATA_DIR": f"{tmp}/data", "LIGHTWING_PORT": str(port),
                    "LIGHTWING_HOST": "127.0.0.1", "LIGHTWING_ADMIN_KEY": admin_key,
                    "LIGHTWING_RATE_LIMIT": "10000000", "PYTHONPATH": str(ROOT)})
        cli = [sys.executable, "-m", "lightwing.cli"]
        seeded = subprocess.run([*cli, "seed", "--demo"], cwd=ROOT, env=env,
                                capture_output=True, text=True, timeout=180)
        if seeded.returncode != 0:
            return [], f"seed failed:\n{seeded.stdout}{seeded.stderr}"
        log_path = Path(tmp) / "serve.log"
        with log_path.open("wb") as log:
            proc = subprocess.Popen([*cli, "serve"], cwd=ROOT, env=env, stdout=log,
                                    stderr=subprocess.STDOUT)
        base = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 60
            while True:
                try:
                    if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                if time.monotonic() > deadline or proc.poll() is not None:
                    return [], "serve did not start:\n" + log_path.read_text()[-3000:]
                time.sleep(0.2)
            idle_rss = _vm(proc.pid, "VmRSS")
            import sqlite3

            with sqlite3.connect(f"{tmp}/data/lightwing.db") as conn:
                residents = [r[0] for r in conn.execute("SELECT id FROM resident")]
            texts = ["请明天上午陪我去医院看病", "Please read a letter from the bank for me",
                     "我的轮椅坏了，能帮忙修一下吗", "I need help buying groceries this afternoon"]
            counts = {"post": 0, "get": 0, "errors": 0}
            lock = threading.Lock()
            stop_at = time.monotonic() + seconds

            def client(index: int) -> None:
                headers = {"Authorization": f"Bearer {admin_key}"}
                n = index
                with httpx.Client(base_url=base, headers=headers, timeout=30) as http:
                    while time.monotonic() < stop_at:
                        n += clients
                        try:
                            if n % 3 == 0:
                                r = http.get("/api/v1/queue")
                                kind = "get"
                            else:
                                r = http.post("/api/v1/requests", json={
                                    "resident_id": residents[n % len(residents)],
                                    "text": texts[n % len(texts)]})
                                kind = "post"
                            ok = r.status_code < 400
                        except httpx.HTTPError:
                            ok, kind = False, "get"
                        with lock:
                            counts[kind if ok else "errors"] += 1

            threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            hwm = _vm(proc.pid, "VmHWM")
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
        note = (f"serve under load {seconds:.0f} s, {clients} clients: {counts['post']} POST "
                f"/api/v1/requests, {counts['get']} GET /api/v1/queue, {counts['errors']} errors")
        figures = [
            Figure("serve: peak memory VmHWM under load (MB)", f"{hwm / 1024:.0f}", "",
                   "bench/_collect.py"),
            Figure("serve: RSS when idle after start (MB)", f"{idle_rss / 1024:.0f}", "",
                   "bench/_collect.py"),
            Figure("serve: requests filed / s during the load",
                   f"{counts['post'] / seconds:.1f}", "", "bench/_collect.py"),
        ]
        return figures, note


# -- the machine and the report ---------------------------------------------------------------

def machine() -> dict[str, str]:
    """nproc, memory, CPU model, Python version, date."""
    cpu = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        cpu = platform.processor()
    mem = ""
    try:
        kb = int(Path("/proc/meminfo").read_text().split()[1])
        mem = f"{kb / 1024 / 1024:.1f} GiB"
    except (OSError, ValueError, IndexError):
        pass
    return {
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "nproc": str(os.cpu_count()),
        "memory": mem,
        "cpu": cpu or "unknown",
        "python": platform.python_version(),
        "os": platform.platform(),
        "load average at start": " ".join(f"{x:.2f}" for x in os.getloadavg()),
    }


def table(figures: list[Figure]) -> str:
    """A Markdown table of the figures."""
    lines = ["| figure | value | target | from |", "|---|---:|---|---|"]
    lines += [f"| {f.name} | {f.value} | {f.target} | {f.source} |" for f in figures]
    return "\n".join(lines)


README_START = "<!-- bench/run table: start -->"
README_END = "<!-- bench/run table: end -->"


def write_readme_table(readme: Path, info: dict[str, str], figures: list[Figure]) -> bool:
    """Put the table between the README's bench markers; False when the markers are missing."""
    text = readme.read_text(encoding="utf-8")
    start, end = text.find(README_START), text.find(README_END)
    if start < 0 or end < start:
        return False
    machine = ", ".join(f"{k} {v}" for k, v in info.items()
                        if k in ("date", "nproc", "memory", "cpu", "load average at start"))
    block = f"{README_START}\n\nMeasured by `bench/run` ({machine}).\n\n{table(figures)}\n\n"
    readme.write_text(text[:start] + block + text[end:], encoding="utf-8")
    return True


def write_results(path: Path, info: dict[str, str], figures: list[Figure],
                  runs: list[BenchRun], notes: list[str]) -> str:
    """Write bench/results.md; returns its text."""
    parts = ["# Lightwing benchmark results", "",
             "Written by `bench/run` (small sizes so the whole run stays under 10 minutes).", "",
             "## Machine", ""]
    parts += [f"- {k}: {v}" for k, v in info.items()]
    parts += ["", "## Figures", "", table(figures), "", "## Runs", "",
              "| bench | status | seconds | command |", "|---|---|---:|---|"]
    parts += [f"| {r.name} | {r.status} | {r.seconds:.0f} | `{' '.join(r.command[1:])}` |"
              for r in runs]
    if notes:
        parts += ["", "## Notes", ""] + [f"- {n}" for n in notes]
    parts += ["", "## Raw output", ""]
    for r in runs:
        parts += [f"<details><summary>{r.name} ({r.status})</summary>", "", "```",
                  r.output.strip()[-6000:], "```", "", "</details>", ""]
    text = "\n".join(parts) + "\n"
    path.write_text(text, encoding="utf-8")
    return text
