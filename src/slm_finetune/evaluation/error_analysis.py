"""Qualitative analysis: best/worst examples and a heuristic error taxonomy of low scorers.

**Low-scoring** = the fine-tuned model's ROUGE-L F1 is at or below the 33rd percentile
(bottom third) of its test-set scores (`LOW_QUANTILE`). Every low example gets heuristic
flags, computed on the fine-tuned answer:

* ``off_topic``: fewer than 25% of the instruction's (and input's) content-word stems
  appear in the answer (`OFF_TOPIC_MAX`).
* ``overfitting``: at least 40% of the answer's word 8-grams occur verbatim in one single
  training answer (`OVERFIT_MIN`), i.e. it recites a training example.
* ``hallucination``: the answer gives a command (code span or code-block line, first two
  words) that appears neither in the reference, the instruction nor the input; a
  *candidate* only: whether the command is really wrong is decided by reading.
* ``incomplete``: the answer has fewer than half the reference's words, or it was cut by
  ``max_new_tokens`` without the model ending it.
* ``formatting``: the reference has a numbered/bulleted list or a code block and the
  answer has none.
* ``repetition`` ("Other"): more than 30% of the answer's word 4-grams are repeats.

The primary label is the first flag in `PRIORITY` order, "other" when no flag fires. The
labels are then reviewed by reading against one written rubric (`REVIEW_RUBRIC`, the first
label that applies in its order) and the disagreements noted.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from slm_finetune.evaluation.metrics import COMMAND_HEAD_TOKENS, normalise

LOW_QUANTILE = 1 / 3
OFF_TOPIC_MAX = 0.25
OVERFIT_MIN = 0.4
OVERFIT_N = 8
INCOMPLETE_RATIO = 0.5
REPEAT_MIN = 0.3
PRIORITY = ("off_topic", "overfitting", "hallucination", "incomplete", "formatting", "repetition")
CATEGORIES = ("hallucination", "incomplete", "off_topic", "formatting", "overfitting", "other")
CATEGORY_NAMES = {
    "hallucination": "Hallucination",
    "incomplete": "Incomplete response",
    "off_topic": "Off-topic",
    "formatting": "Formatting failure",
    "overfitting": "Overfitting artifact",
    "other": "Other (e.g. repetition loop)",
}
# how a low-scoring answer is labelled by reading it: the first label that applies, in order
REVIEW_RUBRIC = {
    "off_topic": "it answers a different question from the one asked (another task, another "
                 "problem), whether or not its content is right",
    "overfitting": "it recites a training answer instead of answering this question",
    "hallucination": "it answers the question asked, but states a command, menu path, "
                     "setting or fact that is wrong or does not exist, or advice opposite to "
                     "the right one (the wrong platform's commands included)",
    "incomplete": "what it says is right, but it stops before the steps that answer the "
                  "question (token budget or an early end)",
    "formatting": "the content is right, the structure is not (e.g. no steps or code block "
                  "where the question needs them)",
    "other": "none of the above, e.g. a repetition loop; the note says what",
}
_STOPWORD_TEXT = (
    "a an the and or but if then than so to of in on at by for with from into onto over under "
    "is are was were be been being am do does did done have has had can could should would "
    "will shall may might must i me my we our you your he she it its they them their this that "
    "these those what which who whom whose why how when where there here not no yes all any "
    "some each every more most other such only own same too very just also about after again "
    "get got keep keeps still even now way use using want need make sure"
)
_STOPWORDS = frozenset(_STOPWORD_TEXT.split())
_LIST_LINE = re.compile(r"^\s*(?:\d+[.)]|[-*•])\s+", re.MULTILINE)
_CODE = re.compile(r"```[^\n]*\n(.*?)(?:```|$)|`([^`\n]+)`", re.DOTALL)


def words(text: str) -> list[str]:
    return re.findall(r"[a-z0-9][a-z0-9+-]*", text.lower())


def stem(word: str) -> str:
    """A crude suffix stripper, enough to match "crashes" with "crash" in topic words."""
    for suffix in ("ing", "ed", "es", "s"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            return word[: -len(suffix)]
    return word


def content_stems(text: str) -> set[str]:
    return {stem(w) for w in words(text) if len(w) >= 3 and w not in _STOPWORDS}


def ngrams(tokens: Sequence[str], n: int) -> list[tuple[str, ...]]:
    return [tuple(tokens[i : i + n]) for i in range(len(tokens) - n + 1)]


def topic_overlap(instruction: str, answer: str) -> float:
    """Share of the instruction's content-word stems that the answer contains."""
    asked = content_stems(instruction)
    return len(asked & content_stems(answer)) / len(asked) if asked else 1.0


