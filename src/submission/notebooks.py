"""`python -m submission notebooks`: refresh the bootstrap cells, execute the notebooks in place.

The notebooks are committed executed, so that a reviewer reads the results without running
anything. This runs them in order (Challenge 1, then Challenge 2), each on the full default
inputs, and writes each one back only when every cell ran (atomically, so an interrupted run
leaves the committed notebook as it was). Outputs must not name this machine's folders: those
in the outputs (library warnings print them) are rewritten as relative paths, and a notebook
whose code names an absolute path is reported and not written.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import time
from pathlib import Path

from submission import artifacts, bootstrap, checks
from tatweer_common.errors import UserError
from tatweer_common.io import write_text_atomic
from tatweer_common.paths import project_root


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("notebooks", nargs="*", type=Path,
                        help="notebooks to run (default: all eight, in order)")
    parser.add_argument("--cells-only", action="store_true",
                        help="only rewrite the bootstrap cells, execute nothing")
    parser.add_argument("--timeout", type=int, default=1800,
                        help="seconds one cell may run (default 1800)")


def main(args: argparse.Namespace) -> int:
    root = project_root()
    chosen = [p.resolve() for p in args.notebooks] or [root / nb for nb in artifacts.NOTEBOOKS]
    missing = [p for p in chosen if not p.is_file()]
    if missing:
        raise UserError(f"{missing[0]}: no such notebook")
    url = bootstrap.repository_url(root)
    print(f"bootstrap cells: repository URL {url!r}" if url else
          "bootstrap cells: this checkout has no 'origin' remote, so a fresh Colab runtime "
          "cannot clone it (set one with git remote add origin URL, then rerun)")
    for path in bootstrap.install_cells(chosen, url):
        print(f"  updated {path.relative_to(root)}")
    if args.cells_only:
        return 0
    failed = [p for p in chosen if not execute_in_place(root, p, args.timeout)]
    return 1 if failed else 0


def execute_in_place(root: Path, path: Path, timeout: int) -> bool:
    """Run every cell of ``path`` in full mode; write it back when it has no absolute paths."""
    import nbformat
    from nbclient import NotebookClient

    rel = path.relative_to(root).as_posix()
    start = time.perf_counter()
    nb = nbformat.read(path, as_version=4)
    with kernel_environment():
        NotebookClient(nb, timeout=timeout, kernel_name="python3",
                       resources={"metadata": {"path": str(path.parent)}}).execute()
    for cell in nb.cells:
        if "outputs" in cell:
            cell["outputs"] = as_terminal_shows(cell["outputs"])
        for output in cell.get("outputs", []):
            relative_paths(output, root)
    problems = checks.absolute_path_problems(rel, nb.cells, checks.machine_folders(root))
    for problem in problems:
        print(f"  {problem}")
    if not problems:
        write_text_atomic(path, nbformat.writes(nb) + "\n")
    print(f"{rel}: {'written' if not problems else 'NOT written'} "
          f"({time.perf_counter() - start:.0f} s)")
    return not problems


# Two library warnings that say nothing about the project, silenced by their exact message in
# the kernels that write the committed notebooks: tqdm's, that a headless kernel has no
# ipywidgets, and a deprecation inside transformers that peft triggers when it wraps a model.
QUIET = ("ignore:IProgress not found:Warning,"
         "ignore:`is_gradient_checkpointing` is deprecated:FutureWarning")


@contextlib.contextmanager
def kernel_environment():
    """Full mode (no ``TATWEER_SMOKE``) and ``QUIET`` warnings for the kernels started inside."""
    saved = {key: os.environ.get(key) for key in ("TATWEER_SMOKE", "PYTHONWARNINGS")}
    os.environ.pop("TATWEER_SMOKE", None)
    os.environ["PYTHONWARNINGS"] = QUIET
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def relative_paths(output: dict, root: Path) -> None:
    """Rewrite this machine's folders in an output's text as relative paths, in place.

    Library warnings print the absolute path of the installed file
    (``/home/me/repo/.venv/lib/...``); the committed notebook shows ``.venv/lib/...``.
    """
    swaps = checks.machine_folders(root).items()

    def fix(text: str) -> str:
        for old, new in swaps:
            text = text.replace(old, new)
        return text

    if "text" in output:
        output["text"] = fix("".join(output["text"]))
    for kind in ("text/plain", "text/html", "text/markdown"):
        if kind in output.get("data", {}):
            output["data"][kind] = fix("".join(output["data"][kind]))


def as_terminal_shows(outputs: list) -> list:
    """A cell's outputs with each run of consecutive stderr chunks merged into one, as a terminal
    shows it: a progress bar (tqdm writes one chunk per update, each starting with a carriage
    return) keeps only its final line."""
    merged: list = []
    for output in outputs:
        previous = merged[-1] if merged else {}
        if output.get("name") == "stderr" and previous.get("name") == "stderr":
            previous["text"] = "".join(previous["text"]) + "".join(output["text"])
        else:
            merged.append(output)
    for output in merged:
        if output.get("name") == "stderr":
            lines = [line.rsplit("\r", 1)[-1] for line in "".join(output["text"]).split("\n")]
            output["text"] = "\n".join(lines)
    return [o for o in merged if o.get("name") != "stderr" or o["text"].strip()]
