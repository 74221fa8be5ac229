"""The README's Results Summary, regenerated from fixture outputs."""

from __future__ import annotations

import pytest

from submission import checks
from submission.cli import main
from submission.results import END, NOT_YET, START
from submission_fixtures import make_tree


@pytest.fixture
def tree(tmp_path):
    return make_tree(tmp_path / "project")


def section(root) -> str:
    text = (root / "README.md").read_text()
    return text[text.index(START): text.index(END)]


def test_bullets_come_from_the_saved_results(tree, capsys):
    assert main(["results", "--root", str(tree)]) == 0
    text = section(tree)
    assert "offline stand-in clip crosswalk_intersection.mp4" in text
    assert "Detector yolov8n-openvino-bf16 (AGPL-3.0), stride" in text
    assert "2 near-miss events" in text and "High 1, Medium 0, Low 1" in text
    assert "1/3 incidents found (1 High; collisions High 1/1), 3 false alarms in 1.0 min" in text
    assert "TTC 0.80 s, risk score 0.71 (High)" in text
    assert "default ONNX Runtime 640x640, stride 2, pipelined, 24.0 source fps" in text
    assert "spec's PyTorch 640x640, stride 2: 9.5 fps" in text and "50% of the labelled" in text
    assert "4 / 2 / 3 IT-support examples" in text
    assert "offline Q4_1 GGUF copy" in text and "2.500 (base) -> 1.250" in text
    assert "on 2 CPU threads in bf16 autocast;" in text
    assert "ROUGE-L 0.200 -> 0.300 (+50.0%)" in text and "Key-fact accuracy n/a" in text
    assert "Perplexity 12.00 -> 6.00 (50.0% lower)" in text
    assert "mean ROUGE-L on the test set: Zero-shot (base) 0.150, Fine-tuned (LoRA) 0.300" in text
    assert "accuracy on 15 general prompts (scored by automatic rules) 0.40 (base) -> 0.60" in text
    assert "WikiText perplexity 70.0 -> 77.0." in text
    for part in text.split("**")[2::2]:  # the two challenges' bullet lists
        assert 3 <= part.count("\n- ") <= 5
    assert checks.readme_problems((tree / "README.md").read_text()) == []


def test_regenerating_is_stable_and_keeps_the_rest(tree):
    main(["results", "--root", str(tree)])
    first = (tree / "README.md").read_text()
    main(["results", "--root", str(tree)])
    assert (tree / "README.md").read_text() == first
    assert first.startswith("# Demo project") and first.rstrip().endswith("1 h")


def test_missing_results_say_which_command_and_fail_the_check(tree):
    (tree / "outputs/train_summary.json").unlink()
    (tree / "outputs/benchmark.csv").unlink()
    main(["results", "--root", str(tree)])
    text = section(tree)
    assert f"{NOT_YET}: outputs/train_summary.json is missing (make it with: " \
           "python -m slm_finetune train)" in text
    assert "CPU benchmark: Not generated yet (`python -m near_miss bench`)" in text
    assert any("Results Summary incomplete" in p
               for p in checks.readme_problems((tree / "README.md").read_text()))


def test_readme_without_markers_is_a_user_error(tree, capsys):
    (tree / "README.md").write_text("# Title\n")
    assert main(["results", "--root", str(tree)]) == 2
    assert START in capsys.readouterr().err