def max_train_overlap(answer: str, train_ngrams: Sequence[set]) -> float:
    """Largest share of the answer's 8-grams found in a single training answer."""
    grams = set(ngrams(words(answer), OVERFIT_N))
    if not grams or not train_ngrams:
        return 0.0
    return max(len(grams & other) for other in train_ngrams) / len(grams)


def repeat_share(answer: str) -> float:
    """Share of the answer's word 4-grams that repeat an earlier one."""
    grams = ngrams(words(answer), 4)
    return 1 - len(set(grams)) / len(grams) if grams else 0.0


def commands(text: str) -> set[str]:
    """First two words of every code span and code-block line of ``text``."""
    found = set()
    for block, inline in _CODE.findall(text):
        for line in block.splitlines() if block else [inline]:
            head = " ".join(normalise(line).split()[:COMMAND_HEAD_TOKENS])
            if head and not head.startswith("#"):
                found.add(head)
    return found


def unsupported_commands(answer: str, reference: str, question: str) -> list[str]:
    """Commands of ``answer`` absent from the reference and the question (normalised text)."""
    known = normalise(reference + " " + question)
    return sorted(c for c in commands(answer) if c not in known)


def has_structure(text: str) -> bool:
    return bool(_LIST_LINE.search(text)) or "```" in text


def heuristic_flags(row: Mapping[str, Any], train_ngrams: Sequence[set]) -> list[str]:
    """The flags (in `PRIORITY` order) of one result row's fine-tuned answer."""
    answer, reference = str(row["ft_output"]), str(row["reference"])
    question = f"{row['instruction']} {row['input']}"
    checks = {
        "off_topic": topic_overlap(question, answer) < OFF_TOPIC_MAX,
        "overfitting": max_train_overlap(answer, train_ngrams) >= OVERFIT_MIN,
        "hallucination": bool(unsupported_commands(answer, reference, question)),
        "incomplete": len(words(answer)) < INCOMPLETE_RATIO * len(words(reference))
        or not bool(row["ft_finished"]),
        "formatting": has_structure(reference) and not has_structure(answer),
        "repetition": repeat_share(answer) > REPEAT_MIN,
    }
    return [name for name in PRIORITY if checks[name]]


def category(flags: Sequence[str]) -> str:
    """The taxonomy category of the first flag ("repetition" and no flag are "other")."""
    first = flags[0] if flags else "other"
    return first if first in CATEGORIES else "other"


def training_ngrams(outputs: Iterable[str]) -> list[set]:
    return [set(ngrams(words(text), OVERFIT_N)) for text in outputs]


def low_threshold(scores: Sequence[float]) -> float:
    """The ROUGE-L value at the `LOW_QUANTILE` of ``scores`` (low = at or below it)."""
    import numpy as np

    return float(np.quantile(np.asarray(scores, dtype=float), LOW_QUANTILE))


def extremes(frame: Any, column: str = "ft_rougeL", k: int = 5) -> tuple[list[int], list[int]]:
    """Example ids of the ``k`` highest and ``k`` lowest ``column`` values (ties: lower id)."""
    ranked = frame.sort_values([column, "example_id"], ascending=[False, True])
    worst = frame.sort_values([column, "example_id"], ascending=[True, True])
    return ranked["example_id"].head(k).tolist(), worst["example_id"].head(k).tolist()


def label_low_examples(frame: Any, train_outputs: Iterable[str]) -> dict[int, list[str]]:
    """Heuristic flags of every low-scoring example, keyed by example id."""
    threshold = low_threshold(frame["ft_rougeL"])
    grams = training_ngrams(train_outputs)
    low = frame[frame["ft_rougeL"] <= threshold]
    return {int(row["example_id"]): heuristic_flags(row, grams) for _, row in low.iterrows()}


