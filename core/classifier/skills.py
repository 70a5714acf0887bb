"""Skills a volunteer needs: from the category, the resident's disability, and cues."""

from __future__ import annotations

from core.classifier.analysis import Doc
from core.classifier.taxonomy import Taxonomy


def needed_skills(
    doc: Doc, category: str, disabilities: list[str], taxonomy: Taxonomy
) -> tuple[list[str], list[str]]:
    """The skills (ordered, unique) and the reasons they were added."""
    skills: list[str] = list(taxonomy.category_skills.get(category, []))
    reasons: list[str] = []
    for disability in disabilities:
        entry = taxonomy.disability_skills.get(disability)
        if entry and category in entry[1]:
            for skill in entry[0]:
                if skill not in skills:
                    skills.append(skill)
                    reasons.append(f"skill {skill}: resident profile ({disability})")
    for view in doc.views:
        for hit in taxonomy.skill_cues[view.lang].find(view.seq):
            for skill in hit.payloads:
                scope = taxonomy.cue_scope.get(skill)
                if skill in skills or (scope is not None and category not in scope):
                    continue
                skills.append(skill)
                reasons.append(f"skill {skill}: '{hit.cue}'")
    return skills, reasons
