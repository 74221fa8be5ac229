"""Training configuration: the deliverable recipe (`DEFAULT`), a `SMOKE` preset, TOML overrides.

``python -m slm_finetune train --config FILE`` reads a flat TOML table whose keys are the
field names below (for example ``max_steps = 4``) and overrides the chosen preset with it.
``experiments/chat.toml`` is the recipe in the chat format; its header states the rule, fixed
before the run, that decides between it and the template adapter on validation answers.
The rationale for every value is in the notebook ``02_model_training.ipynb`` and in the
comments of `slm_finetune.training.train.training_arguments`.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from pathlib import Path

from slm_finetune.prompt import PROMPT_FORMATS
from slm_finetune.training.precision import CHOICES as PRECISION_CHOICES
from tatweer_common.errors import UserError
from tatweer_common.paths import project_root

LOSS_CHOICES = ("response", "full")


@dataclass(frozen=True)
class TrainConfig:
    """Every knob of one training run (relative paths are relative to the project root)."""

    train_file: str = "data/train.jsonl"
    val_file: str = "data/val.jsonl"
    output_dir: str = "outputs"  # train_summary.json and loss_curves.png go here
    checkpoint_dir: str = "outputs/checkpoints"
    adapter_dir: str = "outputs/lora_adapter"
    max_train_examples: int = 0  # 0 = all of them
    max_val_examples: int = 0
    max_length: int = 512  # spec: truncate to 512 tokens, no padding at tokenisation
    loss_on: str = "response"  # "response" (prompt masked) or "full" (spec's whole sequence)
    # "template" (the spec's ### Instruction/### Response) or "chat" (the base model's chat
    # template); training, the sample generation and the saved adapter's record all use it
    prompt_format: str = "template"
    # An adapter folder whose weights start the run instead of fresh LoRA weights: a second
    # phase of a finished run (its optimizer state and schedule are not kept in the adapter,
    # so this phase starts both afresh). "" = fresh weights. Same format and rank required.
    init_adapter: str = ""
    lora_r: int = 16
    lora_alpha: int = 32
    lora_dropout: float = 0.05
    target_modules: tuple[str, ...] = ()  # empty = every Linear inside the decoder blocks
    # The spec's hyperparameters throughout, but up to 6 epochs (cosine schedule over 6) with
    # early stopping: its 3 epochs left validation loss still falling when the learning rate
    # reached zero, and the 6-epoch schedule reached a lower validation loss (notebook 02).
    # The spec's 3 epochs: experiments/spec3.toml.
    num_train_epochs: float = 6.0
    max_steps: int = -1  # > 0 overrides the epochs (smoke runs)
    per_device_train_batch_size: int = 4
    per_device_eval_batch_size: int = 16  # length-sorted validation batches (no gradients)
    gradient_accumulation_steps: int = 4
    learning_rate: float = 2e-4
    lr_scheduler_type: str = "cosine"
    warmup_ratio: float = 0.03
    logging_steps: int = 2
    evals_per_epoch: int = 4  # eval (and save) interval = steps per epoch / this
    eval_steps: int = 0  # > 0 fixes the interval instead
    save_total_limit: int = 2
    early_stopping_patience: int = 3
    group_by_length: bool = True  # batches of similar length: less padding on the CPU
    seed: int = 42
    num_threads: int = 0  # torch CPU threads; 0 = every core this process may use
    precision: str = "auto"  # auto, fp32 or bf16 (slm_finetune.training.precision)
    max_new_tokens: int = 128  # for the sample generation after training

    def path(self, name: str) -> Path:
        """A path field resolved against the project root."""
        value = Path(getattr(self, name))
        return value if value.is_absolute() else project_root() / value

    def steps_per_epoch(self, n_train: int) -> int:
        """Optimizer steps in one epoch of ``n_train`` examples."""
        batches = math.ceil(n_train / self.per_device_train_batch_size)
        return max(1, math.ceil(batches / self.gradient_accumulation_steps))

    def interval(self, n_train: int) -> int:
        """Evaluation and checkpoint interval in optimizer steps."""
        if self.eval_steps > 0:
            return self.eval_steps
        return max(1, round(self.steps_per_epoch(n_train) / self.evals_per_epoch))


DEFAULT = TrainConfig()

SMOKE = dataclasses.replace(
    DEFAULT,
    output_dir="outputs/smoke",
    checkpoint_dir="outputs/smoke/checkpoints",
    adapter_dir="outputs/smoke/lora_adapter",
    max_train_examples=8,
    max_val_examples=4,
    max_length=256,
    max_steps=4,
    per_device_train_batch_size=2,
    per_device_eval_batch_size=4,
    gradient_accumulation_steps=1,
    logging_steps=1,
    eval_steps=2,
    max_new_tokens=16,
)


def _check_value(where: str, key: str, value: object, default: object) -> object:
    if isinstance(default, tuple):
        if not (isinstance(value, list) and all(isinstance(v, str) for v in value)):
            raise UserError(f"{where}: '{key}' must be a list of strings")
        return tuple(value)
    if isinstance(default, float) and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    if type(value) is not type(default):
        expected = type(default).__name__
        raise UserError(f"{where}: '{key}' must be {expected}, got {type(value).__name__}")
    return value


def load_config(path: str | Path | None = None, smoke: bool = False) -> TrainConfig:
    """The `SMOKE` or `DEFAULT` preset, overridden by the keys of the TOML file ``path``."""
    config = SMOKE if smoke else DEFAULT
    if path is None:
        return config
    import tomllib  # Python >= 3.11

    path = Path(path)
    try:
        table = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise UserError(f"{path}: config file not found") from None
    except tomllib.TOMLDecodeError as exc:
        raise UserError(f"{path}: invalid TOML ({exc})") from None
    defaults = {f.name: getattr(config, f.name) for f in dataclasses.fields(TrainConfig)}
    changes = {}
    for key, value in table.items():
        if key not in defaults:
            raise UserError(f"{path}: unknown key '{key}' (see slm_finetune.training.config)")
        changes[key] = _check_value(str(path), key, value, defaults[key])
    config = dataclasses.replace(config, **changes)
    if config.loss_on not in LOSS_CHOICES:
        raise UserError(f"{path}: 'loss_on' must be one of {', '.join(LOSS_CHOICES)}")
    if config.prompt_format not in PROMPT_FORMATS:
        raise UserError(f"{path}: 'prompt_format' must be one of {', '.join(PROMPT_FORMATS)}")
    if config.precision not in PRECISION_CHOICES:
        raise UserError(f"{path}: 'precision' must be one of {', '.join(PRECISION_CHOICES)}")
    return config
