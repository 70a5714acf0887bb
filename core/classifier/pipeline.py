"""classify(): cues + learned layer + emergency rules + profile prior → Classification."""

from __future__ import annotations

import math
import re
from datetime import datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from core.classifier.analysis import Doc, prepare
from core.classifier.learned import learned_layer
from core.classifier.model import Alternative, Classification, ClassifierProfile
from core.classifier.places import AreaIndex
from core.classifier.scoring import score_cues
from core.classifier.skills import needed_skills
from core.classifier.taxonomy import load_taxonomy
from core.classifier.timeparse import resolve_time
from core.classifier.urgency import decide_urgency, detect_emergency

EMERGENCY, OTHER = "emergency", "other"
# How much the learned layer's probability counts next to cue weights (a strong cue is 3).
LEARNED_WEIGHT = 6.0
# "other" wins when no category has more evidence than this.
OTHER_BASE = 1.6
# Softmax temperature turning scores into confidence, and the clarification threshold.
TEMPERATURE = 1.2
CLARIFY_BELOW = 0.45
DEFAULT_TZ = "Asia/Shanghai"
MAX_CHARS = 2000
# Beyond this length a text is a request, whatever polite words it holds.
LONG_ZH_CHARS, LONG_EN_WORDS, LONG_TEXT_OTHER_FACTOR = 12, 7, 0.3
# So is a short one with this much cue evidence for one request category (a strong cue's
# weight, after negative cues): "谢谢，我家的灯坏了" asks for a repair; "谢谢，修好了" does not.
CLEAR_REQUEST = 3.0
# With a photo, a question about "this" is a request to look at the photo.
PHOTO_BONUS, PHOTO_QUESTION_BONUS = 2.5, 1.5
_QUESTION = re.compile(
    r"\?|^(?:what|which|is|are|does|do|can|could|how|where|who|whose|tell|please)\b"
    r"|\b(?:this|these|that|it)\b|这|那|什么|吗|哪"
)


def _zone(name: str | None) -> ZoneInfo:
    try:
        return ZoneInfo(name or DEFAULT_TZ)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo(DEFAULT_TZ)


def _local_now(now: datetime | None, tz: ZoneInfo) -> datetime:
    if now is None:
        return datetime.now(tz)
    if now.tzinfo is None:
        return now.replace(tzinfo=tz)
    return now.astimezone(tz)


def _is_long(doc: Doc) -> bool:
    if doc.lang == "zh":
        return len(doc.text) > LONG_ZH_CHARS
    return len(doc.text.split()) > LONG_EN_WORDS


def _softmax(scores: dict[str, float]) -> dict[str, float]:
    top = max(scores.values())
    exp = {c: math.exp((s - top) / TEMPERATURE) for c, s in scores.items()}
    total = sum(exp.values())
    return {c: v / total for c, v in exp.items()}


def classify(
    text: str,
    lang: str | None = None,
    profile: ClassifierProfile | None = None,
    *,
    now: datetime | None = None,
    areas: AreaIndex | None = None,
    has_photo: bool = False,
    spoken: bool = False,
) -> Classification:
    """Understand one help request: category, urgency, skills, time window, place, confidence.

    `has_photo`: the request came with a photo (a question about "this" asks us to look at it).
    `spoken`: the text is a speech-recognition transcript, so Chinese cues are also matched
    by sound (speech recognition writes homophones: 伦疑 for 轮椅, 龙人 for 聋人).
    """
    taxonomy = load_taxonomy()
    profile = profile or ClassifierProfile()
    tz = _zone(profile.timezone)
    local_now = _local_now(now, tz)
    hint = (lang or profile.lang or "")[:2].lower() or None
    # Requests are short; a pasted document is cut so one call stays within milliseconds.
    doc = prepare((text or "")[:MAX_CHARS], hint, taxonomy)
    reasons: list[str] = []

    cues = score_cues(doc, taxonomy, by_sound=spoken)
    reasons.extend(cues.reasons)
    learned = learned_layer().predict(doc.text) if doc.text else {}
    request_cues = max(
        (v for c, v in cues.scores.items() if c not in (OTHER, EMERGENCY)), default=0.0
    )
    if cues.scores.get(OTHER, 0.0) > 0 and (_is_long(doc) or request_cues >= CLEAR_REQUEST):
        # Greetings and thanks inside a real request do not make it "not a request".
        cues.scores[OTHER] *= LONG_TEXT_OTHER_FACTOR
    scores: dict[str, float] = {}
    for cat in taxonomy.categories:
        scores[cat] = (
            cues.scores.get(cat, 0.0)
            + LEARNED_WEIGHT * learned.get(cat, 0.0)
            + taxonomy.priors.get(cat, 0.0)
        )
    for disability in profile.disability_types:
        for cat, bonus in taxonomy.profile_priors.get(disability, {}).items():
            if cat in scores and cues.scores.get(cat, 0.0) > 0:
                scores[cat] += bonus
                reasons.append(f"profile prior: {disability} → {cat} {bonus:+.1f}")
    if has_photo:
        # A question sent with a photo asks us to look at the photo.
        bonus = PHOTO_BONUS + (PHOTO_QUESTION_BONUS if _QUESTION.search(doc.text) else 0.0)
        scores["reading"] = scores.get("reading", 0.0) + bonus
        reasons.append(f"photo attached → reading {bonus:+.1f}")
    scores[OTHER] = scores.get(OTHER, 0.0) + OTHER_BASE

    verdict = detect_emergency(doc, taxonomy)
    reasons.extend(verdict.reasons)
    if verdict.is_emergency:
        category = EMERGENCY
        scores[EMERGENCY] = max(scores.values()) + 3.0
    else:
        scores.pop(EMERGENCY, None)
        category = max(scores, key=lambda c: scores[c])
    probs = _softmax(scores)
    ranked = sorted(probs.items(), key=lambda kv: kv[1], reverse=True)
    confidence = probs[category]
    if verdict.is_emergency:
        confidence = max(confidence, min(1.0, 0.8 + 0.05 * (verdict.score - 3.0)))
    window, definite = resolve_time(doc.text, local_now) if doc.text else (None, False)
    if verdict.is_emergency:
        urgency = EMERGENCY
    elif category == OTHER:
        urgency = "normal"
    else:
        urgency, urgency_reasons = decide_urgency(doc, taxonomy, window, local_now, definite)
        reasons.extend(urgency_reasons)
    skills, skill_reasons = needed_skills(doc, category, list(profile.disability_types), taxonomy)
    reasons.extend(skill_reasons)
    place = areas.match(doc.text, doc.lang) if areas is not None and doc.text else None
    if place is not None:
        reasons.append(f"place: '{place.text}' → area {place.area_id} ({place.score:.2f})")
    if window is not None:
        reasons.append(f"time: '{window.text}'")
    return Classification(
        category=category,
        urgency=urgency,
        confidence=round(confidence, 3),
        alternatives=[Alternative(category=c, score=round(p, 3)) for c, p in ranked[:3]],
        skills=skills,
        time=window,
        place=place,
        lang=doc.lang,
        reasons=reasons,
        needs_clarification=(not verdict.is_emergency) and confidence < CLARIFY_BELOW,
    )


def warm_up() -> None:
    """Load the taxonomy and train the learned layer now (a few seconds) instead of on the
    first request; call it at process start-up."""
    load_taxonomy().cue_sounds.find("预热")  # loads the pinyin table
    learned_layer()
