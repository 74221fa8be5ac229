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
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

SMOLLM2_EOS = "<|im_end|>"  # end-of-turn token of SmolLM2-Instruct (the tokenizer's EOS)
RESPONSE_HEADER = "### Response:\n"


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
