"""Evaluation metrics: perplexity, ROUGE, BLEU, the key-fact metric and bootstrap intervals.

* **Perplexity** = ``exp(total NLL / total target tokens)`` over the whole test set
  (token-weighted, not a mean of per-example perplexities). Each example is one
  ``forward(labels=...)`` call on the full training string (template + answer + EOS,
  truncated to 512 tokens). The *response* variant scores only the answer tokens (EOS
  included), exactly the training objective; the *full-sequence* variant scores every
  token after the first (the prompt too), computed from the same forward pass's logits.
* **ROUGE-1/2/L**: F1 of `rouge_score` with the Porter stemmer, per example, then averaged.
* **BLEU**: `nltk` ``corpus_bleu`` (4-gram, uniform weights) over lower-cased word/punctuation
  tokens, with Chen & Cherry smoothing *method1* (epsilon 0.1 for zero n-gram counts).
* **Key facts**: see `extract_key_facts` (the extraction rule) and `key_fact_recall`.
* **Bootstrap**: percentile 95% interval of a mean over 1000 seeded resamples of the examples.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from slm_finetune.data.features import IGNORE_INDEX, encode_example

BOOTSTRAP_RESAMPLES = 1000
BOOTSTRAP_SEED = 42
ROUGE_TYPES = ("rouge1", "rouge2", "rougeL")
KEY_FACT_PASS = 0.5  # key-fact accuracy: at least half of an example's key facts present
COMMAND_HEAD_TOKENS = 2  # a command fact is its program plus first argument/sub-command

# Named tools and places that count as key facts when the reference mentions them.
NAMED_TOOLS = (
    "Activity Monitor", "Command Prompt", "Control Panel", "Credential Manager",
    "Device Manager", "Disk Management", "Disk Utility", "Event Viewer", "File Explorer",
    "Finder", "Keychain Access", "Microsoft Defender", "Windows Security", "Task Manager",
    "Task Scheduler", "Terminal", "PowerShell", "Registry Editor", "Reliability Monitor",
    "Resource Monitor", "System Settings", "System Preferences", "Safe Mode",
    "Recovery Mode", "Time Machine", "File History", "OneDrive", "SharePoint", "Outlook",
    "Teams", "Excel", "Google Drive", "Gmail", "Chrome", "Firefox", "Edge", "Safari",
    "BitLocker", "FileVault", "Storage Sense", "Windows Update", "Microsoft Store",
    "App Store", "Play Store", "Authenticator", "BIOS", "UEFI", "Docker Desktop",
    "Docker Compose", "Kubernetes", "kubectl", "git", "GitHub", "pip", "conda", "venv",
    "Homebrew", "apt", "dnf", "systemctl", "journalctl", "PostgreSQL", "MySQL", "SQLite", "SSH",
    "AWS", "Azure", "Google Cloud", "IAM", "Intune", "Active Directory", "Entra ID",
)  # fmt: skip

_FENCE = re.compile(r"```[^\n]*\n(.*?)```", re.DOTALL)
_INLINE_CODE = re.compile(r"`([^`\n]+)`")
_BOLD = re.compile(r"\*\*([^*\n]+)\*\*")
_ERROR_CODE = re.compile(
    r"\b0x[0-9A-Fa-f]{4,}\b"  # Windows/HRESULT codes
    r"|\b[A-Z][A-Z0-9]*(?:_[A-Z0-9]+){2,}\b"  # stop codes such as DRIVER_IRQL_NOT_LESS_OR_EQUAL
    r"|\bERR_[A-Z_]+\b"  # browser errors
    r"|\bE[A-Z]{4,}\b"  # errno names such as ECONNREFUSED
    r"|(?i:\b(?:error|code|status)\s+[0-9]{3,5}\b)",  # numeric error/status codes
)


@dataclass(frozen=True)
class SequenceNLL:
    """Summed negative log-likelihood (nats) and target-token count of one example."""

    response_nll: float
    response_tokens: int
    full_nll: float
    full_tokens: int


def corpus_perplexity(rows: Sequence[SequenceNLL], response: bool = True) -> float:
    """``exp(sum NLL / sum tokens)`` over all examples (token-weighted)."""
    if response:
        nll, tokens = sum(r.response_nll for r in rows), sum(r.response_tokens for r in rows)
    else:
        nll, tokens = sum(r.full_nll for r in rows), sum(r.full_tokens for r in rows)
    return math.exp(nll / tokens) if tokens else float("nan")


def sequence_nll(
    model: Any, tokenizer: Any, example: Any, max_length: int = 512, prompt: str = ""
) -> SequenceNLL:
    """NLL of one example: the response part from ``forward(labels=...)``, the full one too.

    ``labels`` masks the prompt (-100), so ``output.loss`` is the mean NLL of the answer
    tokens; times their count it gives the sum. The full-sequence sum uses the same logits
    with every token (after the first) as a target. ``prompt``: as in `encode_example`.
    """
    import torch
    import torch.nn.functional as F

    record = example.to_record() if hasattr(example, "to_record") else example
    row = encode_example(record, tokenizer, max_length, loss_on="response", prompt=prompt)
    input_ids = torch.tensor([row["input_ids"]])
    labels = torch.tensor([row["labels"]])
    with torch.inference_mode():
        out = model(input_ids=input_ids, labels=labels)
    n_response = int((labels[:, 1:] != IGNORE_INDEX).sum())
    response_nll = float(out.loss) * n_response if n_response else 0.0  # loss is NaN then
    logits = out.logits[0, :-1].float()
    full_nll = F.cross_entropy(logits, input_ids[0, 1:], reduction="sum")
    return SequenceNLL(response_nll, n_response, float(full_nll), int(input_ids.shape[1] - 1))


def rouge_scores(predictions: Sequence[str], references: Sequence[str]) -> list[dict[str, float]]:
    """Per-example ROUGE-1/2/L F1 (stemming on)."""
    from rouge_score import rouge_scorer

    scorer = rouge_scorer.RougeScorer(list(ROUGE_TYPES), use_stemmer=True)
    rows = []
    for pred, ref in zip(predictions, references, strict=True):
        scores = scorer.score(ref, pred)  # score(target, prediction)
        rows.append({name: scores[name].fmeasure for name in ROUGE_TYPES})
    return rows


def bleu_tokens(text: str) -> list[str]:
    """Lower-cased word and punctuation tokens (no tokenizer data download needed)."""
    return re.findall(r"\w+|[^\w\s]", text.lower())


def _smoothing() -> Any:
    from nltk.translate.bleu_score import SmoothingFunction

    return SmoothingFunction().method1


def corpus_bleu(predictions: Sequence[str], references: Sequence[str]) -> float:
    """Corpus BLEU-4 (one reference per example, smoothing method1)."""
    from nltk.translate.bleu_score import corpus_bleu as nltk_corpus_bleu

    refs = [[bleu_tokens(r)] for r in references]
    hyps = [bleu_tokens(p) for p in predictions]
    return float(nltk_corpus_bleu(refs, hyps, smoothing_function=_smoothing()))


def sentence_bleu(prediction: str, reference: str) -> float:
    """Per-example BLEU-4 with the same tokens and smoothing (for the per-example table)."""
    from nltk.translate.bleu_score import sentence_bleu as nltk_sentence_bleu

    return float(
        nltk_sentence_bleu(
            [bleu_tokens(reference)], bleu_tokens(prediction), smoothing_function=_smoothing()
        )
    )


def normalise(text: str) -> str:
    """Lower case, markdown emphasis/backticks removed, whitespace collapsed, '>' spaced."""
    text = text.replace("`", " ").replace("**", " ").lower()
    text = re.sub(r"\s*>\s*", " > ", text)
    return re.sub(r"\s+", " ", text).strip(" .,:;")


def _command_head(code: str) -> str:
    return " ".join(normalise(code).split()[:COMMAND_HEAD_TOKENS])


def extract_key_facts(reference: str) -> list[str]:
    """The key facts of a reference answer, normalised, deduplicated, in order of appearance.

    Rule (applied to the reference only):

    1. **Commands**: every inline code span and every non-empty, non-comment line of a
       fenced code block; the fact is its first two words (program + sub-command or first
       argument, e.g. ``git log``, ``ipconfig /all``), so exact argument values do not matter.
    2. **Settings and UI paths**: every bold span (``**Settings > Apps**``), whole.
    3. **Error codes**: hex codes, upper-case stop codes, ``ERR_*``, errno names and
       "error/code/status NNN" (regex ``_ERROR_CODE``).
    4. **Named tools**: every name of `NAMED_TOOLS` the reference mentions (whole word).

    Facts shorter than 3 characters are dropped.
    """
    facts: list[str] = []
    body = _FENCE.sub(" ", reference)
    for block in _FENCE.findall(reference):
        lines = [ln.strip() for ln in block.splitlines()]
        facts += [_command_head(ln) for ln in lines if ln and not ln.startswith("#")]
    facts += [_command_head(code) for code in _INLINE_CODE.findall(body)]
    facts += [normalise(bold) for bold in _BOLD.findall(reference)]
    facts += [normalise(m.group(0)) for m in _ERROR_CODE.finditer(reference)]
    facts += [
        normalise(tool)
        for tool in NAMED_TOOLS
        if re.search(rf"(?<![\w-]){re.escape(tool)}(?![\w-])", reference, re.IGNORECASE)
    ]
    return [f for f in dict.fromkeys(facts) if len(f) >= 3]


def key_fact_recall(generation: str, facts: Sequence[str]) -> float:
    """Share of ``facts`` found (as normalised substrings) in ``generation``; NaN if none."""
    if not facts:
        return float("nan")
    text = normalise(generation)
    return sum(fact in text for fact in facts) / len(facts)


def bootstrap_ci(
    values: Sequence[float],
    resamples: int = BOOTSTRAP_RESAMPLES,
    seed: int = BOOTSTRAP_SEED,
    level: float = 0.95,
) -> tuple[float, float]:
    """Percentile interval of the mean of ``values`` over seeded resamples with replacement.

    Pass per-example differences (fine-tuned minus base) for the paired interval.
    """
    data = np.asarray(values, dtype=float)
    rng = np.random.default_rng(seed)
    means = data[rng.integers(0, len(data), size=(resamples, len(data)))].mean(axis=1)
    tail = 100 * (1 - level) / 2
    low, high = np.percentile(means, [tail, 100 - tail])
    return float(low), float(high)
