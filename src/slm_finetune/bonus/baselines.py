"""`python -m slm_finetune baselines`: prompting the base model vs fine-tuning (spec Task 2.8).

Four approaches answer every test example with the same greedy decoding as ``evaluate``
(`GenerationSettings`: repetition penalty 1.1, 200 new tokens). The base model is prompted in
its own chat template (`slm_finetune.prompt.chat_prompt`, ChatML), as ``evaluate`` prompts it,
and its answer ends at its end-of-turn token:

* **zero-shot** (base model): `SYSTEM_PROMPT` as the system turn, the test question (the
  instruction, then the input after a blank line) as the user turn;
* **few-shot** (base model): the same, with 3 training examples before the question as earlier
  user/assistant turns (the turn markers separate them). The shots are chosen by
  `select_shots`;
* **chain-of-thought** (base model): the zero-shot prompt with `COT_SUFFIX`
  ("Let's think step by step.") appended to the end of the instruction;
* **fine-tuned**: base + LoRA adapter in the format it was trained in (the ``### Instruction``
  template, or the chat template), i.e. exactly ``evaluate``'s prompts, so its answers come
  from the generation cache when ``evaluate`` already ran.

Each base-model strategy changes one thing relative to zero-shot. Scores: mean ROUGE-L F1 and
corpus BLEU-4 (`slm_finetune.evaluation.metrics`). Cost: mean prompt length in tokens and the
generation time per example, measured on one *uncached* batch of the first `timing_examples` test
prompts (wall time / batch size, so cached answers never fake a speed); answers of that
batch go to the cache. Writes ``baseline_results.csv`` (one row per approach),
``baseline_outputs.csv`` (every answer and its ROUGE-L) and ``baseline_comparison.png``.
"""

from __future__ import annotations

import argparse
import csv
import dataclasses
import statistics
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from slm_finetune.data.schema import Example
from slm_finetune.evaluation.generate import Generation, GenerationCache, GenerationSettings
from slm_finetune.prompt import CHAT, TEMPLATE, chat_prompt, generation_prompt
from slm_finetune.run_options import add_model_options, given, given_settings
from slm_finetune.training.precision import add_precision_option, resolve
from tatweer_common.errors import UserError
from tatweer_common.paths import is_smoke, project_root

SYSTEM_PROMPT = (
    "You are a helpful expert assistant. Answer the following question accurately and concisely."
)
COT_SUFFIX = "Let's think step by step."
N_SHOTS = 3
SHOT_SOURCE = "seed"  # hand-written training examples (data/manifest.csv column "source")
RESULTS_NAME, OUTPUTS_NAME, PLOT_NAME = (
    "baseline_results.csv",
    "baseline_outputs.csv",
    "baseline_comparison.png",
)
SMOKE_LIMIT, SMOKE_NEW_TOKENS = 2, 16
# key -> (label, model that answers)
APPROACHES = {
    "zero_shot": ("Zero-shot (base)", "base"),
    "few_shot": ("Few-shot, 3 examples (base)", "base"),
    "cot": ("Chain-of-thought (base)", "base"),
    "fine_tuned": ("Fine-tuned (LoRA)", "ft"),
}


def zero_shot_prompt(tokenizer: Any, example: Example) -> str:
    return chat_prompt(tokenizer, example, SYSTEM_PROMPT)


def cot_prompt(tokenizer: Any, example: Example) -> str:
    instruction = f"{example.instruction.strip()} {COT_SUFFIX}"
    return zero_shot_prompt(tokenizer, dataclasses.replace(example, instruction=instruction))


def few_shot_prompt(tokenizer: Any, example: Example, shots: Sequence[Example]) -> str:
    return chat_prompt(tokenizer, example, SYSTEM_PROMPT, shots)


