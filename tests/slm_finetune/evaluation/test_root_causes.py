"""Root-cause hypotheses follow the evidence: the labelled tally first, then the results."""

from __future__ import annotations

import pandas as pd

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


def results(finished=(True, False, True, True), spec=True) -> pd.DataFrame:
    frame = pd.DataFrame({"example_id": [1, 2, 3, 4], "ft_finished": list(finished),
                          "base_rougeL": [0.2, 0.1, 0.3, 0.2]})
    if spec:
        frame["base_spec_rougeL"] = [0.1, 0.1, 0.1, 0.3]
    return frame


def test_reviewed_labels_come_first_then_the_evidence_of_the_results():
    lines = root_causes(analysis(True), results())
    assert lines[0].startswith("From the labels given by reading the answers of the 3")
    assert lines[2].startswith("1. **Hallucination**: 2 of 3 labelled so (examples #1, #3).")
    assert lines[3].startswith("2. **Other (e.g. repetition loop)**: 1 of 3 labelled so")
    assert lines[4].startswith("3. **Incomplete response**: 1 of the 3 low-scoring answers "
                               "stopped at the token budget without ending (example #2).")
    assert lines[5].startswith("4. **Formatting failure**: the base model scores ROUGE-L 0.200 "
                               "in its chat template and 0.150 in the `### Instruction` "
                               "template (higher on 2 of 4 test examples).")
    assert all("*Test:*" in line for line in lines[2:6])
    assert lines[-1] == ("No evidence of: Off-topic, Overfitting artifact; no hypothesis is "
                         "needed for them.")


def test_without_a_review_the_heuristic_labels_are_used_and_said_so():
    lines = root_causes(analysis(False), results(finished=(True,) * 4, spec=False))
    assert "heuristic labels" in lines[0]
    assert lines[2].startswith("1. **Incomplete response**: 2 of 3 labelled so (examples #1, #2).")
    assert lines[3].startswith("2. **Off-topic**: 1 of 3 labelled so (example #3).")
    assert "Formatting failure" in lines[-1]


def test_a_labelled_category_and_its_evidence_share_one_hypothesis():
    lines = root_causes(analysis(False), results())
    assert lines[2].startswith("1. **Incomplete response**: 2 of 3 labelled so (examples #1, "
                               "#2); 1 of the 3 low-scoring answers stopped at the token budget")
