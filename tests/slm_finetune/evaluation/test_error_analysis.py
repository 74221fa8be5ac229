"""Error taxonomy heuristics, low-score definition, best/worst selection, tally plot."""

import pandas as pd
import pytest

from slm_finetune.evaluation import error_analysis as ea

REFERENCE = (
    "The print spooler is stuck.\n\n1. Open `services.msc`.\n2. Restart **Print Spooler**.\n"
    "3. Delete the files in the spool folder and print a test page again."
)
TRAIN = [
    "Open the Control Panel and choose Devices and Printers then right click the printer and "
    "select See what is printing to cancel every document in the queue before printing again."
]


def row(answer: str, finished: bool = True, instruction: str = "Why is my print queue stuck?"):
    return {"ft_output": answer, "reference": REFERENCE, "instruction": instruction,
            "input": "", "ft_finished": finished}  # fmt: skip


GOOD = (
    "The print queue is stuck because the spooler hangs.\n\n1. Open `services.msc`.\n"
    "2. Restart **Print Spooler**.\n3. Delete the stuck files and print again."
)


@pytest.mark.parametrize(
    ("answer", "finished", "expected"),
    [
        (GOOD, True, []),
        ("Bake the bread at 200 degrees for forty minutes, then let it cool.", True,
         ["off_topic", "incomplete", "formatting"]),
        (GOOD + "\n" + TRAIN[0], True, ["overfitting"]),
        (GOOD + "\n4. Run `sudo reboot-printer --force`.", True, ["hallucination"]),
        (GOOD, False, ["incomplete"]),
        ("The print queue is stuck. " + "Restart the spooler now. " * 6, True,
         ["formatting", "repetition"]),
    ],
)  # fmt: skip
def test_each_heuristic_fires_on_its_case(answer, finished, expected):
    grams = ea.training_ngrams(TRAIN)
    assert ea.heuristic_flags(row(answer, finished), grams) == expected


def test_primary_category_follows_the_priority_and_repetition_is_other():
    assert ea.category(["hallucination", "incomplete"]) == "hallucination"
    assert ea.category(["repetition"]) == "other"
    assert ea.category([]) == "other"


def frame(scores):
    n = len(scores)
    return pd.DataFrame({
        "example_id": range(1, n + 1), "ft_rougeL": scores, "ft_output": [GOOD] * n,
        "reference": [REFERENCE] * n, "instruction": ["Why is my print queue stuck?"] * n,
        "input": [""] * n, "ft_finished": [True] * n,
    })  # fmt: skip


def test_low_is_the_bottom_third_and_extremes_break_ties_by_id():
    scores = [0.5, 0.1, 0.3, 0.1, 0.9, 0.7]
    data = frame(scores)
    assert ea.low_threshold(scores) == pytest.approx(0.1 + 0.2 * 2 / 3)  # linear, at 5/3
    assert sorted(ea.label_low_examples(data, TRAIN)) == [2, 4]
    best, worst = ea.extremes(data, k=3)
    assert best == [5, 6, 1] and worst == [2, 4, 3]


def test_analysis_tallies_every_category_and_notes_disagreements(tmp_path):
    data = frame([0.5, 0.1, 0.3, 0.1, 0.9, 0.7])
    data.loc[1, "ft_output"] = "Bake the bread at 200 degrees for forty minutes."
    result = ea.analyse(data, TRAIN, reviewed={2: "off_topic", 4: "incomplete", 9: "other"})
    assert result["n_low"] == 2 and result["low_threshold"] == pytest.approx(0.2333)
    assert set(result["heuristic_tally"]) == set(ea.CATEGORIES)
    assert result["heuristic_tally"]["off_topic"] == 1 and result["heuristic_tally"]["other"] == 1
    assert result["reviewed_tally"]["incomplete"] == 1
    assert result["disagreements"] == [4]  # heuristic "other", review "incomplete"
    path = ea.plot_tally(result, tmp_path / "errors.png")
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_the_committed_review_carries_the_labelling_rubric():
    import json
    from pathlib import Path

    from slm_finetune.evaluation import error_analysis

    root = Path(__file__).resolve().parents[3]
    saved = json.loads((root / "outputs/evaluation_commentary.json").read_text(encoding="utf-8"))
    assert saved["rubric"] == error_analysis.REVIEW_RUBRIC
    assert set(error_analysis.REVIEW_RUBRIC) == set(error_analysis.CATEGORIES)
    assert {r["label"] for r in saved["reviews"].values()} <= set(error_analysis.CATEGORIES)
