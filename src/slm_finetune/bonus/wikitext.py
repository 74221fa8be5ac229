"""General-English fluency: 100 WikiText-103 test sentences and a model's perplexity on them.

**Source.** Online: the ``wikitext`` dataset (hosted as ``Salesforce/wikitext``), config
``wikitext-103-raw-v1``, split ``test``, via `datasets`, after a Hub check with a short
timeout. Offline: ``assets_dir()/text/wikitext_test_raw.txt``, the raw WikiText-2 test file,
which holds the same test articles as WikiText-103. Licence: CC BY-SA 3.0 (both).

**Selection rule** (`select_sentences`), deterministic for a given file and seed:

1. drop blank lines and headings (lines starting with ``=``, e.g. `` = Robert Boulter = ``);
2. split each paragraph into sentences after a space-separated ``.``, ``!`` or ``?``
   followed by a capital letter or a quote (raw WikiText writes ``actor . He``);
3. undo WikiText's tokenisation (`detokenize`): ``@-@`` -> ``-``, ``@,@`` -> ``,``,
   ``@.@`` -> ``.``, no space before ``, . ; : ! ? % )`` or ``'s``/``n't``, none after ``(``;
4. keep *full sentences*: 8 to 40 words, a capital first letter, ending in ``.``, ``!`` or
   ``?``, no ``=``, balanced double quotes and parentheses; duplicates are dropped;
5. draw ``n`` of them (file order) with ``random.Random(seed).sample``.

**Perplexity** = ``exp(total NLL / total tokens)`` over all sentences (token-weighted, as in
`slm_finetune.evaluation.metrics.corpus_perplexity`); each sentence is scored alone, every
token after its first is a target (there is no prompt).
"""

from __future__ import annotations

import random
import re
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from slm_finetune.evaluation import metrics
from tatweer_common.errors import UserError
from tatweer_common.paths import assets_dir

HUB_DATASET = "Salesforce/wikitext"  # the canonical ``wikitext`` dataset
HUB_CONFIG = "wikitext-103-raw-v1"
HUB_TIMEOUT_S = 10.0
LICENSE = "CC BY-SA 3.0"
OFFLINE_FILE = "text/wikitext_test_raw.txt"
MIN_WORDS, MAX_WORDS = 8, 40
SELECTION_RULE = (
    f"non-heading paragraphs split into sentences, WikiText tokenisation undone, full sentences "
    f"only ({MIN_WORDS}-{MAX_WORDS} words, capital first letter, final . ! or ?, balanced quotes "
    f"and parentheses, no '='), duplicates dropped, then random.Random(seed).sample"
)

_SENTENCE_BREAK = re.compile(r"(?<=\s[.!?])\s+(?=[A-Z\"'])")


def detokenize(text: str) -> str:
    """Raw WikiText spacing -> ordinary English spacing (see the module docstring)."""
    text = re.sub(r" @(.)@ ", r"\1", text)
    text = re.sub(r" ([.,;:!?%)\]])", r"\1", text)
    text = re.sub(r"([(\[]) ", r"\1", text)
    text = re.sub(r" ('s|'re|'ve|'ll|'d|'m|n't)\b", r"\1", text)
    return text.strip()


def is_full_sentence(sentence: str) -> bool:
    """The length and shape bounds of step 4 of the selection rule."""
    return (
        MIN_WORDS <= len(sentence.split()) <= MAX_WORDS
        and sentence[0].isupper()
        and sentence[-1] in ".!?"
        and "=" not in sentence
        and sentence.count('"') % 2 == 0
        and sentence.count("(") == sentence.count(")")
    )


def candidate_sentences(lines: Iterable[str]) -> list[str]:
    """Every distinct full sentence of the non-heading lines, in file order."""
    found: dict[str, None] = {}
    for line in lines:
        text = line.strip()
        if not text or text.startswith("="):
            continue
        for raw in _SENTENCE_BREAK.split(text):
            sentence = detokenize(raw)
            if sentence and is_full_sentence(sentence):
                found.setdefault(sentence)
    return list(found)


def select_sentences(lines: Iterable[str], n: int, seed: int = 42) -> list[str]:
    """``n`` full sentences drawn with a seeded generator (same lines + seed -> same list)."""
    candidates = candidate_sentences(lines)
    if len(candidates) < n:
        raise UserError(f"WikiText: only {len(candidates)} full sentences, {n} requested")
    return random.Random(seed).sample(candidates, n)


def _hub_lines(timeout_s: float) -> tuple[list[str] | None, str]:
    """The test split's lines from the Hub, or ``None`` and the reason why not."""
    from slm_finetune.training.model import hub_offline

    if hub_offline():
        return None, "HF_HUB_OFFLINE is set"
    try:
        from datasets import load_dataset
        from huggingface_hub import HfApi

        HfApi().dataset_info(HUB_DATASET, timeout=timeout_s)  # fail fast when offline
        split = load_dataset(HUB_DATASET, HUB_CONFIG, split="test")
    except Exception as exc:  # noqa: BLE001 - any Hub failure means "use the offline file"
        return None, f"Hub unreachable: {type(exc).__name__}"
    return list(split["text"]), ""


def load_lines(offline_file: str | Path = "", timeout_s: float = HUB_TIMEOUT_S) -> tuple[list, str]:
    """(lines of the WikiText-103 test set, a one-line description of the source used)."""
    lines, reason = _hub_lines(timeout_s)
    if lines is not None:
        return (
            lines,
            f"WikiText-103 test split ({HUB_DATASET}, {HUB_CONFIG}) from the Hub, {LICENSE}",
        )
    path = Path(offline_file) if offline_file else assets_dir() / OFFLINE_FILE
    if not path.is_file():
        raise UserError(f"{path}: WikiText test file not found and {reason}")
    source = (
        f"offline file {path.name} (WikiText test set, same articles as WikiText-103), {LICENSE}"
    )
    print(f"WikiText source: {source} ({reason})")
    return path.read_text(encoding="utf-8").splitlines(), source


def sentence_nll(model: Any, tokenizer: Any, sentence: str) -> metrics.SequenceNLL:
    """Summed NLL of every token after the first (the whole sentence is the target)."""
    import torch

    ids = tokenizer(sentence, return_tensors="pt")["input_ids"]
    with torch.inference_mode():
        loss = float(model(input_ids=ids, labels=ids).loss)
    targets = int(ids.shape[1] - 1)
    nll = loss * targets
    return metrics.SequenceNLL(nll, targets, nll, targets)


def perplexity(model: Any, tokenizer: Any, sentences: Sequence[str], desc: str = "") -> float:
    """Token-weighted perplexity of ``model`` on ``sentences``."""
    from tqdm.auto import tqdm

    rows = [
        sentence_nll(model, tokenizer, s)
        for s in tqdm(sentences, desc=desc or "WikiText perplexity", unit="sentence")
    ]
    return metrics.corpus_perplexity(rows)
