"""Exact de-duplication on the instruction and near-duplicate detection (token Jaccard)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

_TOKEN = re.compile(r"[a-z0-9]+")


def instruction_key(text: str) -> str:
    """The exact-match key: case-folded, whitespace collapsed."""
    return " ".join(text.casefold().split())


def token_set(text: str) -> frozenset[str]:
    """Normalised tokens: lower-cased runs of letters and digits."""
    return frozenset(_TOKEN.findall(text.lower()))


def jaccard(a: frozenset[str], b: frozenset[str]) -> float:
    """|a & b| / |a | b| (1.0 for two empty sets)."""
    inter = len(a & b)
    union = len(a) + len(b) - inter
    return inter / union if union else 1.0


def exact_duplicates(instructions: Sequence[str]) -> list[int | None]:
    """For each position, the index of the first earlier equal instruction, else None."""
    first: dict[str, int] = {}
    result: list[int | None] = []
    for i, text in enumerate(instructions):
        key = instruction_key(text)
        result.append(first.get(key))
        first.setdefault(key, i)
    return result


@dataclass(frozen=True)
class NearDuplicate:
    """Item ``index`` is a near-duplicate of the earlier kept item ``of``."""

    index: int
    of: int
    score: float


def near_duplicates(texts: Sequence[str], threshold: float) -> list[NearDuplicate]:
    """Greedy scan: each text is compared with the earlier texts that are not themselves
    near-duplicates; a Jaccard of token sets >= ``threshold`` marks it (best match kept)."""
    kept: list[tuple[int, frozenset[str]]] = []
    found: list[NearDuplicate] = []
    for i, text in enumerate(texts):
        tokens = token_set(text)
        best, best_score = -1, 0.0
        for j, other in kept:
            small, large = sorted((len(tokens), len(other)))
            if large and small / large < threshold:
                continue  # Jaccard <= small/large, cannot reach the threshold
            score = jaccard(tokens, other)
            if score > best_score:
                best, best_score = j, score
        if best >= 0 and best_score >= threshold:
            found.append(NearDuplicate(i, best, round(best_score, 3)))
        else:
            kept.append((i, tokens))
    return found


def _jaccard_matrix(token_sets: Sequence[frozenset[str]]):
    """Pairwise Jaccard of token sets (numpy array) via a sparse indicator matrix."""
    import numpy as np
    from scipy import sparse

    vocab: dict[str, int] = {}
    rows, cols = [], []
    for i, tokens in enumerate(token_sets):
        for token in sorted(tokens):
            rows.append(i)
            cols.append(vocab.setdefault(token, len(vocab)))
    n = len(token_sets)
    x = sparse.csr_matrix((np.ones(len(rows)), (rows, cols)), shape=(n, max(len(vocab), 1)))
    inter = (x @ x.T).toarray()
    sizes = np.array([len(t) for t in token_sets], dtype=float)
    union = sizes[:, None] + sizes[None, :] - inter
    return np.divide(inter, union, out=np.ones_like(inter), where=union > 0)


def similar_groups(texts: Sequence[str], threshold: float) -> tuple[list[int], list[NearDuplicate]]:
    """Group texts whose token Jaccard is >= ``threshold`` (transitively, union-find).

    Returns the group id of each text (the index of its group's first member) and the
    similar pairs found (``index`` later than ``of``).
    """
    parent = list(range(len(texts)))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    if not texts:
        return [], []
    scores = _jaccard_matrix([token_set(t) for t in texts])
    pairs = []
    for i, j in zip(*(scores >= threshold).nonzero(), strict=True):
        if j >= i:
            continue
        pairs.append(NearDuplicate(int(i), int(j), round(float(scores[i, j]), 3)))
        a, b = sorted((root(int(i)), root(int(j))))
        parent[b] = a
    return [root(i) for i in range(len(texts))], pairs
