"""Trackers on scripted detections: identities, gaps, coasting, bad input, statistics."""

from __future__ import annotations

import importlib.util
import math
from collections import OrderedDict

import matplotlib
import pytest

from near_miss.tracking import (
    TRACKERS,
    ByteTrackTracker,
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

needs_lap = pytest.mark.skipif(
    importlib.util.find_spec("lap") is None, reason="bytetrack needs the lap package"
)
ALL = ["centroid", "sort", pytest.param("bytetrack", marks=needs_lap)]
SPEC_KEYS = {"class", "bbox", "center", "confidence", "detected_class"}


def eager(name, **kwargs):
    """A tracker that reports an object from its first detection (SORT: min_hits=1)."""
    return make_tracker(name, **({"min_hits": 1} if name == "sort" else {}), **kwargs)


def det(cx, cy, w=20.0, h=50.0, cls="pedestrian", coco=None, conf=0.9):
    d = {
        "id": None,
        "class": cls,
        "bbox": [cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2],
        "confidence": conf,
        "center": (float(cx), float(cy)),
    }
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
    return [
        [] if 10 <= t < 10 + hidden else [det(100 + speed * t, 200)] for t in range(20 + hidden)
    ]


def ids_before_and_after(tracker, frames):
    outputs = [tracker.update(dets) for dets in frames]
    seen = [set(out) for out, dets in zip(outputs, frames, strict=True) if dets]
    return seen[9], seen[-1]


def test_count_id_switches_counts_changes_and_ignores_gaps():
    frames = [{"a": 0, "b": 1}, {"a": 0, "b": None}, {"a": 1, "b": 0}, {"a": 1, "b": 0}]
    assert count_id_switches(frames) == 2
    assert count_id_switches([{"a": 0}, {"a": None}, {"a": 0}]) == 0


@pytest.mark.parametrize("name", ALL)
def test_identities_of_crossing_objects_are_kept(name):
    assignments = run_with_truth(make_tracker(name), crossing_scene())
    assert count_id_switches(assignments) == 0
    final = assignments[-1]
    assert final["a"] is not None and final["b"] is not None and final["a"] != final["b"]


def test_centroid_matches_predicted_not_last_positions():
    # Matching last positions (the classic rule) swaps the two at the crossing: at the
    # update after they meet, each is nearest to where the other was.
    tracker = CentroidTracker()
    tracker.update([det(100, 200), det(140, 206)], frame_index=0)
    tracker.update([det(116, 200), det(124, 206)], frame_index=2)
    out = tracker.update([det(132, 200), det(108, 206)], frame_index=4)
    assert out[0]["center"] == (132.0, 200.0) and out[1]["center"] == (108.0, 206.0)


@pytest.mark.parametrize("name", ALL)
@pytest.mark.parametrize("hidden", [5, 10])
def test_object_hidden_up_to_the_limit_keeps_its_id(name, hidden):
    before, after = ids_before_and_after(make_tracker(name), hidden_scene(hidden))
    assert before and before == after


@pytest.mark.parametrize("name", ALL)
def test_object_hidden_longer_gets_a_new_id(name):
    before, after = ids_before_and_after(make_tracker(name), hidden_scene(11))
    assert before and after and before.isdisjoint(after)


@pytest.mark.parametrize("name", ALL)
def test_a_fast_object_is_predicted_through_an_occlusion(name):
    frames = hidden_scene(5, speed=20.0)  # 120 px travelled while hidden
    before, after = ids_before_and_after(make_tracker(name), frames)
    assert before == after


def vanishing_car(tracker, speed, width=80.0, height=40.0, y=300.0):
    """A car seen 4 updates, missed 2, seen 3 more (one update per frame index)."""
    frames = [
        [] if t in (4, 5) else [det(100 + speed * t, y, width, height, "vehicle")] for t in range(9)
    ]
    return ids_seen(tracker, frames)


def ids_seen(tracker, frames):
    """The IDs output, per frame that had detections."""
    outputs = [tracker.update(dets, frame_index=t) for t, dets in enumerate(frames)]
    return [set(out) for out, dets in zip(outputs, frames, strict=True) if dets]


def test_centroid_reassociates_a_fast_object_missed_for_two_frames():
    # 40 px per frame: 120 px from where it was last seen when it reappears, beyond the old
    # 100 px gate around the last position; its predicted position is exact.
    seen = vanishing_car(CentroidTracker(max_distance=100), speed=40.0)
    assert seen == [{0}] * 7
    assert vanishing_car(CentroidTracker(), speed=40.0) == [{0}] * 7


def test_centroid_falls_back_to_the_last_position_when_the_prediction_is_thrown_off():
    # A truck's box is cut to its front by an occlusion: its center jumps 90 px, so the
    # prediction runs 90 px ahead of it, beyond the small box's gate (the size gate, which
    # would start a new ID for the cut box, is off here).
    tracker = CentroidTracker(max_size_ratio=None)
    tracker.update([det(100, 300, 200, 100, "vehicle")], frame_index=0)
    tracker.update([det(190, 300, 40, 40, "vehicle")], frame_index=1)
    assert list(tracker.update([det(192, 300, 40, 40, "vehicle")], frame_index=2)) == [0]


def test_centroid_size_gate_starts_a_new_id_for_a_box_that_jumps_in_size():
    # A car approaching grows 20% per update: one ID. Then its box merges with the car it
    # hits into one box twice as wide, at the same place: a new ID, not the old one moved.
    tracker = CentroidTracker()
    seen = [list(tracker.update([det(300 + 10 * t, 300, 60 * 1.2 ** t, 40 * 1.2 ** t)],
                                frame_index=t)) for t in range(3)]
    assert seen == [[0], [0], [0]]
    merged = tracker.update([det(330, 300, 2 * 60 * 1.2 ** 3, 40 * 1.2 ** 3)], frame_index=3)
    assert list(merged) == [1]
    spec = CentroidTracker(max_size_ratio=None)
    for t in range(3):
        spec.update([det(300 + 10 * t, 300, 60, 40)], frame_index=t)
    assert list(spec.update([det(330, 300, 120, 40)], frame_index=3)) == [0]


def test_centroid_low_confidence_boxes_extend_a_track_but_never_start_one():
    # A car at 0.9, then its score dips to 0.2 for two updates (as in a crash) while a
    # stray 0.2 box appears far away: the car keeps ID 0, flagged, the stray box is dropped.
    tracker = CentroidTracker()
    assert tracker.min_detection_confidence == 0.1  # the pipeline passes boxes down to 0.1
    tracker.update([det(100, 300, 60, 40, "vehicle")], frame_index=0)
    for t in (1, 2):
        out = tracker.update([det(100 + 5 * t, 300, 60, 40, "vehicle", conf=0.2),
                              det(600, 100, 60, 40, "vehicle", conf=0.2)], frame_index=t)
        assert list(out) == [0] and out[0]["low_confidence"] is True
    out = tracker.update([det(115, 300, 60, 40, "vehicle")], frame_index=3)
    assert list(out) == [0] and "low_confidence" not in out[0]
    # without it (the spec's single threshold), every box it is given is an object
    spec = CentroidTracker(low_confidence=None)
    spec.update([det(100, 300, 60, 40, "vehicle")], frame_index=0)
    out = spec.update([det(105, 300, 60, 40, "vehicle", conf=0.2),
                       det(600, 100, 60, 40, "vehicle", conf=0.2)], frame_index=1)
    assert list(out) == [0, 1] and "low_confidence" not in out[0]
    assert CentroidTracker(start_confidence=0.05).min_detection_confidence is None
    with pytest.raises(ValueError):
        CentroidTracker(low_confidence=1.5)


def test_centroid_gate_is_relative_to_the_box_size_at_1080p():
    # A car 300x150 px at 1080p moving 150 px per update: one ID with the size-relative
    # gate, a new ID each update with a fixed 100 px gate.
    frames = [[det(200 + 150 * t, 700, 300, 150, "vehicle")] for t in range(6)]
    assert ids_seen(CentroidTracker(), frames) == [{0}] * 6
    assert ids_seen(CentroidTracker(max_distance=100), frames) == [{t} for t in range(6)]
    # A pedestrian 20x50 px (diagonal 54): a detection 80 px away is someone else.
    tracker = CentroidTracker()
    tracker.update([det(1000, 700)], frame_index=0)
    assert list(tracker.update([det(1080, 700)], frame_index=1)) == [1]
    assert tracker.gate(0) == pytest.approx(math.hypot(20, 50))  # missed once: not widened


def test_centroid_track_that_left_the_frame_does_not_take_over_a_car_far_behind():
    # A car drives down and out of view at 30 px per update; 8 updates later another car
    # appears 150 px behind where it was last seen (3 diagonals), nowhere near where it
    # would be: a new ID, not the old one jumping back.
    tracker = CentroidTracker()
    for t in range(4):
        assert list(tracker.update([det(300, 250 + 30 * t, 40, 30, "vehicle")], t)) == [0]
    for t in range(4, 12):
        tracker.update([], frame_index=t)
    assert list(tracker.update([det(300, 190, 40, 30, "vehicle")], frame_index=12)) == [1]


@pytest.mark.parametrize("name", ALL)
def test_coasting_objects_are_reported_as_predicted(name):
    tracker = eager(name, coast_frames=2)
    for t in range(5):
        tracker.update([det(100 + 10 * t, 200)], frame_index=t)
    coasting = [tracker.update([], frame_index=t) for t in range(5, 8)]
    assert [list(out) for out in coasting] == [[0], [0], []]
    obj = coasting[0][0]
    assert obj["predicted"] is True and obj["detected_class"] is None
    assert obj["class"] == "pedestrian" and obj["confidence"] == 0.9
    assert set(obj) == SPEC_KEYS | {"predicted"}
    assert obj["center"][0] == pytest.approx(150, abs=5)  # moved on, not frozen at 140
    assert obj["bbox"][2] - obj["bbox"][0] == pytest.approx(20, abs=1)
    assert [f for f, _, _ in tracker.trajectories[0]] == list(range(5))  # observations only
    out = tracker.update([det(180, 200)], frame_index=8)
    assert list(out) == [0] and "predicted" not in out[0]


@pytest.mark.parametrize("name", ALL)
def test_coasting_is_off_by_default(name):
    tracker = eager(name)
    for t in range(5):
        tracker.update([det(100 + 10 * t, 200)], frame_index=t)
    assert tracker.update([], frame_index=5) == OrderedDict()


@needs_lap
def test_bytetrack_keeps_ids_through_a_low_confidence_and_a_missed_frame():
    tracker = ByteTrackTracker()
    seen = []
    for t in range(12):
        walker = det(100 + 5 * t, 200, conf=0.2 if t == 5 else 0.9)
        car = det(300 - 5 * t, 260, 60, 30, "vehicle")
        dets = [car] if t == 8 else [walker, car]
        if t in (6, 7):
            dets.append(det(500, 100, conf=0.3))  # low-confidence clutter starts no track
        seen.append(tracker.update(dets, frame_index=2 * t))
    assert all(set(out) == {0, 1} for t, out in enumerate(seen) if t != 8)
    assert set(seen[8]) == {1}
    assert seen[5][0]["confidence"] == 0.2  # matched in the second, low-score round
    assert seen[11][0]["center"] == (155.0, 200.0)
    assert len(tracker.trajectories[0]) == 11


@needs_lap
def test_bytetrack_without_its_low_round_loses_the_low_confidence_frame():
    tracker = ByteTrackTracker(track_low_thresh=0.4)
    outputs = [
        tracker.update([det(100 + 5 * t, 200, conf=0.2 if t == 5 else 0.9)]) for t in range(8)
    ]
    assert [list(out) for out in outputs] == [[0]] * 5 + [[]] + [[0]] * 2


@needs_lap
def test_bytetrack_confirms_a_new_track_on_its_second_hit():
    tracker = ByteTrackTracker()
    tracker.update([det(100, 100)], frame_index=0)  # first update: reported at once
    assert list(tracker.update([det(102, 100), det(400, 300)], frame_index=2)) == [0]
    assert list(tracker.update([det(104, 100), det(402, 300)], frame_index=4)) == [0, 1]
    assert [f for f, _, _ in tracker.trajectories[1]] == [2, 4]  # first hit backfilled


@needs_lap
def test_bytetrack_is_deterministic():
    def run():
        tracker = ByteTrackTracker()
        return [
            tracker.update(frame, frame_index=t)
            for t, frame in enumerate([list(f.values()) for f in crossing_scene()])
        ]

    assert run() == run()


@pytest.mark.parametrize("name", ALL)
def test_hidden_objects_are_kept_but_not_returned(name):
    tracker = eager(name)
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


@pytest.mark.parametrize("name", ALL)
def test_output_format_and_majority_class(name):
    tracker = eager(name)
    labels = [
        ("vehicle", "car"),
        ("vehicle", "truck"),
        ("pedestrian", "person"),
        ("vehicle", "car"),
    ]
    for t, (cls, coco) in enumerate(labels):
        out = tracker.update([det(100 + t, 100, 60, 30, cls, coco)], frame_index=10 + 2 * t)
    assert isinstance(out, OrderedDict) and list(out) == [0]
    obj = out[0]
    assert set(obj) == SPEC_KEYS | {"coco_class"}
    assert obj["class"] == "vehicle" and obj["coco_class"] == "car"
    assert out[0]["detected_class"] == "vehicle"
    assert obj["bbox"] == [73.0, 85.0, 133.0, 115.0] and obj["center"] == (103.0, 100.0)
    assert tracker.class_of(0) == "vehicle"
    assert tracker.trajectories[0] == [(10 + 2 * t, 100.0 + t, 100.0) for t in range(4)]


@needs_lap
def test_trackers_output_identical_keys():
    frames = [
        [det(100 + 4 * t, 100, cls="vehicle", coco="car"), det(300, 200 + 3 * t)] for t in range(6)
    ]
    keys = {}
    for name in TRACKERS:
        tracker = eager(name, coast_frames=1)
        outputs = [tracker.update(dets, frame_index=t) for t, dets in enumerate(frames + [[]])]
        keys[name] = [sorted(sorted(obj) for obj in out.values()) for out in outputs[1:]]
    assert keys["centroid"] == keys["sort"] == keys["bytetrack"]
    coasting = sorted(SPEC_KEYS | {"predicted"})
    assert keys["centroid"][-1] == sorted([coasting, sorted([*coasting, "coco_class"])])


@pytest.mark.parametrize("name", ALL)
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


@pytest.mark.parametrize("name", ALL)
def test_empty_frames_do_not_crash(name):
    tracker = make_tracker(name)
    assert tracker.update([]) == OrderedDict()
    assert tracker.update(None) == OrderedDict()
    assert tracking_stats(tracker) == TrackingStats(0, 0, 0.0, 0.0, 0, None)


@pytest.mark.parametrize("name", ALL)
def test_bad_detections_are_skipped_with_a_warning(name):
    tracker = eager(name)
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
    fig = plot_trajectories(tracker, background=np.zeros((360, 640, 3), np.uint8), save_path=target)
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
    with pytest.raises(UserError, match="bad parameters"):
        make_tracker("bytetrack", track_low_thresh=0.5, track_high_thresh=0.4)


@needs_lap
def test_bytetrack_by_name_and_its_minimum_detection_confidence():
    tracker = make_tracker("ByteTrack", max_disappeared=4)
    assert isinstance(tracker, ByteTrackTracker) and tracker.track_buffer == 4
    assert make_tracker("bytetrack", track_buffer=30, frame_rate=15).track_buffer == 15
    assert tracker.min_detection_confidence == ByteTrackTracker.min_detection_confidence == 0.1
    assert make_tracker("bytetrack", track_low_thresh=0.2).min_detection_confidence == 0.2
    assert CentroidTracker.min_detection_confidence is None
    assert SortTracker().min_detection_confidence is None
