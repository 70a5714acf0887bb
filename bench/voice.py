"""Voice pipeline benchmark: TTS and STT real-time factors, voice note → read-back time, and
the round trip of the request sentences (error rate, classifier agreement).

Run: python bench/voice.py [--data-dir DIR] [--no-roundtrip]
(targets: TTS ≤ 0.2×, STT ≤ 0.5×, read-back ≤ 6 s, agreement ≥ 0.90, English WER ≤ 0.10)
"""

from __future__ import annotations

import argparse
import os
import re
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from accessibility.audio import OPUS_RATE, encode_ogg_opus, load_for_stt  # noqa: E402
from accessibility.stt import get_model, transcribe  # noqa: E402
from accessibility.tts import synthesize  # noqa: E402
from core import texts  # noqa: E402
from core.settings import Settings  # noqa: E402

REQUESTS = Path(__file__).resolve().parents[1] / "tests" / "accessibility" / "data"

SENTENCES = {
    "en": [
        "I need someone to take me to the hospital tomorrow at half past nine.",
        "My wheelchair is broken and I cannot go outside.",
        "Could a volunteer help me buy groceries and medicine this week?",
        "Please read the letter from the bank for me.",
    ],
    "zh": [
        "我明天上午九点半要去医院，需要有人陪我。",
        "我的轮椅坏了，出不了门。",
        "这周请帮我买菜和买药。",
        "请帮我读一下银行寄来的信。",
    ],
}


def ten_second_note(lang: str, settings: Settings) -> bytes:
    """About ten seconds of speech as an OGG/Opus voice note (what Telegram sends)."""
    import io

    import soundfile as sf

    parts: list[np.ndarray] = []
    pause = np.zeros(int(0.4 * OPUS_RATE), dtype=np.float32)
    while sum(len(p) for p in parts) < 10 * OPUS_RATE:
        for text in SENTENCES[lang]:
            data, _ = sf.read(io.BytesIO(synthesize(text, lang, settings).ogg), dtype="float32")
            parts += [data, pause]
    audio = np.concatenate(parts)[: 10 * OPUS_RATE]
    return encode_ogg_opus(audio, OPUS_RATE)


def _units(text: str, lang: str) -> list[str]:
    """Characters (Chinese, for CER) or words (English, for WER), no punctuation."""
    if lang == "zh":
        return list(re.sub(r"[\W_]+", "", text))
    return re.sub(r"[^\w\s']", " ", text.lower()).split()


def round_trip(settings: Settings) -> None:
    """Speak every request sentence, listen to it, and compare words and categories; the
    Chinese held-out set (other wording, never tuned on) shows whether a gain generalises."""
    from rapidfuzz.distance import Levenshtein

    from core.classifier import classify

    for name, lang in (("en", "en"), ("zh", "zh"), ("zh_heldout", "zh")):
        path = REQUESTS / f"requests_{name}.txt"
        lines = [ln.strip() for ln in path.read_text("utf-8").splitlines()]
        sentences = [ln for ln in lines if ln and not ln.startswith("#")]
        errors = total = same = 0
        audio = cpu = 0.0
        for text in sentences:
            note = synthesize(text, lang, settings).ogg
            cpu0 = time.process_time()
            heard = transcribe(note, settings, hint=lang)
            cpu += time.process_time() - cpu0
            audio += heard.duration
            ref, hyp = _units(text, lang), _units(heard.text, lang)
            errors += Levenshtein.distance(ref, hyp)
            total += len(ref)
            typed = classify(text, lang).category
            same += typed == classify(heard.text, lang, spoken=True).category
        unit = "CER" if lang == "zh" else "WER"
        print(
            f"[{name}] round trip of {len(sentences)} requests: {unit} {errors / total:.3f}, "
            f"category agreement {same / len(sentences):.2f} (target >= 0.90); "
            f"STT {cpu / audio:.2f} CPU s per audio s on short notes"
        )


def main() -> int:
    """Print the figures."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data-dir", type=Path, default=None)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--no-roundtrip", action="store_true", help="skip the sentence round trip")
    args = parser.parse_args()
    data_dir = args.data_dir or Path(tempfile.mkdtemp(prefix="lw-bench-voice-"))
    settings = Settings(data_dir=data_dir)

    # TTS: uncached synthesis, work seconds per audio second.
    work = audio = 0.0
    for lang, sentences in SENTENCES.items():
        for text in sentences:
            start = time.perf_counter()
            speech = synthesize(text, lang, settings, use_cache=False)
            work += time.perf_counter() - start
            audio += speech.duration
    print(f"TTS real-time factor: {work / audio:.3f}x  ({audio:.1f} s audio, target <= 0.2x)")

    start = time.perf_counter()
    get_model(settings)  # joins the model on first run, then loads it
    print(f"STT model join+load: {time.perf_counter() - start:.2f} s (once per process)")

    for lang in ("en", "zh"):
        note = ten_second_note(lang, settings)
        duration = len(load_for_stt(note)) / 16000
        transcribe(note, settings, hint=lang)  # warm-up
        stt_times, readback_times, stt_cpu = [], [], []
        for _ in range(args.runs):
            received = time.perf_counter()
            cpu0 = time.process_time()
            heard = transcribe(note, settings, hint=lang)
            stt_done = time.perf_counter()
            stt_cpu.append(time.process_time() - cpu0)
            readback = texts.get("voice.transcript_readback", heard.lang, text=heard.text)
            readback_times.append(time.perf_counter() - received)
            stt_times.append(stt_done - received)
        spoken_start = time.perf_counter()
        synthesize(readback, heard.lang, settings, use_cache=False)
        speak_s = time.perf_counter() - spoken_start
        stt = statistics.median(stt_times)
        back = statistics.median(readback_times)
        print(
            f"[{lang}] STT real-time factor: {stt / duration:.3f}x on a {duration:.1f} s note "
            f"(target <= 0.5x; {statistics.median(stt_cpu) / duration:.3f} CPU s per audio s "
            f"on {os.cpu_count()} CPUs); detected {heard.lang}"
        )
        print(
            f"[{lang}] voice note -> read-back text: {back:.2f} s (target <= 6 s); "
            f"+ spoken read-back {speak_s:.2f} s"
        )
        print(f"[{lang}] heard: {heard.text}")
    if not args.no_roundtrip:
        round_trip(settings)
    # ru_maxrss is in KiB on Linux: the whole process (model, TTS engine, pinyin phrases).
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak RSS {peak:.0f} MB (STT model + TTS + classifier in one process)")
    print(f"(load average {os.getloadavg()[0]:.1f}: wall-clock figures suffer on a busy machine)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
