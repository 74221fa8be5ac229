"""Dataset statistics: counts, average lengths, vocabulary and topic distribution.

Tokens here are words: lower-cased runs of letters and digits over instruction, input and
output. The unique-token count is therefore a word-level estimate (a subword tokenizer
would report more, smaller pieces).
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from statistics import mean

from slm_finetune.data.schema import TOPICS, Example

_WORD = re.compile(r"[a-z0-9]+")


def words(example: Example) -> list[str]:
    """The example's word tokens (instruction, input and output)."""
    text = " ".join((example.instruction, example.input, example.output))
    return _WORD.findall(text.lower())


@dataclass(frozen=True)
class SplitStats:
    """Per-split counts and average lengths (in whitespace-separated words)."""

    name: str
    count: int
    with_input: int
    avg_instruction_words: float
    avg_output_words: float
    unique_tokens: int
    token_coverage: float | None  # share of the split's tokens seen in train (None for train)
    type_coverage: float | None  # share of the split's distinct tokens seen in train


@dataclass
class DatasetStats:
    """Everything the printout and the Data Card report."""

    splits: list[SplitStats]
    unique_tokens: int
    topics: dict[str, dict[str, int]]
    sources: dict[str, dict[str, int]]
    removed: dict[str, int]
    raw_total: int
    instructions_fixed: int = 0
    whitespace_changed: int = 0
    near_duplicate_pairs: list[tuple[str, str, float]] = field(default_factory=list)
    similar_pairs: list[tuple[str, str, float]] = field(default_factory=list)

    @property
    def total(self) -> int:
        return sum(s.count for s in self.splits)


def _avg(values: list[int]) -> float:
    return round(mean(values), 1) if values else 0.0


def split_stats(name: str, examples: list[Example], train_vocab: set[str] | None) -> SplitStats:
    """Statistics of one split; coverage is measured against ``train_vocab`` when given."""
    tokens = [w for ex in examples for w in words(ex)]
    types = set(tokens)
    token_cov = type_cov = None
    if train_vocab is not None and tokens:
        token_cov = round(100 * sum(w in train_vocab for w in tokens) / len(tokens), 1)
        type_cov = round(100 * len(types & train_vocab) / len(types), 1)
    return SplitStats(
        name=name,
        count=len(examples),
        with_input=sum(bool(ex.input) for ex in examples),
        avg_instruction_words=_avg([len(ex.instruction.split()) for ex in examples]),
        avg_output_words=_avg([len(ex.output.split()) for ex in examples]),
        unique_tokens=len(types),
        token_coverage=token_cov,
        type_coverage=type_cov,
    )


def topic_table(splits: dict[str, list[Example]]) -> dict[str, dict[str, int]]:
    """topic -> {split: count, ..., "total": count}, topics in `TOPICS` order."""
    counts = {name: Counter(ex.topic for ex in exs) for name, exs in splits.items()}
    present = {ex.topic for exs in splits.values() for ex in exs}
    ordered = [t for t in TOPICS if t in present] + sorted(present - set(TOPICS))
    table = {}
    for topic in ordered:
        row = {name: counts[name][topic] for name in splits}
        row["total"] = sum(row.values())
        table[topic] = row
    return table


def compute_stats(
    splits: dict[str, list[Example]], raw: list[Example], removed: dict[str, int]
) -> DatasetStats:
    """Statistics of the final splits (``train`` first) plus the raw/removed bookkeeping."""
    train_vocab = {w for ex in splits["train"] for w in words(ex)}
    per_split = [
        split_stats(name, exs, None if name == "train" else train_vocab)
        for name, exs in splits.items()
    ]
    kept = Counter(ex.source for exs in splits.values() for ex in exs)
    raw_counts = Counter(ex.source for ex in raw)
    sources = {s: {"raw": raw_counts[s], "kept": kept[s]} for s in sorted(raw_counts)}
    all_types = {w for exs in splits.values() for ex in exs for w in words(ex)}
    return DatasetStats(
        splits=per_split,
        unique_tokens=len(all_types),
        topics=topic_table(splits),
        sources=sources,
        removed=dict(removed),
        raw_total=len(raw),
    )


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f}%"


def format_stats(stats: DatasetStats) -> str:
    """A plain-text report of ``stats`` for the terminal."""
    lines = [f"raw examples: {stats.raw_total}  kept: {stats.total}"]
    removed = ", ".join(f"{k}={v}" for k, v in stats.removed.items())
    lines.append(f"removed per filter (first failing step): {removed}")
    lines.append(
        f"instructions fixed: {stats.instructions_fixed}  "
        f"whitespace normalised: {stats.whitespace_changed}  "
        f"near-duplicate pairs: {len(stats.near_duplicate_pairs)}  "
        f"similar pairs kept in one split: {len(stats.similar_pairs)}"
    )
    lines.append(
        f"{'split':<6}{'count':>7}{'input':>7}{'instr_w':>9}{'output_w':>10}"
        f"{'types':>8}{'tok_cov':>9}{'type_cov':>10}"
    )
    for s in stats.splits:
        lines.append(
            f"{s.name:<6}{s.count:>7}{s.with_input:>7}{s.avg_instruction_words:>9.1f}"
            f"{s.avg_output_words:>10.1f}{s.unique_tokens:>8}{_pct(s.token_coverage):>9}"
            f"{_pct(s.type_coverage):>10}"
        )
    lines.append(f"unique word tokens (all splits): {stats.unique_tokens}")
    sources = ", ".join(f"{k} {v['raw']}->{v['kept']}" for k, v in stats.sources.items())
    lines.append(f"sources (raw -> kept): {sources}")
    lines.append("topics (train/val/test):")
    for topic, row in stats.topics.items():
        parts = "/".join(str(v) for k, v in row.items() if k != "total")
        lines.append(f"  {topic:<20}{row['total']:>4}  ({parts})")
    return "\n".join(lines)
