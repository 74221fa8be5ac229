"""The checklist's checks. Each returns a list of problems (one line each); empty = passed."""

from __future__ import annotations

import json
import re
import subprocess
from collections.abc import Iterable
from pathlib import Path

from submission.artifacts import Artifact

SKIP_DIRS = {".git", ".venv", "outputs", "__pycache__", ".pytest_cache", ".ruff_cache",
             ".ipynb_checkpoints", "build", "dist", "checkpoints"}
MAX_SCAN_BYTES = 2_000_000
ALLOW = "pragma: allowlist secret"  # marks a deliberate fake (test data), as in detect-secrets
SECRET_PATTERNS = [
    ("an AWS access key id", re.compile(r"\b(?:AKIA|ASIA)[0-9A-Z]{16}\b")),
    ("an AWS secret access key", re.compile(
        r"(?i)aws_secret_access_key\s*[=:]\s*['\"]?[A-Za-z0-9/+=]{40}")),
    ("a private key", re.compile(r"-----BEGIN (?:[A-Z]+ )?PRIVATE KEY(?: BLOCK)?-----")),
    ("a GitHub token", re.compile(r"\b(?:gh[pousr]_[A-Za-z0-9]{36,}|github_pat_\w{22,})")),
    ("a Hugging Face token", re.compile(r"\bhf_[A-Za-z0-9]{30,}\b")),
    ("an OpenAI-style API key", re.compile(r"\bsk-(?:proj-)?[A-Za-z0-9_-]{32,}")),
    ("a Slack token", re.compile(r"\bxox[abprs]-[A-Za-z0-9-]{10,}")),
    ("a Google API key", re.compile(r"\bAIza[0-9A-Za-z_-]{35}\b")),
    ("a password or key assignment", re.compile(
        r"(?i)\b(?:password|passwd|secret_key|api_key|access_token)\s*[=:]\s*"
        r"['\"][\w+/=.-]{12,}['\"]")),
]
SECRET_FILE_NAMES = re.compile(
    r"^(?:\.env(?:\..+)?|id_(?:rsa|dsa|ecdsa|ed25519)|.+\.(?:pem|key|p12))$")
ABS_PATH = re.compile(r"(?<![\w.~/])(?:/(?:home|Users|work|tmp|root|mnt|content|opt|srv)/[\w.-]"
                      r"|[A-Za-z]:\\\\?[\w])")
README_SECTIONS = ("Setup Instructions", "How to Run", "Results Summary", "Bonus Tasks Completed",
                   "Known Issues & Limitations", "Time Spent")


def missing_artifacts(root: Path, expected: list[Artifact]) -> list[str]:
    return [f"{a.path} is missing (make it with: {a.command})"
            for a in expected if not a.exists(root)]


def project_files(root: Path) -> list[Path]:
    """Files that are (or would be) committed: git's view when ``root`` is a repository."""
    if (root / ".git").exists():
        out = subprocess.run(
            ["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z"],
            cwd=root, capture_output=True, text=True, check=True).stdout
        return sorted(p for p in (root / name for name in out.split("\0") if name) if p.is_file())
    return sorted(p for p in root.rglob("*") if p.is_file()
                  and not SKIP_DIRS.intersection(p.relative_to(root).parts[:-1])
                  and not p.name.endswith(".egg-info"))


def _text(path: Path) -> str | None:
    """The file's text, or None for binary or very large files."""
    if path.stat().st_size > MAX_SCAN_BYTES:
        return None
    data = path.read_bytes()
    return None if b"\0" in data else data.decode("utf-8", errors="replace")


def secret_problems(root: Path, files: list[Path]) -> list[str]:
    """Files that look like keys, and lines matching a known secret format."""
    problems = []
    for path in files:
        rel = path.relative_to(root)
        if SECRET_FILE_NAMES.match(path.name):
            problems.append(f"{rel}: a key or environment file should not be committed")
        text = _text(path)
        for lineno, line in enumerate((text or "").splitlines(), 1):
            problems += [f"{rel}:{lineno}: looks like {what}" for what, pattern in SECRET_PATTERNS
                         if pattern.search(line) and ALLOW not in line]
    return problems


def machine_path_problems(root: Path, files: list[Path]) -> list[str]:
    """Lines naming this checkout's absolute location (or its parent folder)."""
    here = str(root.resolve())
    needles = (here, str(Path(here).parent).rstrip("/") + "/")
    problems = []
    for path in files:
        text = _text(path)
        for lineno, line in enumerate((text or "").splitlines(), 1):
            if any(n in line for n in needles if len(n) > 1):
                problems.append(f"{path.relative_to(root)}:{lineno}: absolute machine path")
    return problems


