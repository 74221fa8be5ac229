import argparse

import pytest

from near_miss.nearmiss import FilterConfig, run_detector
from near_miss.nearmiss import scenarios as sc


@pytest.fixture(scope="module")
def scenario_set():
    return sc.build_scenarios(seed=0)


def test_every_scenario_is_classified_right_with_filters_on(scenario_set):
    names = {s.name for s in scenario_set}
    assert {"head_on", "crossing_gap", "braking_for_pedestrian", "parked_touching", "convoy",
            "overtaking", "far_apart", "ghost", "vanish_reappear"} <= names  # fmt: skip
    for scenario in scenario_set:
        outcome = sc.evaluate(scenario, filters=True)
        assert outcome.correct, outcome
        if scenario.must_report:
            assert outcome.events >= 1 and outcome.in_window == outcome.events


def test_without_filters_parked_and_convoy_raise_events(scenario_set):
    by_name = {s.name: s for s in scenario_set}
    for name in ("parked_touching", "convoy"):
        assert sc.evaluate(by_name[name], filters=False).outcome == "FP"


@pytest.mark.parametrize(
    ("name", "only"), [("parked_touching", "stationary"), ("convoy", "direction")]
)
def test_each_targeted_filter_alone_removes_its_false_positive(scenario_set, name, only):
    scenario = next(s for s in scenario_set if s.name == name)
    alone = FilterConfig(**{f: f == only for f in ("stationary", "min_duration", "direction",
                                                   "confidence")})  # fmt: skip
    det = run_detector(scenario.frames, sc.FPS, stride=sc.STRIDE, filters=alone)
    assert det.events == []
    assert det.rejected and all(r["filter"] == only for r in det.rejected)


def test_scenarios_are_reproducible_and_seed_dependent():
    a, b, c = sc.build_scenarios(1), sc.build_scenarios(1), sc.build_scenarios(2)
    box = lambda s: s[3].frames[5][1][1]["bbox"]  # noqa: E731  parked car, jittered
    assert box(a) == box(b) and box(a) != box(c)


def test_precision_recall_and_the_command(capsys):
    per_scenario, summary = sc.scenario_tables(seed=0)
    assert summary.loc["on", "precision"] == 1.0 and summary.loc["on", "recall"] == 1.0
    assert summary.loc["off", "FP"] >= 2 and summary.loc["off", "precision"] < 1.0
    assert len(per_scenario) == len(sc.build_scenarios(0))
    assert sc.main(argparse.Namespace(seed=0)) == 0
    out = capsys.readouterr().out
    assert "precision" in out and "parked_touching" in out


def test_precision_recall_undefined_is_nan():
    import math

    p, r = sc.precision_recall([sc.Outcome("x", False, 0, 0, "TN")])
    assert math.isnan(p) and math.isnan(r)
