"""Root-cause hypotheses (spec Task 2.5 Part C), each tied to the tally or the per-example data.

Each error category of the taxonomy has one hypothesis about this dataset and training recipe,
and the data or training change that would test it (`HYPOTHESES`). ``root_causes`` states a
hypothesis when its evidence is in the results:

* the labelled tally: a category that occurs among the low-scoring test answers, with its
  count and example ids (the labels given by reading them when the written review applies to
  the run, else the heuristic ones, and it says so);
* the per-example results, for two causes that the single label per answer hides: answers
  that stopped at the token budget (``incomplete``) and the effect of the prompt format on the
  base model (``formatting``).

Most supported first; the categories without evidence are named in one line.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from slm_finetune.evaluation.error_analysis import CATEGORY_NAMES

# category -> (title, why, the change that would test it)
HYPOTHESES = {
    "hallucination": (
        "Style is learned faster than facts.",
        "375 examples, mostly written by one LLM from one prompt, teach a strong surface "
        "pattern (cause sentence, numbered steps, bold menu paths, a command in backticks). A "
        "135M-parameter model reproduces the pattern but has too little stored knowledge to "
        "fill it with the right command or menu path, so it invents plausible ones.",
        "train the same recipe on a larger base model (Qwen2-0.5B), or put the vendor "
        "documentation of each question in the `### Input:` block; the hypothesis holds if "
        "key-fact accuracy rises while ROUGE-L stays about the same."),
    "incomplete": (
        "The generation budget cuts long procedures.",
        "The reference answers are multi-step procedures about as long as the 200-token "
        "budget and the fine-tuned model copies that length, so answers stop mid-step and "
        "miss the last steps.",
        "re-generate the low-scoring answers with 400 new tokens, or train on answers "
        "shortened to the decisive steps; the hypothesis holds if the cut answers gain "
        "key facts."),
    "off_topic": (
        "Sparse topic coverage.",
        "Each topic has a few dozen training examples, so a question on a rarely seen product "
        "or a rarely asked angle is mapped to the nearest familiar question and answered as "
        "that one.",
        "add paraphrased and 'why does X fail' variants for the affected topics and re-score "
        "the same test questions; the hypothesis holds if they stay on the question."),
    "formatting": (
        "The prompt format is not the base model's.",
        "SmolLM2-Instruct was tuned on its own chat template, not `### Instruction:` headers, "
        "so the adapter spends capacity on learning the format as well as the content.",
        "train the adapter with the model's chat template (same data, same steps) and "
        "compare it with the committed adapter on the same test set."),
    "overfitting": (
        "Boilerplate shared by the training answers.",
        "Synthetic answers share closing sentences and step templates; these become the "
        "cheapest tokens to predict and are emitted whether or not they fit.",
        "de-duplicate shared n-grams in curation and retrain; the hypothesis holds if the "
        "8-gram overlap with training answers falls."),
    "other": (
        "Greedy decoding of a small model loops.",
        "With a mild repetition penalty (1.1), a 135M model can repeat a phrase or list item "
        "until the token budget ends.",
        "re-generate with a no-repeat n-gram constraint; the hypothesis holds if the loops "
        "disappear without new errors."),
}


def _tally(analysis: Mapping[str, Any]) -> tuple[dict[str, int], str, str]:
    """(counts per category, the label key of the examples, where the labels come from)."""
    if analysis.get("reviewed_tally"):
        return analysis["reviewed_tally"], "reviewed", "labels given by reading the answers"
    return (analysis["heuristic_tally"], "heuristic",
            "heuristic labels (no written review applies to this run)")


def truncation_evidence(analysis: Mapping[str, Any], results: Any) -> str | None:
    """The low-scoring fine-tuned answers that stopped at the token budget, if any."""
    low = results[results["example_id"].isin([e["example_id"] for e in analysis["examples"]])]
    cut = low[~low["ft_finished"].astype(bool)]["example_id"].tolist()
    if not cut:
        return None
    return (f"{len(cut)} of the {analysis['n_low']} low-scoring answers stopped at the token "
            f"budget without ending ({_ids(cut)})")


def format_evidence(results: Any) -> str | None:
    """The base model's ROUGE-L in its chat template against the spec template."""
    if "base_spec_rougeL" not in results:
        return None
    chat, spec = results["base_rougeL"], results["base_spec_rougeL"]
    return (f"the base model scores ROUGE-L {chat.mean():.3f} in its chat template and "
            f"{spec.mean():.3f} in the `### Instruction` template (higher on "
            f"{int((chat > spec).sum())} of {len(results)} test examples)")


def _ids(ids: list[int]) -> str:
    return ("example " if len(ids) == 1 else "examples ") + ", ".join(f"#{i}" for i in ids)


def root_causes(analysis: Mapping[str, Any], results: Any) -> list[str]:
    """Markdown lines: one numbered hypothesis per category with evidence, most supported
    first (labelled cases, then evidence from the per-example results)."""
    tally, key, source = _tally(analysis)
    n_low = analysis["n_low"]
    evidence = {}
    for category in sorted((c for c in tally if tally[c]), key=lambda c: -tally[c]):
        ids = [e["example_id"] for e in analysis["examples"] if e[key] == category]
        evidence[category] = f"{tally[category]} of {n_low} labelled so ({_ids(ids)})"
    extra = {"incomplete": truncation_evidence(analysis, results),
             "formatting": format_evidence(results)}
    for category, text in extra.items():
        if text:
            evidence[category] = "; ".join(filter(None, [evidence.get(category), text]))
    lines = [f"From the {source} of the {n_low} low-scoring test answers, and the "
             "per-example results:", ""]
    for n, (category, text) in enumerate(evidence.items(), 1):
        title, why, test = HYPOTHESES[category]
        lines.append(f"{n}. **{CATEGORY_NAMES[category]}**: {text}. *{title}* {why} "
                     f"*Test:* {test}")
    absent = [CATEGORY_NAMES[c] for c in HYPOTHESES if c not in evidence]
    if absent:
        lines += ["", f"No evidence of: {', '.join(absent)}; no hypothesis is needed for them."]
    return lines
