"""Batched greedy generation: left padding, answer cut, JSONL cache keyed by model/prompt."""

import json

import pytest

from slm_finetune.evaluation.generate import (
    Generation,
    GenerationCache,
    GenerationSettings,
    cache_key,
    cut_answer,
    generate_all,
    generate_batch,
)
from slm_finetune.prompt import format_prompt

QUESTIONS = [
    {"instruction": "How do I flush the DNS cache on Windows?", "input": ""},
    {"instruction": "Explain this git error.", "input": "fatal: not a git repository"},
    {"instruction": "Why is my laptop fan always loud?", "input": ""},
]
PROMPTS = [format_prompt(q, with_response=False) for q in QUESTIONS]


def test_the_answer_ends_at_the_next_template_header():
    assert cut_answer(" Run `ipconfig /flushdns`.\n\n### Instruction:\nMore?") == (
        "Run `ipconfig /flushdns`."
    )
    assert cut_answer("No header here.\n") == "No header here."
    chat = "## Steps\n1. Open it.\n\n### Step 2\nClose it.\n"  # a chat answer's own headers
    assert cut_answer(chat, at_header=False) == chat.strip()


def test_the_header_cut_is_part_of_the_cache_key():
    settings = GenerationSettings()
    chat = GenerationSettings(cut_at_header=False)
    assert cache_key("base", settings, "p") != cache_key("base", chat, "p")


def test_cache_key_depends_on_model_settings_and_prompt_but_not_batch_size():
    base = cache_key("base", GenerationSettings(), "p")
    assert base == cache_key("base", GenerationSettings(batch_size=2), "p")
    assert base != cache_key("base + LoRA abc", GenerationSettings(), "p")
    assert base != cache_key("base", GenerationSettings(max_new_tokens=10), "p")
    assert base != cache_key("base", GenerationSettings(), "p2")


def test_cache_round_trips_and_skips_a_truncated_line(tmp_path):
    path = tmp_path / "cache.jsonl"
    cache = GenerationCache(path)
    gen = Generation("Answer.\n### Instruction:\nx", "Answer.", 7, False)
    chat = Generation("Answer.\n### Step 2\nx", "Answer.\n### Step 2\nx", 9, True)
    cache.put_many([("k1", "model", gen), ("k3", "model", chat)])
    with open(path, "a", encoding="utf-8") as handle:
        handle.write('{"key": "k2", "text": "cut mid-wri')  # a crash while appending
    reloaded = GenerationCache(path)
    assert reloaded.get("k1") == gen and reloaded.get("k3") == chat  # the stored answer
    assert reloaded.get("k2") is None
    assert json.loads(path.read_text().splitlines()[0])["model"] == "model"


@pytest.fixture(scope="module")
def base_model():
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("HF_HUB_OFFLINE", "1")
        from slm_finetune.training.model import load_base_model

        model, tokenizer, _ = load_base_model()
        yield model, tokenizer


@pytest.mark.slow
def test_left_padded_batch_matches_one_prompt_at_a_time(base_model):
    model, tokenizer = base_model
    settings = GenerationSettings(max_new_tokens=12)
    batched = generate_batch(model, tokenizer, PROMPTS, settings)
    single = [generate_batch(model, tokenizer, [p], settings)[0] for p in PROMPTS]
    assert [g.text for g in batched] == [g.text for g in single]
    assert all(0 < g.new_tokens <= 12 for g in batched)
    assert all(g.finished or g.new_tokens == 12 for g in batched)  # EOS or the token budget
    assert tokenizer.padding_side == "right"  # restored for training-style use


@pytest.mark.slow
def test_generate_all_reuses_the_cache(base_model, tmp_path):
    model, tokenizer = base_model
    settings = GenerationSettings(max_new_tokens=6, batch_size=2)
    cache = GenerationCache(tmp_path / "cache.jsonl")
    first, cached = generate_all(model, tokenizer, PROMPTS, "base", cache, settings)
    assert cached == 0 and len(first) == 3
    reloaded = GenerationCache(tmp_path / "cache.jsonl")
    # no model needed the second time: everything comes from the file
    again, cached = generate_all(None, None, PROMPTS, "base", reloaded, settings)
    assert cached == 3 and again == first
    _, cached = generate_all(model, tokenizer, PROMPTS[:1], "other model", reloaded, settings)
    assert cached == 0
