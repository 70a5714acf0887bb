"""Cue scoring over the taxonomy, with negation ("I don't need X") and contrast ("just Y")."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from core.classifier.analysis import Doc, View
from core.classifier.matching import Hit
from core.classifier.taxonomy import Taxonomy

# A cue in a clause that says the need is NOT there counts against its category…
NEGATED_FACTOR = -0.4
# …and the clause that follows a contrast word in such a text carries the real request.
CONTRAST_FACTOR = 1.3
# What happened before ("I had a stroke last year") is background; the request is elsewhere.
PAST_FACTOR = 0.6
# In a speech transcript a Chinese cue heard only by its sound (伦疑 for 轮椅) counts this
# share of its weight, times how alike it sounds. Typed text is not searched by sound: there
# common words that are homophones of cues (叫我/教我, 反应/反映) would count as evidence.
SOUND_FACTOR = 0.7


@dataclass
class CueScores:
    """Per-category evidence from the taxonomy cues."""

    scores: dict[str, float] = field(default_factory=lambda: defaultdict(float))
    reasons: list[str] = field(default_factory=list)
    negated: bool = False


def score_cues(doc: Doc, taxonomy: Taxonomy, *, by_sound: bool = False) -> CueScores:
    """Sum the weights of the category cues found, clause by clause; by_sound: also the
    Chinese cues that the unexplained parts of the text sound like (speech transcripts)."""
    out = CueScores()
    seen: set[tuple[str, str]] = set()
    for view in doc.views:
        hits = taxonomy.cues[view.lang].find(view.seq)
        if by_sound and view.lang == "zh":
            hits = _heard_over_written(view, hits, taxonomy)
            hits += _sound_hits(view, hits, taxonomy)
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


def _sound_hits(view: View, hits: list[Hit], taxonomy: Taxonomy) -> list[Hit]:
    """Cues that the parts of a Chinese text no cue or lexicon word explains sound like."""
    covered = [(h.start, h.end) for h in hits] + [(h.start, h.end) for h in view.lexicon_hits]
    out = []
    for hit, sim in taxonomy.cue_sounds.find(str(view.seq), covered):
        heard = view.seq[hit.start : hit.end]
        payloads = tuple(
            (cat, weight * SOUND_FACTOR * sim, f"{kind} heard as '{heard}'")
            for cat, weight, kind in hit.payloads
        )
        out.append(Hit(hit.cue, hit.start, hit.end, payloads))
    return out


# A cue of this many characters or more, heard by sound over a stretch of a transcript that
# holds a shorter written cue, explains the stretch better than the short cue does: speech
# recognition turned 助听器 into 住天气, and the 天气 inside is an accident of the spelling.
LONG_HEARD = 3


def _heard_over_written(view: View, hits: list[Hit], taxonomy: Taxonomy) -> list[Hit]:
    """The character hits, less the short ones that a longer sound-alike cue contains."""
    short = [h for h in hits if h.end - h.start < LONG_HEARD]
    if not short:
        return hits
    keep = [(h.start, h.end) for h in hits if h.end - h.start >= LONG_HEARD]
    covered = keep + [(h.start, h.end) for h in view.lexicon_hits]
    dropped: set[Hit] = set()
    for heard, _sim in taxonomy.cue_sounds.find(str(view.seq), covered):
        if heard.end - heard.start < LONG_HEARD:
            continue
        inside = [h for h in short if heard.start <= h.start and h.end <= heard.end]
        crossing = [
            h for h in short
            if h not in inside and h.start < heard.end and heard.start < h.end
        ]
        if inside and not crossing:
            dropped.update(inside)
    return [h for h in hits if h not in dropped]
