"""The base and the fine-tuned model, one after the other, as the bonus analyses use them.

The fine-tuned model is the base model with the LoRA adapter merged in (`merge_and_unload`,
the same maths as the unmerged adapter, faster on a CPU), exactly as
`slm_finetune.evaluation.evaluate` builds it, and it carries the same cache id, so
generations already made by ``evaluate`` come from the generation cache instead of being
made again. Each model carries the prompt format it answers in: the base model its chat
template, the fine-tuned one the format its adapter was trained in.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from slm_finetune.evaluation.generate import file_sha256
from slm_finetune.prompt import CHAT, read_prompt_format
from slm_finetune.training.precision import Precision

MODEL_LABELS = {"base": "Base Model", "ft": "Fine-Tuned Model"}


@dataclass
class LoadedModel:
    """One model ready for generation: ``name`` is "base" or "ft"; ``model_id`` keys the cache."""

    name: str
    model: Any
    tokenizer: Any
    model_id: str
    source: Any  # slm_finetune.training.model.ModelSource of the base weights
    precision: Precision  # the model is already cast for it; its suffix ends model_id
    prompt_format: str  # "chat" or "template" (slm_finetune.prompt.generation_prompt)


def finetuned_model_id(base_description: str, adapter: Path) -> str:
    """Cache id of base + adapter (the format of `slm_finetune.evaluation.evaluate.run_models`)."""
    return f"{base_description} + LoRA {file_sha256(adapter / 'adapter_model.safetensors')}"


def iter_models(
    adapter: Path, precision: Precision, which: tuple[str, ...] = ("base", "ft")
) -> Iterator[LoadedModel]:
    """Yield the requested models in order, loading each only when the previous one is done."""
    from peft import PeftModel

    from slm_finetune.evaluation.evaluate import check_adapter
    from slm_finetune.training.model import load_base_model

    if "ft" in which:
        check_adapter(adapter)  # fail before the (slow) base model run, not after it
    for name in which:
        model, tokenizer, source = load_base_model()
        suffix = precision.model_suffix()
        if name == "base":
            base_id = source.description + suffix
            model = precision.for_inference(model)
            yield LoadedModel(name, model, tokenizer, base_id, source, precision, CHAT)
            continue
        tuned = PeftModel.from_pretrained(model, str(adapter)).merge_and_unload()
        tuned.eval()
        ft_id = finetuned_model_id(source.description, adapter) + suffix
        tuned = precision.for_inference(tuned)
        fmt = read_prompt_format(adapter)
        yield LoadedModel(name, tuned, tokenizer, ft_id, source, precision, fmt)
