"""Trackers on scripted detections: identities, occlusions, bad input, statistics."""

from __future__ import annotations

import math
from collections import OrderedDict

import matplotlib
import pytest

from near_miss.tracking import (
    CentroidTracker,
    SortTracker,
    TrackingStats,
    count_id_switches,
    make_tracker,
    plot_trajectories,
    tracking_stats,
)
from tatweer_common.errors import UserError

matplotlib.use("Agg")

TRACKERS = ["centroid", "sort"]


def det(cx, cy, w=20.0, h=50.0, cls="pedestrian", coco=None, conf=0.9):
    d = {"id": None, "class": cls, "bbox": [cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2],
         "confidence": conf, "center": (float(cx), float(cy))}
    if coco:
        d["coco_class"] = coco
    return d


def crossing_scene(n_frames=40):
    """Two pedestrians walking towards each other along a crosswalk: gt id -> detection."""
    return [{"a": det(100 + 8 * t, 200), "b": det(400 - 8 * t, 206)} for t in range(n_frames)]


def run_with_truth(tracker, scene):
    """Run ``tracker`` on a scene; per frame, ground-truth id -> tracker id (None if unseen)."""
    assignments = []
    for t, frame in enumerate(scene):
        out = tracker.update(list(frame.values()), frame_index=2 * t)
        by_center = {obj["center"]: object_id for object_id, obj in out.items()}
        assignments.append({gt: by_center.get(d["center"]) for gt, d in frame.items()})
    return assignments


def hidden_scene(hidden, speed=2.0):
    """One object visible 10 frames, hidden ``hidden`` frames, then visible 10 frames."""
    return [[] if 10 <= t < 10 + hidden else [det(100 + speed * t, 200)]
            for t in range(20 + hidden)]


def ids_before_and_after(tracker, frames):
    outputs = [tracker.update(dets) for dets in frames]
    seen = [set(out) for out, dets in zip(outputs, frames, strict=True) if dets]
    return seen[9], seen[-1]


def test_count_id_switches_counts_changes_and_ignores_gaps():
    frames = [{"a": 0, "b": 1}, {"a": 0, "b": None}, {"a": 1, "b": 0}, {"a": 1, "b": 0}]
    assert count_id_switches(frames) == 2
    assert count_id_switches([{"a": 0}, {"a": None}, {"a": 0}]) == 0


def test_sort_keeps_identities_of_crossing_objects():
    assignments = run_with_truth(SortTracker(), crossing_scene())
    assert count_id_switches(assignments) == 0
    final = assignments[-1]
    assert final["a"] is not None and final["b"] is not None and final["a"] != final["b"]


def test_centroid_tracker_swaps_crossing_objects():
    # The known weakness that motivates SORT: without a motion model the nearest
    # centroid at the crossing belongs to the other object.
    assert count_id_switches(run_with_truth(CentroidTracker(), crossing_scene())) > 0


@pytest.mark.parametrize("name", TRACKERS)
@pytest.mark.parametrize("hidden", [5, 10])
def test_object_hidden_up_to_the_limit_keeps_its_id(name, hidden):
    before, after = ids_before_and_after(make_tracker(name), hidden_scene(hidden))
    assert before and before == after


@pytest.mark.parametrize("name", TRACKERS)
def test_object_hidden_longer_gets_a_new_id(name):
    before, after = ids_before_and_after(make_tracker(name), hidden_scene(11))
    assert before and after and before.isdisjoint(after)


def test_sort_predicts_a_fast_object_through_an_occlusion():
    frames = hidden_scene(5, speed=20.0)  # 120 px travelled while hidden
    before, after = ids_before_and_after(SortTracker(), frames)
    assert before == after
    before, after = ids_before_and_after(CentroidTracker(max_distance=100), frames)
    assert before.isdisjoint(after)


@pytest.mark.parametrize("name", TRACKERS)
def test_hidden_objects_are_kept_but_not_returned(name):
    tracker = make_tracker(name, **({"min_hits": 1} if name == "sort" else {}))
    assert list(tracker.update([det(100, 100)])) == [0]
    assert tracker.update([]) == OrderedDict()
    assert list(tracker.update([det(101, 100)])) == [0]


def test_centroid_gate_starts_a_new_id_for_a_far_detection():
    tracker = CentroidTracker(max_distance=100)
    tracker.update([det(100, 100)])
    out = tracker.update([det(260, 100)])
    assert list(out) == [1]
    assert tracker.disappeared[0] == 1


def test_centroid_matches_globally_nearest_first():
    tracker = CentroidTracker()
    tracker.update([det(100, 100), det(130, 100)])
    out = tracker.update([det(125, 100), det(145, 100)])
    assert out[1]["center"] == (125.0, 100.0) and out[0]["center"] == (145.0, 100.0)