def build_prompts(
    key: str, tokenizer: Any, examples: Sequence[Example], shots: Sequence[Example],
    ft_format: str = TEMPLATE,
) -> list[str]:  # fmt: skip
    """The prompts of approach ``key`` for every example (the fine-tuned model's in
    ``ft_format``, the one its adapter was trained in)."""
    if key == "few_shot":
        return [few_shot_prompt(tokenizer, ex, shots) for ex in examples]
    build = {"zero_shot": zero_shot_prompt, "cot": cot_prompt}.get(key)
    if build is None:  # fine_tuned: evaluate's prompts
        return [generation_prompt(tokenizer, ex, ft_format) for ex in examples]
    return [build(tokenizer, ex) for ex in examples]


def select_shots(train: Sequence[Example], n: int = N_SHOTS) -> list[Example]:
    """The few-shot examples: a documented, deterministic rule.

    Among hand-written training examples (source ``seed``; every example when none carries a
    source) with an empty input, take the ones whose answer length (characters) is closest
    to the median answer length of the whole training set, at most one per topic, ties
    broken by file order.
    """
    median = statistics.median(len(ex.output) for ex in train)
    pool = [ex for ex in train if ex.source == SHOT_SOURCE] or list(train)
    ranked = sorted(
        (ex for ex in pool if not ex.input.strip()), key=lambda e: abs(len(e.output) - median)
    )
    shots: list[Example] = []
    for ex in ranked:
        if len(shots) < n and all(ex.topic != s.topic or not ex.topic for s in shots):
            shots.append(ex)
    if len(shots) < n:
        raise UserError(f"training set: only {len(shots)} examples fit the few-shot rule")
    return shots


def with_provenance(train: list[Example], manifest: Path) -> list[Example]:
    """Training examples with topic and source from ``data/manifest.csv`` (rows split=train)."""
    if not manifest.is_file():
        return train
    with open(manifest, encoding="utf-8", newline="") as handle:
        rows = {int(r["line"]): r for r in csv.DictReader(handle) if r["split"] == "train"}
    return [
        dataclasses.replace(ex, topic=rows[i]["topic"], source=rows[i]["source"])
        if i in rows
        else ex
        for i, ex in enumerate(train, start=1)
    ]


@dataclass(frozen=True)
class BaselineConfig:
    """One run (relative paths are relative to the project root)."""

    test_file: str = "data/test.jsonl"
    train_file: str = "data/train.jsonl"
    manifest_file: str = "data/manifest.csv"
    adapter: str = "outputs/lora_adapter"
    output_dir: str = "outputs"
    cache_file: str = "outputs/generation_cache.jsonl"
    limit: int = 0  # 0 = every test example
    timing_examples: int = 8  # 0 = no timing batch
    precision: str = "auto"  # auto, fp32 or bf16 (slm_finetune.training.precision)
    num_threads: int = 1  # torch CPU threads (0 = every core); one, as for evaluate
    settings: GenerationSettings = field(default_factory=GenerationSettings)

    def path(self, name: str) -> Path:
        value = Path(getattr(self, name))
        return value if value.is_absolute() else project_root() / value


def add_arguments(parser: argparse.ArgumentParser) -> None:
    default = BaselineConfig()
    add_model_options(parser, default)
    parser.add_argument("--test-file", help=f"JSONL file to answer (default {default.test_file})")
    parser.add_argument("--limit", type=int, help="answer only the first N test examples")
    parser.add_argument(
        "--timing-examples", type=int, help="prompts in the uncached timing batch (default 8)"
    )
    parser.add_argument("--max-new-tokens", type=int, help="generation length (default 200)")
    parser.add_argument("--batch-size", type=int, help="prompts generated together (default 16)")
    add_precision_option(parser)
    parser.add_argument("--threads", type=int, help="torch CPU threads (default 1; 0 = all)")


def preset(smoke: bool = False) -> BaselineConfig:
    """The full run, or the smoke run: 2 examples (both timed), 16 new tokens."""
    if not smoke:
        return BaselineConfig()
    return BaselineConfig(
        output_dir="outputs/smoke/bonus",
        cache_file="outputs/smoke/bonus/generation_cache.jsonl",
        limit=SMOKE_LIMIT,
        timing_examples=SMOKE_LIMIT,
        settings=GenerationSettings(max_new_tokens=SMOKE_NEW_TOKENS),
    )


