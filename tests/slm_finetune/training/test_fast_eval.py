"""Validation on a merged bf16 copy: same loss as the unmerged model, training weights untouched."""

from __future__ import annotations

import torch

from slm_finetune.training import fast_eval
from slm_finetune.training.fast_eval import (
    mean_batch_loss,
    merged_bf16_copy,
    response_loss,
    trainer_class,
)


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


def padded_batch():
    torch.manual_seed(2)
    ids = torch.randint(0, 64, (3, 16))
    mask = torch.ones_like(ids)
    mask[1, 11:] = 0  # a shorter example, padded on the right as the collator does
    labels = ids.clone()
    labels[:, :6] = -100
    labels[mask == 0] = -100
    return {"input_ids": ids, "attention_mask": mask, "labels": labels}


def test_the_output_layer_on_response_tokens_gives_the_models_own_loss(monkeypatch):
    model = merged_bf16_copy(tiny_lora_model()).float()
    batch = padded_batch()
    with torch.inference_mode():
        expected = float(model(**batch).loss)
        assert abs(response_loss(model, batch) - expected) < 1e-5
        monkeypatch.setattr(fast_eval, "HEAD_CHUNK", 5)  # several chunks, a partial last one
        assert abs(response_loss(model, batch) - expected) < 1e-5


def test_the_trainer_reads_the_sorted_validation_set_in_order(tmp_path):
    from datasets import Dataset
    from transformers import TrainingArguments

    lengths = [2, 3, 5, 8, 9, 12]
    data = Dataset.from_dict({"input_ids": [[1] * n for n in lengths]})
    args = TrainingArguments(output_dir=str(tmp_path), per_device_eval_batch_size=2,
                             train_sampling_strategy="group_by_length", use_cpu=True,
                             report_to="none", seed=3)
    trainer = trainer_class()(model=tiny_lora_model(), args=args, eval_dataset=data,
                              data_collator=lambda rows: [len(r["input_ids"]) for r in rows])
    assert [n for batch in trainer.get_eval_dataloader() for n in batch] == lengths
