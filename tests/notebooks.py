"""Execute a committed notebook headless (used by each package's notebook tests)."""

from __future__ import annotations

import contextlib
import os
import subprocess
from pathlib import Path

import nbformat
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[1]


def execute_notebook(relpath: str, timeout: int = 900, smoke: bool = True) -> nbformat.NotebookNode:
    """Run every cell of ``relpath`` (relative to the repo root), from the notebook's folder.

    ``smoke``: with TATWEER_SMOKE=1 (tiny inputs, into outputs/smoke/); otherwise in full mode
    on the default inputs, as committed, with the committed files of outputs/ restored
    afterwards (the run rewrites the deliverables, and its timings differ). Fails the test
    (CellExecutionError) when any cell raises. The notebook on disk is not modified; the
    executed copy is returned for further assertions.
    """
    path = ROOT / relpath
    nb = nbformat.read(path, as_version=4)
    previous = os.environ.get("TATWEER_SMOKE")
    os.environ["TATWEER_SMOKE"] = "1" if smoke else "0"  # the kernel inherits it
    os.environ.setdefault("MPLBACKEND", "Agg")
    resources = {"metadata": {"path": str(path.parent)}}
    client = NotebookClient(nb, timeout=timeout, kernel_name="python3", resources=resources)
    try:
        with contextlib.nullcontext() if smoke else committed_outputs_kept():
            client.execute()
    finally:
        if previous is None:
            os.environ.pop("TATWEER_SMOKE", None)
        else:
            os.environ["TATWEER_SMOKE"] = previous
    return nb


@contextlib.contextmanager
def committed_outputs_kept():
    """Restore every committed file under outputs/ after the block (contents, not mtimes)."""
    listed = subprocess.run(
        ["git", "ls-files", "-z", "outputs"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout
    saved = {
        name: (ROOT / name).read_bytes()
        for name in listed.split("\0")
        if name and (ROOT / name).is_file()
    }
    try:
        yield
    finally:
        for name, data in saved.items():
            target = ROOT / name
            if not target.is_file() or target.read_bytes() != data:
                target.write_bytes(data)


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
    """The offline sample video; skips the test when it or the YOLOv8n weights are absent."""
    import pytest

    from near_miss.detection import CHECKPOINTS
    from near_miss.ingest import offline_video

    video = offline_video()
    missing = [p for p in (video, CHECKPOINTS["yolov8n"].asset) if not p.is_file()]
    if missing:
        pytest.skip(f"offline assets absent: {', '.join(map(str, missing))}")
    return video
