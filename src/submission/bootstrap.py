"""The first code cell of every notebook: make the project importable, in a checkout or in Colab.

Inside a checkout the cell installs it when its packages are not importable yet
(``scripts/install.py --keep-torch``: the pinned requirements, except that a torch and
torchvision the runtime already has, Colab's, are kept), then moves to its root. In a fresh
runtime (Colab opens a notebook without the repository around it) it first clones
``REPOSITORY_URL`` into ``./tatweer``. The URL lives in one place, the cell itself, as a Colab
form field, filled in from the checkout's ``git remote get-url origin`` by ``python -m
submission notebooks`` (``make notebooks``); ``TATWEER_REPO_URL`` overrides it (the tests clone
a local repository that way). Without any URL the cell stops with one line saying what to do.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from tatweer_common.io import write_text_atomic

MARKER = "# Bootstrap (the same cell in every notebook)"
PARAM = '  #@param {type:"string"}'  # a Colab form field
TEMPLATE = '''{marker}: install this project, cloning it first when the
# notebook runs outside a checkout (a fresh Colab runtime), then work from the repository root.
import importlib.util, os, subprocess, sys
from pathlib import Path

REPOSITORY_URL = {url}  #@param {{type:"string"}}
REPOSITORY_URL = os.environ.get("TATWEER_REPO_URL", REPOSITORY_URL)
here = Path.cwd()
root = next((p for p in (here, *here.parents) if (p / "src/near_miss").is_dir()), None)
if root is None:
    root = Path.cwd() / "tatweer"
    if not (root / "src/near_miss").is_dir():
        if not REPOSITORY_URL:
            raise SystemExit("not inside a checkout of the project and no repository URL: "
                             "fill in REPOSITORY_URL above (or set TATWEER_REPO_URL)")
        subprocess.check_call(["git", "clone", "-q", "--depth", "1", REPOSITORY_URL, str(root)])
if importlib.util.find_spec("near_miss") is None:
    # the pinned requirements, keeping a torch the runtime already has (Colab's)
    subprocess.check_call([sys.executable, str(root / "scripts/install.py"), "--keep-torch"])
    sys.path.insert(0, str(root / "src"))
os.chdir(root)
print("working in the project root,", root.name)'''


def cell_source(url: str) -> str:
    """The bootstrap cell's code with ``url`` as the default repository URL."""
    return TEMPLATE.format(marker=MARKER, url=json.dumps(url))


def repository_url(root: Path) -> str:
    """The checkout's ``origin`` remote, or "" when it has none."""
    done = subprocess.run(["git", "remote", "get-url", "origin"], cwd=root,
                          capture_output=True, text=True, check=False)
    return done.stdout.strip() if done.returncode == 0 else ""


def cell_url(source: str) -> str | None:
    """The URL written in a bootstrap cell, or None when ``source`` is not one."""
    if not source.startswith(MARKER):
        return None
    for line in source.splitlines():
        if line.startswith("REPOSITORY_URL = ") and line.endswith(PARAM):
            return json.loads(line.removeprefix("REPOSITORY_URL = ").removesuffix(PARAM))
    return None


def install_cells(notebooks: list[Path], url: str) -> list[Path]:
    """Make the first code cell of each notebook the bootstrap cell; return those changed."""
    changed, new = [], cell_source(url)
    for path in notebooks:
        nb = json.loads(path.read_text(encoding="utf-8"))
        code = [c for c in nb["cells"] if c["cell_type"] == "code"]
        first = "".join(code[0]["source"]) if code else ""
        if first == new:
            continue
        cell = {"cell_type": "code", "execution_count": None, "metadata": {}, "outputs": [],
                "source": new.splitlines(keepends=True)}
        if nb.get("nbformat", 4) > 4 or nb.get("nbformat_minor", 0) >= 5:  # cells carry ids
            cell["id"] = code[0].get("id", "bootstrap") if first.startswith(MARKER) else "bootstrap"
        if first.startswith(MARKER):
            code[0].update(cell)
        else:
            nb["cells"].insert(nb["cells"].index(code[0]) if code else 0, cell)
        write_text_atomic(path, json.dumps(nb, indent=1, ensure_ascii=False) + "\n")
        changed.append(path)
    return changed
