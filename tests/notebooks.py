"""Execute a committed notebook headless (used by each package's notebook tests)."""

from __future__ import annotations

import os
from pathlib import Path

import nbformat
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[1]


def execute_notebook(relpath: str, timeout: int = 900) -> nbformat.NotebookNode:
    """Run every cell of ``relpath`` (relative to the repo root) with TATWEER_SMOKE=1.

    Fails the test (CellExecutionError) when any cell raises. The notebook on disk is
    not modified; the executed copy is returned for further assertions.
    """
    path = ROOT / relpath
    nb = nbformat.read(path, as_version=4)
    assert not any(c.get("outputs") for c in nb.cells if c.cell_type == "code"), (
        f"{relpath} is committed with outputs"
    )
    os.environ["TATWEER_SMOKE"] = "1"
    os.environ.setdefault("MPLBACKEND", "Agg")
    client = NotebookClient(
        nb, timeout=timeout, kernel_name="python3", resources={"metadata": {"path": str(ROOT)}}
    )
    client.execute()
    return nb
