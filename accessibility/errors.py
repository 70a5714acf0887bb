"""Voice-pipeline errors: domain-style, each with a prompt key the adapter can show."""

from __future__ import annotations

from core.exceptions import DomainError


class VoiceError(DomainError):
    """Base of the voice pipeline's errors (the caller keeps the original note)."""

    code = "voice_error"
    prompt_key = "voice.unreadable"


class AudioUnreadable(VoiceError):
    """The audio could not be decoded (wrong format, broken, empty)."""

    code = "audio_unreadable"
    prompt_key = "voice.unreadable"


class AudioTooLong(VoiceError):
    """The voice note is longer than we transcribe (values: seconds, limit)."""

    code = "audio_too_long"
    prompt_key = "voice.too_long"


class NothingHeard(VoiceError):
    """The audio decoded but no words were recognised."""

    code = "nothing_heard"
    prompt_key = "voice.nothing_heard"


class SpeechFailed(VoiceError):
    """Text-to-speech failed with both pyttsx3 and the espeak-ng command."""

    code = "speech_failed"
    prompt_key = "voice.speech_failed"


class ModelUnavailable(VoiceError):
    """The speech-recognition model could not be found, joined or verified."""

    code = "model_unavailable"
    prompt_key = "voice.model_unavailable"
