"""`python -m slm_finetune forgetting`: catastrophic-forgetting tests (spec Task 2.7).

Both models (base, and base + LoRA adapter) answer 15 prompts outside the IT domain (5 general
Q&A, 5 instruction following, 5 math/logic) with the same greedy decoding as ``evaluate``
(repetition penalty 1.1, here at most 128 new tokens), each in the prompt format it was tuned
on, as ``evaluate`` prompts them: the base model in its chat template, the fine-tuned model in
the format its adapter was trained in (the ``### Instruction: ... ### Response:`` template,
or the chat template). Each answer gets a 0/1 score from an
automatic rule (`RULES`, documented per rule) as a cross-check of the manual verdicts
(`slm_finetune.bonus.forgetting_review`), and the answers are saved next to their scores.
Language fluency is the perplexity on 100 WikiText-103 test sentences
(`slm_finetune.bonus.wikitext`).

Writes ``forgetting_results.json`` (table, every prompt/answer/score, the sentences, timings)
and prints ``Test Category | Base Model Score | Fine-Tuned Score | Degradation %``.
Degradation % = the relative loss: ``(base - tuned) / base * 100`` for accuracies,
``(tuned - base) / base * 100`` for perplexity; positive = worse after fine-tuning.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import re
import time
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from slm_finetune.evaluation.generate import GenerationSettings
from slm_finetune.prompt import CHAT, TEMPLATE
from slm_finetune.run_options import add_model_options, given, given_settings
from slm_finetune.training.precision import add_precision_option, resolve
from tatweer_common.errors import UserError
from tatweer_common.io import write_text_atomic
from tatweer_common.paths import is_smoke, project_root

RESULTS_NAME = "forgetting_results.json"
SMOKE_PROBES, SMOKE_SENTENCES, SMOKE_NEW_TOKENS = 1, 5, 16
QA, FOLLOW, MATH = "General Q&A", "Instruction Following", "Mathematical Reasoning"
FLUENCY = "Language Fluency (WikiText perplexity)"


@dataclass(frozen=True)
class Probe:
    """One general-capability prompt, its scoring rule and the expected answer.

    ``expected``: accepted answers separated by ``|`` (text rules) or a count/number.
    """

    category: str
    prompt: str
    rule: str
    expected: str


PROBES: tuple[Probe, ...] = (
    Probe(QA, "What is the capital of France?", "contains", "Paris"),
    Probe(QA, "Which planet is known as the Red Planet?", "contains", "Mars"),
    Probe(QA, "Who wrote the play Romeo and Juliet?", "contains", "Shakespeare"),
    Probe(QA, "What is the chemical symbol for gold?", "contains", "Au"),
    Probe(
        QA,
        "Explain why the sky is blue in one sentence.",
        "contains",
        "scatter|scattering|scattered|scatters",
    ),
    Probe(FOLLOW, "List 3 types of fruit.", "list_count", "3"),
    Probe(FOLLOW, "List 5 animals that live in the ocean.", "list_count", "5"),
    Probe(FOLLOW, "Write a haiku about rain.", "line_count", "3"),
    Probe(FOLLOW, "Translate 'hello' to Spanish.", "translation", "hola"),
    Probe(FOLLOW, "Write the word 'banana' in capital letters.", "exact_case", "BANANA"),
    Probe(MATH, "What is 17 × 8?", "number", "136"),
    Probe(MATH, "What is 25 + 48?", "number", "73"),
    Probe(MATH, "If A > B and B > C, is A > C? Answer yes or no.", "yes_no", "yes"),
    Probe(
        MATH, "A train travels at 60 km per hour for 3 hours. How far does it go?", "number", "180"
    ),
    Probe(MATH, "What is 100 minus 37?", "number", "63"),
)
CATEGORIES = (QA, FOLLOW, MATH)

_NUMBER = re.compile(r"-?\d+(?:,\d{3})*(?:\.\d+)?")
_LIST_ITEM = re.compile(r"^\s*(?:[-*•]|\d+[.)])\s+\S")
_YES_NO = re.compile(r"\b(yes|no)\b", re.IGNORECASE)


def has_phrase(text: str, phrase: str, case_sensitive: bool = False) -> bool:
    """``phrase`` occurs in ``text`` as whole words (not inside a longer word)."""
    flags = 0 if case_sensitive else re.IGNORECASE
    return re.search(rf"(?<!\w){re.escape(phrase)}(?!\w)", text, flags) is not None


def strip_accents(text: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))


def numbers(text: str) -> list[float]:
    """The numbers written in ``text`` in order (thousands commas allowed)."""
    return [float(m.group(0).replace(",", "")) for m in _NUMBER.finditer(text)]


def count_list_items(answer: str) -> int:
    """Items of the answer's list: bullet/numbered lines; else an inline comma/"and" list.

    Without list lines, the first non-empty line (after a colon, if any) is split on commas
    and the word "and"; a single part is not a list (0).
    """
    lines = answer.splitlines()
    items = [line for line in lines if _LIST_ITEM.match(line)]
    if items:
        return len(items)
    first = next((line for line in lines if line.strip()), "").split(":", 1)[-1]
    parts = [p for p in re.split(r",|\band\b", first.strip().rstrip(".")) if p.strip()]
    return len(parts) if len(parts) > 1 else 0


def _contains(answer: str, probe: Probe) -> bool:
    return any(has_phrase(answer, alt) for alt in probe.expected.split("|"))


def _translation(answer: str, probe: Probe) -> bool:
    text = strip_accents(answer)
    return any(has_phrase(text, strip_accents(alt)) for alt in probe.expected.split("|"))


def _exact_case(answer: str, probe: Probe) -> bool:
    return any(has_phrase(answer, alt, case_sensitive=True) for alt in probe.expected.split("|"))


def _list_count(answer: str, probe: Probe) -> bool:
    return count_list_items(answer) == int(probe.expected)


def _line_count(answer: str, probe: Probe) -> bool:
    return sum(1 for line in answer.splitlines() if line.strip()) == int(probe.expected)


def _number(answer: str, probe: Probe) -> bool:
    given = set(numbers(probe.prompt))
    new = [value for value in numbers(answer) if value not in given]
    return bool(new) and new[0] == float(probe.expected)


def _yes_no(answer: str, probe: Probe) -> bool:
    match = _YES_NO.search(answer)
    return match is not None and match.group(1).lower() == probe.expected


# rule name -> (check, documentation); every check reads the answer cut at the next "### "
RULES: dict[str, tuple[Callable[[str, Probe], bool], str]] = {
    "contains": (_contains, "an accepted answer occurs as whole words (case-insensitive)"),
    "translation": (
        _translation,
        "the expected translation occurs as a whole word (case- and accent-insensitive)",
    ),
    "exact_case": (_exact_case, "the expected text occurs as whole words, same letter case"),
    "list_count": (
        _list_count,
        "the answer's list has exactly the requested number of items (bullet or numbered "
        "lines; else the first line's comma/'and' list)",
    ),
    "line_count": (_line_count, "exactly the requested number of non-empty lines (haiku: 3)"),
    "number": (
        _number,
        "the first number in the answer that is not copied from the prompt equals the expected",
    ),
    "yes_no": (_yes_no, "the first 'yes' or 'no' in the answer is the expected one"),
}


def score(probe: Probe, answer: str) -> int:
    """1 when ``answer`` passes the probe's rule, else 0."""
    check, _ = RULES[probe.rule]
    return int(check(answer, probe))


