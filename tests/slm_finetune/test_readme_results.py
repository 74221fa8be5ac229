"""The README's Challenge 2 results lines are the ones the committed outputs give."""

from __future__ import annotations

import json
from pathlib import Path

from submission.results import finetune_bullets

ROOT = Path(__file__).resolve().parents[2]


def test_committed_readme_states_the_committed_challenge_2_results():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    bullets = finetune_bullets(ROOT)
    missing = [b for b in bullets if f"- {b}" not in readme]
    assert missing == [], "README is stale: run python -m submission results"
    summary = json.loads((ROOT / "outputs/evaluation_summary.json").read_text(encoding="utf-8"))
    rouge = next(r for r in summary["table"] if r["metric"] == "ROUGE-L")
    passed = summary["key_facts"]["passed"]
    test_line = next(b for b in bullets if b.startswith("Test set"))
    assert f"ROUGE-L {rouge['base']:.3f} -> {rouge['finetuned']:.3f}" in test_line
    assert f"chat template, {rouge['base_spec']:.3f} ROUGE-L when prompted" in test_line
    assert f"Key-fact accuracy {passed['base']} -> {passed['ft']} of the" in "\n".join(bullets)
