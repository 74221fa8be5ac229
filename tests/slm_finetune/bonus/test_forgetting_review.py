"""Manual forgetting verdicts: keyed to the answers they judge, tabulated, and read."""

from __future__ import annotations

from slm_finetune.bonus import forgetting_review as fr
from slm_finetune.bonus.forgetting import CATEGORIES, FLUENCY


def summary() -> dict:
    probes = [
        {"category": c, "prompt": f"q{i}", "base_answer": f"b{i}", "ft_answer": f"f{i}",
         "base_score": s_base, "ft_score": s_ft}
        for i, (c, s_base, s_ft) in enumerate(zip(CATEGORIES, (1, 0, 1), (1, 1, 1), strict=True))
    ]
    table = [{"Test Category": FLUENCY, "Base Model Score": 70.0, "Fine-Tuned Score": 65.0,
              "Degradation %": -7.1, "metric": "perplexity"}]
    return {"probes": probes, "table": table}


def review(scores: dict[str, tuple[int, int]], s: dict) -> dict:
    verdicts = {}
    for p in s["probes"]:
        base, ft = scores[p["prompt"]]
        verdicts[p["prompt"]] = {
            "base": {"score": base, "reason": "r", "answer_sha1": fr.answer_sha1(p["base_answer"])},
            "ft": {"score": ft, "reason": "r", "answer_sha1": fr.answer_sha1(p["ft_answer"])},
        }
    return {"verdicts": verdicts}


def test_verdicts_apply_only_to_the_answers_they_judged():
    s = summary()
    r = review({"q0": (1, 1), "q1": (0, 1), "q2": (1, 0)}, s)
    assert fr.apply(s, r).complete
    s["probes"][2]["ft_answer"] = "a different answer"  # a re-run changed it
    stale = fr.apply(s, r)
    assert (stale.n_reviewed, stale.n_answers, stale.complete) == (5, 6, False)
    assert stale.probes[2]["manual_ft"] is None
    table = {row["Test Category"]: row for row in fr.reviewed_table(s, stale)}
    assert table[CATEGORIES[2]]["Fine-Tuned Score"] is None
    assert table["All 3 prompts"]["metric"] == "not reviewed"
    assert "only 5 of 6 answers" in fr.assessment(s, stale)[0]


def test_manual_table_and_assessment_follow_the_verdicts_not_the_rules():
    s = summary()
    reviewed = fr.apply(s, review({"q0": (1, 1), "q1": (0, 1), "q2": (1, 0)}, s))
    table = {row["Test Category"]: row for row in fr.reviewed_table(s, reviewed)}
    assert table[CATEGORIES[2]]["Fine-Tuned Score"] == 0.0  # the rule said 1
    assert table[CATEGORIES[2]]["Automatic (fine-tuned)"] == 1.0
    assert table[CATEGORIES[2]]["Degradation %"] == 100.0
    lines = fr.assessment(s, reviewed)
    assert lines[0] == f"{CATEGORIES[0]}: kept, 1 -> 1 of 1 answers read as correct"
    assert lines[1].startswith(f"{CATEGORIES[1]}: gained") and "lost" in lines[2]
    assert 'became correct after fine-tuning: "q1"' in lines[3] and 'wrong: "q2"' in lines[3]
    assert "70.0 -> 65.0, lower (more fluent)" in lines[4]
    assert "disagree on 1 of 6 answers" in lines[5]
    assert f"correct answers were lost in {CATEGORIES[2]}" in lines[6]
    assert "fluency did not degrade" in lines[6]


def test_the_committed_review_carries_the_rubric_and_judges_every_answer():
    from pathlib import Path

    root = Path(__file__).resolve().parents[3]
    saved = fr.load_review(root / fr.REVIEW_FILE)
    assert saved["rubric"] == fr.RUBRIC
    assert set(fr.RUBRIC) == set(CATEGORIES)
    assert saved["changes"], "the rubric changed verdicts: they are recorded"
    for change in saved["changes"]:
        assert change["before"] != change["after"] and change["why"] and change["answer"]
        current = saved["verdicts"][change["prompt"]][change["model"]]
        if current["answer_sha1"] == change["answer_sha1"]:  # a verdict on a current answer
            assert current["score"] == change["after"]