def probe_prompt(probe: Probe, tokenizer: Any = None, fmt: str = TEMPLATE) -> str:
    """The generation prompt with the probe as the instruction, in format ``fmt``: the model's
    own (the base model's chat template, ``tokenizer``'s; the fine-tuned model's training
    format)."""
    from slm_finetune.prompt import generation_prompt

    return generation_prompt(tokenizer, {"instruction": probe.prompt, "input": ""}, fmt)


def select_probes(per_category: int = 0) -> list[Probe]:
    """Every probe, or the first ``per_category`` of each category (smoke runs)."""
    if not per_category:
        return list(PROBES)
    return [p for c in CATEGORIES for p in [q for q in PROBES if q.category == c][:per_category]]


@dataclass(frozen=True)
class ForgettingConfig:
    """One run (relative paths are relative to the project root)."""

    adapter: str = "outputs/lora_adapter"
    output_dir: str = "outputs"
    cache_file: str = "outputs/generation_cache.jsonl"
    wikitext_file: str = ""  # "" = the offline assets file (used only when the Hub is not)
    n_sentences: int = 100
    probes_per_category: int = 0  # 0 = all five
    seed: int = 42
    precision: str = "auto"  # auto, fp32 or bf16 (slm_finetune.training.precision)
    num_threads: int = 1  # torch CPU threads (0 = every core); one, as for evaluate
    settings: GenerationSettings = field(
        default_factory=lambda: GenerationSettings(max_new_tokens=128)
    )

    def path(self, name: str) -> Path:
        value = Path(getattr(self, name))
        return value if value.is_absolute() else project_root() / value


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_model_options(parser, ForgettingConfig())
    parser.add_argument("--sentences", type=int, help="WikiText sentences (default 100)")
    parser.add_argument("--wikitext-file", help="offline WikiText test file (default: assets)")
    parser.add_argument("--max-new-tokens", type=int, help="answer length (default 128)")
    add_precision_option(parser)
    parser.add_argument("--threads", type=int, help="torch CPU threads (default 1; 0 = all)")


