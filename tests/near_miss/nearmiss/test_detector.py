import math
import warnings
from collections import OrderedDict

import pytest

from near_miss.nearmiss import (
    SPEC_COLUMNS,
    FilterConfig,
    GroundCalibration,
    NearMissDetector,
    NearMissInputWarning,
    compare_filters,
    run_detector,
    summarize,
)
from near_miss.nearmiss.geometry import box_time_to_contact

FPS = 30.0
CAR = (60.0, 30.0)


def obj(cx, cy, cls="vehicle", conf=0.9, size=CAR, coco=None):
    w, h = size
    return {
        "class": cls,
        "bbox": [cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2],
        "center": (cx, cy),
        "confidence": conf,
        "coco_class": coco or ("car" if cls == "vehicle" else "person"),
    }


def frames_of(paths, seconds, fps=FPS, stride=1, styles=None):
    """``paths``: id -> function of time returning (cx, cy) or None (absent); ``styles``:
    id -> keyword arguments of ``obj``."""
    styles = styles or {}
    out = []
    for f in range(0, int(seconds * fps) + 1, stride):
        t = f / fps
        objects = OrderedDict()
        for oid, path in paths.items():
            at = path(t)
            if at is not None:
                objects[oid] = obj(*at, **styles.get(oid, {}))
        out.append((f, objects))
    return out


def head_on_crash(t):
    """Car 1 drives right at 240 px/s into car 2, standing at x=600; both stop at contact."""
    return min(100 + 240 * t, 540.0), 200.0


def parked(t):
    return 600.0, 200.0


def run(frames, fps=FPS, **kw):
    return run_detector(frames, fps, **kw)


def test_a_crash_is_one_high_collision_event_with_the_spec_keys_first():
    det = run(frames_of({1: head_on_crash, 2: parked}, 4.0), filters=True)
    assert len(det.events) == 1
    event = det.events[0]
    assert list(event)[: len(SPEC_COLUMNS)] == SPEC_COLUMNS
    assert event["kind"] == "collision" and event["risk_level"] == "High"
    assert event["timestamp_sec"] == pytest.approx(event["frame_index"] / FPS)
    contact_s = (540 - 100) / 240  # 1.83 s
    assert event["start_sec"] <= contact_s <= event["end_sec"] + 0.5
    assert event["start_sec"] <= event["timestamp_sec"] <= event["end_sec"]
    assert event["min_distance"] == pytest.approx(0.0, abs=0.05)
    assert event["units"] == "size"



def test_every_record_reports_the_post_encroachment_time_of_its_peak():
    # car 1 drives right through (400, 200) at t = 1.25 s; car 2 drives down through it at
    # 1.5 s: crossing paths 0.25 s apart. The PET is searched for the logged peak only.
    def across(t):
        return 100 + 240 * t, 200.0

    def down(t):
        return 400.0, -160 + 240 * t

    det = run(frames_of({1: across, 2: down}, 3.0), filters=False)
    assert det.events and all(isinstance(e["pet_sec"], float) for e in det.events)
    assert det.events[0]["pet_sec"] == pytest.approx(0.25, abs=0.05)
    crash = run(frames_of({1: head_on_crash, 2: parked}, 4.0), filters=False)
    assert math.isnan(crash.events[0]["pet_sec"])  # one line of travel: the paths never cross

@pytest.mark.parametrize("stride", [1, 2, 3])
def test_results_agree_at_strides_1_2_and_3(stride):
    det = run(frames_of({1: head_on_crash, 2: parked}, 4.0, stride=stride))
    assert [e["kind"] for e in det.events] == ["collision"]
    assert det.events[0]["start_sec"] == pytest.approx(1.7, abs=0.35)


def test_a_crash_that_shoves_the_pair_on_at_40_percent_is_still_a_collision():
    # Car 1 hits the parked car 2 at 240 px/s and pushes it on at 96 px/s (40% of its speed):
    # not a standstill (a near miss would need <= 25%), but the lasting slowdown of a crash.
    contact = (540 - 100) / 240

    def pusher(t):
        return 100 + 240 * min(t, contact) + 96 * max(t - contact, 0.0), 200.0

    def pushed(t):
        return 600 + 96 * max(t - contact, 0.0), 200.0

    det = run(frames_of({1: pusher, 2: pushed}, 4.0), filters=True)
    assert [(e["kind"], e["risk_level"]) for e in det.events] == [("collision", "High")]


def test_low_confidence_extensions_move_an_object_but_never_pair_it():
    # The parked car is seen only as a tracker's low-confidence extension: no pair, no
    # event; its motion is still recorded. Flagged off, the same crash is the usual event.
    frames = frames_of({1: head_on_crash, 2: parked}, 4.0)
    for _, objects in frames:
        objects[2]["low_confidence"] = True
    det = run(frames)
    assert det.events == [] and det.rejected == []
    assert len(det.kinematics.path(2)) == len(frames)
    for _, objects in frames:
        objects[2]["low_confidence"] = False
    assert [e["kind"] for e in run(frames).events] == ["collision"]


