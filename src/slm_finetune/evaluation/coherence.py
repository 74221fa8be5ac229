"""Is a generated answer coherent? The check of the reloaded best checkpoint (spec Task 2.3).

"Coherent" is judged by rules a reader can verify on the printed answer, not by its
correctness: it has at least ``MIN_WORDS`` words; at most ``MAX_REPEAT`` of its word 4-grams
repeat an earlier one (no loop); it shares at least one content word with the question (it is
about the question); and it reads as text (``MIN_ALPHA`` of its characters are letters or
spaces, so code blocks pass but symbol soup does not). The verdict lists every failed rule.
"""

from __future__ import annotations

from slm_finetune.evaluation.error_analysis import repeat_share, topic_overlap, words

MIN_WORDS = 8
MAX_REPEAT = 0.3
MIN_ALPHA = 0.6


def coherence_problems(question: str, answer: str) -> list[str]:
    """The rules ``answer`` fails (empty list = coherent)."""
    problems = []
    n_words = len(words(answer))
    if n_words < MIN_WORDS:
        problems.append(f"only {n_words} words (< {MIN_WORDS})")
    repeat = repeat_share(answer)
    if repeat > MAX_REPEAT:
        problems.append(f"{100 * repeat:.0f}% of its 4-grams repeat (> {100 * MAX_REPEAT:.0f}%)")
    if answer.strip() and topic_overlap(question, answer) == 0:
        problems.append("no content word of the question")
    text = answer.strip()
    alpha = sum(ch.isalpha() or ch.isspace() for ch in text) / len(text) if text else 0.0
    if alpha < MIN_ALPHA:
        problems.append(f"{100 * alpha:.0f}% letters (< {100 * MIN_ALPHA:.0f}%)")
    return problems


def verdict(question: str, answer: str) -> str:
    """``coherent`` or ``NOT coherent: <failed rules>``, for printing next to the answer."""
    problems = coherence_problems(question, answer)
    return "coherent" if not problems else "NOT coherent: " + "; ".join(problems)
