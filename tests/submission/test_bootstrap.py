"""The notebooks' bootstrap cell: finds the checkout, or clones it in an empty folder."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from submission import artifacts, bootstrap
from tatweer_common.paths import project_root


def run_cell(source: str, cwd: Path, url: str | None) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != "TATWEER_REPO_URL"}
    if url is not None:
        env["TATWEER_REPO_URL"] = url
    return subprocess.run([sys.executable, "-c", source], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=120)


@pytest.fixture
def origin(tmp_path) -> Path:
    """A local git repository shaped like the project (what the cell looks for)."""
    repo = tmp_path / "origin"
    (repo / "src/near_miss").mkdir(parents=True)
    (repo / "src/near_miss/__init__.py").write_text("")
    git = ["git", "-C", str(repo), "-c", "user.name=t", "-c", "user.email=t@t"]
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    subprocess.run([*git, "add", "."], check=True)
    subprocess.run([*git, "commit", "-q", "-m", "init"], check=True)
    return repo


def test_in_an_empty_folder_the_cell_clones_the_repository_and_moves_into_it(origin, tmp_path):
    empty = tmp_path / "runtime"
    empty.mkdir()
    where = f"\nprint('cwd', Path.cwd().relative_to(Path({str(empty)!r})))"
    source = bootstrap.cell_source("") + where
    done = run_cell(source, empty, origin.as_uri())
    assert done.returncode == 0, done.stderr
    assert (empty / "tatweer/src/near_miss/__init__.py").is_file()
    assert "working in the project root, tatweer" in done.stdout and "cwd tatweer" in done.stdout
    again = run_cell(source, empty, "")  # the clone is found, nothing is cloned again
    assert again.returncode == 0 and "cwd tatweer" in again.stdout


def test_inside_a_checkout_nothing_is_cloned(origin):
    inner = origin / "notebooks/near_miss"
    inner.mkdir(parents=True)
    done = run_cell(bootstrap.cell_source("file:///nowhere"), inner, None)
    assert done.returncode == 0, done.stderr
    assert "working in the project root, origin" in done.stdout
    assert not (inner / "tatweer").exists()


def test_without_a_checkout_or_url_the_cell_says_what_to_do(tmp_path):
    done = run_cell(bootstrap.cell_source(""), tmp_path, None)
    assert done.returncode != 0 and "Traceback" not in done.stderr
    assert "no repository URL" in done.stderr and "TATWEER_REPO_URL" in done.stderr


def test_install_cells_puts_one_cell_first_and_rewrites_only_its_url(tmp_path):
    path = tmp_path / "n.ipynb"
    cells = [{"cell_type": "markdown", "metadata": {}, "source": ["# title"]},
             {"cell_type": "code", "metadata": {}, "execution_count": None, "outputs": [],
              "source": ["x = 1"]}]
    path.write_text(json.dumps({"cells": cells, "metadata": {}, "nbformat": 4,
                                "nbformat_minor": 5}))
    assert bootstrap.install_cells([path], "https://example.org/a.git") == [path]
    assert bootstrap.install_cells([path], "https://example.org/a.git") == []
    bootstrap.install_cells([path], "https://example.org/b.git")
    nb = json.loads(path.read_text())
    sources = ["".join(c["source"]) for c in nb["cells"]]
    assert len(sources) == 3 and sources[0] == "# title" and sources[2] == "x = 1"
    assert bootstrap.cell_url(sources[1]) == "https://example.org/b.git"


def test_every_committed_notebook_starts_with_the_same_bootstrap_cell():
    firsts = set()
    for rel in artifacts.NOTEBOOKS:
        nb = json.loads((project_root() / rel).read_text(encoding="utf-8"))
        code = next(c for c in nb["cells"] if c["cell_type"] == "code")
        source = "".join(code["source"])
        assert bootstrap.cell_url(source) is not None, f"{rel}: no bootstrap cell first"
        firsts.add(source)
    assert len(firsts) == 1  # and it is the current template, whatever URL it was given
    (source,) = firsts
    assert source == bootstrap.cell_source(bootstrap.cell_url(source))


def test_executed_outputs_show_this_machines_folders_as_relative_paths(tmp_path):
    from pathlib import Path as P

    from submission.notebooks import relative_paths

    root = tmp_path / "repo"
    root.mkdir()
    output = {"output_type": "stream", "name": "stderr",
              "text": [f"{root}/.venv/lib/x.py:3: FutureWarning\n", f"{tmp_path}/shared/a.mp4 "
                       f"{P.home()}/.cache/m.onnx C:\\Temp"]}
    shown = {"output_type": "execute_result", "data": {"text/plain": [f"'{root}/outputs/r.html'"]}}
    relative_paths(output, root)
    relative_paths(shown, root)
    expected = ".venv/lib/x.py:3: FutureWarning\n../shared/a.mp4 ~/.cache/m.onnx C:\\Temp"
    assert output["text"] == expected
    assert shown["data"]["text/plain"] == "'outputs/r.html'"


def fake_distribution(site: Path, name: str, version: str) -> Path:
    """An importable package ``name`` with installed metadata at ``version``; its METADATA."""
    (site / name).mkdir()
    (site / name / "__init__.py").write_text(f"__version__ = {version!r}\n")
    info = site / f"{name}-{version}.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n")
    (info / "RECORD").write_text(f"{name}/__init__.py,,\n{info.name}/METADATA,,\n")
    (info / "INSTALLER").write_text("pip\n")
    return info / "METADATA"


@pytest.fixture
def runtime_with_torch(tmp_path) -> tuple[Path, dict[str, Path]]:
    """A venv whose own torch and torchvision differ from the pins (as Colab's do); the
    project's other requirements are visible through a .pth link to this environment, so
    nothing needs the network."""
    import sysconfig

    venv = tmp_path / "runtime-venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    python = venv / "bin/python"
    site = Path(subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig."
                                "get_paths()['purelib'])"], capture_output=True, text=True,
                               check=True).stdout.strip())
    metas = {name: fake_distribution(site, name, version)
             for name, version in (("torch", "2.13.0+probe"), ("torchvision", "0.28.0+probe"))}
    (site / "zz_project_environment.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    return python, metas


@pytest.mark.slow
def test_in_a_runtime_with_torch_the_cell_installs_the_rest_and_keeps_torch(
        runtime_with_torch, tmp_path):
    python, metas = runtime_with_torch
    origin = tmp_path / "probe-origin"
    for rel in ("requirements.txt", "scripts/install.py"):
        (origin / rel).parent.mkdir(parents=True, exist_ok=True)
        (origin / rel).write_bytes((project_root() / rel).read_bytes())
    (origin / "src/near_miss").mkdir(parents=True)
    (origin / "src/near_miss/__init__.py").write_text("")
    (origin / "pyproject.toml").write_text(
        '[build-system]\nrequires = ["setuptools>=68"]\nbuild-backend = "setuptools.build_meta"'
        '\n[project]\nname = "bootstrap-probe"\nversion = "0"\n'
        '[tool.setuptools.packages.find]\nwhere = ["src"]\n')
    git = ["git", "-C", str(origin), "-c", "user.name=t", "-c", "user.email=t@t"]
    subprocess.run(["git", "init", "-q", str(origin)], check=True)
    subprocess.run([*git, "add", "."], check=True)
    subprocess.run([*git, "commit", "-q", "-m", "init"], check=True)
    before = {name: (meta.read_text(), meta.stat().st_mtime_ns) for name, meta in metas.items()}
    empty = tmp_path / "runtime"
    empty.mkdir()
    # offline: every pin must already be satisfied, so nothing can be fetched or replaced
    env = {**os.environ, "TATWEER_REPO_URL": origin.as_uri(), "PIP_NO_INDEX": "1",
           "PIP_NO_BUILD_ISOLATION": "0"}
    check = "\nimport near_miss, torch; print('probe', near_miss.__file__, torch.__version__)"
    done = subprocess.run([str(python), "-c", bootstrap.cell_source("") + check], cwd=empty,
                          env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    assert "keeping this runtime's torch 2.13.0+probe, torchvision 0.28.0+probe" in done.stdout
    assert "probe " in done.stdout and "tatweer/src/near_miss" in done.stdout
    assert done.stdout.rstrip().endswith("2.13.0+probe")
    after = {name: (meta.read_text(), meta.stat().st_mtime_ns) for name, meta in metas.items()}
    assert after == before


def test_progress_bar_chunks_become_the_final_line_in_order():
    from submission.notebooks import as_terminal_shows

    def stream(name, text):
        return {"output_type": "stream", "name": name, "text": text}

    bar = [stream("stderr", f"\rdetect: {p:3d}%|" + "#" * (p // 10)) for p in (0, 50, 100)]
    shown = as_terminal_shows([stream("stdout", "start\n"), *bar, stream("stderr", "\n"),
                               stream("stdout", "done\n"), stream("stderr", "\r\n")])
    assert [o["name"] for o in shown] == ["stdout", "stderr", "stdout"]
    assert shown[1]["text"] == "detect: 100%|##########\n"


def test_notebook_kernels_run_in_full_mode_without_two_known_library_warnings(monkeypatch):

    from submission.notebooks import QUIET, kernel_environment

    monkeypatch.setenv("TATWEER_SMOKE", "1")
    monkeypatch.delenv("PYTHONWARNINGS", raising=False)
    with kernel_environment():
        assert "TATWEER_SMOKE" not in os.environ and os.environ["PYTHONWARNINGS"] == QUIET
    assert os.environ["TATWEER_SMOKE"] == "1" and "PYTHONWARNINGS" not in os.environ
    code = ("import warnings\nwarnings.warn('IProgress not found. Please update', UserWarning)\n"
            "warnings.warn('`is_gradient_checkpointing` is deprecated', FutureWarning)\n"
            "warnings.warn('another deprecation', FutureWarning)\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          env={**os.environ, "PYTHONWARNINGS": QUIET}, check=True)
    assert "another deprecation" in done.stderr and "IProgress" not in done.stderr
    assert "is_gradient_checkpointing" not in done.stderr
