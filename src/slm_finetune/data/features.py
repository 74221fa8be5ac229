"""Tokenisation for training: prompt format, truncation, loss mask, dynamic-padding collator.

``datasets.map`` tokenises each formatted example (truncated to ``max_length``, no padding):
the generation prompt of its format (`slm_finetune.prompt.generation_prompt`: the template up
to ``### Response:``, or the chat template up to the opening of the assistant turn), then the
answer and the EOS (end-of-turn) token. With ``loss_on="response"`` the labels of the prompt
tokens are -100, so the loss (and the gradient) covers only the answer and its end token;
``loss_on="full"`` is the spec's whole-sequence variant.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from slm_finetune.data.schema import Example
from slm_finetune.prompt import TEMPLATE, generation_prompt

IGNORE_INDEX = -100  # label value the cross-entropy loss skips


def encode_example(
    example: dict[str, str], tokenizer: Any, max_length: int, loss_on: str, prompt: str = "",
    prompt_format: str = TEMPLATE,
) -> dict:  # fmt: skip
    """Token ids, attention mask and (response-only) labels of one example (spec's keys).

    The prompt is ``prompt`` when given, else the generation prompt in ``prompt_format``;
    the answer and EOS follow it.
    """
    prompt = prompt or generation_prompt(tokenizer, example, prompt_format)
    text = f"{prompt}{example['output'].strip()}{tokenizer.eos_token}"
    prompt_chars = len(prompt)
    enc = tokenizer(text, truncation=True, max_length=max_length, return_offsets_mapping=True)
    row = {"input_ids": enc["input_ids"], "attention_mask": enc["attention_mask"]}
    if loss_on == "full":  # the collator copies input_ids to labels
        return row
    # a token belongs to the answer when it ends after the prompt's last character
    row["labels"] = [
        tok if end > prompt_chars else IGNORE_INDEX
        for tok, (_, end) in zip(enc["input_ids"], enc["offset_mapping"], strict=True)
    ]
    return row


def build_dataset(
    examples: Sequence[Example], tokenizer: Any, max_length: int, loss_on: str,
    prompt_format: str = TEMPLATE,
) -> tuple[Any, int]:  # fmt: skip
    """Tokenised `datasets.Dataset` and the number of examples dropped for having no target.

    Each example is rendered in ``prompt_format``. An example is dropped when truncation
    leaves none of its answer tokens to learn from.
    """
    from datasets import Dataset

    raw = Dataset.from_list([ex.to_record() for ex in examples])
    encoded = raw.map(
        encode_example,
        fn_kwargs={
            "tokenizer": tokenizer,
            "max_length": max_length,
            "loss_on": loss_on,
            "prompt_format": prompt_format,
        },
        remove_columns=raw.column_names,
        desc="tokenising",
    )
    if "labels" not in encoded.column_names:
        return encoded, 0
    kept = encoded.filter(lambda row: any(t != IGNORE_INDEX for t in row["labels"]))
    return kept, len(encoded) - len(kept)


def build_collator(tokenizer: Any, loss_on: str) -> Any:
    """Dynamic padding per batch (to the longest sequence in it), labels padded with -100.

    The full-sequence variant uses the spec's ``DataCollatorForLanguageModeling(mlm=False)``
    (labels = inputs, padding ignored; the pad token differs from EOS, see `model.py`). The
    response-only variant must keep the precomputed masked labels, which that collator
    would overwrite, so it pads with ``DataCollatorForSeq2Seq`` instead.
    """
    from transformers import DataCollatorForLanguageModeling, DataCollatorForSeq2Seq

    if loss_on == "full":
        return DataCollatorForLanguageModeling(tokenizer=tokenizer, mlm=False)
    return DataCollatorForSeq2Seq(tokenizer, padding=True, label_pad_token_id=IGNORE_INDEX)


def sort_by_length(dataset: Any) -> Any:
    """``dataset`` ordered by token count (stable), so sequential batches pad little.

    The validation set is evaluated in this order: each batch holds examples of similar
    length, which cuts the padded tokens an evaluation pass computes.
    """
    lengths = [len(ids) for ids in dataset["input_ids"]]
    return dataset.select(sorted(range(len(lengths)), key=lengths.__getitem__))
