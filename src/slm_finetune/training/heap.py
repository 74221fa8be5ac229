"""Hand freed heap memory back to the system after every optimizer step (glibc's ``malloc_trim``).

Each CPU step allocates and frees activations of many sizes (the batches differ in length), and
glibc's heap keeps the freed pieces: a 6-epoch run held 9.8 GB resident at step 45 without the
trim and 3.6 GB at step 54 with it. Side by side on the same 16 steps (same batches, the same
losses to 5 decimals) the steps took 251.6 s with the trim against 269.3 s without, 0.11-0.19 s
per trim. Where the C library has no ``malloc_trim`` (macOS, musl) nothing is done.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools
from typing import Any


@functools.cache
def _trim_function() -> Any:
    """glibc's ``malloc_trim``, or None where the C library has none."""
    name = ctypes.util.find_library("c")
    if name is None:
        return None
    try:
        return ctypes.CDLL(name).malloc_trim
    except (OSError, AttributeError):
        return None


def trim() -> bool:
    """Return the heap's free pages to the system; False where that is not available."""
    function = _trim_function()
    if function is None:
        return False
    function(0)
    return True


def trim_callback() -> Any:
    """Trainer callback that trims the heap at the end of every optimizer step (the validation
    pass, when one is due, comes right after it)."""
    from transformers import TrainerCallback

    class HeapTrim(TrainerCallback):
        def on_step_end(self, args, state, control, **kwargs):
            trim()

    return HeapTrim()
