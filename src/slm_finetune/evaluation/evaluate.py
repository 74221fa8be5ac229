"""`python -m slm_finetune evaluate`: base vs fine-tuned model on a test JSONL file.

For each model (the base SmolLM2-135M-Instruct, then base + the LoRA adapter merged in):
token-weighted perplexity (response tokens and full sequence), greedy generation (cached),
ROUGE-1/2/L, corpus BLEU and the key-fact metric (`slm_finetune.evaluation.metrics`). Each
model is prompted in the format it was tuned on: the base model in its own chat template
(the fair comparison, column "Base Model"), the fine-tuned one in the format its adapter was
trained in (the ``### Instruction`` template, or the chat template; the adapter folder's
record, `slm_finetune.prompt.read_prompt_format`). The base model is also scored in the
template, a reference column ("base, spec template") that isolates the effect of the prompt
format. Writes

* ``evaluation_results.csv``: one row per example, every score and both generations;
* ``evaluation_summary.json``: the results table, bootstrap 95% CIs of ROUGE-L, settings,
  model identities and wall times;
* ``error_analysis.json`` and ``error_analysis.png`` (`slm_finetune.evaluation.error_analysis`);

and prints the table ``Metric | Base Model | Fine-Tuned Model | Improvement (%)``.
Any JSONL file with the spec's keys can be scored (``--test-file``), e.g. a held-out set.
"""

from __future__ import annotations

import argparse
import dataclasses
import hashlib
import json
import math
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from slm_finetune.data.schema import Example
from slm_finetune.evaluation import metrics
from slm_finetune.evaluation.generate import (
    Generation,
    GenerationCache,
    GenerationSettings,
    file_sha256,
)
from slm_finetune.prompt import CHAT, TEMPLATE, generation_prompt, read_prompt_format
from slm_finetune.run_options import add_model_options, given, given_settings
from slm_finetune.training.hardware import hardware
from slm_finetune.training.precision import Precision, add_precision_option, resolve
from tatweer_common.errors import UserError
from tatweer_common.io import write_text_atomic
from tatweer_common.paths import display_path, is_smoke, project_root

RESULTS_NAME = "evaluation_results.csv"
SUMMARY_NAME = "evaluation_summary.json"
ANALYSIS_NAME = "error_analysis.json"
PLOT_NAME = "error_analysis.png"
REVIEW_FILE = "outputs/evaluation_commentary.json"
SPEC_COLUMN = "Base Model, spec template (reference)"
SMOKE_LIMIT, SMOKE_NEW_TOKENS = 3, 16
# prefix -> (label, prompt format); "base" is the fair base model, "base_spec" the reference,
# "ft" the fine-tuned model in the format its adapter records (None here)
MODELS = {
    "base": ("base", CHAT),
    "base_spec": ("base, spec template", TEMPLATE),
    "ft": ("fine-tuned", None),
}
# (label, per-example column or corpus metric, higher is better)
TABLE = (
    ("Perplexity (response tokens)", "ppl_response", False),
    ("Perplexity (full sequence)", "ppl_full", False),
    ("ROUGE-1", "rouge1", True),
    ("ROUGE-2", "rouge2", True),
    ("ROUGE-L", "rougeL", True),
    ("BLEU", "bleu", True),
    ("Key-fact recall", "key_fact_recall", True),
    ("Key-fact accuracy", "key_fact_pass", True),
)


@dataclass(frozen=True)
class EvalConfig:
    """One evaluation run (relative paths are relative to the project root)."""

    test_file: str = "data/test.jsonl"
    adapter: str = "outputs/lora_adapter"
    output_dir: str = "outputs"
    train_file: str = "data/train.jsonl"  # for the overfitting (n-gram overlap) heuristic
    cache_file: str = "outputs/generation_cache.jsonl"
    review_file: str = REVIEW_FILE
    limit: int = 0  # 0 = every example
    # torch CPU threads (0 = every core). One: decoding a 135M model step by step gains
    # little from a second thread, and on a shared 2-core machine a second thread that has
    # to wait for a busy core made generation and perplexity 7-10x slower (measured).
    num_threads: int = 1
    precision: str = "auto"  # auto, fp32 or bf16 (slm_finetune.training.precision)
    settings: GenerationSettings = field(default_factory=GenerationSettings)

    def path(self, name: str) -> Path:
        value = Path(getattr(self, name))
        return value if value.is_absolute() else project_root() / value