def test_a_crash_at_10_fps_is_caught_without_a_minimum_duration():
    frames = frames_of({1: head_on_crash, 2: parked}, 4.0, fps=10.0, stride=2)
    det = run(frames, fps=10.0)
    assert [(e["kind"], e["risk_level"]) for e in det.events] == [("collision", "High")]


def test_far_approach_is_not_an_event_until_the_pair_is_close():
    # two cars 640 px apart drive at each other at 200 px/s each and stop 20 px apart at 1.4 s
    def left(t):
        return 100 + 200 * min(t, 1.4), 200.0

    def right(t):
        return 740 - 200 * min(t, 1.4), 200.0

    det = run(frames_of({1: left, 2: right}, 3.0), filters=False)
    assert len(det.events) == 1, "one event: the close approach, not the far one"
    assert det.events[0]["start_sec"] > 1.0  # the boxes were > 1 car length apart before


def test_pairs_more_than_two_sizes_apart_are_examined_only_once_within_reach():
    # Two cars 6 sizes apart (gap 250 px, size 42 px) drive side by side: never examined.
    # Then car 2 joins car 1's lane 40 px behind it: examined from then on, and still
    # followed after it falls back out of reach (from 2.1 s).
    def lead(t):
        return 400 + 100 * t, 200.0

    def follower(t):
        if t < 1.0:
            return 400 + 100 * t, 500.0
        return 400 + 100 * t - 100 - 80 * max(t - 1.5, 0.0), 200.0

    parallel = frames_of({1: lead, 2: follower}, 0.9)
    assert (1, 2) not in run(parallel).pairs
    assert (1, 2) in run(parallel, reach_ratio=None).pairs
    assert (1, 2) in run(parallel, distance_mode="pixels").pairs  # its threshold is in px
    falling_back = run(frames_of({1: lead, 2: follower}, 3.5))  # 4.7 sizes apart at 3.5 s
    assert (1, 2) in falling_back.pairs
    with pytest.raises(ValueError, match="reach_ratio"):
        NearMissDetector(FPS, reach_ratio=0)


def test_a_crash_at_14_sizes_per_second_is_caught_within_the_reach_at_stride_3():
    # 600 px/s: the pair is within 2 sizes for two processed frames before contact
    def fast(t):
        return min(100 + 600 * t, 540.0), 200.0

    det = run(frames_of({1: fast, 2: parked}, 4.0, stride=3), filters=True)
    assert [(e["kind"], e["risk_level"]) for e in det.events] == [("collision", "High")]
    assert NearMissDetector(FPS, proximity_ratio=3.0).reach_ratio == 3.0  # never below


def test_lateral_pass_in_adjacent_lanes_is_not_a_conflict():
    def east(t):
        return 100 + 150 * t, 200.0

    def west(t):
        return 900 - 150 * t, 240.0  # boxes 10 px apart vertically

    det = run(frames_of({1: east, 2: west}, 5.0), filters=False)
    assert det.events == []


def test_pedestrian_pairs_are_off_by_default_and_selectable():
    def a(t):
        return 300 + 40 * t, 200.0

    def b(t):
        return 500 - 40 * t, 200.0  # walking into each other on a crosswalk

    kw = {1: {"cls": "pedestrian", "size": (20, 50)}, 2: {"cls": "pedestrian", "size": (20, 50)}}
    frames = frames_of({1: a, 2: b}, 4.0, styles=kw)
    assert run(frames, filters=False).events == []
    assert run(frames, filters=False, pedestrian_pairs=True).events


def test_a_rider_never_conflicts_with_their_bicycle():
    def ride(t):
        return 100 + 150 * t, 200.0

    def bike(t):
        return 100 + 150 * t + 2.0 * math.sin(9 * t), 215.0

    kw = {1: {"cls": "pedestrian", "size": (24, 50)},
          2: {"size": (40, 30), "coco": "bicycle"}}  # fmt: skip
    assert run(frames_of({1: ride, 2: bike}, 4.0, styles=kw), filters=False).events == []


def test_separating_objects_never_qualify():
    frames = frames_of({1: lambda t: (300 - 150 * t, 0.0), 2: lambda t: (380 + 150 * t, 0.0)},
                       1.5)
    assert run(frames, filters=False).events == []


def test_open_episodes_are_closed_by_finish():
    det = NearMissDetector(FPS)
    for f, objects in frames_of({1: head_on_crash, 2: parked}, 3.2):
        det.process_frame(f, objects)
    assert det.events == []  # still in contact when the video ends
    closed = det.finish()
    assert [e["kind"] for e in closed] == ["collision"] and det.events == closed


