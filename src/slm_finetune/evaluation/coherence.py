"""Is a generated answer coherent? The check of the reloaded best checkpoint (spec Task 2.3).

"Coherent" is judged by rules a reader can verify on the printed answer, not by its
correctness: it has at least ``MIN_WORDS`` words; at most ``MAX_REPEAT`` of its word 4-grams
repeat an earlier one (no loop); it shares at least one content word with the question (it is
about the question); and it reads as text (``MIN_ALPHA`` of its characters are letters or
spaces, so code blocks pass but symbol soup does not). The verdict lists every failed rule.

A coherent answer can still be **incomplete**: cut off by the token budget mid-sentence,
mid-word or mid-path (`cut_off`). The verdict says so instead of calling it coherent.
"""

from __future__ import annotations

import re

from slm_finetune.evaluation.error_analysis import repeat_share, topic_overlap, words

MIN_WORDS = 8
MAX_REPEAT = 0.3
MIN_ALPHA = 0.6
SENTENCE_END = ".!?:;)]}\"'`*"  # an answer ending in anything else stops mid-sentence
_FENCE = re.compile(r"```.*?```", re.DOTALL)


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


def cut_off(answer: str) -> str | None:
    """How ``answer`` reads as cut off (an open code block or span, no sentence end), or None."""
    text = answer.strip()
    if not text:
        return None
    if text.count("```") % 2:
        return "ends inside an open code block"
    if _FENCE.sub("", text).count("`") % 2:
        return f"ends inside an open code span (mid-command or mid-path: '...{text[-24:]}')"
    if text[-1] not in SENTENCE_END:
        return f"ends mid-sentence ('...{text[-24:]}')"
    return None


def verdict(question: str, answer: str) -> str:
    """``coherent``, ``incomplete: <how it is cut>`` or ``NOT coherent: <failed rules>``."""
    problems = coherence_problems(question, answer)
    cut = cut_off(answer)
    if problems:
        return "NOT coherent: " + "; ".join(problems + ([cut] if cut else []))
    return f"incomplete: {cut}" if cut else "coherent"
