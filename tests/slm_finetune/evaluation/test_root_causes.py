"""Root-cause hypotheses follow the labelled tally: only categories that occur, by count."""

from __future__ import annotations

from slm_finetune.evaluation.root_causes import root_causes


def analysis(reviewed: bool) -> dict:
    examples = [{"example_id": i, "heuristic": h, "reviewed": r if reviewed else None}
                for i, h, r in ((1, "incomplete", "hallucination"), (2, "incomplete", "other"),
                                (3, "off_topic", "hallucination"))]
    heuristic = {"hallucination": 0, "incomplete": 2, "off_topic": 1, "formatting": 0,
                 "overfitting": 0, "other": 0}
    review = {"hallucination": 2, "incomplete": 0, "off_topic": 0, "formatting": 0,
              "overfitting": 0, "other": 1}
    return {"n_low": 3, "examples": examples, "heuristic_tally": heuristic,
            "reviewed_tally": review if reviewed else None}


def test_reviewed_labels_choose_and_order_the_hypotheses():
    lines = root_causes(analysis(True))
    assert lines[0].startswith("From the labels given by reading the answers, 3")
    assert lines[2].startswith("1. **Hallucination: 2 of 3** (examples #1, #3)")
    assert lines[3].startswith("2. **Other (e.g. repetition loop): 1 of 3** (examples #2)")
    assert "Incomplete response" in lines[-1] and "Hallucination" not in lines[-1]


def test_without_a_review_the_heuristic_labels_are_used_and_said_so():
    lines = root_causes(analysis(False))
    assert "heuristic labels" in lines[0]
    assert lines[2].startswith("1. **Incomplete response: 2 of 3** (examples #1, #2)")