def test_box_time_to_contact_is_finite_only_on_a_collision_course():
    a = (0.0, 0.0, 10.0, 10.0)
    assert box_time_to_contact(a, (0, 0), (20.0, 0.0, 30.0, 10.0), (-5, 0)) == pytest.approx(2.0)
    assert box_time_to_contact(a, (0, 0), (20.0, 20.0, 30.0, 30.0), (-5, 0)) == math.inf
    assert box_time_to_contact(a, (0, 0), (5.0, 5.0, 15.0, 15.0), (1, 1)) == 0.0
    # a lateral drift below the jitter floor does not bring adjacent boxes into contact
    assert box_time_to_contact(a, (0, 0), (0.0, 11.0, 10.0, 21.0), (0, -0.5), 1.0) == math.inf


def test_bad_input_is_skipped_with_a_warning():
    det = NearMissDetector(FPS, filters=False)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # an empty road is a normal frame, not bad input
        assert det.process_frame(0, OrderedDict()) == []
    with pytest.warns(NearMissInputWarning, match="not a mapping"):
        assert det.process_frame(1, [obj(0.0, 0.0)]) == []
    bad = OrderedDict({1: obj(float("nan"), 5.0), 2: obj(10.0, 10.0, size=(0.0, 5.0)),
                       3: obj(20.0, 20.0)})  # fmt: skip
    bad[4] = {"class": "vehicle"}
    with pytest.warns(NearMissInputWarning) as record:
        assert det.process_frame(2, bad) == []
    text = " ".join(str(w.message) for w in record)
    assert "NaN" in text and "zero-size" in text and "keys" in text
    assert det.skipped == {"frames": 1, "objects": 3}
    with pytest.warns(NearMissInputWarning, match="not after"):
        assert det.process_frame(2, OrderedDict({5: obj(0.0, 0.0)})) == []
    with pytest.warns(NearMissInputWarning, match="integer"):
        assert det.process_frame(None, OrderedDict({5: obj(0.0, 0.0)})) == []


def test_confidence_gate_and_min_duration_reject_whole_episodes():
    frames = frames_of({1: head_on_crash, 2: parked}, 4.0, styles={2: {"conf": 0.45}})
    only_gate = FilterConfig(stationary=False, min_duration=False, direction=False,
                             slow_approach=False, passing=False)  # fmt: skip
    gated = run(frames, filters=only_gate)
    assert gated.events == [] and gated.rejected[0]["filter"] == "confidence"
    # a one-observation flicker of a near miss is rejected by the minimum duration
    flicker = [(0, OrderedDict({1: obj(100, 200), 2: obj(300, 200)}))]
    assert run(flicker, filters=True).events == []


def test_spec_literal_reading_is_selectable():
    det = run(frames_of({1: head_on_crash, 2: parked}, 4.0), filters=False,
              distance_mode="pixels", ttc_method="centres")  # fmt: skip
    event = det.events[0]
    assert event["units"] == "px"
    # centres: TTC = centroid distance / closing speed along the line of centres
    if math.isfinite(event["ttc_sec"]) and event["closing_speed"] > 0:
        assert event["ttc_sec"] == pytest.approx(event["distance"] / event["closing_speed"])
    with pytest.raises(ValueError):
        NearMissDetector(FPS, ttc_method="sometimes")
    with pytest.raises(ValueError):
        NearMissDetector(FPS, distance_mode="feet")


def test_summary_and_filter_comparison():
    result = compare_filters(frames_of({1: head_on_crash, 2: parked}, 4.0), FPS)
    table = result.table
    assert list(table.index) == ["Total", "High", "Medium", "Low"]
    assert table.loc["Total", "filters off"] == len(result.without_filters.events)
    assert table.loc["Total", "filters on"] == len(result.with_filters.events)
    assert (table["removed"] == table["filters off"] - table["filters on"]).all()
    text = summarize(result.with_filters.events)
    assert text.startswith(f"Near-miss events: {len(result.with_filters.events)}")
    assert summarize([]).startswith("Near-miss events: 0")


def test_calibrated_detector_reports_metres():
    image = [[0, 0], [200, 0], [200, 200], [0, 200]]
    ground = [[0, 0], [10, 0], [10, 10], [0, 10]]  # 20 px per metre
    cal = GroundCalibration.from_points(image, ground)
    frames = frames_of({1: lambda t: (90 * t, 100.0), 2: lambda t: (180 - 90 * t, 100.0)}, 1.0)
    det = run(frames, filters=False, calibration=cal, proximity_threshold=3.0,
              closing_speed_threshold=2.0)  # fmt: skip
    event = det.events[0]
    assert event["units"] == "m"
    assert event["closing_speed"] == pytest.approx(9.0, rel=0.05)
    assert event["distance"] == pytest.approx(event["distance_px"] / 20.0)
