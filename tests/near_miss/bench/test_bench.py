"""The benchmark: configurations, detection recall, replayed tracks, recommendation, command."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from near_miss.bench.benchmark import SPEC_DEFAULT, BenchConfig, BenchSettings, recommend
from near_miss.bench.metrics import detection_recall
from near_miss.cli import main as cli_main
from near_miss.config import PipelineConfig
from near_miss.detection import CHECKPOINTS
from near_miss.ingest import offline_video
from near_miss.nearmiss import run_detector
from near_miss.nearmiss.scenarios import STRIDE, build_scenarios
from near_miss.outputs.tables import TRACK_COLUMNS, tracked_frames
from near_miss.pipeline import _track_rows
from tatweer_common.paths import project_root


def test_the_grid_crosses_backends_sizes_and_strides_then_varies_one_factor():
    configs = BenchSettings.full().configs
    assert configs[0] == SPEC_DEFAULT == BenchConfig("torch", 640, False, 2, False)
    assert len(configs) == len(set(configs)) and len({c.label for c in configs}) == len(configs)
    for backend in ("torch", "onnx", "openvino"):
        for rect in (False, True):
            assert {c.stride for c in configs if (c.backend, c.rect, c.pipelined, c.detector)
                    == (backend, rect, True, "yolov8n") and c.tracker == "centroid"} == {1, 2, 3}
    base = BenchConfig("openvino", 640, True, 2, True)
    extra = configs[19:]
    for cfg in extra:
        differs = [k for k, v in cfg.overrides().items() if v != base.overrides()[k]]
        assert 1 <= len(differs) <= 2 and ("detector" in differs or len(differs) == 1), cfg
    assert {c.tracker for c in extra} == {"centroid", "sort", "bytetrack"}
    assert {c.detector for c in configs} == {"yolov8n", "yolov8s"}


def test_detection_recall_counts_reference_boxes_found_with_iou_half():
    def det(frame, cls, x):
        return {"frame_index": frame, "class": cls, "x1": x, "y1": 0.0, "x2": x + 10.0,
                "y2": 10.0, "confidence": 0.9}

    reference = pd.DataFrame([det(0, "vehicle", 0), det(0, "vehicle", 100), det(0, "pedestrian",
                             200), det(1, "vehicle", 0), det(2, "vehicle", 0)])
    candidate = pd.DataFrame([det(0, "vehicle", 1), det(0, "vehicle", 106),  # IoU 0.25: lost
                              det(0, "vehicle", 200),  # right place, wrong class: lost
                              det(1, "vehicle", 0)])
    assert detection_recall(reference, candidate, frames=[0, 1]) == pytest.approx(50.0)
    assert detection_recall(reference, candidate, frames=[1]) == pytest.approx(100.0)
    assert detection_recall(reference, candidate, frames=[0, 1, 2]) == pytest.approx(40.0)


def test_replaying_a_tracks_table_gives_the_same_events():
    scenario = next(s for s in build_scenarios() if s.must_report)
    rows = [row for f, objects in scenario.frames for row in _track_rows(f, objects)]
    table = pd.DataFrame(rows, columns=TRACK_COLUMNS)
    replay = tracked_frames(table, [f for f, _ in scenario.frames])
    want = run_detector(scenario.frames, scenario.fps, stride=STRIDE).events_dataframe()
    got = run_detector(replay, scenario.fps, stride=STRIDE).events_dataframe()
    assert len(want) > 0
    pd.testing.assert_frame_equal(got, want)


def test_a_replay_flags_the_rows_below_the_detection_threshold_as_extensions():
    scenario = next(s for s in build_scenarios() if s.must_report)
    rows = [row for f, objects in scenario.frames for row in _track_rows(f, objects)]
    table = pd.DataFrame(rows, columns=TRACK_COLUMNS)
    table.loc[table["object_id"] == table["object_id"].max(), "confidence"] = 0.2
    replay = tracked_frames(table, [f for f, _ in scenario.frames], min_confidence=0.4)
    flags = {oid: o["low_confidence"] for _, objects in replay for oid, o in objects.items()}
    assert flags == {oid: oid == table["object_id"].max() for oid in flags}
    assert run_detector(replay, scenario.fps, stride=STRIDE).events == []


def _row(name, fps, found, alarms, agreement=99.0):
    return {"optimization": name, "fps": fps, "found": found, "false_alarms_per_min": alarms,
            "detection_agreement_%": agreement, "missed_events_%": 10.0, "backend": "onnx",
            "imgsz": 640, "rect": True, "stride": 2, "pipelined": True, "tracker": "centroid",
            "detector": "yolov8n"}


def test_recommendation_is_the_fastest_that_keeps_the_spec_incidents_and_alarm_rate():
    table = pd.DataFrame([
        _row(SPEC_DEFAULT.label, 20, "a@1;b@2", 2.0),
        _row("fastest, misses b", 90, "a@1;c@3", 0.5),
        _row("fast, more alarms", 80, "a@1;b@2;c@3", 2.5),
        _row("good", 60, "a@1;b@2;c@3", 1.5),
        _row("slower", 40, "a@1;b@2", 1.0),
    ])
    rec = recommend(table)
    assert rec["optimization"] == "good" and "spec's configuration finds" in rec["why"]
    assert rec["pooled"]["fps"] == 60 and rec["settings"]["backend"] == "onnx"
    without_labels = table.drop(columns=["found", "false_alarms_per_min"])
    without_labels.loc[0, "detection_agreement_%"] = 100.0
    without_labels.loc[1, "detection_agreement_%"] = 80.0
    assert recommend(without_labels)["optimization"] == "fast, more alarms"



def test_the_committed_recommendation_is_the_default_of_run():
    # run's defaults are the benchmark's pick: after a benchmark re-run picks another
    # configuration, PipelineConfig follows it (benchmark.json stores the values as text)
    bench = json.loads((project_root() / "outputs" / "benchmark.json").read_text())
    defaults = PipelineConfig()
    picked = bench["recommendation"]["settings"]
    assert {k: str(getattr(defaults, k)) for k in picked if k != "detector"} == {
        k: v for k, v in picked.items() if k != "detector"}
    assert picked["detector"] == "yolov8n" and defaults.detector == "auto"  # auto = yolov8n

@pytest.mark.slow
def test_bench_command_writes_the_table_and_the_plot(tmp_path, monkeypatch, capsys):
    if not (offline_video().is_file() and CHECKPOINTS["yolov8n"].asset.is_file()):
        pytest.skip("offline assets absent")
    monkeypatch.setenv("TATWEER_SMOKE", "1")
    monkeypatch.setenv("TATWEER_CACHE", str(tmp_path / "cache"))
    argv = ["bench", "--video", str(offline_video()), "--out", str(tmp_path), "--labels", "none"]
    assert cli_main(argv) == 0
    table = pd.read_csv(tmp_path / "benchmark.csv")
    for column in ("optimization", "fps", "fps_no_video", "detect_ms", "detection_agreement_%"):
        assert column in table.columns
    assert len(table) == len(BenchSettings.smoke().configs)
    assert (table["fps"] > 0).all() and (table["fps_no_video"] >= table["fps"] * 0.5).all()
    assert (table["frames"] == 12).all()
    assert (tmp_path / "benchmark.png").stat().st_size > 10_000
    out = capsys.readouterr().out
    assert "recommended:" in out and "configurations in" in out
    assert cli_main(argv[:-1] + ["missing.csv"]) == 2
