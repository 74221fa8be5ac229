"""Deterministic, seeded train/val/test split stratified by topic.

Examples are grouped by topic (in `TOPICS` order), shuffled inside each topic with a
seeded RNG (after sorting by an instruction hash, so input order does not matter), then
dealt out in that order to the split that is furthest below its target share. Globally the
shares are exact up to one example; inside every topic they are within one example.
Groups of similar examples are dealt as one unit, so they never straddle two splits.
"""

from __future__ import annotations

import hashlib
import random
from collections import defaultdict
from collections.abc import Sequence

from slm_finetune.data.schema import TOPICS
from slm_finetune.data.sources import Candidate

SPLITS = ("train", "val", "test")
RATIOS = (0.8, 0.1, 0.1)


def instruction_hash(text: str) -> str:
    """SHA-1 of the instruction (UTF-8), as hex: the manifest's stable example id."""
    return hashlib.sha1(text.encode("utf-8")).hexdigest()


def _hash_key(cand: Candidate) -> str:
    return instruction_hash(cand.example.instruction)


def _units(candidates: Sequence[Candidate], groups: Sequence[int] | None) -> list[list[Candidate]]:
    """Candidates bundled by group (each alone without groups), members sorted by hash."""
    keys = groups if groups is not None else range(len(candidates))
    bundles: dict[int, list[Candidate]] = defaultdict(list)
    for key, cand in zip(keys, candidates, strict=True):
        bundles[key].append(cand)
    units = [sorted(bundle, key=_hash_key) for bundle in bundles.values()]
    return sorted(units, key=lambda unit: _hash_key(unit[0]))


def _stratified_order(units: list[list[Candidate]], rng: random.Random) -> list[list[Candidate]]:
    by_topic: dict[str, list[list[Candidate]]] = defaultdict(list)
    for unit in units:
        by_topic[unit[0].example.topic].append(unit)
    rank = {t: i for i, t in enumerate(TOPICS)}
    ordered: list[list[Candidate]] = []
    for topic in sorted(by_topic, key=lambda t: (rank.get(t, len(rank)), t)):
        group = by_topic[topic]
        rng.shuffle(group)
        ordered.extend(group)
    return ordered


def split_candidates(
    candidates: Sequence[Candidate],
    seed: int = 42,
    ratios: Sequence[float] = RATIOS,
    groups: Sequence[int] | None = None,
) -> dict[str, list[Candidate]]:
    """Split into ``train``/``val``/``test`` with ``ratios``; same inputs -> same splits.

    ``groups`` (one id per candidate) keeps the members of a group in the same split; the
    group counts under the topic of its first member (by instruction hash).
    """
    if len(ratios) != len(SPLITS) or abs(sum(ratios) - 1.0) > 1e-9 or min(ratios) < 0:
        raise ValueError(f"ratios must be {len(SPLITS)} non-negative shares summing to 1")
    rng = random.Random(seed)
    splits: dict[str, list[Candidate]] = {name: [] for name in SPLITS}
    dealt = 0
    for unit in _stratified_order(_units(candidates, groups), rng):
        dealt += len(unit)
        deficits = [r * dealt - len(splits[name]) for name, r in zip(SPLITS, ratios, strict=True)]
        splits[SPLITS[deficits.index(max(deficits))]].extend(unit)
    for name in SPLITS:
        rng.shuffle(splits[name])
    return splits
