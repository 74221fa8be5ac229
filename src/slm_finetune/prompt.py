"""The instruction prompt template shared by training and evaluation.

::

    ### Instruction:
    {instruction}

    ### Input:
    {input}

    ### Response:
    {output}<EOS>

The ``### Input`` block is left out when the input is empty. Training formats the whole
string; generation formats everything up to ``### Response:`` and lets the model continue.
A fine-tuned adapter is trained and prompted in one format: this template (the default) or
the base model's own chat format (`chat_prompt`), the one it was instruction-tuned on. The
adapter folder records it (`write_prompt_format`); a folder without the record was trained in
the template. The base model is prompted in its chat format.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from tatweer_common.errors import UserError

SMOLLM2_EOS = "<|im_end|>"  # end-of-turn token of SmolLM2-Instruct (the tokenizer's EOS)
RESPONSE_HEADER = "### Response:\n"
TEMPLATE, CHAT = "template", "chat"  # prompt formats: this module's template, the chat one
PROMPT_FORMATS = (TEMPLATE, CHAT)
FORMAT_FILE = "prompt_format.json"  # in an adapter folder: the format it was trained in


def _field(example: Any, name: str) -> str:
    value = example.get(name, "") if isinstance(example, Mapping) else getattr(example, name, "")
    return (value or "").strip()


def format_prompt(example: Any, eos_token: str = SMOLLM2_EOS, with_response: bool = True) -> str:
    """Format an example (an `Example` or a dict with the spec's keys) as one training string.

    With ``with_response=False`` the string stops right after ``### Response:\\n`` (the
    generation prompt); otherwise the output and ``eos_token`` follow.
    """
    parts = [f"### Instruction:\n{_field(example, 'instruction')}\n\n"]
    context = _field(example, "input")
    if context:
        parts.append(f"### Input:\n{context}\n\n")
    parts.append(RESPONSE_HEADER)
    if with_response:
        parts.append(f"{_field(example, 'output')}{eos_token}")
    return "".join(parts)


def user_message(example: Any) -> str:
    """The question as one chat turn: the instruction, then the input after a blank line."""
    context = _field(example, "input")
    instruction = _field(example, "instruction")
    return f"{instruction}\n\n{context}" if context else instruction


def chat_prompt(
    tokenizer: Any, example: Any, system: str | None = None, shots: Sequence[Any] = ()
) -> str:
    """The base model's own generation prompt (``apply_chat_template``, ChatML for SmolLM2).

    ``system`` replaces the template's default system turn; ``shots`` become earlier
    user/assistant turns. The prompt ends with the opening of the assistant turn, so the
    answer ends at the model's end-of-turn token.
    """
    messages = [{"role": "system", "content": system}] if system else []
    for shot in shots:
        messages += [
            {"role": "user", "content": user_message(shot)},
            {"role": "assistant", "content": _field(shot, "output")},
        ]
    messages.append({"role": "user", "content": user_message(example)})
    return tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)


def generation_prompt(tokenizer: Any, example: Any, fmt: str) -> str:
    """The prompt of ``example`` in format ``fmt``: ``"template"`` (above) or ``"chat"``."""
    if fmt == CHAT:
        return chat_prompt(tokenizer, example)
    return format_prompt(example, with_response=False)


def write_prompt_format(folder: str | Path, fmt: str) -> Path:
    """Record in the adapter folder ``folder`` that it was trained in format ``fmt``."""
    path = Path(folder) / FORMAT_FILE
    path.write_text(json.dumps({"prompt_format": fmt}) + "\n", encoding="utf-8")
    return path


def read_prompt_format(folder: str | Path) -> str:
    """The format the adapter in ``folder`` was trained in; ``"template"`` without a record."""
    path = Path(folder) / FORMAT_FILE
    if not path.is_file():
        return TEMPLATE
    try:
        fmt = json.loads(path.read_text(encoding="utf-8")).get("prompt_format")
    except (json.JSONDecodeError, AttributeError):
        fmt = None
    if fmt not in PROMPT_FORMATS:
        raise UserError(f"{path}: 'prompt_format' must be one of {', '.join(PROMPT_FORMATS)}")
    return fmt