@dataclass
class ModelRun:
    """Everything measured for one model."""

    model_id: str
    prompt_format: str
    nll: list[metrics.SequenceNLL]
    generations: list[Generation]
    from_cache: int
    perplexity_s: float
    generation_s: float


def add_arguments(parser: argparse.ArgumentParser) -> None:
    default = EvalConfig()
    add_model_options(parser, default)
    parser.add_argument("--test-file", help=f"JSONL file to score (default {default.test_file})")
    parser.add_argument("--limit", type=int, help="score only the first N examples")
    parser.add_argument("--batch-size", type=int, help="prompts generated together (default 16)")
    parser.add_argument("--max-new-tokens", type=int, help="generation length (default 200)")
    parser.add_argument("--threads", type=int, help="torch CPU threads (default 1; 0 = all)")
    add_precision_option(parser)


def config_from_args(args: argparse.Namespace) -> EvalConfig:
    """The run's config; TATWEER_SMOKE=1 means 3 examples, 16 new tokens, outputs/smoke/."""
    smoke = is_smoke()
    settings = GenerationSettings(max_new_tokens=SMOKE_NEW_TOKENS if smoke else 200)
    return given(
        given_settings(
            EvalConfig(settings=settings),
            max_new_tokens=args.max_new_tokens,
            batch_size=args.batch_size,
        ),
        adapter=args.adapter,
        test_file=args.test_file,
        output_dir=args.output_dir or ("outputs/smoke/evaluation" if smoke else None),
        cache_file=args.cache,
        num_threads=args.threads,
        precision=args.precision,
        limit=args.limit if args.limit is not None else (SMOKE_LIMIT if smoke else None),
    )


def main(args: argparse.Namespace) -> int:
    if args.limit is not None and args.limit < 0:
        raise UserError(f"--limit must be >= 0, got {args.limit}")
    summary = run_evaluation(config_from_args(args))
    print(format_table(summary))
    print(format_intervals(summary))
    print(f"evaluation wall time: {summary['timings']['wall_time_s']:.1f} s")
    return 0


def load_examples(config: EvalConfig) -> list[tuple[int, Example]]:
    """(line number, example) pairs of the test file, cut to ``limit``."""
    from slm_finetune.data.schema import read_jsonl_lines

    rows = read_jsonl_lines(config.path("test_file"))
    rows = rows[: config.limit] if config.limit else rows
    if not rows:
        raise UserError(f"{config.test_file}: no examples to evaluate")
    return rows


def check_adapter(folder: Path) -> Path:
    for name in ("adapter_config.json", "adapter_model.safetensors"):
        if not (folder / name).is_file():
            raise UserError(f"{folder}: no {name} (train first: python -m slm_finetune train)")
    return folder


def settings_for(config: EvalConfig, prompt_format: str) -> GenerationSettings:
    """The run's settings; a chat answer ends only at the end-of-turn token."""
    return dataclasses.replace(config.settings, cut_at_header=prompt_format != CHAT)


def score_model(
    model: Any, tokenizer: Any, examples: list[Example], model_id: str, config: EvalConfig,
    prefix: str, precision: Precision, fmt: str,
) -> ModelRun:  # fmt: skip
    """Perplexity terms and (cached) greedy answers of one model in prompt format ``fmt``.

    ``prefix`` names the row of `MODELS`; ``model_id`` keys the cache. Perplexity scores the
    reference answer after the same prompt the model answers.
    """
    from tqdm.auto import tqdm

    from slm_finetune.evaluation.generate import generate_all

    label = MODELS[prefix][0]
    t0 = time.perf_counter()
    model = precision.for_inference(model)
    prompts = [generation_prompt(tokenizer, ex, fmt) for ex in examples]
    pairs = zip(examples, prompts, strict=True)
    nll = [
        metrics.sequence_nll(model, tokenizer, ex, prompt=prompt)
        for ex, prompt in tqdm(list(pairs), desc=f"perplexity ({label})", unit="example")
    ]
    t1 = time.perf_counter()
    cache = GenerationCache(config.path("cache_file"))
    model_id += precision.model_suffix()
    settings = settings_for(config, fmt)
    gens, cached = generate_all(
        model, tokenizer, prompts, model_id, cache, settings, f"generating ({label})"
    )
    return ModelRun(model_id, fmt, nll, gens, cached, t1 - t0, time.perf_counter() - t1)


