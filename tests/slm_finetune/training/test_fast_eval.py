"""Validation on a merged bf16 copy: same loss as the unmerged model, training weights untouched."""

from __future__ import annotations

import torch

from slm_finetune.training.fast_eval import mean_batch_loss, merged_bf16_copy


def tiny_lora_model():
    from peft import LoraConfig, get_peft_model
    from transformers import LlamaConfig, LlamaForCausalLM

    torch.manual_seed(0)
    config = LlamaConfig(vocab_size=64, hidden_size=32, intermediate_size=64, num_hidden_layers=2,
                         num_attention_heads=4, num_key_value_heads=4, max_position_embeddings=64)
    model = get_peft_model(LlamaForCausalLM(config), LoraConfig(
        r=4, lora_alpha=8, target_modules=["q_proj", "v_proj", "up_proj"], task_type="CAUSAL_LM"))
    for name, param in model.named_parameters():
        if "lora_B" in name:  # B starts at zero: give the adapters an effect to merge
            torch.nn.init.normal_(param, std=0.5)
    return model


def batches():
    torch.manual_seed(1)
    for n, length in ((3, 12), (2, 20)):
        ids = torch.randint(0, 64, (n, length))
        labels = ids.clone()
        labels[:, : length // 2] = -100  # prompt tokens masked, as in training
        yield {"input_ids": ids, "attention_mask": torch.ones_like(ids), "labels": labels}


def test_the_merged_bf16_copy_gives_the_unmerged_float32_loss():
    model = tiny_lora_model().eval()
    before = {k: v.clone() for k, v in model.state_dict().items()}
    reference, n = mean_batch_loss(model, batches())
    merged = merged_bf16_copy(model)
    loss, n_merged = mean_batch_loss(merged, batches())
    assert (n, n_merged) == (5, 5)
    assert next(merged.parameters()).dtype == torch.bfloat16
    assert not hasattr(merged, "merge_and_unload")  # a plain model: the adapters are merged in
    assert abs(loss - reference) / reference < 0.02  # bf16 rounding only
    after = model.state_dict()
    assert all(torch.equal(before[k], after[k]) for k in before)  # training weights untouched
    assert next(model.parameters()).dtype == torch.float32


def test_the_loss_is_the_batch_size_weighted_mean_of_batch_losses():
    class Fixed(torch.nn.Module):
        def forward(self, input_ids, **_):
            return type("Out", (), {"loss": torch.tensor(float(input_ids.shape[1]))})()

    loss, n = mean_batch_loss(Fixed(), batches())
    assert n == 5 and abs(loss - (3 * 12 + 2 * 20) / 5) < 1e-9
