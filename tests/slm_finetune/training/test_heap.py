"""The heap trim after each optimizer step: called with 0 where glibc has it, skipped elsewhere."""

from __future__ import annotations

import sys

import pytest

from slm_finetune.training import heap


def test_the_callback_trims_the_heap_at_every_step_end(monkeypatch):
    calls = []
    monkeypatch.setattr(heap, "_trim_function", lambda: calls.append)
    callback = heap.trim_callback()
    for _ in range(3):
        callback.on_step_end(None, None, None)
    assert calls == [0, 0, 0]


def test_without_malloc_trim_nothing_is_done(monkeypatch):
    monkeypatch.setattr(heap, "_trim_function", lambda: None)
    assert heap.trim() is False


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's malloc_trim")
def test_glibc_provides_malloc_trim():
    assert heap.trim() is True
