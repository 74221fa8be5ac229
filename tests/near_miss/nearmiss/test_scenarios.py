import argparse

import pytest

from near_miss.nearmiss import FilterConfig, run_detector
from near_miss.nearmiss import scenarios as sc
from near_miss.nearmiss.filters import FILTER_NAMES


@pytest.fixture(scope="module")
def scenario_set():
    return sc.build_scenarios(seed=0)


def test_every_scenario_is_classified_right_with_filters_on(scenario_set):
    names = {s.name for s in scenario_set}
    assert {"head_on", "truck_crossing", "braking_for_pedestrian", "crash_10fps",
            "parked_touching", "convoy", "overtaking", "far_apart", "lateral_pass",
            "crosswalk_pedestrians", "cyclist", "ghost", "vanish_reappear"} <= names  # fmt: skip
    for scenario in scenario_set:
        outcome = sc.evaluate(scenario, filters=True)
        assert outcome.correct, outcome
        if scenario.must_report:
            assert outcome.events >= 1 and outcome.in_window == outcome.events


@pytest.mark.parametrize("stride", [1, 3])
def test_every_stride_gives_the_same_answers(stride):
    for scenario in sc.build_scenarios(seed=0, stride=stride):
        assert sc.evaluate(scenario, filters=True).correct, (stride, scenario.name)


def test_without_filters_the_jittery_convoy_raises_events(scenario_set):
    by_name = {s.name: s for s in scenario_set}
    assert sc.evaluate(by_name["convoy"], filters=False).outcome == "FP"


def test_the_direction_filter_alone_removes_the_convoy(scenario_set):
    scenario = next(s for s in scenario_set if s.name == "convoy")
    alone = FilterConfig(**{f: f == "direction" for f in FILTER_NAMES})
    det = run_detector(scenario.frames, scenario.fps, stride=scenario.stride, filters=alone)
    assert det.events == []
    assert det.rejected and all(r["filter"] == "direction" for r in det.rejected)


def test_scenarios_are_reproducible_and_seed_dependent():
    a, b, c = sc.build_scenarios(1), sc.build_scenarios(1), sc.build_scenarios(2)
    box = lambda s: s[3].frames[5][1][1]["bbox"]  # noqa: E731  parked car, jittered
    assert box(a) == box(b) and box(a) != box(c)


def test_precision_recall_and_the_command(capsys):
    per_scenario, summary = sc.scenario_tables(seed=0, strides=(2,))
    assert summary.loc[(2, "on"), "precision"] == 1.0 and summary.loc[(2, "on"), "recall"] == 1.0
    assert summary.loc[(2, "off"), "FP"] >= 1 and summary.loc[(2, "off"), "precision"] < 1.0
    assert len(per_scenario) == len(sc.build_scenarios(0))
    assert sc.main(argparse.Namespace(seed=0)) == 0
    out = capsys.readouterr().out
    assert "precision" in out and "parked_touching" in out


def test_precision_recall_undefined_is_nan():
    import math

    p, r = sc.precision_recall([sc.Outcome("x", False, 0, 0, "TN")])
    assert math.isnan(p) and math.isnan(r)
