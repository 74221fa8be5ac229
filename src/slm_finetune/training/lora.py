"""LoRA adapters: which layers to adapt, the `LoraConfig`, the trainable-parameter count."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from slm_finetune.training.config import TrainConfig
from tatweer_common.errors import UserError


@dataclass(frozen=True)
class ParamCount:
    trainable: int
    total: int

    @property
    def percent(self) -> float:
        return 100.0 * self.trainable / self.total

    def __str__(self) -> str:
        return (
            f"trainable params: {self.trainable:,} || all params: {self.total:,} "
            f"|| trainable: {self.percent:.2f}%"
        )


def linear_module_names(model: Any) -> list[str]:
    """Names of the ``nn.Linear`` layers inside the decoder blocks (the LoRA candidates).

    For a Llama-style model such as SmolLM2 these are the attention projections
    (q/k/v/o_proj) and the MLP projections (gate/up/down_proj). ``lm_head`` is left out:
    it is tied to the input embeddings and as large as the vocabulary.
    """
    import torch

    names = {
        name.rsplit(".", 1)[-1]
        for name, module in model.named_modules()
        if isinstance(module, torch.nn.Linear)
    }
    names.discard("lm_head")
    return sorted(names)


def lora_config(config: TrainConfig, target_modules: list[str]) -> Any:
    """The spec's `LoraConfig` (values and reasons in the training notebook)."""
    from peft import LoraConfig

    return LoraConfig(
        r=config.lora_r,  # rank 16: capacity of the update; higher = more params, more overfit
        lora_alpha=config.lora_alpha,  # scale alpha/r = 2, the common 2x-rank heuristic
        target_modules=target_modules,  # found from the architecture (linear_module_names)
        lora_dropout=config.lora_dropout,  # light regularisation for a ~400-example dataset
        bias="none",  # biases frozen (SmolLM2 has none in these layers anyway)
        task_type="CAUSAL_LM",
    )


def count_parameters(model: Any) -> ParamCount:
    """Trainable and total parameters of a (PEFT) model."""
    trainable = sum(p.numel() for p in model.parameters() if p.requires_grad)
    total = sum(p.numel() for p in model.parameters())
    return ParamCount(trainable, total)


def add_lora(model: Any, config: TrainConfig, verbose: bool = True) -> tuple[Any, ParamCount]:
    """Wrap ``model`` with LoRA adapters (in place) and report the parameter counts."""
    from peft import get_peft_model

    targets = list(config.target_modules) or linear_module_names(model)
    if verbose:
        print(f"LoRA target modules (from the architecture): {', '.join(targets)}")
    peft_model = get_peft_model(model, lora_config(config, targets))
    counts = count_parameters(peft_model)
    if verbose:
        print(counts)
    return peft_model, counts


def check_init_adapter(folder: Path, config: TrainConfig) -> None:
    """A user error unless ``folder`` holds an adapter of the run's prompt format, rank,
    alpha and dropout (the saved adapter's values would silently replace the run's)."""
    from peft import PeftConfig

    from slm_finetune.prompt import read_prompt_format

    if not (folder / "adapter_config.json").is_file():
        raise UserError(f"{folder}: no adapter_config.json (init_adapter names an adapter folder)")
    saved = PeftConfig.from_pretrained(str(folder))
    found = (read_prompt_format(folder), saved.r, saved.lora_alpha, saved.lora_dropout)
    wanted = (config.prompt_format, config.lora_r, config.lora_alpha, config.lora_dropout)
    if found != wanted:
        raise UserError(f"{folder}: adapter with (format, r, alpha, dropout) = {found}, but the "
                        f"run trains {wanted}")


def load_lora(model: Any, folder: Path) -> tuple[Any, ParamCount]:
    """Wrap ``model`` with the adapter saved in ``folder``, trainable (a second phase)."""
    from peft import PeftModel

    peft_model = PeftModel.from_pretrained(model, str(folder), is_trainable=True)
    counts = count_parameters(peft_model)
    print(f"LoRA weights from {folder}; {counts}")
    return peft_model, counts