@pytest.mark.parametrize("name", TRACKERS)
def test_output_format_and_majority_class(name):
    tracker = make_tracker(name, **({"min_hits": 1} if name == "sort" else {}))
    labels = [("vehicle", "car"), ("vehicle", "truck"), ("pedestrian", "person"),
              ("vehicle", "car")]
    for t, (cls, coco) in enumerate(labels):
        out = tracker.update([det(100 + t, 100, 60, 30, cls, coco)], frame_index=10 + 2 * t)
    assert isinstance(out, OrderedDict) and list(out) == [0]
    obj = out[0]
    assert set(obj) == {"class", "bbox", "center", "confidence", "coco_class"}
    assert obj["class"] == "vehicle" and obj["coco_class"] == "car"
    assert obj["bbox"] == [73.0, 85.0, 133.0, 115.0] and obj["center"] == (103.0, 100.0)
    assert tracker.class_of(0) == "vehicle"
    assert tracker.trajectories[0] == [(10 + 2 * t, 100.0 + t, 100.0) for t in range(4)]


@pytest.mark.parametrize("name", TRACKERS)
def test_frame_index_defaults_to_update_count(name):
    tracker = make_tracker(name)
    for t in range(4):
        tracker.update([det(100 + t, 100)])
    assert [f for f, _, _ in tracker.trajectories[0]] == [0, 1, 2, 3]


def test_sort_confirms_after_min_hits_and_backfills_the_trajectory():
    tracker = SortTracker(min_hits=3)
    outputs = [tracker.update([det(100 + 2 * t, 100)], frame_index=t) for t in range(4)]
    assert [list(o) for o in outputs] == [[], [], [0], [0]]
    assert [f for f, _, _ in tracker.trajectories[0]] == [0, 1, 2, 3]
    tracker.update([det(100, 400)])  # a one-frame false positive never gets an ID
    assert set(tracker.trajectories) == {0}


@pytest.mark.parametrize("name", TRACKERS)
def test_empty_frames_do_not_crash(name):
    tracker = make_tracker(name)
    assert tracker.update([]) == OrderedDict()
    assert tracker.update(None) == OrderedDict()
    assert tracking_stats(tracker) == TrackingStats(0, 0, 0.0, 0.0, 0, None)


@pytest.mark.parametrize("name", TRACKERS)
def test_bad_detections_are_skipped_with_a_warning(name):
    tracker = make_tracker(name, **({"min_hits": 1} if name == "sort" else {}))
    nan_center = det(50, 50) | {"center": (math.nan, 50.0)}
    zero_box = det(300, 300) | {"bbox": [300.0, 300.0, 300.0, 340.0]}
    bad = [nan_center, zero_box, {"class": "vehicle"}, "not a dict", det(100, 100)]
    with pytest.warns(RuntimeWarning, match="skipped detection") as record:
        out = tracker.update(bad)
    assert len(record) == 4
    assert [obj["center"] for obj in out.values()] == [(100.0, 100.0)]


def test_tracking_stats_on_a_scripted_scene():
    tracker = CentroidTracker()
    for t in range(10):  # stride 2: frame_index = 2t
        dets = [det(100 + t, 100)]  # A: 10 frames
        if 4 <= t < 8:
            dets.append(det(300, 100 + t))  # B: 4 frames
        if 6 <= t < 8:
            dets.append(det(500, 300))  # C: 2 frames
        tracker.update(dets, frame_index=2 * t)
    stats = tracking_stats(tracker)
    assert (stats.unique_ids, stats.observations) == (3, 16)
    assert stats.avg_track_length == pytest.approx((10 + 4 + 2) / 3)
    assert stats.avg_track_span == pytest.approx((19 + 7 + 3) / 3)
    assert (stats.peak_active, stats.peak_frame) == (3, 12)
    assert tracking_stats(tracker.trajectories) == stats
    assert "unique IDs: 3" in str(stats)


def test_plot_trajectories_draws_one_line_per_id(tmp_path):
    import numpy as np

    tracker = CentroidTracker()
    for t in range(5):
        tracker.update([det(100 + 5 * t, 100), det(300, 200 + 5 * t)])
    target = tmp_path / "traj.png"
    fig = plot_trajectories(tracker, background=np.zeros((360, 640, 3), np.uint8),
                            save_path=target)
    lines = fig.axes[0].get_lines()
    assert len({line.get_color() for line in lines}) == 2
    assert target.stat().st_size > 0


def test_make_tracker_rejects_unknown_names_and_parameters():
    assert isinstance(make_tracker("SORT", max_age=3), SortTracker)
    assert make_tracker("centroid", max_disappeared=4).max_disappeared == 4
    assert make_tracker("sort", max_disappeared=4).max_age == 4  # the spec's name works too
    with pytest.raises(UserError, match="unknown tracker 'deepsort'"):
        make_tracker("deepsort")
    with pytest.raises(UserError, match="bad parameters"):
        make_tracker("sort", max_distance=3)
