"""Manual 0/1 scores of the forgetting answers (spec Task 2.7), and the assessment they support.

The spec asks for manual scoring. ``outputs/forgetting_review.json`` holds one verdict per
answer, written by reading it against one written rubric (`RUBRIC`, what earns 1 in each
category, the same for the base and the fine-tuned answers; the file carries a copy):
``{"rubric": {...}, "verdicts": {"<prompt>": {"base": {"score": 0|1, "reason": "...",
"answer_sha1": "..."}, "ft": {...}}}, "changes": [...]}``; ``changes`` records the verdicts
that the rubric changed (before -> after, why). A verdict applies only to the exact
answer it judged (its SHA-1 must match the answer in ``forgetting_results.json``), so a re-run
that changes an answer drops that verdict instead of silently reusing it; ``apply`` says how
many answers are reviewed. The automatic rules of ``forgetting.RULES`` stay beside the manual
scores as a cross-check. ``assessment`` writes the reading from the numbers: which categories
kept, lost or gained, which answers flipped, and what the fluency perplexity did.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from slm_finetune.bonus.forgetting import CATEGORIES, FLUENCY, FOLLOW, MATH, QA, table_row

REVIEW_FILE = "outputs/forgetting_review.json"
MODELS = ("base", "ft")
# what earns 1 in each category; applied to every answer of both models alike
RUBRIC = {
    QA: "1 when the answer gives the correct answer to the question asked (Paris; Mars; "
        "Shakespeare; Au; the sky is blue because air scatters short, blue wavelengths more "
        "than long ones) and nowhere gives a different answer to that same question. Wrong "
        "details beside the answer do not change the score (the reason names them), and the "
        "form asked for ('in one sentence') is not scored here: form is Instruction "
        "Following's category.",
    FOLLOW: "1 when the answer contains the output the instruction asks for, in the form it "
            "asks for: exactly the requested number of list items, each a fitting one (3 "
            "fruits, 5 ocean animals); a poem of three lines about rain; the Spanish word "
            "for hello given as the translation; the word written as BANANA. Text around a "
            "correct output does not cost the point; a missing, wrong or malformed output "
            "gets 0.",
    MATH: "1 when the answer's final result is the correct value (136, 73, yes, 180 km, 63). "
          "A correct value that the answer then replaces with another, or an answer that "
          "hedges between two results, gets 0; the working is not scored.",
}


def answer_sha1(answer: str) -> str:
    return hashlib.sha1(answer.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Reviewed:
    """The probes with their manual verdicts where a verdict matches the answer."""

    probes: list[dict[str, Any]]  # each probe record plus manual_{base,ft}, reason_{base,ft}
    n_reviewed: int
    n_answers: int

    @property
    def complete(self) -> bool:
        return self.n_answers > 0 and self.n_reviewed == self.n_answers


def load_review(path: str | Path) -> dict[str, Any]:
    path = Path(path)
    return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {"verdicts": {}}


def apply(summary: dict[str, Any], review: dict[str, Any]) -> Reviewed:
    """Attach each verdict to the answer it judged (None where missing or stale)."""
    probes, reviewed = [], 0
    for probe in summary.get("probes", []):
        row = dict(probe)
        verdicts = review.get("verdicts", {}).get(probe["prompt"], {})
        for model in MODELS:
            verdict = verdicts.get(model)
            valid = verdict is not None and verdict.get("answer_sha1") == answer_sha1(
                probe[f"{model}_answer"])
            row[f"manual_{model}"] = int(verdict["score"]) if valid else None
            row[f"reason_{model}"] = verdict["reason"] if valid else None
            reviewed += valid
        probes.append(row)
    return Reviewed(probes, reviewed, len(MODELS) * len(probes))


def reviewed_table(summary: dict[str, Any], reviewed: Reviewed) -> list[dict[str, Any]]:
    """The spec's table with the manual scores, the automatic ones beside it.

    Only complete reviews are tabulated: a category with an unreviewed answer gets None.
    """
    rows = []
    groups = [(c, [p for p in reviewed.probes if p["category"] == c]) for c in CATEGORIES]
    for name, probes in [*groups, (f"All {len(reviewed.probes)} prompts", reviewed.probes)]:
        if not probes:
            continue
        scores = {}
        for model in MODELS:
            manual = [p[f"manual_{model}"] for p in probes]
            scores[model] = None if None in manual else sum(manual) / len(manual)
            scores[f"auto_{model}"] = sum(p[f"{model}_score"] for p in probes) / len(probes)
        if None in (scores["base"], scores["ft"]):
            row = {"Test Category": name, "Base Model Score": None, "Fine-Tuned Score": None,
                   "Degradation %": None, "metric": "not reviewed"}
        else:
            row = table_row(name, f"manual accuracy over {len(probes)} prompts",
                            scores["base"], scores["ft"], True)
        rows.append({**row, "Automatic (base)": scores["auto_base"],
                     "Automatic (fine-tuned)": scores["auto_ft"]})
    fluency = next(r for r in summary["table"] if r["Test Category"] == FLUENCY)
    rows.append({**fluency, "Automatic (base)": None, "Automatic (fine-tuned)": None})
    return rows


def _flips(probes: list[dict[str, Any]], key: str) -> tuple[list[str], list[str]]:
    """Prompts the fine-tuned model newly passes / newly fails; ``key``: "manual_{}" or
    "{}_score" (the automatic rule), formatted with the model."""
    def flipped(before: int, after: int) -> list[str]:
        return [p["prompt"] for p in probes
                if p[key.format("base")] == before and p[key.format("ft")] == after]

    return flipped(0, 1), flipped(1, 0)


def _quote(prompts: list[str]) -> str:
    return "; ".join(f'"{p}"' for p in prompts) if prompts else "none"


def assessment(summary: dict[str, Any], reviewed: Reviewed) -> list[str]:
    """The Catastrophic Forgetting Assessment as sentences computed from the results."""
    if not reviewed.complete:
        return [f"only {reviewed.n_reviewed} of {reviewed.n_answers} answers have a manual "
                f"verdict for these answers ({REVIEW_FILE}): no manual assessment"]
    table = {r["Test Category"]: r for r in reviewed_table(summary, reviewed)}
    lines = []
    for category in CATEGORIES:
        probes = [p for p in reviewed.probes if p["category"] == category]
        base, tuned = (sum(p[f"manual_{m}"] for p in probes) for m in MODELS)
        change = "kept" if base == tuned else "lost" if tuned < base else "gained"
        lines.append(f"{category}: {change}, {base} -> {tuned} of {len(probes)} answers read "
                     "as correct")
    gained, lost = _flips(reviewed.probes, "manual_{}")
    lines.append(f"answers that became correct after fine-tuning: {_quote(gained)}; answers "
                 f"that became wrong: {_quote(lost)}")
    fluency = table[FLUENCY]
    direction = "lower (more fluent)" if fluency["Fine-Tuned Score"] < fluency[
        "Base Model Score"] else "higher (less fluent)"
    lines.append(f"fluency: WikiText perplexity {fluency['Base Model Score']:.1f} -> "
                 f"{fluency['Fine-Tuned Score']:.1f}, {direction} after fine-tuning")
    auto_gain, auto_loss = _flips(reviewed.probes, "{}_score")
    disagree = [p["prompt"] for p in reviewed.probes for m in MODELS
                if p[f"manual_{m}"] != p[f"{m}_score"]]
    lines.append(f"automatic rules vs reading: they disagree on {len(disagree)} of "
                 f"{reviewed.n_answers} answers; by the rules {len(auto_gain)} answers were "
                 f"gained and {len(auto_loss)} lost, by reading {len(gained)} and {len(lost)}")
    all_row = table[f"All {len(reviewed.probes)} prompts"]
    worse = [c for c in CATEGORIES
             if table[c]["Fine-Tuned Score"] < table[c]["Base Model Score"]]
    worse_fluency = fluency["Fine-Tuned Score"] > fluency["Base Model Score"]
    verdict = (f"correct answers were lost in {', '.join(worse)}" if worse
               else "no category lost correct answers")
    lines.append(f"overall: {all_row['Base Model Score']:.2f} -> {all_row['Fine-Tuned Score']:.2f}"
                 f" of the {len(reviewed.probes)} prompts read as correct; {verdict}; fluency "
                 f"{'degraded' if worse_fluency else 'did not degrade'}; with 5 prompts per "
                 "category one answer is 0.2, so only changes of two or more answers per "
                 "category stand out from noise")
    return lines