def notebook_problems(root: Path, notebooks: list[str]) -> list[str]:
    """Committed notebooks must be readable and name no absolute path (see below).

    They are committed executed (a reviewer reads the results without running anything).
    """
    problems = []
    for rel in notebooks:
        path = root / rel
        if not path.is_file():
            continue
        try:
            cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
        except (json.JSONDecodeError, KeyError) as exc:
            problems.append(f"{rel}: not a readable notebook ({exc})")
            continue
        problems += absolute_path_problems(rel, cells, machine_folders(root))
    return problems


def machine_folders(root: Path) -> dict[str, str]:
    """This machine's folders that must not appear in outputs, each with its relative form:
    the checkout (``""``), its parent folder (``"../"``) and the home folder (``"~/"``), each
    with a trailing slash, the most specific first."""
    here = root.resolve()
    folders: dict[str, str] = {}
    for folder, relative in ((here, ""), (here.parent, "../"), (Path.home(), "~/")):
        if len(folder.parts) > 1:
            folders.setdefault(f"{str(folder).rstrip('/')}/", relative)
    return folders


def _output_text(output: dict) -> str:
    """The text an output shows (streams, tracebacks, text reprs; images are skipped)."""
    data = output.get("data", {})
    parts = [output.get("text", ""), *output.get("traceback", [])]
    parts += [data.get(kind, "") for kind in ("text/plain", "text/html", "text/markdown")]
    return "".join("".join(p) if isinstance(p, list) else p for p in parts)


def absolute_path_problems(rel: str, cells: list, folders: Iterable[str]) -> list[str]:
    """One line per cell whose code names any absolute path, or whose outputs name one of
    this machine's ``folders``. (Outputs may quote paths legitimately: a generated IT answer
    says ``C:\\ProgramData`` or ``/opt/...``; a folder of this machine never belongs there.)
    """
    folders, problems = list(folders), []
    for n, cell in enumerate(cells, 1):
        match = ABS_PATH.search("".join(cell.get("source", [])))
        if match:
            problems.append(f"{rel}: cell {n} code has an absolute path near '{match.group()}'")
        shown = "".join(_output_text(o) for o in cell.get("outputs", []))
        hit = next((f for f in folders if f in shown), None)
        if hit:
            problems.append(f"{rel}: cell {n} output names the local folder {hit}")
    return problems


def _canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def parse_pins(text: str) -> dict[str, str]:
    """``name==version`` lines (comments, options and editable installs ignored)."""
    pins = {}
    for line in text.splitlines():
        line = line.split("#", 1)[0].strip()
        if "==" in line and not line.startswith("-"):
            name, version = line.split("==", 1)
            pins[_canonical(name.split("[")[0])] = version.strip()
    return pins


def requirements_problems(requirements: str, freeze: str, ignore: tuple[str, ...]) -> list[str]:
    """Differences between requirements.txt and ``pip freeze`` of the environment."""
    pinned, installed = parse_pins(requirements), parse_pins(freeze)
    skip = {_canonical(n) for n in ignore}
    problems = []
    for name in sorted((pinned.keys() | installed.keys()) - skip):
        want, have = pinned.get(name), installed.get(name)
        if want is None:
            problems.append(f"requirements.txt: {name}=={have} is installed but not pinned")
        elif have is None:
            problems.append(f"requirements.txt: {name}=={want} is pinned but not installed")
        elif want != have:
            problems.append(f"requirements.txt: {name}=={want} pinned, {have} installed")
    return problems


def pip_freeze(python: Path) -> str:
    return subprocess.run([str(python), "-m", "pip", "freeze", "--exclude-editable"],
                          capture_output=True, text=True, check=True).stdout


def readme_problems(text: str) -> list[str]:
    """The spec's seven README parts, and a generated Results Summary."""
    from submission.results import END, NOT_YET, START

    problems = []
    headings = [h.strip() for h in re.findall(r"^##?\s+(.+)$", text, flags=re.M)]
    if not re.search(r"^#\s+\S.*Challenge", text, flags=re.M | re.I):
        problems.append("README.md: no title (# ...) naming the challenges")
    problems += [f"README.md: no section '## {s}'" for s in README_SECTIONS
                 if not any(h.lower().startswith(s.lower()) for h in headings)]
    start, end = text.find(START), text.find(END)
    if start < 0 or end < start:
        problems.append(f"README.md: no {START} ... {END} block (see python -m submission results)")
    elif NOT_YET in text[start:end] or "\n- " not in text[start:end]:
        problems.append("README.md: Results Summary incomplete (run python -m submission results)")
    return problems