def run_models(
    config: EvalConfig, examples: list[Example], precision: Precision
) -> tuple[dict[str, ModelRun], Any]:
    """Score the base model (chat, then spec template), then the fine-tuned one; also return
    the base model's source."""
    from peft import PeftModel

    from slm_finetune.training.model import load_base_model

    adapter = check_adapter(config.path("adapter"))
    model, tokenizer, source = load_base_model()
    base_id = source.description
    runs = {
        prefix: score_model(
            model, tokenizer, examples, base_id, config, prefix, precision, MODELS[prefix][1]
        )
        for prefix in ("base", "base_spec")
    }
    del model
    base, tokenizer, _ = load_base_model()
    tuned = PeftModel.from_pretrained(base, str(adapter)).merge_and_unload()  # same maths, faster
    tuned.eval()
    ft_id = f"{source.description} + LoRA {file_sha256(adapter / 'adapter_model.safetensors')}"
    fmt = read_prompt_format(adapter)
    runs["ft"] = score_model(tuned, tokenizer, examples, ft_id, config, "ft", precision, fmt)
    return runs, source


def per_example_frame(rows: list[tuple[int, Example]], runs: dict[str, ModelRun]) -> Any:
    """One row per example: the reference, both answers and every per-example score."""
    import pandas as pd

    refs = [ex.output for _, ex in rows]
    facts = [metrics.extract_key_facts(r) for r in refs]
    frame = pd.DataFrame(
        {
            "example_id": [line for line, _ in rows],
            "instruction": [ex.instruction for _, ex in rows],
            "input": [ex.input for _, ex in rows],
            "reference": refs,
            "n_key_facts": [len(f) for f in facts],
            "key_facts": [" | ".join(f) for f in facts],
        }
    )
    for prefix, run in runs.items():
        answers = [g.answer for g in run.generations]
        rouge = metrics.rouge_scores(answers, refs)
        recall = [metrics.key_fact_recall(a, f) for a, f in zip(answers, facts, strict=True)]
        frame[f"{prefix}_output"] = answers
        for name in metrics.ROUGE_TYPES:
            frame[f"{prefix}_{name}"] = [r[name] for r in rouge]
        pairs = list(zip(answers, refs, strict=True))
        frame[f"{prefix}_bleu"] = [metrics.sentence_bleu(a, r) for a, r in pairs]
        frame[f"{prefix}_key_fact_recall"] = recall
        frame[f"{prefix}_response_nll"] = [n.response_nll for n in run.nll]
        frame[f"{prefix}_response_tokens"] = [n.response_tokens for n in run.nll]
        frame[f"{prefix}_full_nll"] = [n.full_nll for n in run.nll]
        frame[f"{prefix}_full_tokens"] = [n.full_tokens for n in run.nll]
        frame[f"{prefix}_new_tokens"] = [g.new_tokens for g in run.generations]
        frame[f"{prefix}_finished"] = [g.finished for g in run.generations]
    return frame


def corpus_values(frame: Any, prefix: str) -> dict[str, float]:
    """The table's value of every metric for one model (``prefix`` "base" or "ft")."""
    nll = [
        metrics.SequenceNLL(*values)
        for values in frame[
            [
                f"{prefix}_response_nll",
                f"{prefix}_response_tokens",
                f"{prefix}_full_nll",
                f"{prefix}_full_tokens",
            ]
        ].itertuples(index=False)
    ]
    recall = frame[f"{prefix}_key_fact_recall"].dropna()
    outputs, refs = frame[f"{prefix}_output"].tolist(), frame["reference"].tolist()
    return {
        "ppl_response": metrics.corpus_perplexity(nll, response=True),
        "ppl_full": metrics.corpus_perplexity(nll, response=False),
        **{name: float(frame[f"{prefix}_{name}"].mean()) for name in metrics.ROUGE_TYPES},
        "bleu": metrics.corpus_bleu(outputs, refs),
        "key_fact_recall": float(recall.mean()) if len(recall) else math.nan,
        "key_fact_pass": float((recall >= metrics.KEY_FACT_PASS).mean())
        if len(recall)
        else math.nan,
    }


def key_fact_passes(frame: Any, prefix: str) -> int:
    """How many examples pass the key-fact accuracy threshold (examples with facts only)."""
    return int((frame[f"{prefix}_key_fact_recall"].dropna() >= metrics.KEY_FACT_PASS).sum())


