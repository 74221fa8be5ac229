"""The physical evidence: abrupt stops after a conflict, footprint gaps, one event per incident."""

from __future__ import annotations

import numpy as np
import pytest

from near_miss.nearmiss import NearMissDetector, aftermath
from near_miss.nearmiss.kinematics import KinematicsTracker


def track(speed_before: float, speed_after: float, t_peak: float = 2.0, fps: float = 15.0,
          until: float = 4.0) -> np.ndarray:
    """Rows ``(t, x, y)`` moving right at ``speed_before`` px/s, then ``speed_after``."""
    t = np.arange(0.0, until, 1 / fps)
    x = np.where(t < t_peak, speed_before * t,
                 speed_before * t_peak + speed_after * (t - t_peak))
    return np.column_stack([t, x, np.full_like(t, 100.0)])


@pytest.mark.parametrize(("before", "after", "stop"), [
    (200.0, 0.0, True),  # 4 sizes/s to a standstill
    (200.0, 40.0, True),  # kept 20%: under the 25% share
    (200.0, 80.0, False),  # kept 40%: ordinary braking
    (20.0, 0.0, False),  # 0.4 sizes/s before: it was not moving
    (30.0, 0.0, False),  # 0.6 sizes/s before: a queue creeping and stopping, not abrupt
    (40.0, 0.0, True),  # 0.8 sizes/s (about 13 km/h for a car) to a standstill
    (200.0, 200.0, False),  # kept its speed: traffic that only overlaps in the image
])
def test_an_abrupt_stop_is_a_moving_road_user_losing_most_of_its_speed(before, after, stop):
    change = aftermath.speed_change(track(before, after), size=50.0, t_peak=2.0)
    assert change.before == pytest.approx(before / 50.0, rel=0.05)
    assert change.stopped(aftermath.STOPPED_SHARE) is stop


def test_a_collision_needs_only_a_lasting_slowdown_after_it():
    # kept 40%: ordinary braking after a near miss, the lasting slowdown after a collision
    change = aftermath.speed_change(track(200.0, 80.0), size=50.0, t_peak=2.0)
    assert not change.stopped(aftermath.STOPPED_SHARE)
    assert change.stopped(aftermath.COLLISION_STOPPED_SHARE)
    kept = aftermath.speed_change(track(200.0, 120.0), size=50.0, t_peak=2.0)  # kept 60%
    assert not kept.stopped(aftermath.COLLISION_STOPPED_SHARE)


def test_only_a_vehicle_stopping_is_evidence_of_a_conflict():
    stop = aftermath.speed_change(track(200.0, 0.0), size=50.0, t_peak=2.0)
    assert stop.stopped(aftermath.STOPPED_SHARE)
    assert aftermath.counts_as_stop("vehicle", stop, aftermath.STOPPED_SHARE)
    # a pedestrian stopping at the kerb or in a crowd is everyday behaviour
    assert not aftermath.counts_as_stop("pedestrian", stop, aftermath.STOPPED_SHARE)
    kept = aftermath.speed_change(track(200.0, 200.0), size=50.0, t_peak=2.0)
    assert not aftermath.counts_as_stop("vehicle", kept, aftermath.STOPPED_SHARE)


def test_a_track_that_ends_is_not_a_stop():
    ended = track(200.0, 0.0, until=2.25)  # seen 0.25 s after the peak: one sample in window
    change = aftermath.speed_change(ended, size=50.0, t_peak=2.0)
    assert change.after_observations < aftermath.MIN_AFTER_OBS and not change.stopped(
        aftermath.STOPPED_SHARE)


def test_footprints_separate_a_car_behind_another_seen_from_above():
    front, behind = (100, 100, 200, 180), (100, 170, 200, 250)  # boxes overlap by 10 px
    assert aftermath.ground_gap(front, behind, size=89.0) > 0.35
    beside = (205, 110, 305, 185)  # side by side, 5 px apart
    assert aftermath.ground_gap(front, beside, size=89.0) < 0.1


def test_the_history_before_an_id_reuse_stays_readable():
    kin = KinematicsTracker(10.0)
    for f in range(20):
        kin.update(f, {1: ((10.0 * f, 0.0), "vehicle", 40.0)})
    kin.update(20, {1: ((900.0, 500.0), "vehicle", 40.0)})  # jumped: the ID was reused
    assert len(kin.path(1)) == 1
    assert len(kin.path(1, at=1.0)) == 20 and kin.path(1, at=1.0)[-1, 1] == 190.0


def test_events_sharing_a_road_user_within_seconds_are_one_incident():
    det = NearMissDetector(10.0, stride=1)
    first = {"timestamp_sec": 1.0, "object_id_1": 1, "object_id_2": 2}
    assert det._merges_into({"timestamp_sec": 2.5, "object_id_1": 2, "object_id_2": 7}, [first])
    assert not det._merges_into({"timestamp_sec": 4.5, "object_id_1": 2, "object_id_2": 7},
                                [first])
    assert not det._merges_into({"timestamp_sec": 2.0, "object_id_1": 3, "object_id_2": 4},
                                [first])
