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


def code_outputs(nb: nbformat.NotebookNode) -> list:
    """Every output of the executed code cells, in order."""
    return [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])]


def stream_text(nb: nbformat.NotebookNode) -> str:
    """What the code cells printed (stdout/stderr streams), concatenated."""
    return "".join(o.get("text", "") for o in code_outputs(nb) if o.get("output_type") == "stream")


def displayed_text(nb: nbformat.NotebookNode) -> str:
    """Per code cell, its printed text plus its displayed Markdown and plain-text reprs."""

    def cell_text(cell) -> str:
        parts = []
        for output in cell.get("outputs", []):
            data = output.get("data", {})
            parts += [output.get("text", ""), data.get("text/markdown", "")]
            parts.append(data.get("text/plain", ""))
        return "".join(parts)

    return "\n".join(cell_text(c) for c in nb.cells if c.cell_type == "code")


def markdown_headings(nb: nbformat.NotebookNode) -> list[str]:
    """The first line of every Markdown cell."""
    return [c.source.splitlines()[0] for c in nb.cells if c.cell_type == "markdown"]


def offline_video_or_skip() -> Path:
    """The offline sample video; skips the test when it or the YOLOv5n weights are absent."""
    import pytest

    from near_miss.detection import yolov5_weights
    from near_miss.ingest import offline_video

    video = offline_video()
    missing = [p for p in (video, yolov5_weights()) if not p.is_file()]
    if missing:
        pytest.skip(f"offline assets absent: {', '.join(map(str, missing))}")
    return video