def improvement(base: float, tuned: float, higher_is_better: bool) -> float:
    """Relative improvement in percent (for lower-is-better metrics: the decrease)."""
    if not base or math.isnan(base) or math.isnan(tuned):
        return math.nan
    change = (tuned - base) / abs(base) * 100
    return change if higher_is_better else -change


def results_table(frame: Any) -> list[dict[str, Any]]:
    """Rows ``{metric, base, finetuned, improvement_pct, higher_is_better, base_spec}``.

    The improvement is the fine-tuned model's over the fair (chat-template) base model.
    """
    base, tuned = corpus_values(frame, "base"), corpus_values(frame, "ft")
    spec = corpus_values(frame, "base_spec")
    return [
        {
            "metric": label,
            "base": base[key],
            "base_spec": spec[key],
            "finetuned": tuned[key],
            "improvement_pct": improvement(base[key], tuned[key], higher),
            "higher_is_better": higher,
        }
        for label, key, higher in TABLE
    ]


def rouge_intervals(frame: Any) -> dict[str, list[float]]:
    """Bootstrap 95% CIs of mean ROUGE-L: each model and the paired difference (fine-tuned
    minus the fair base model)."""
    diff = frame["ft_rougeL"] - frame["base_rougeL"]
    return {
        "base": list(metrics.bootstrap_ci(frame["base_rougeL"])),
        "base_spec": list(metrics.bootstrap_ci(frame["base_spec_rougeL"])),
        "finetuned": list(metrics.bootstrap_ci(frame["ft_rougeL"])),
        "difference": list(metrics.bootstrap_ci(diff)),
    }


def _json_ready(value: Any) -> Any:
    """NaN -> null (strict JSON), recursively."""
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, dict):
        return {k: _json_ready(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_json_ready(v) for v in value]
    return value


def build_summary(config, frame, runs, source, seconds: float, precision) -> dict[str, Any]:
    """The JSON-ready summary of one evaluation run."""
    test_sha = file_sha256(config.path("test_file"))
    adapter_sha = file_sha256(config.path("adapter") / "adapter_model.safetensors")
    settings = dataclasses.asdict(config.settings)
    settings.pop("cut_at_header")
    formats = {prefix: run.prompt_format for prefix, run in runs.items()}
    ids = [source.description, adapter_sha, test_sha, settings, len(frame), formats]
    blob = json.dumps(ids + ([precision.name] if precision.name != "fp32" else []))
    return _json_ready(
        {
            "run_id": hashlib.sha256(blob.encode()).hexdigest()[:12],
            "created_utc": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "test_file": display_path(config.path("test_file")),
            "test_sha256": test_sha,
            "n_examples": len(frame),
            "base_model": source.description,
            "base_model_kind": source.kind,
            "adapter": display_path(config.path("adapter")),
            "adapter_sha256": adapter_sha,
            "generation": {
                **settings,
                "do_sample": False,
                "padding_side": "left",
                "answer_ends_at": "EOS; template prompts also at the next '### ' header",
            },
            "prompt_formats": formats,
            "perplexity": "exp(total NLL / total tokens) over the test set; 'response tokens' "
            "(answer + EOS, the training objective) is the headline value",
            "table": results_table(frame),
            "rougeL_ci95": rouge_intervals(frame),
            "bootstrap": {
                "resamples": metrics.BOOTSTRAP_RESAMPLES,
                "seed": metrics.BOOTSTRAP_SEED,
                "method": "percentile (2.5th and 97.5th) of resampled means",
            },
            "bleu": "nltk corpus_bleu, BLEU-4 uniform weights, lower-cased word/punctuation "
            "tokens, SmoothingFunction().method1",
            "key_facts": {
                "examples_with_facts": int((frame["n_key_facts"] > 0).sum()),
                "passed": {p: key_fact_passes(frame, p) for p in MODELS},
                "mean_facts": float(frame["n_key_facts"].mean()),
                "accuracy_threshold": metrics.KEY_FACT_PASS,
            },
            "generations_from_cache": {prefix: run.from_cache for prefix, run in runs.items()},
            "timings": {
                "wall_time_s": round(seconds, 1),
                **{
                    prefix: {
                        "perplexity_s": round(run.perplexity_s, 1),
                        "generation_s": round(run.generation_s, 1),
                    }
                    for prefix, run in runs.items()
                },
            },
            "hardware": hardware(),
            "precision": dataclasses.asdict(precision),
        }
    )


def read_results(path: str | Path) -> Any:
    """The per-example CSV as a DataFrame (empty text cells stay empty strings)."""
    import pandas as pd

    path = Path(path)
    if not path.is_file():
        raise UserError(f"{path}: no evaluation results (run: python -m slm_finetune evaluate)")
    frame = pd.read_csv(path)
    text = [
        "instruction",
        "input",
        "reference",
        "key_facts",
        "base_output",
        "base_spec_output",
        "ft_output",
        "error_flags",
        "error_label",
    ]
    frame[text] = frame[text].fillna("")
    return frame


def load_review(path: Path, run_id: str) -> dict[int, str] | None:
    """Reviewed error labels of the commentary file when it was written for run ``run_id``."""
    from slm_finetune.evaluation.error_analysis import CATEGORIES

    if not path.is_file():
        return None
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise UserError(f"{path}: invalid JSON ({exc.msg} at line {exc.lineno})") from None
    if data.get("run_id") != run_id:
        print(f"{path.name}: written for run {data.get('run_id')}, not {run_id}; reviews ignored")
        return None
    reviews = {int(k): v["label"] for k, v in data.get("reviews", {}).items()}
    bad = sorted(label for label in reviews.values() if label not in CATEGORIES)
    if bad:
        raise UserError(f"{path}: unknown review label(s) {', '.join(bad)}")
    return reviews


def review_status(path: Path, run_id: str) -> dict[str, Any]:
    """Which run the commentary file reviews; ``note`` says so when it is not ``run_id``."""
    data = json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}
    written_for = data.get("run_id")
    status = {"file": display_path(path), "written_for_run": written_for, "applies": False}
    if written_for == run_id:
        return {**status, "applies": True, "note": None}
    if written_for is None:
        note = f"no written reviews ({status['file']} is missing): labels are the heuristics'"
    else:
        note = (
            f"the written reviews in {status['file']} are for evaluation run {written_for}, "
            f"not this run {run_id}: the labels are the heuristics' until the answers are "
            "reviewed again"
        )
    return {**status, "note": note}


