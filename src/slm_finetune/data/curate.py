"""`curate`: raw files -> filtered, de-duplicated, split dataset + manifest + Data Card.

``python -m slm_finetune curate`` is the one command that regenerates ``data/train.jsonl``,
``data/val.jsonl``, ``data/test.jsonl``, ``data/manifest.csv`` and ``data/DATA_CARD.md``
from ``data/raw/*.jsonl``. It is offline and deterministic: same raw files and seed ->
byte-identical outputs. ``--with-hub`` also tries Dolly-15k on the Hub and then writes,
by default, to ``outputs/slm_finetune/curated_with_hub`` so the committed splits never
depend on the network.
"""

from __future__ import annotations

import argparse
import csv
import io
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from slm_finetune.data.datacard import CardContext, render_data_card
from slm_finetune.data.filters import FilterResult, run_filters
from slm_finetune.data.schema import write_jsonl
from slm_finetune.data.sources import Candidate, load_dolly, load_raw
from slm_finetune.data.split import SPLITS, instruction_hash, split_candidates
from slm_finetune.data.stats import DatasetStats, compute_stats, format_stats
from tatweer_common.errors import UserError
from tatweer_common.io import write_text_atomic
from tatweer_common.paths import display_path, project_root

MANIFEST_COLUMNS = (
    "split", "line", "topic", "source", "origin", "similar_group", "reason", "instruction_sha1",
)  # fmt: skip


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add = parser.add_argument
    add("--raw-dir", type=Path, help="folder of raw *.jsonl files (default: data/raw)")
    add("--out-dir", type=Path, help="where splits, manifest and card go (default: data, or "
        "outputs/slm_finetune/curated_with_hub with --with-hub)")
    add("--seed", type=int, default=42, help="split seed (default: 42)")
    add("--near-dup-threshold", type=float, default=0.8,
        help="instruction token Jaccard that marks a near-duplicate (default: 0.8)")
    add("--similar-threshold", type=float, default=0.4,
        help="whole-example token Jaccard that groups similar examples into one split (0.4)")
    add("--with-hub", action="store_true",
        help="also try the Hub source (Dolly-15k); the committed splits never use it")
    add("--hub-limit", type=int, default=100, help="most Hub examples to take (default: 100)")
    add("--hub-timeout", type=float, default=10.0,
        help="seconds to wait for the Hub before skipping it (default: 10)")


@dataclass
class CurateOutput:
    """What a curate run produced."""

    stats: DatasetStats
    paths: dict[str, Path]
    filtered: FilterResult


def _group_names(result: FilterResult) -> dict[str, str]:
    """origin -> origin of its similar group's first member (only for groups of 2+)."""
    sizes = Counter(result.groups)
    return {
        cand.origin: result.kept[group].origin
        for cand, group in zip(result.kept, result.groups, strict=True)
        if sizes[group] > 1
    }


def _manifest(splits: dict[str, list[Candidate]], result: FilterResult) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(MANIFEST_COLUMNS)
    groups = _group_names(result)
    for name in SPLITS:
        for line, cand in enumerate(splits[name], start=1):
            ex, group = cand.example, groups.get(cand.origin, "")
            sha = instruction_hash(ex.instruction)
            writer.writerow((name, line, ex.topic, ex.source, cand.origin, group, "", sha))
    for rej in result.rejected:
        ex, origin = rej.candidate.example, rej.candidate.origin
        reason = f"{rej.step}: {rej.detail}"
        sha = instruction_hash(ex.instruction)
        writer.writerow(("removed", "", ex.topic, ex.source, origin, "", reason, sha))
    return buffer.getvalue()


def _files_by_source(candidates: list[Candidate]) -> dict[str, list[str]]:
    files: dict[str, set[str]] = {}
    for cand in candidates:
        files.setdefault(cand.example.source, set()).add(cand.origin.rsplit(":", 1)[0])
    return {source: sorted(names) for source, names in files.items()}


def curate(
    raw_dir: Path,
    out_dir: Path,
    seed: int = 42,
    near_threshold: float = 0.8,
    hub: list[Candidate] | None = None,
    similar_threshold: float = 0.4,
) -> CurateOutput:
    """Run the whole pipeline on ``raw_dir`` (plus optional Hub candidates) into ``out_dir``."""
    for option, value in (("near-dup", near_threshold), ("similar", similar_threshold)):
        if not 0.0 < value <= 1.0:
            raise UserError(f"--{option}-threshold must be in (0, 1], got {value}")
    candidates = load_raw(raw_dir) + list(hub or [])
    result = run_filters(candidates, near_threshold, similar_threshold=similar_threshold)
    splits = split_candidates(result.kept, seed=seed, groups=result.groups)
    examples = {name: [c.example for c in cands] for name, cands in splits.items()}
    stats = compute_stats(examples, [c.example for c in candidates], result.removed_counts())
    stats.instructions_fixed = result.instructions_fixed
    stats.whitespace_changed = result.whitespace_changed
    stats.near_duplicate_pairs = [(a.origin, b.origin, s) for a, b, s in result.near_duplicates]
    stats.similar_pairs = [(a.origin, b.origin, s) for a, b, s in result.similar_pairs]
    paths = {name: write_jsonl(out_dir / f"{name}.jsonl", examples[name]) for name in SPLITS}
    paths["manifest"] = write_text_atomic(out_dir / "manifest.csv", _manifest(splits, result))
    ctx = CardContext(
        raw_dir=display_path(raw_dir),
        seed=seed,
        near_threshold=near_threshold,
        similar_threshold=similar_threshold,
        files=_files_by_source(candidates),
        hub="off" if hub is None else ("used" if hub else "empty"),
    )
    paths["data_card"] = write_text_atomic(out_dir / "DATA_CARD.md", render_data_card(stats, ctx))
    return CurateOutput(stats=stats, paths=paths, filtered=result)


def main(args: argparse.Namespace) -> int:
    root = project_root()
    raw_dir = args.raw_dir or root / "data" / "raw"
    default_out = root / ("outputs/slm_finetune/curated_with_hub" if args.with_hub else "data")
    out_dir = args.out_dir or default_out
    hub = None
    if args.with_hub:
        hub = load_dolly(limit=args.hub_limit, timeout=args.hub_timeout)
    output = curate(
        raw_dir, out_dir, args.seed, args.near_dup_threshold, hub, args.similar_threshold
    )
    print(format_stats(output.stats))
    print("wrote: " + ", ".join(display_path(p) for p in output.paths.values()))
    return 0
