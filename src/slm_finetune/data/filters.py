"""Quality filters and the filtering pipeline, each step counted.

Order (an example is counted under the first step that rejects it): instruction form,
output length, cut-off output, PII, exact duplicate instruction, near-duplicate
instruction. Normalisation runs first so every check sees the final text, and duplicates
are resolved last so that a clean copy is never dropped in favour of a rejected one.

Similar examples (same problem, reworded question and answer) are kept but grouped, so the
split can keep each group in one split and no paraphrase leaks from train into val/test.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field, replace

from slm_finetune.data.dedupe import (
    NearDuplicate,
    exact_duplicates,
    near_duplicates,
    similar_groups,
)
from slm_finetune.data.normalize import normalize_example
from slm_finetune.data.pii import find_pii
from slm_finetune.data.schema import Example
from slm_finetune.data.sources import Candidate

FILTER_STEPS = (
    "instruction_form", "output_length", "cut_off", "pii", "exact_duplicate", "near_duplicate",
)  # fmt: skip
MIN_WORDS, MAX_WORDS = 20, 500
_FENCE_LINE = re.compile(r"^\s*```", re.MULTILINE)
_TRAILING_CLOSERS = ")]}\"'*_`”’»"


def word_count(text: str) -> int:
    """Whitespace-separated words."""
    return len(text.split())


def is_cut_off(output: str) -> bool:
    """True when the output ends mid-sentence or inside an unclosed code block.

    A complete output ends with ``.``, ``!`` or ``?`` (possibly followed by closing
    brackets, quotes or emphasis marks) or with the closing fence of a code block.
    """
    if len(_FENCE_LINE.findall(output)) % 2:
        return True
    text = output.rstrip()
    if text.endswith("```"):
        return False
    text = text.rstrip(_TRAILING_CLOSERS)
    return not text or text[-1] not in ".!?"


def check_example(example: Example) -> tuple[str, str] | None:
    """The first per-example filter that rejects ``example`` as (step, detail), or None."""
    words = word_count(example.output)
    if not MIN_WORDS <= words <= MAX_WORDS:
        return "output_length", f"{words} words"
    if is_cut_off(example.output):
        return "cut_off", repr(example.output.rstrip()[-30:])
    hits = find_pii(" \n".join((example.instruction, example.input, example.output)))
    if hits:
        return "pii", " ".join(sorted({kind for kind, _ in hits}))  # never echo the PII
    return None


@dataclass(frozen=True)
class Rejection:
    """A removed candidate, the step that removed it and a short reason."""

    candidate: Candidate
    step: str
    detail: str


@dataclass
class FilterResult:
    """Kept candidates (normalised), rejections and the formatting counts."""

    kept: list[Candidate]
    rejected: list[Rejection]
    near_duplicates: list[tuple[Candidate, Candidate, float]] = field(default_factory=list)
    similar_pairs: list[tuple[Candidate, Candidate, float]] = field(default_factory=list)
    groups: list[int] = field(default_factory=list)  # per kept candidate: its group's first
    instructions_fixed: int = 0
    whitespace_changed: int = 0

    def removed_counts(self) -> dict[str, int]:
        """Removed per step, every step listed (zeros included), in pipeline order."""
        counts = Counter(r.step for r in self.rejected)
        return {step: counts.get(step, 0) for step in FILTER_STEPS}


def _normalise_and_check(candidates: list[Candidate], result: FilterResult) -> list[Candidate]:
    passed = []
    for cand in candidates:
        example, status = normalize_example(cand.example)
        result.instructions_fixed += status == "fixed"
        result.whitespace_changed += (example.input, example.output) != (
            cand.example.input,
            cand.example.output,
        )
        cand = replace(cand, example=example)
        if status == "invalid":
            result.rejected.append(Rejection(cand, "instruction_form", example.instruction[:60]))
            continue
        problem = check_example(example)
        if problem:
            result.rejected.append(Rejection(cand, *problem))
        else:
            passed.append(cand)
    return passed


def _dedupe(
    candidates: list[Candidate], result: FilterResult, threshold: float, remove_near: bool
) -> list[Candidate]:
    firsts = exact_duplicates([c.example.instruction for c in candidates])
    unique = []
    for cand, first in zip(candidates, firsts, strict=True):
        if first is None:
            unique.append(cand)
        else:
            detail = f"same instruction as {candidates[first].origin}"
            result.rejected.append(Rejection(cand, "exact_duplicate", detail))
    near: list[NearDuplicate] = near_duplicates([c.example.instruction for c in unique], threshold)
    result.near_duplicates = [(unique[n.of], unique[n.index], n.score) for n in near]
    if not remove_near:
        return unique
    drop = {n.index for n in near}
    for n in near:
        detail = f"Jaccard {n.score:.2f} with {unique[n.of].origin}"
        result.rejected.append(Rejection(unique[n.index], "near_duplicate", detail))
    return [c for i, c in enumerate(unique) if i not in drop]


def full_text(example: Example) -> str:
    """Instruction, input and output together (the text compared for similarity)."""
    return "\n".join((example.instruction, example.input, example.output))


def run_filters(
    candidates: list[Candidate],
    near_threshold: float = 0.8,
    remove_near: bool = True,
    similar_threshold: float = 0.4,
) -> FilterResult:
    """Normalise, filter and de-duplicate ``candidates`` (input order decides who is kept),
    then group the kept ones whose whole-example token Jaccard is >= ``similar_threshold``."""
    result = FilterResult(kept=[], rejected=[])
    passed = _normalise_and_check(candidates, result)
    result.kept = kept = _dedupe(passed, result, near_threshold, remove_near)
    groups, pairs = similar_groups([full_text(c.example) for c in kept], similar_threshold)
    result.groups = groups
    result.similar_pairs = [(kept[p.of], kept[p.index], p.score) for p in pairs]
    return result