def config_from_args(args: argparse.Namespace) -> BaselineConfig:
    """The preset (smoke when TATWEER_SMOKE=1) overridden by the options given."""
    config = given_settings(
        preset(is_smoke()), max_new_tokens=args.max_new_tokens, batch_size=args.batch_size
    )
    return given(
        config,
        adapter=args.adapter,
        test_file=args.test_file,
        output_dir=args.output_dir,
        cache_file=args.cache,
        limit=args.limit,
        timing_examples=args.timing_examples,
        precision=args.precision,
        num_threads=args.threads,
    )


def main(args: argparse.Namespace) -> int:
    for name in ("limit", "timing_examples", "batch_size"):
        value = getattr(args, name)
        if value is not None and value < 0:
            raise UserError(f"--{name.replace('_', '-')} must be >= 0, got {value}")
    frame = run_baselines(config_from_args(args))
    print(format_results(frame))
    print(f"baselines wall time: {frame['wall_s'].sum():.1f} s")
    return 0


@dataclass
class ApproachRun:
    """The answers of one approach and what they cost."""

    key: str
    prompts: list[str]
    prompt_tokens: list[int]
    generations: list[Generation]
    from_cache: int
    seconds_per_example: float  # NaN when no timing batch ran
    wall_s: float


def timed_batch(loaded: Any, prompts: Sequence[str], cache: GenerationCache, settings) -> float:
    """Seconds per example of one uncached batch of ``prompts``; new answers are cached."""
    from slm_finetune.evaluation.generate import cache_key, generate_batch

    if not prompts:
        return float("nan")
    start = time.perf_counter()
    gens = generate_batch(loaded.model, loaded.tokenizer, prompts, settings)
    seconds = (time.perf_counter() - start) / len(prompts)
    keys = [cache_key(loaded.model_id, settings, p) for p in prompts]
    cache.put_many(
        [(k, loaded.model_id, g) for k, g in zip(keys, gens, strict=True) if cache.get(k) is None]
    )
    return seconds


def run_approach(loaded: Any, key: str, prompts: list[str], cache, config) -> ApproachRun:
    """Time one batch, then answer every prompt (cached answers are reused).

    ``from_cache`` counts the answers that were cached before this approach ran. Chat-format
    answers end only at the end-of-turn token, not at a ``### `` header.
    """
    from slm_finetune.evaluation.generate import cache_key, generate_all

    start = time.perf_counter()
    settings = dataclasses.replace(config.settings, cut_at_header=loaded.prompt_format != CHAT)
    keys = [cache_key(loaded.model_id, settings, p) for p in prompts]
    cached = sum(cache.get(k) is not None for k in keys)  # before the timing batch adds any
    per_example = timed_batch(loaded, prompts[: config.timing_examples], cache, settings)
    gens, _ = generate_all(
        loaded.model, loaded.tokenizer, prompts, loaded.model_id, cache, settings, key
    )
    tokens = [len(ids) for ids in loaded.tokenizer(prompts)["input_ids"]]
    return ApproachRun(key, prompts, tokens, gens, cached, per_example, time.perf_counter() - start)


def load_inputs(config: BaselineConfig) -> tuple[list[Example], list[Example]]:
    """(test examples cut to ``limit``, the few-shot examples)."""
    from slm_finetune.data.schema import read_jsonl

    tests = read_jsonl(config.path("test_file"))
    tests = tests[: config.limit] if config.limit else tests
    if not tests:
        raise UserError(f"{config.test_file}: no examples to answer")
    train = with_provenance(read_jsonl(config.path("train_file")), config.path("manifest_file"))
    return tests, select_shots(train)