def preset(smoke: bool = False) -> ForgettingConfig:
    """The full run, or the smoke run: one prompt per category, 5 sentences, 16 new tokens."""
    if not smoke:
        return ForgettingConfig()
    return ForgettingConfig(
        output_dir="outputs/smoke/bonus",
        cache_file="outputs/smoke/bonus/generation_cache.jsonl",
        n_sentences=SMOKE_SENTENCES,
        probes_per_category=SMOKE_PROBES,
        settings=GenerationSettings(max_new_tokens=SMOKE_NEW_TOKENS),
    )


def config_from_args(args: argparse.Namespace) -> ForgettingConfig:
    """The preset (smoke when TATWEER_SMOKE=1) overridden by the options given."""
    return given(
        given_settings(preset(is_smoke()), max_new_tokens=args.max_new_tokens),
        adapter=args.adapter,
        output_dir=args.output_dir,
        cache_file=args.cache,
        wikitext_file=args.wikitext_file,
        n_sentences=args.sentences,
        precision=args.precision,
        num_threads=args.threads,
    )


def main(args: argparse.Namespace) -> int:
    if args.sentences is not None and args.sentences < 1:
        raise UserError(f"--sentences must be >= 1, got {args.sentences}")
    summary = run_forgetting(config_from_args(args))
    print(format_table(summary))
    print(format_timings(summary))
    return 0


def _model_run(loaded: Any, probes, sentences, config: ForgettingConfig, cache) -> dict:
    """Answers, scores and WikiText perplexity of one model, with the time of each part."""
    from slm_finetune.bonus import wikitext
    from slm_finetune.evaluation.generate import generate_all

    t0 = time.perf_counter()
    prompts = [probe_prompt(p, loaded.tokenizer, loaded.prompt_format) for p in probes]
    settings = dataclasses.replace(config.settings, cut_at_header=loaded.prompt_format != CHAT)
    gens, cached = generate_all(
        loaded.model, loaded.tokenizer, prompts, loaded.model_id, cache, settings,
        desc=f"general prompts ({loaded.name})",
    )  # fmt: skip
    t1 = time.perf_counter()
    ppl = wikitext.perplexity(
        loaded.model, loaded.tokenizer, sentences, f"WikiText ({loaded.name})"
    )
    return {
        "answers": [g.answer for g in gens],
        "scores": [score(p, g.answer) for p, g in zip(probes, gens, strict=True)],
        "perplexity": ppl,
        "from_cache": cached,
        "timings": {
            "prompts_s": round(t1 - t0, 1),
            "perplexity_s": round(time.perf_counter() - t1, 1),
        },
    }


def degradation(base: float, tuned: float, higher_is_better: bool) -> float | None:
    """Relative loss in percent (positive = worse after fine-tuning); None when undefined."""
    from slm_finetune.evaluation.evaluate import improvement

    value = improvement(base, tuned, higher_is_better)
    return None if value != value else 0.0 - value  # NaN -> None; 0.0 - 0.0 is not -0.0


def results_table(probes: list[Probe], runs: dict[str, dict]) -> list[dict[str, Any]]:
    """The spec's rows (accuracy per category, all prompts, WikiText perplexity)."""
    rows = []
    groups = [(c, [i for i, p in enumerate(probes) if p.category == c]) for c in CATEGORIES]
    for name, index in [*groups, (f"All {len(probes)} prompts", list(range(len(probes))))]:
        base, tuned = (
            sum(runs[m]["scores"][i] for i in index) / len(index) for m in ("base", "ft")
        )
        rows.append(table_row(name, f"accuracy over {len(index)} prompts", base, tuned, True))
    base, tuned = runs["base"]["perplexity"], runs["ft"]["perplexity"]
    rows.append(table_row(FLUENCY, "perplexity, lower is better", base, tuned, False))
    return rows


