"""`python -m slm_finetune model-card`: ``MODEL_CARD.md`` rendered from the saved results.

Reads ``outputs/evaluation_summary.json`` and ``outputs/error_analysis.json`` (the
``evaluate`` command), ``outputs/train_summary.json`` (``train``), the adapter's
``adapter_config.json``, the split files and ``data/manifest.csv`` (``curate``) and the
installed package versions, and renders ``templates/model_card.md.j2``. Nothing in the
card is typed by hand: re-run the command after re-training or re-evaluating.
"""

from __future__ import annotations

import argparse
import csv
import importlib.metadata
import json
import re
from collections import Counter
from pathlib import Path
from typing import Any

from tatweer_common.errors import UserError
from tatweer_common.io import write_text_atomic
from tatweer_common.paths import project_root

CARD_NAME = "MODEL_CARD.md"
MODEL_NAME = "SmolLM2-135M-Instruct IT-Support LoRA"
PACKAGES = ("transformers", "peft", "torch", "trl", "datasets", "rouge-score", "nltk")
SPLITS = ("train", "val", "test")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--outputs", type=Path, help="folder of the saved results (outputs)")
    parser.add_argument("--adapter", type=Path, help="adapter folder (outputs/lora_adapter)")
    parser.add_argument("--data", type=Path, help="folder of the splits and manifest (data)")
    parser.add_argument("--card", type=Path, help=f"file to write (default {CARD_NAME})")


def main(args: argparse.Namespace) -> int:
    root = project_root()
    outputs = args.outputs or root / "outputs"
    adapter = args.adapter or outputs / "lora_adapter"
    context = card_context(outputs, adapter, args.data or root / "data")
    path = write_text_atomic(args.card or root / CARD_NAME, render_card(context))
    print(f"wrote {path}")
    return 0


def read_json(path: Path, made_by: str) -> dict[str, Any]:
    """A saved JSON result, or a UserError naming the command that writes it."""
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise UserError(f"{path}: not found (run: python -m slm_finetune {made_by})") from None
    except json.JSONDecodeError as exc:
        raise UserError(f"{path}: invalid JSON ({exc.msg} at line {exc.lineno})") from None


def package_versions() -> dict[str, str]:
    versions = {}
    for name in PACKAGES:
        try:
            versions[name] = importlib.metadata.version(name).split("+")[0]
        except importlib.metadata.PackageNotFoundError:
            versions[name] = "not installed"
    return versions


def data_facts(data: Path) -> dict[str, Any]:
    """Split sizes (non-blank lines) and the examples per source in the splits (manifest)."""
    counts = {}
    for split in SPLITS:
        path = data / f"{split}.jsonl"
        if not path.is_file():
            raise UserError(f"{path}: not found (run: python -m slm_finetune curate)")
        counts[split] = sum(1 for line in path.read_text(encoding="utf-8").splitlines() if line)
    sources: Counter[str] = Counter()
    manifest = data / "manifest.csv"
    if manifest.is_file():
        with open(manifest, encoding="utf-8", newline="") as handle:
            rows = csv.DictReader(handle)
            sources.update(row["source"] for row in rows if row["split"] in SPLITS)
    return {"counts": counts, "sources": dict(sources)}


def source_rows(sources: dict[str, int]) -> list[dict[str, Any]]:
    from slm_finetune.data.datacard import SOURCE_INFO

    rows = []
    for name, count in sorted(sources.items()):
        reference, licence = SOURCE_INFO.get(name, ("see data/manifest.csv", "unknown"))
        rows.append({"name": name, "count": count, "reference": reference, "licence": licence})
    return rows


def preprocessing_rules() -> list[str]:
    from slm_finetune.data.datacard import FILTER_RULES

    return list(FILTER_RULES.values())


def card_context(outputs: Path, adapter: Path, data: Path) -> dict[str, Any]:
    """Every value the template needs, read from the saved files."""
    from slm_finetune.training.model import HUB_ID, HUB_LICENSE

    evaluation = read_json(outputs / "evaluation_summary.json", "evaluate")
    train = read_json(outputs / "train_summary.json", "train")
    facts = data_facts(data)
    return {
        "model_name": MODEL_NAME,
        "hub_id": HUB_ID,
        "hub_license": HUB_LICENSE,
        "eval": evaluation,
        "rows": {row["metric"]: row for row in evaluation["table"]},
        "errors": read_json(outputs / "error_analysis.json", "evaluate"),
        "train": train,
        "cfg": train["config"],
        "lora": read_json(adapter / "adapter_config.json", "train"),
        "adapter_path": "outputs/lora_adapter",
        "versions": package_versions(),
        "data": facts,
        "sources": source_rows(facts["sources"]),
        "rules": preprocessing_rules(),
        "training_date": train.get("finished_utc") or train.get("created_utc"),
        "index_metrics": index_metrics(evaluation["table"]),
        "key_fact_counts": pass_counts(evaluation),
    }


def pass_counts(evaluation: dict[str, Any]) -> dict[str, int]:
    """Key-fact accuracy as counts: examples passing, of the examples that have key facts."""
    facts = evaluation["key_facts"]
    passed = facts["passed"]
    return {"of": facts["examples_with_facts"], "base": passed["base"],
            "base_spec": passed["base_spec"], "finetuned": passed["ft"]}


def index_metrics(table: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The fine-tuned model's results for the card's ``model-index`` (metric key, label, value)."""
    from slm_finetune.evaluation.evaluate import TABLE

    keys = {label: key for label, key, _ in TABLE}
    return [
        {"key": keys[row["metric"]], "label": row["metric"], "value": row["finetuned"]}
        for row in table
        if row["metric"] in keys and row["finetuned"] is not None
    ]


def fmt(value: float | None, digits: int = 4) -> str:
    return "n/a" if value is None else f"{value:.{digits}f}"


def improvement(row: dict[str, Any]) -> str:
    """``+12.3%`` for higher-is-better metrics; ``37.5% lower`` (or higher) for perplexity."""
    value = row["improvement_pct"]
    if value is None:
        return "n/a"
    if row["higher_is_better"]:
        return f"{value:+.1f}%"
    return f"{abs(value):.1f}% {'lower' if value >= 0 else 'higher'}"


def precision_name(name: str, inference: bool = False) -> str:
    """How a precision ran: float32; bf16 autocast (training) or bf16 weights (inference)."""
    if name == "bf16":
        return "bf16 (model cast to bf16)" if inference else "bf16 autocast (mixed precision)"
    return "float32" if name == "fp32" else f"{name} mixed precision"


def render_card(context: dict[str, Any]) -> str:
    from slm_finetune.templating import template_env

    env = template_env()
    env.filters.update(fmt=fmt, improvement=improvement, thousands="{:,}".format)
    env.globals["precision_name"] = precision_name
    text = env.get_template("model_card.md.j2").render(**context)
    return re.sub(r"\n{3,}", "\n\n", text)
