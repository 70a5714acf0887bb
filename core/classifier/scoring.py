"""Cue scoring over the taxonomy, with negation ("I don't need X") and contrast ("just Y")."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from core.classifier.analysis import Doc
from core.classifier.taxonomy import Taxonomy

# A cue in a clause that says the need is NOT there counts against its category…
NEGATED_FACTOR = -0.4
# …and the clause that follows a contrast word in such a text carries the real request.
CONTRAST_FACTOR = 1.3
# What happened before ("I had a stroke last year") is background; the request is elsewhere.
PAST_FACTOR = 0.6


@dataclass
class CueScores:
    """Per-category evidence from the taxonomy cues."""

    scores: dict[str, float] = field(default_factory=lambda: defaultdict(float))
    reasons: list[str] = field(default_factory=list)
    negated: bool = False


def score_cues(doc: Doc, taxonomy: Taxonomy) -> CueScores:
    """Sum the weights of the category cues found, clause by clause."""
    out = CueScores()
    seen: set[tuple[str, str]] = set()
    for view in doc.views:
        hits = taxonomy.cues[view.lang].find(view.seq)
        negated_clauses = view.markers.get("need_negation", set())
        contrast_clauses = view.markers.get("contrast", set())
        past_clauses = view.markers.get("past", set())
        positive_elsewhere_than_past = any(
            view.clause(h.start) not in past_clauses and any(p[1] > 0 for p in h.payloads)
            for h in hits
        )
        positive_elsewhere = any(
            view.clause(h.start) not in negated_clauses
            and any(p[1] > 0 for p in h.payloads)
            for h in hits
        )
        for hit in hits:
            clause = view.clause(hit.start)
            factor = 1.0
            note = ""
            if clause in negated_clauses and positive_elsewhere:
                factor, note = NEGATED_FACTOR, " (negated)"
                out.negated = True
            elif negated_clauses and clause in contrast_clauses:
                factor, note = CONTRAST_FACTOR, " (after contrast)"
            elif clause in past_clauses and positive_elsewhere_than_past:
                factor, note = PAST_FACTOR, " (background, past)"
            for cat, weight, kind in hit.payloads:
                if not cat or (cat, hit.cue) in seen:
                    continue
                seen.add((cat, hit.cue))
                value = weight * factor if weight > 0 else weight
                out.scores[cat] += value
                out.reasons.append(f"{cat}: '{hit.cue}' {kind}{note} {value:+.1f}")
    return out
