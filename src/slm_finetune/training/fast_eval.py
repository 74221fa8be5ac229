"""Fast validation passes for CPU training in bf16 autocast: batches in length order, a merged
bf16 copy of the model, and the output layer only where the loss reads it.

1. With ``group_by_length`` the Trainer groups the *validation* set with its
   ``LengthGroupedSampler`` too, whose mega-batches shrink to one batch for 47 examples: the
   batches are random draws, each padded to its longest member (16x379, 16x309, 15x282
   tokens). The set is sorted by length already (`features.sort_by_length`), so the trainer
   reads it in order (16x220, 16x239, 15x379: 14% fewer tokens), grouped as the base model's
   loss before training is.
2. Under the Trainer's autocast every LoRA layer runs twice (the frozen weight and the adapter
   path) and every weight is re-cast to bf16 at every forward. A pass without gradients merges
   the adapters into a copy of the model once (``merge_and_unload``, 0.4-0.7 s), casts it to
   bf16 and runs it directly.
3. The causal-LM forward computes 49,152 vocabulary logits for every token, prompts and
   padding included, and the loss upcasts them to float32 (over 1 GB per batch). Only response
   tokens count, so the decoder's hidden states are taken and the output layer runs on those
   tokens alone, in chunks (`response_loss`): the same loss (to 5 decimals in a training run),
   5.6-7.5 s per pass against 7.6-11.0 s with the full logits in that run.

The validation loss is the Trainer's ``eval_loss`` (the mean of the batches' mean token losses,
weighted by batch size) and agrees with the autocast value within about 0.05%; the training
weights are never touched. In a full 6-epoch run the 24 passes took 9.8 s each (7.4-15.4 s),
6.6-7.0 s in a fresh process, against 17.6 s with the Trainer's own loop and 47.6 s in float32.
Used only for a PEFT model trained in bf16 on the CPU with the loss as the only metric;
anything else falls back to the Trainer's own loop.
"""

from __future__ import annotations

import copy
import functools
from typing import Any

from slm_finetune.data.features import IGNORE_INDEX


def merged_bf16_copy(model: Any) -> Any:
    """A bf16 copy of ``model`` with its LoRA adapters merged in, in eval mode."""
    import torch

    return copy.deepcopy(model).merge_and_unload().to(torch.bfloat16).eval()


# Llama-family causal LMs (SmolLM2 is one): logits = output layer(decoder states), no scaling
# or soft-capping in between, so `response_loss` equals the model's own loss
HEAD_SPLIT_TYPES = frozenset({"llama"})
HEAD_CHUNK = 2048  # tokens per output-layer call: 2048 x 49,152 float32 logits = 400 MB


def response_loss(model: Any, batch: dict[str, Any]) -> float:
    """The model's causal-LM loss on ``batch`` (mean over the tokens whose label is not
    ``IGNORE_INDEX``), with the output layer applied to those tokens only."""
    import torch.nn.functional as F

    if getattr(getattr(model, "config", None), "model_type", None) not in HEAD_SPLIT_TYPES:
        return float(model(**batch).loss)
    hidden = model.get_decoder()(input_ids=batch["input_ids"],
                                 attention_mask=batch["attention_mask"]).last_hidden_state
    labels = batch["labels"][:, 1:]  # token t predicts token t + 1
    scored = labels != IGNORE_INDEX
    states, targets = hidden[:, :-1][scored], labels[scored]
    head = model.get_output_embeddings()
    total = 0.0
    for i in range(0, len(targets), HEAD_CHUNK):
        logits = head(states[i:i + HEAD_CHUNK]).float()
        total += float(F.cross_entropy(logits, targets[i:i + HEAD_CHUNK], reduction="sum"))
    return total / len(targets) if len(targets) else float("nan")  # as the model's mean


def mean_batch_loss(model: Any, batches: Any) -> tuple[float, int]:
    """(mean of the per-batch losses weighted by batch size, number of examples)."""
    import torch

    total, count = 0.0, 0
    # the copy is bf16 already: an autocast context left open by the training loop would only
    # add casts of every activation
    with torch.inference_mode(), torch.autocast("cpu", enabled=False):
        for batch in batches:
            n = int(batch["input_ids"].shape[0])
            total += response_loss(model, batch) * n
            count += n
    return (total / count if count else float("nan")), count


@functools.cache
def trainer_class() -> type:
    """``transformers.Trainer`` reading the validation set in order, and whose evaluation loop
    uses the merged bf16 copy when it can."""
    from torch.utils.data import SequentialSampler
    from transformers import Trainer
    from transformers.trainer_utils import EvalLoopOutput

    class MergedEvalTrainer(Trainer):
        def _get_eval_sampler(self, eval_dataset):
            return SequentialSampler(eval_dataset)  # sorted by length: in order pads least

        def evaluation_loop(self, dataloader, description, prediction_loss_only=None,
                            ignore_keys=None, metric_key_prefix="eval"):
            usable = (self.args.bf16 and self.args.use_cpu and prediction_loss_only
                      and hasattr(self.model, "merge_and_unload"))
            if not usable:
                return super().evaluation_loop(dataloader, description, prediction_loss_only,
                                               ignore_keys, metric_key_prefix)
            frozen = merged_bf16_copy(self.model)
            loss, n = mean_batch_loss(frozen, dataloader)
            del frozen
            return EvalLoopOutput(predictions=None, label_ids=None,
                                  metrics={f"{metric_key_prefix}_loss": loss}, num_samples=n)

    return MergedEvalTrainer