def write_error_analysis(frame: Any, config: EvalConfig, run_id: str) -> dict[str, Any]:
    """Label the low scorers, write ``error_analysis.json``/``.png``; fill the label columns."""
    from slm_finetune.data.schema import read_jsonl
    from slm_finetune.evaluation import error_analysis

    train_outputs = [ex.output for ex in read_jsonl(config.path("train_file"))]
    reviewed = load_review(config.path("review_file"), run_id)
    analysis = error_analysis.analyse(frame, train_outputs, reviewed)
    analysis["run_id"] = run_id
    analysis["review"] = review_status(config.path("review_file"), run_id)
    by_id = {row["example_id"]: row for row in analysis["examples"]}
    ids = frame["example_id"]
    frame["ft_low"] = ids.isin(by_id)
    frame["error_flags"] = [" ".join(by_id.get(i, {}).get("flags", [])) for i in ids]
    frame["error_label"] = [by_id.get(i, {}).get("heuristic", "") for i in ids]
    out = config.path("output_dir")
    write_text_atomic(out / ANALYSIS_NAME, json.dumps(analysis, indent=2) + "\n")
    error_analysis.plot_tally(analysis, out / PLOT_NAME)
    return analysis


def refresh_error_analysis(config: EvalConfig = EvalConfig()) -> dict[str, Any]:
    """Redo the error analysis from the saved results (e.g. after the review was written)."""
    out = config.path("output_dir")
    summary = json.loads((out / SUMMARY_NAME).read_text(encoding="utf-8"))
    return write_error_analysis(read_results(out / RESULTS_NAME), config, summary["run_id"])


def smoke_adapter(folder: str | Path) -> Path:
    """Save an untrained LoRA adapter (B = 0, so answers equal the base model's) to ``folder``.

    Lets smoke runs (tests, the notebook with TATWEER_SMOKE=1) exercise the whole pipeline
    where no trained adapter exists yet.
    """
    from slm_finetune.training.config import DEFAULT
    from slm_finetune.training.lora import add_lora
    from slm_finetune.training.model import load_base_model

    folder = Path(folder)
    if not (folder / "adapter_model.safetensors").is_file():
        model, _, _ = load_base_model()
        add_lora(model, DEFAULT, verbose=False)[0].save_pretrained(folder)
    return folder


