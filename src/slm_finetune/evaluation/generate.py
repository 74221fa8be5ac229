"""Batched greedy generation with a JSONL cache on disk.

Prompts are built by the caller (`slm_finetune.prompt`): for the fine-tuned model in the format
its adapter was trained in (the template up to ``### Response:\\n``, or the chat template), the
chat template for the base model.
Generation is greedy (``do_sample=False``) with a mild repetition penalty (1.1, the value the
training run's sample generation uses; still deterministic), ``max_new_tokens=200`` and
batches of prompts of similar length, left-padded so every prompt ends where generation starts.

Every answer is appended to a JSONL cache as soon as its batch finishes, keyed by the model
(base weights id, plus the adapter's SHA-256), the generation settings and the prompt, so a
re-run (or an interrupted run) generates only what is missing.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

RESPONSE_END = "\n### "  # a new template section ("### Instruction:" ...) ends the answer


@dataclass(frozen=True)
class GenerationSettings:
    """Decoding settings (part of the cache key)."""

    max_new_tokens: int = 200
    repetition_penalty: float = 1.1
    # 16 prompts a batch: the three evaluate runs of 47 test answers took 229.8 s on 2 CPU
    # cores against 319.8 s in batches of 8; in bf16 the batch shape can change a greedy answer
    batch_size: int = 16
    cut_at_header: bool = True  # template prompts: a new "### " header also ends the answer


@dataclass(frozen=True)
class Generation:
    """One generated answer: the raw continuation, the answer scored, how it ended."""

    text: str  # the decoded continuation (special tokens dropped)
    answer: str  # ``text`` stripped (and cut at the next template header if the settings say)
    new_tokens: int  # tokens generated, EOS included
    finished: bool  # True when the model emitted EOS before max_new_tokens


def file_sha256(path: str | Path) -> str:
    """Hex SHA-256 of a file (the adapter weights identify a fine-tuned model)."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def cache_key(model_id: str, settings: GenerationSettings, prompt: str) -> str:
    """Stable key of one (model, decoding settings, prompt) triple.

    The batch size is left out: it changes speed, not (beyond float rounding) the answer.
    """
    fields = dataclasses.asdict(settings)
    fields.pop("batch_size")
    blob = json.dumps([model_id, fields, prompt], sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()


def cut_answer(text: str, at_header: bool = True) -> str:
    """The answer part of a continuation: up to the next ``### `` template header, if asked."""
    return (text.split(RESPONSE_END, 1)[0] if at_header else text).strip()


class GenerationCache:
    """Append-only JSONL file of generations; unreadable lines (a crash mid-write) are skipped."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self._entries: dict[str, Generation] = {}
        if self.path.is_file():
            for line in self.path.read_text(encoding="utf-8").splitlines():
                try:
                    row = json.loads(line)
                    gen = Generation(row["text"], row["answer"], row["new_tokens"], row["finished"])
                except (json.JSONDecodeError, KeyError, TypeError):
                    continue
                self._entries[row["key"]] = gen

    def get(self, key: str) -> Generation | None:
        return self._entries.get(key)

    def put_many(self, rows: Sequence[tuple[str, str, Generation]]) -> None:
        """Append ``(key, model_id, generation)`` rows and flush them to disk."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.path, "a", encoding="utf-8") as handle:
            for key, model_id, gen in rows:
                record = {
                    "key": key,
                    "model": model_id,
                    "text": gen.text,
                    "answer": gen.answer,
                    "new_tokens": gen.new_tokens,
                    "finished": gen.finished,
                }
                handle.write(json.dumps(record, ensure_ascii=False) + "\n")
                self._entries[key] = gen


def generate_batch(
    model: Any, tokenizer: Any, prompts: Sequence[str], settings: GenerationSettings
) -> list[Generation]:
    """Greedy continuations of ``prompts`` in one left-padded batch."""
    import torch

    side = tokenizer.padding_side
    tokenizer.padding_side = "left"  # generation appends on the right: prompts must end there
    try:
        inputs = tokenizer(list(prompts), return_tensors="pt", padding=True)
    finally:
        tokenizer.padding_side = side
    with torch.inference_mode():
        out = model.generate(
            **inputs,
            max_new_tokens=settings.max_new_tokens,
            do_sample=False,
            repetition_penalty=settings.repetition_penalty,
            eos_token_id=tokenizer.eos_token_id,
            pad_token_id=tokenizer.pad_token_id,
        )
    new = out[:, inputs["input_ids"].shape[1] :]
    results = []
    for row in new.tolist():
        ended = tokenizer.eos_token_id in row
        count = row.index(tokenizer.eos_token_id) + 1 if ended else len(row)
        text = tokenizer.decode(row[:count], skip_special_tokens=True)
        results.append(Generation(text, cut_answer(text, settings.cut_at_header), count, ended))
    return results


def generate_all(
    model: Any,
    tokenizer: Any,
    prompts: Sequence[str],
    model_id: str,
    cache: GenerationCache,
    settings: GenerationSettings = GenerationSettings(),
    desc: str = "generating",
) -> tuple[list[Generation], int]:
    """Answers for every prompt (same order) and how many of them came from the cache.

    Missing prompts are generated in batches of similar token length (less padding),
    longest first, and cached batch by batch.
    """
    from tqdm.auto import tqdm

    keys = [cache_key(model_id, settings, p) for p in prompts]
    missing = sorted(
        {k: p for k, p in zip(keys, prompts, strict=True) if cache.get(k) is None}.items(),
        key=lambda item: -len(tokenizer(item[1])["input_ids"]),
    )
    size = settings.batch_size
    batches = [missing[i : i + size] for i in range(0, len(missing), size)]
    for batch in tqdm(batches, desc=desc, unit="batch", disable=not batches):
        generations = generate_batch(model, tokenizer, [p for _, p in batch], settings)
        cache.put_many([(k, model_id, g) for (k, _), g in zip(batch, generations, strict=True)])
    results = [cache.get(k) for k in keys]
    return [r for r in results if r is not None], len(prompts) - len(missing)
