"""Voice pipeline benchmark: TTS and STT real-time factors, and voice note → read-back time.

Run: python bench/voice.py [--data-dir DIR]   (targets: TTS ≤ 0.2×, STT ≤ 0.5×, read-back ≤ 6 s)
"""

from __future__ import annotations

import argparse
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


def main() -> int:
    """Print the figures."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data-dir", type=Path, default=None)
    parser.add_argument("--runs", type=int, default=3)
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
        stt_times, readback_times = [], []
        for _ in range(args.runs):
            received = time.perf_counter()
            heard = transcribe(note, settings, hint=lang)
            stt_done = time.perf_counter()
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
            f"(target <= 0.5x); detected {heard.lang}"
        )
        print(
            f"[{lang}] voice note -> read-back text: {back:.2f} s (target <= 6 s); "
            f"+ spoken read-back {speak_s:.2f} s"
        )
        print(f"[{lang}] heard: {heard.text}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