def run_evaluation(config: EvalConfig = EvalConfig()) -> dict[str, Any]:
    """Evaluate both models as configured, write every output, return the summary."""
    from slm_finetune.training.train import set_threads

    started = time.perf_counter()
    set_threads(config.num_threads)
    precision = resolve(config.precision)
    print(f"precision: {precision.name} ({precision.reason})")
    rows = load_examples(config)
    runs, source = run_models(config, [ex for _, ex in rows], precision)
    frame = per_example_frame(rows, runs)
    seconds = time.perf_counter() - started
    summary = build_summary(config, frame, runs, source, seconds, precision)
    write_error_analysis(frame, config, summary["run_id"])
    out = config.path("output_dir")
    from tatweer_common.io import atomic_path

    with atomic_path(out / RESULTS_NAME) as tmp:
        frame.to_csv(tmp, index=False)
    summary["timings"]["wall_time_s"] = round(time.perf_counter() - started, 1)
    write_text_atomic(out / SUMMARY_NAME, json.dumps(summary, indent=2) + "\n")
    print(f"wrote {out / RESULTS_NAME}, {out / SUMMARY_NAME}, {out / ANALYSIS_NAME}, {PLOT_NAME}")
    return summary


def table_frame(summary: dict[str, Any]) -> Any:
    """The results table as the spec's DataFrame (perplexity improvement = decrease), with the
    base model in the spec template as a last, reference column."""
    import pandas as pd

    return pd.DataFrame(
        [
            {
                "Metric": row["metric"],
                "Base Model": row["base"],
                "Fine-Tuned Model": row["finetuned"],
                "Improvement (%)": row["improvement_pct"],
                SPEC_COLUMN: math.nan if row.get("base_spec") is None else row["base_spec"],
            }
            for row in summary["table"]
        ]
    )


def format_table(summary: dict[str, Any]) -> str:
    frame = table_frame(summary)
    return frame.to_string(
        index=False,
        na_rep="n/a",
        formatters={
            "Base Model": "{:.4f}".format,
            "Fine-Tuned Model": "{:.4f}".format,
            "Improvement (%)": lambda v: "n/a" if v is None or v != v else f"{v:+.1f}",
            SPEC_COLUMN: "{:.4f}".format,
        },
    )


def key_findings(summary: dict[str, Any]) -> list[str]:
    """Findings computed from the summary: biggest gain, CI overlap, paired difference."""
    rows = [r for r in summary["table"] if r["improvement_pct"] is not None]
    best = max(rows, key=lambda r: r["improvement_pct"])
    ci = summary["rougeL_ci95"]
    overlap = ci["finetuned"][0] <= ci["base"][1] and ci["base"][0] <= ci["finetuned"][1]
    diff_low, diff_high = ci["difference"]
    return [
        f"largest relative improvement: {best['metric']} ({best['improvement_pct']:+.1f}%)",
        "ROUGE-L 95% intervals of the two models " + ("overlap" if overlap else "do not overlap"),
        f"paired ROUGE-L difference (fine-tuned minus base): 95% CI [{diff_low:.4f}, "
        f"{diff_high:.4f}], " + ("excludes 0" if diff_low > 0 or diff_high < 0 else "includes 0"),
    ]


def format_intervals(summary: dict[str, Any]) -> str:
    ci = summary["rougeL_ci95"]
    n = summary["bootstrap"]["resamples"]
    return "\n".join(
        f"ROUGE-L 95% CI ({name}, {n} bootstrap resamples): [{lo:.4f}, {hi:.4f}]"
        for name, (lo, hi) in (
            ("base", ci["base"]),
            ("base, spec template", ci["base_spec"]),
            ("fine-tuned", ci["finetuned"]),
            ("fine-tuned minus base, paired", ci["difference"]),
        )
    )


def agreement(first: dict[str, Any], second: dict[str, Any], tolerance_pct: float = 2.0) -> Any:
    """Table values of two runs side by side, with the relative difference of each.

    Used to check that the float32 and bf16 scores of one adapter agree: ``within`` is True
    when the second value differs from the first by at most ``tolerance_pct`` percent.
    """
    import pandas as pd

    other = {row["metric"]: row for row in second["table"]}
    rows = []
    for row in first["table"]:
        for key, model in (("base", "base"), ("finetuned", "fine-tuned")):
            a, b = row[key], other[row["metric"]][key]
            diff = math.nan if a is None or b is None or not a else (b - a) / abs(a) * 100
            rows.append({"metric": row["metric"], "model": model, "first": a, "second": b,
                         "difference_pct": diff, "within": abs(diff) <= tolerance_pct})  # fmt: skip
    return pd.DataFrame(rows)