def run_baselines(config: BaselineConfig = BaselineConfig()) -> Any:
    """Run the four approaches, write the CSVs and the chart, return the results frame."""
    from slm_finetune.evaluation.model_pair import iter_models
    from slm_finetune.training.train import set_threads

    set_threads(config.num_threads)
    precision = resolve(config.precision)
    print(f"precision: {precision.name} ({precision.reason})")
    tests, shots = load_inputs(config)
    cache = GenerationCache(config.path("cache_file"))
    runs: dict[str, ApproachRun] = {}
    for loaded in iter_models(config.path("adapter"), precision):
        for key, (_, model_name) in APPROACHES.items():
            if model_name == loaded.name:
                prompts = build_prompts(key, loaded.tokenizer, tests, shots, loaded.prompt_format)
                runs[key] = run_approach(loaded, key, prompts, cache, config)
    frame, outputs = results_frame(tests, runs), outputs_frame(tests, runs)
    frame["precision"] = precision.name
    write_results(frame, outputs, config.path("output_dir"))
    return frame


def results_frame(tests: Sequence[Example], runs: dict[str, ApproachRun]) -> Any:
    """One row per approach: scores, cost and the ROUGE-L wins over the fine-tuned model."""
    import pandas as pd

    from slm_finetune.evaluation import metrics

    refs = [ex.output for ex in tests]
    rouge = {k: _rouge_l(r, refs) for k, r in runs.items()}
    rows = []
    for key, run in runs.items():
        label, model_name = APPROACHES[key]
        answers = [g.answer for g in run.generations]
        rows.append(
            {
                "approach": key,
                "label": label,
                "model": model_name,
                "n_examples": len(refs),
                "rougeL": statistics.fmean(rouge[key]),
                "bleu": metrics.corpus_bleu(answers, refs),
                "prompt_tokens_mean": statistics.fmean(run.prompt_tokens),
                "new_tokens_mean": statistics.fmean(g.new_tokens for g in run.generations),
                "finished_share": statistics.fmean(g.finished for g in run.generations),
                "seconds_per_example": run.seconds_per_example,
                "rougeL_wins_vs_ft": sum(
                    a > b for a, b in zip(rouge[key], rouge["fine_tuned"], strict=True)
                ),
                "from_cache": run.from_cache,
                "wall_s": round(run.wall_s, 1),
            }
        )
    return pd.DataFrame(rows)


def _rouge_l(run: ApproachRun, refs: list[str]) -> list[float]:
    from slm_finetune.evaluation import metrics

    return [r["rougeL"] for r in metrics.rouge_scores([g.answer for g in run.generations], refs)]


def outputs_frame(tests: Sequence[Example], runs: dict[str, ApproachRun]) -> Any:
    """Every test example with each approach's answer and ROUGE-L."""
    import pandas as pd

    refs = [ex.output for ex in tests]
    frame = pd.DataFrame(
        {"instruction": [ex.instruction for ex in tests], "input": [ex.input for ex in tests]}
    )
    frame["reference"] = refs
    for key, run in runs.items():
        frame[f"{key}_answer"] = [g.answer for g in run.generations]
        frame[f"{key}_rougeL"] = _rouge_l(run, refs)
    return frame


def write_results(frame: Any, outputs: Any, out_dir: Path) -> None:
    from tatweer_common.io import atomic_path

    for name, table in ((RESULTS_NAME, frame), (OUTPUTS_NAME, outputs)):
        with atomic_path(out_dir / name) as tmp:
            table.to_csv(tmp, index=False)
    plot_comparison(frame, out_dir / PLOT_NAME)
    print(f"wrote {out_dir / RESULTS_NAME}, {OUTPUTS_NAME}, {PLOT_NAME}")


