"""The benchmark: configurations, event matching, detection recall, cache, recommendation."""

from __future__ import annotations

import pandas as pd
import pytest

from near_miss.bench import benchmark as bench
from near_miss.bench.benchmark import REFERENCE, BenchConfig, BenchSettings, cached_run, recommend
from near_miss.bench.metrics import detection_recall, match_events, tracked_frames
from near_miss.cli import main as cli_main
from near_miss.detection import yolov5_weights
from near_miss.ingest import offline_video
from near_miss.nearmiss import run_detector
from near_miss.nearmiss.scenarios import FPS, STRIDE, build_scenarios
from near_miss.pipeline import TRACK_COLUMNS, _track_rows


def test_configurations_start_with_the_reference_and_cover_strides_1_to_4():
    configs = BenchSettings().configs()
    assert configs[0] == REFERENCE == BenchConfig("torch", 640, False, 1, False)
    assert len(configs) == len(set(configs))
    grid = [c for c in configs if c.backend == "onnx" and c.threaded]
    assert {c.stride for c in grid} == {1, 2, 3, 4}
    assert {c.imgsz for c in grid} == {320, 416, 640} and {c.rect for c in grid} == {False, True}
    sequential = [c for c in configs if c.backend == "onnx" and not c.threaded]
    assert {c.stride for c in sequential} == {1, 2, 3, 4}  # threading's gain at every stride
    assert len({c.key for c in configs}) == len(configs)


def _track(frame, oid, cls, x, y, w=40.0, h=40.0):
    return {"frame_index": frame, "object_id": oid, "class": cls, "coco_class": cls,
            "x1": x, "y1": y, "x2": x + w, "y2": y + h, "cx": x + w / 2, "cy": y + h / 2,
            "confidence": 0.9}


def _event(frame, a, b, c1="vehicle", c2="pedestrian", fps=10.0):
    return {"frame_index": frame, "timestamp_sec": frame / fps, "object_id_1": a,
            "object_id_2": b, "class_1": c1, "class_2": c2}


def test_events_match_by_classes_time_and_overlapping_boxes():
    ref_tracks = pd.DataFrame([_track(f, 1, "vehicle", 0, 0) for f in range(60)]
                              + [_track(f, 2, "pedestrian", 50, 0) for f in range(60)]
                              + [_track(f, 3, "pedestrian", 300, 300) for f in range(60)])
    # the candidate calls the same objects 7, 8 and 9 (boxes slightly shifted)
    cand_tracks = pd.DataFrame([_track(f, 7, "vehicle", 2, 1) for f in range(0, 60, 2)]
                               + [_track(f, 8, "pedestrian", 52, 0) for f in range(0, 60, 2)]
                               + [_track(f, 9, "pedestrian", 301, 300) for f in range(0, 60, 2)])
    reference = pd.DataFrame([_event(10, 1, 2), _event(30, 1, 2), _event(50, 1, 3)])
    candidate = pd.DataFrame([
        _event(18, 7, 8),  # 0.8 s after the first reference event: found
        _event(30, 7, 9),  # right time and classes, other pedestrian: found on class+time only
        _event(40, 7, 9, c1="pedestrian"),  # wrong classes
    ])
    match = match_events(reference, candidate, ref_tracks, cand_tracks, window_s=1.0)
    assert (match.reference, match.found, match.found_class_time) == (3, 1, 2)
    assert match.missed_pct == pytest.approx(200 / 3)
    assert match.missed_class_time_pct == pytest.approx(100 / 3)
    late = pd.DataFrame([_event(22, 7, 8)])  # 1.2 s after: too late
    assert match_events(reference.iloc[:1], late, ref_tracks, cand_tracks).found == 0
    empty = match_events(reference.iloc[:0], candidate, ref_tracks, cand_tracks)
    assert empty.reference == 0 and pd.isna(empty.missed_pct)


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
    want = run_detector(scenario.frames, FPS, stride=STRIDE).events_dataframe()
    got = run_detector(replay, FPS, stride=STRIDE).events_dataframe()
    assert len(want) > 0
    pd.testing.assert_frame_equal(got, want)