def table_row(category: str, metric: str, base: float, tuned: float,
              higher: bool) -> dict[str, Any]:
    return {
        "Test Category": category,
        "Base Model Score": base,
        "Fine-Tuned Score": tuned,
        "Degradation %": degradation(base, tuned, higher),
        "metric": metric,
    }


def run_forgetting(config: ForgettingConfig = ForgettingConfig()) -> dict[str, Any]:
    """Run both models on the probes and the WikiText sentences; write and return the results."""
    from slm_finetune.bonus import wikitext
    from slm_finetune.evaluation.generate import GenerationCache
    from slm_finetune.evaluation.model_pair import iter_models
    from slm_finetune.training.train import set_threads

    started = time.perf_counter()
    set_threads(config.num_threads)
    precision = resolve(config.precision)
    print(f"precision: {precision.name} ({precision.reason})")
    probes = select_probes(config.probes_per_category)
    lines, source = wikitext.load_lines(config.wikitext_file and config.path("wikitext_file"))
    sentences = wikitext.select_sentences(lines, config.n_sentences, config.seed)
    cache = GenerationCache(config.path("cache_file"))
    runs, identity, templates = {}, {}, {}
    for loaded in iter_models(config.path("adapter"), precision):
        runs[loaded.name] = _model_run(loaded, probes, sentences, config, cache)
        identity[loaded.name] = loaded.model_id
        templates[loaded.name] = probe_prompt(Probe("", "{prompt}", "", ""), loaded.tokenizer,
                                              loaded.prompt_format)
        base_kind = loaded.source.kind
    summary = {
        "created_utc": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "models": identity,
        "base_model_kind": base_kind,
        "precision": dataclasses.asdict(precision),
        "generation": {**dataclasses.asdict(config.settings), "do_sample": False},
        "prompt_templates": templates,
        "table": results_table(probes, runs),
        "scoring_rules": {name: doc for name, (_, doc) in RULES.items()},
        "probes": [_probe_record(i, p, runs) for i, p in enumerate(probes)],
        "fluency": {
            "source": source,
            "selection_rule": wikitext.SELECTION_RULE,
            "seed": config.seed,
            "n_sentences": len(sentences),
            "sentences": sentences,
        },
        "generations_from_cache": {m: r["from_cache"] for m, r in runs.items()},
        "timings": {m: r["timings"] for m, r in runs.items()},
    }
    summary["timings"]["wall_time_s"] = round(time.perf_counter() - started, 1)
    out = config.path("output_dir") / RESULTS_NAME
    write_text_atomic(out, json.dumps(summary, indent=2, ensure_ascii=False) + "\n")
    print(f"wrote {out}")
    return summary


def _probe_record(i: int, probe: Probe, runs: dict[str, dict]) -> dict[str, Any]:
    return {
        **dataclasses.asdict(probe),
        **{f"{m}_answer": runs[m]["answers"][i] for m in ("base", "ft")},
        **{f"{m}_score": runs[m]["scores"][i] for m in ("base", "ft")},
    }


def table_frame(summary: dict[str, Any]) -> Any:
    """The spec's table as a DataFrame."""
    import pandas as pd

    keys = ("Test Category", "Base Model Score", "Fine-Tuned Score", "Degradation %")
    return pd.DataFrame([{k: row[k] for k in keys} for row in summary["table"]])


def probe_frame(summary: dict[str, Any]) -> Any:
    """Every prompt with both answers and scores (for checking the automatic verdicts)."""
    import pandas as pd

    return pd.DataFrame(summary["probes"])


def format_table(summary: dict[str, Any]) -> str:
    return table_frame(summary).to_string(
        index=False,
        na_rep="n/a",
        formatters={
            "Base Model Score": "{:.3f}".format,
            "Fine-Tuned Score": "{:.3f}".format,
            "Degradation %": "{:+.1f}".format,
        },
    )


def format_timings(summary: dict[str, Any]) -> str:
    t = summary["timings"]
    parts = [
        f"{m}: prompts {t[m]['prompts_s']:.1f} s, perplexity {t[m]['perplexity_s']:.1f} s"
        for m in ("base", "ft")
    ]
    return f"forgetting wall time {t['wall_time_s']:.1f} s ({'; '.join(parts)})"
