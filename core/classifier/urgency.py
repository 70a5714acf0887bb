"""Emergency detection (danger now beats everything) and urgency from cues and time."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from core.classifier.analysis import Doc
from core.classifier.model import TimeWindow
from core.classifier.taxonomy import Taxonomy

PAST_FACTOR = 0.25
MILD_FACTOR = 0.4


@dataclass
class EmergencyVerdict:
    """Whether the text describes danger now, with the evidence."""

    score: float = 0.0
    is_emergency: bool = False
    reasons: list[str] = field(default_factory=list)


def detect_emergency(doc: Doc, taxonomy: Taxonomy) -> EmergencyVerdict:
    """Score emergency cues clause by clause; past, mild and 'I'm safe' clauses count less."""
    weights = taxonomy.emergency_weights
    verdict = EmergencyVerdict()
    total = 0.0
    for view in doc.views:
        hits = taxonomy.emergency[view.lang].find(view.seq)
        safe_clauses = {view.clause(h.start) for h in hits if "safe" in h.payloads}
        now_seen = False
        routine = False
        view_score = 0.0
        for hit in hits:
            kinds = hit.payloads
            clause = view.clause(hit.start)
            if "mask" in kinds:
                continue
            if "safe" in kinds:
                verdict.reasons.append(f"emergency guard: '{hit.cue}'")
                continue
            scored = "strong" in kinds or "weak" in kinds or "hint" in kinds
            if "routine" in kinds:
                routine = True
                if not scored:
                    continue
            if "now" in kinds and not scored:
                now_seen = True
                continue
            kind = "strong" if "strong" in kinds else "weak" if "weak" in kinds else "hint"
            base = weights[kind]
            factor = 1.0
            if clause in safe_clauses:
                factor = 0.0
            elif view.clause_has("past", hit.start):
                factor = PAST_FACTOR
            elif view.clause_has("mild", hit.start):
                factor = MILD_FACTOR
            view_score += base * factor
            verdict.reasons.append(f"emergency cue: '{hit.cue}' {base * factor:+.1f}")
        if view_score > 0 and now_seen:
            view_score += weights["now"]
        elif routine:
            view_score *= weights["routine"]
            verdict.reasons.append("emergency: a routine is described, not danger now")
        total = max(total, view_score)
    verdict.score = total
    verdict.is_emergency = total >= weights["threshold"]
    return verdict


def decide_urgency(
    doc: Doc, taxonomy: Taxonomy, window: TimeWindow | None, now: datetime, definite: bool
) -> tuple[str, list[str]]:
    """urgent / normal / flexible from the cues and the time window (emergency decided before)."""
    kinds: set[str] = set()
    reasons: list[str] = []
    for view in doc.views:
        for hit in taxonomy.urgency[view.lang].find(view.seq):
            if "urgent" in hit.payloads and (
                view.clause_has("past", hit.start) or view.clause_has("mild", hit.start)
            ):
                continue  # "my knee still hurts a bit now" is not a call for help today
            kinds.update(hit.payloads)
            reasons.append(f"urgency cue: '{hit.cue}' ({'/'.join(hit.payloads)})")
    # "not urgent" / "now and then" are longer cues, so they already hid "urgent" / "now".
    urgent = "urgent" in kinds
    soon = False
    near = False
    # Only a definite time (a day, a clock time, "in two hours") makes a request urgent:
    # "in the evening" alone is a habit, "this week" a span.
    if window is not None:
        ahead = (window.start - now).total_seconds() / 3600
        soon = definite and ahead <= taxonomy.urgent_hours and window.start.date() <= now.date()
        near = ahead <= 24 * 7
    if "flexible_strong" in kinds and not urgent:
        return "flexible", reasons
    if urgent or soon:
        if soon and not urgent:
            reasons.append("urgency: the time asked for is within hours")
        return "urgent", reasons
    if "flexible_weak" in kinds and not near:
        return "flexible", reasons
    return "normal", reasons