def test_cached_run_measures_once(tmp_path):
    calls = []

    def measure():
        calls.append(1)
        return bench.CachedRun(10, 5, 2.0, 12.5, pd.DataFrame({"frame_index": [0]}),
                               pd.DataFrame({"frame_index": [0, 2]}), pd.DataFrame({"a": [1]}))

    first = cached_run(tmp_path / "cfg", measure)
    second = cached_run(tmp_path / "cfg", measure)
    assert len(calls) == 1 and second.fps == first.fps == 5.0
    pd.testing.assert_frame_equal(second.detections, first.detections)
    cached_run(tmp_path / "cfg", measure, cache=False)
    assert len(calls) == 2


def _row(video, name, fps, missed_c, recall=95.0, stride=2, ref_c=10):
    return {"video": video, "stage": "end-to-end", "optimization": name, "fps": fps,
            "stride": stride, "missed_events_%": 50.0, "reference_events": 2,
            "missed_candidates_%": missed_c, "reference_candidates": ref_c,
            "detection_recall_%": recall}


def test_recommendation_needs_speed_and_recall_on_every_video_then_smallest_stride():
    table = pd.DataFrame([
        _row("a", "fast-blind", 90, 0, recall=50, stride=1), _row("b", "fast-blind", 90, 0),
        _row("a", "fast", 80, 10, stride=3), _row("b", "fast", 36, 30, stride=3, ref_c=30),
        _row("a", "good", 40, 40), _row("b", "good", 35, 10, ref_c=30),  # pooled 17.5 %
        _row("a", "good-less-recall", 40, 0, recall=92), _row("b", "good-less-recall", 35, 0),
        _row("a", "slow", 10, 0, stride=1), _row("b", "slow", 29, 0, stride=1),
    ])
    rec = recommend(table)
    assert rec["optimization"] == "good" and not rec["targets_met"]
    assert rec["pooled"]["missed_candidates"] == pytest.approx(17.5)
    assert rec["pooled"]["missed_events"] == pytest.approx(50.0)
    assert rec["pooled"]["fps"] == 35 and {r["video"] for r in rec["per_video"]} == {"a", "b"}
    assert not recommend(table, max_missed=20)["targets_met"]  # events: 50 % missed
    assert recommend(table, max_missed=60)["targets_met"]
    assert recommend(table, min_fps=100)["optimization"] == "fast"  # none fast: the fastest
    assert recommend(table, min_recall=40)["optimization"] == "fast-blind"


@pytest.mark.slow
def test_bench_command_writes_table_and_plot_and_reuses_its_cache(tmp_path, monkeypatch, capsys):
    if not (offline_video().is_file() and yolov5_weights().is_file()):
        pytest.skip("offline assets absent")
    monkeypatch.setenv("TATWEER_SMOKE", "1")
    monkeypatch.setenv("TATWEER_CACHE", str(tmp_path / "cache"))
    argv = ["bench", "--video", str(offline_video()), "--out", str(tmp_path), "--max-frames", "8"]
    assert cli_main(argv) == 0
    table = pd.read_csv(tmp_path / "benchmark.csv")
    for column in ("optimization", "fps", "missed_events_%", "detection_recall_%",
                   "projected_3min_s"):
        assert column in table.columns
    runs = table[table["stage"] == "end-to-end"]
    assert len(runs) == len(BenchSettings.smoke().configs())
    assert (runs["fps"] > 0).all() and (runs["frames"] == 8).all()
    assert runs.iloc[0]["detection_recall_%"] == 100.0  # the reference against itself
    assert (table["stage"] == "encode only").sum() == 1
    assert (tmp_path / "benchmark.png").stat().st_size > 10_000
    assert "recommended:" in capsys.readouterr().out
    assert cli_main(argv) == 0  # second run: every configuration from the cache
    again = pd.read_csv(tmp_path / "benchmark.csv")
    pd.testing.assert_series_equal(again["fps"], table["fps"])
    assert cli_main(argv[:-2] + ["--max-frames", "0"]) == 2
