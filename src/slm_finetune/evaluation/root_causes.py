"""Root-cause hypotheses (spec Task 2.5), chosen and ordered by the labelled error analysis.

Each error category of the taxonomy has one hypothesis tied to this dataset and training
recipe, and its fix. ``root_causes`` keeps only the categories that actually occur among the
low-scoring test answers, using the labels given by reading them when the written review
applies to the run (else the heuristic labels, and it says so), most frequent first, each with
its count and example ids; the categories with no case are named in one line.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from slm_finetune.evaluation.error_analysis import CATEGORY_NAMES

HYPOTHESES = {
    "hallucination": (
        "Style is learned faster than facts.",
        "375 examples, mostly written by one LLM from one prompt, teach a strong surface "
        "pattern (cause sentence, numbered steps, bold menu paths, a command in backticks). A "
        "135M-parameter model reproduces the pattern but has too little stored knowledge to "
        "fill it with the right command or menu path, so it invents plausible ones.",
        "more and more varied examples per topic, a larger base model (Qwen2-0.5B), or "
        "retrieval of vendor documentation into the `### Input:` block."),
    "incomplete": (
        "The generation budget cuts long procedures.",
        "The reference answers are multi-step procedures about as long as the 200-token "
        "budget and the fine-tuned model copies that length, so answers stop mid-step and "
        "miss the last steps.",
        "shorter answers in curation (the decisive step first) or more new tokens at "
        "inference."),
    "off_topic": (
        "Sparse topic coverage.",
        "Each topic has a few dozen training examples, so a question on a rarely seen product "
        "is mapped to the nearest familiar topic and answered as that one.",
        "balance topics, add paraphrased instructions, and examples whose answer asks for "
        "more information."),
    "formatting": (
        "The prompt format is not the base model's.",
        "SmolLM2-Instruct was tuned on its own chat template, not `### Instruction:` headers, "
        "so the adapter must learn the format as well as the content.",
        "train and prompt with the model's chat template."),
    "overfitting": (
        "Boilerplate shared by the training answers.",
        "Synthetic answers share closing sentences and step templates; these become the "
        "cheapest tokens to predict and are emitted whether or not they fit.",
        "de-duplicate shared n-grams in curation, or stop on a generation metric as well as "
        "the loss."),
    "other": (
        "Greedy decoding of a small model loops.",
        "With a mild repetition penalty (1.1), a 135M model can repeat a phrase or list item "
        "until the token budget ends.",
        "a no-repeat n-gram constraint or a stronger penalty at inference."),
}


def root_causes(analysis: Mapping[str, Any]) -> list[str]:
    """Markdown lines: one numbered hypothesis per category that occurs, most frequent first."""
    reviewed = bool(analysis.get("reviewed_tally"))
    tally = analysis["reviewed_tally"] if reviewed else analysis["heuristic_tally"]
    key = "reviewed" if reviewed else "heuristic"
    ids = {c: [e["example_id"] for e in analysis["examples"] if e[key] == c] for c in tally}
    n_low = analysis["n_low"]
    source = ("labels given by reading the answers" if reviewed else
              "heuristic labels (no written review applies to this run)")
    lines = [f"From the {source}, {n_low} low-scoring test answers:", ""]
    present = sorted((c for c in tally if tally[c]), key=lambda c: -tally[c])
    for n, category in enumerate(present, 1):
        title, why, fix = HYPOTHESES[category]
        examples = ", ".join(f"#{i}" for i in ids[category])
        lines.append(f"{n}. **{CATEGORY_NAMES[category]}: {tally[category]} of {n_low}** "
                     f"(examples {examples}). *{title}* {why} *Fix:* {fix}")
    absent = [CATEGORY_NAMES[c] for c in HYPOTHESES if not tally.get(c)]
    if absent:
        lines += ["", f"No case of: {', '.join(absent)}; no hypothesis is needed for them."]
    return lines
