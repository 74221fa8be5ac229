"""Tokenisation: truncation, no padding, response-only labels, dynamic padding."""

import pytest

from slm_finetune.data.features import (
    IGNORE_INDEX,
    build_collator,
    build_dataset,
    encode_example,
    sort_by_length,
)
from slm_finetune.data.schema import Example
from slm_finetune.prompt import CHAT, chat_prompt, format_prompt
from slm_finetune.training import model as model_mod

pytestmark = pytest.mark.slow

EXAMPLE = {"instruction": "How do I list files?", "input": "Linux shell", "output": "Run `ls -la`."}


@pytest.fixture(scope="module")
def tokenizer():
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("HF_HUB_OFFLINE", "1")
        folder, _ = model_mod.resolve_model_folder()
        return model_mod.load_tokenizer(folder)


def test_response_only_labels_cover_exactly_the_answer_and_eos(tokenizer):
    row = encode_example(EXAMPLE, tokenizer, max_length=512, loss_on="response")
    labelled = [t for t in row["labels"] if t != IGNORE_INDEX]
    assert tokenizer.decode(labelled) == EXAMPLE["output"] + tokenizer.eos_token
    assert row["labels"][0] == IGNORE_INDEX
    assert tokenizer.decode(row["input_ids"]) == format_prompt(EXAMPLE, tokenizer.eos_token)


def test_chat_rendered_example_masks_the_chat_prompt_and_keeps_answer_and_end_token(tokenizer):
    row = encode_example(EXAMPLE, tokenizer, max_length=512, loss_on="response", prompt_format=CHAT)
    prompt = chat_prompt(tokenizer, EXAMPLE)
    assert prompt.endswith("<|im_start|>assistant\n") and "Linux shell" in prompt
    n_prompt = len(tokenizer(prompt)["input_ids"])
    assert row["input_ids"][:n_prompt] == tokenizer(prompt)["input_ids"]
    assert row["labels"][:n_prompt] == [IGNORE_INDEX] * n_prompt
    assert row["labels"][n_prompt:] == row["input_ids"][n_prompt:]
    assert tokenizer.decode(row["labels"][n_prompt:]) == EXAMPLE["output"] + tokenizer.eos_token
    assert row["input_ids"][-1] == tokenizer.eos_token_id == tokenizer.convert_tokens_to_ids(
        "<|im_end|>"
    )


def test_the_dataset_renders_every_example_in_the_chosen_format(tokenizer):
    examples = [Example(**EXAMPLE)]
    template = build_dataset(examples, tokenizer, 512, "response")[0][0]
    chat = build_dataset(examples, tokenizer, 512, "response", CHAT)[0][0]
    assert tokenizer.decode(template["input_ids"]) == format_prompt(EXAMPLE, tokenizer.eos_token)
    assert tokenizer.decode(chat["input_ids"]).startswith(chat_prompt(tokenizer, EXAMPLE))


def test_full_variant_labels_every_real_token(tokenizer):
    row = encode_example(EXAMPLE, tokenizer, max_length=512, loss_on="full")
    assert "labels" not in row  # DataCollatorForLanguageModeling derives them
    batch = build_collator(tokenizer, "full")([row])
    assert batch["labels"].tolist() == batch["input_ids"].tolist()


def test_truncation_and_examples_without_answer_tokens_are_dropped(tokenizer):
    long_prompt = Example(instruction="word " * 600, input="", output="answer")
    short = Example(**EXAMPLE)
    dataset, dropped = build_dataset([short, long_prompt], tokenizer, 64, "response")
    assert dropped == 1 and len(dataset) == 1
    assert len(dataset[0]["input_ids"]) <= 64


def test_collator_pads_each_batch_to_its_longest_row(tokenizer):
    longer = {**EXAMPLE, "output": "Run `ls -la` or `tree` for more detail."}
    for loss_on in ("response", "full"):
        rows = [encode_example(ex, tokenizer, 512, loss_on) for ex in (EXAMPLE, longer)]
        lengths = [len(r["input_ids"]) for r in rows]
        batch = build_collator(tokenizer, loss_on)(rows)
        assert batch["input_ids"].shape == (2, max(lengths))
        assert batch["attention_mask"][0].sum().item() == lengths[0] < max(lengths)
        assert batch["labels"][0, -1].item() == IGNORE_INDEX  # padding is never trained on
        eos_positions = (batch["input_ids"] == tokenizer.eos_token_id).nonzero().tolist()
        assert len(eos_positions) == 2  # the EOS is a target: the model learns to stop
        assert all(batch["labels"][i, j] != IGNORE_INDEX for i, j in eos_positions)


def test_validation_order_is_by_length_and_keeps_every_example():
    from datasets import Dataset

    rows = {"input_ids": [[1, 2, 3], [4], [5, 6], [7]], "tag": ["a", "b", "c", "d"]}
    ordered = sort_by_length(Dataset.from_dict(rows))
    assert ordered["tag"] == ["b", "d", "c", "a"]  # stable: equal lengths keep their order
    assert [len(ids) for ids in ordered["input_ids"]] == [1, 1, 2, 3]