def tally(labels: Iterable[str]) -> dict[str, int]:
    """Counts per taxonomy category, every category present (zeros included)."""
    counts = Counter(labels)
    return {name: counts.get(name, 0) for name in CATEGORIES}


def analyse(
    frame: Any, train_outputs: Iterable[str], reviewed: Mapping[int, str] | None = None
) -> dict[str, Any]:
    """The JSON-ready error analysis: definition, per-example flags, tallies, disagreements."""
    flags = label_low_examples(frame, train_outputs)
    heuristic = {eid: category(f) for eid, f in flags.items()}
    reviewed = {eid: label for eid, label in (reviewed or {}).items() if eid in heuristic}
    best, worst = extremes(frame)
    return {
        "low_definition": f"fine-tuned ROUGE-L F1 <= {low_threshold(frame['ft_rougeL']):.4f} "
        f"(the {LOW_QUANTILE:.0%} quantile of the test-set scores)",
        "low_threshold": round(low_threshold(frame["ft_rougeL"]), 4),
        "n_examples": len(frame),
        "n_low": len(flags),
        "best_ids": best,
        "worst_ids": worst,
        "examples": [
            {
                "example_id": eid,
                "flags": f,
                "heuristic": heuristic[eid],
                "reviewed": reviewed.get(eid),
            }
            for eid, f in flags.items()
        ],
        "heuristic_tally": tally(heuristic.values()),
        "flag_counts": {name: sum(name in f for f in flags.values()) for name in PRIORITY},
        "reviewed_tally": tally(reviewed.values()) if reviewed else None,
        "disagreements": [eid for eid, label in reviewed.items() if label != heuristic[eid]],
    }


def plot_tally(analysis: Mapping[str, Any], path: str | Path) -> Path:
    """Bar chart of error-type frequencies (heuristic, and reviewed when available)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    from tatweer_common.io import atomic_path

    series = {"heuristic labels": analysis["heuristic_tally"]}
    if analysis.get("reviewed_tally"):
        series["after review (reading the outputs)"] = analysis["reviewed_tally"]
    x = np.arange(len(CATEGORIES))
    width = 0.8 / len(series)
    fig, ax = plt.subplots(figsize=(9, 4.5))
    for i, (label, counts) in enumerate(series.items()):
        values = [counts[c] for c in CATEGORIES]
        bars = ax.bar(x + (i - (len(series) - 1) / 2) * width, values, width, label=label)
        ax.bar_label(bars)
    ax.set_xticks(x, [CATEGORY_NAMES[c] for c in CATEGORIES], rotation=20, ha="right")
    ax.set_ylabel("low-scoring test examples")
    ax.set_title(
        f"Error types of the {analysis['n_low']} low-scoring examples "
        f"({analysis['low_definition']})",
        fontsize=9,
    )
    ax.legend()
    fig.tight_layout()
    path = Path(path)
    with atomic_path(path) as tmp:
        fig.savefig(tmp, dpi=120, format="png")
    plt.close(fig)
    return path


def _quote(text: str) -> str:
    return "\n".join(f"> {line}" if line else ">" for line in str(text).strip().splitlines())


def example_markdown(row: Mapping[str, Any], note: str | None = None) -> str:
    """One test example as markdown: question, ground truth, both answers, ROUGE-L, a note."""
    parts = [f"### Test example {row['example_id']}", f"**Instruction:** {row['instruction']}"]
    if row.get("input"):
        parts.append(f"**Input:**\n\n{_quote(row['input'])}")
    parts += [
        f"**Ground Truth:**\n\n{_quote(row['reference'])}",
        f"**Base Model Output:**\n\n{_quote(row['base_output'] or '(empty)')}",
        f"**Fine-Tuned Model Output:**\n\n{_quote(row['ft_output'] or '(empty)')}",
        f"**ROUGE-L (fine-tuned):** {row['ft_rougeL']:.4f} (base: {row['base_rougeL']:.4f})",
    ]
    if note:
        parts.append(f"**Commentary:** {note}")
    return "\n\n".join(parts)