def plot_comparison(frame: Any, path: Path) -> Path:
    """Bar charts of the four approaches: ROUGE-L and BLEU, prompt tokens, seconds/example."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from tatweer_common.io import atomic_path

    labels = [label.replace(", ", "\n").replace(" (", "\n(") for label in frame["label"]]
    x = range(len(frame))
    fig, axes = plt.subplots(1, 3, figsize=(15, 4.5))
    width = 0.38
    axes[0].bar([i - width / 2 for i in x], frame["rougeL"], width, label="ROUGE-L F1")
    axes[0].bar([i + width / 2 for i in x], frame["bleu"], width, label="BLEU-4")
    axes[0].set_title(f"Quality on {int(frame['n_examples'].iloc[0])} test examples")
    axes[0].legend()
    axes[1].bar(x, frame["prompt_tokens_mean"], color="tab:gray")
    axes[1].set_title("Mean prompt length (tokens)")
    axes[2].bar(x, frame["seconds_per_example"], color="tab:red")
    axes[2].set_title("Seconds per example (one uncached batch)")
    for ax in axes:
        ax.set_xticks(list(x), labels, fontsize=8)
    fig.suptitle("Prompting the base model vs LoRA fine-tuning")
    fig.tight_layout()
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format="png", dpi=120)
    plt.close(fig)
    return path


def format_results(frame: Any) -> str:
    """The comparison as a fixed-width table."""
    columns = {
        "label": "Approach",
        "rougeL": "ROUGE-L",
        "bleu": "BLEU",
        "prompt_tokens_mean": "Prompt tokens",
        "new_tokens_mean": "New tokens",
        "seconds_per_example": "s/example",
        "rougeL_wins_vs_ft": "ROUGE-L wins vs FT",
        "wall_s": "Wall s",
    }
    table = frame[list(columns)].rename(columns=columns)
    return table.to_string(
        index=False,
        formatters={
            "ROUGE-L": "{:.4f}".format,
            "BLEU": "{:.4f}".format,
            "Prompt tokens": "{:.0f}".format,
            "New tokens": "{:.0f}".format,
            "s/example": "{:.2f}".format,
        },
    )


def analysis(frame: Any) -> list[str]:
    """The Task 2.8 reading, every statement decided by the numbers of ``frame``."""
    rows = frame.set_index("approach")
    ft = rows.loc["fine_tuned"]
    prompting = rows.drop(index="fine_tuned")
    best = prompting["rougeL"].idxmax()
    lines = []
    beaten = [r.label for r in prompting.itertuples() if r.rougeL > ft.rougeL or r.bleu > ft.bleu]
    lines.append(
        (f"fine-tuning beats every prompting strategy on both ROUGE-L ({ft.rougeL:.4f} vs at "
         f"best {prompting.loc[best, 'rougeL']:.4f}, {prompting.loc[best, 'label']}) and BLEU "
         f"({ft.bleu:.4f} vs at best {prompting['bleu'].max():.4f})") if not beaten else
        f"prompting matches or beats fine-tuning on at least one metric: {', '.join(beaten)}")
    for r in prompting.itertuples():
        lines.append(f"{r.label}: better than the fine-tuned model on {r.rougeL_wins_vs_ft} of "
                     f"{r.n_examples} examples (ROUGE-L); prompt {r.prompt_tokens_mean:.0f} "
                     f"tokens, {r.prompt_tokens_mean / ft.prompt_tokens_mean:.1f}x the fine-tuned "
                     f"prompt; {100 * r.finished_share:.0f}% of its answers end before the "
                     "token budget")
    if {"zero_shot", "cot"} <= set(prompting.index):
        zero, cot = prompting.loc["zero_shot"], prompting.loc["cot"]
        better = [name for m, name in (("rougeL", "ROUGE-L"), ("bleu", "BLEU"))
                  if cot[m] > zero[m]]
        lines.append(
            f"chain of thought vs zero-shot: ROUGE-L {cot.rougeL:.4f} vs {zero.rougeL:.4f}, BLEU "
            f"{cot.bleu:.4f} vs {zero.bleu:.4f}: "
            + ("better on both" if len(better) == 2 else "worse on both" if not better
               else f"better on {better[0]} only")
            + f"; its answers are {cot.new_tokens_mean / zero.new_tokens_mean:.1f}x as long")
    if "few_shot" in prompting.index:
        few = prompting.loc["few_shot"]
        zero = prompting.loc["zero_shot"] if "zero_shot" in prompting.index else None
        gain = "" if zero is None else (
            f" ({'+' if few.rougeL >= zero.rougeL else ''}{few.rougeL - zero.rougeL:.4f} ROUGE-L "
            "over zero-shot)")
        lines.append(f"few-shot costs {few.seconds_per_example / ft.seconds_per_example:.1f}x "
                     f"the fine-tuned model's time per answer{gain}")
    return lines
