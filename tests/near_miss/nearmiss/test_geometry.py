import math

import numpy as np
import pytest

from near_miss.nearmiss import GroundCalibration, risk_level, risk_score
from near_miss.nearmiss import geometry as geo
from near_miss.nearmiss.kinematics import KinematicsTracker, heading_difference
from tatweer_common.errors import UserError


def test_iou_and_edge_distance():
    a, b = [0, 0, 10, 10], [5, 0, 15, 10]
    assert geo.iou(a, b) == pytest.approx(50 / 150)
    assert geo.iou(a, [20, 20, 30, 30]) == 0.0
    assert geo.edge_distance(a, b) == 0.0
    assert geo.edge_distance(a, [13, 14, 20, 20]) == pytest.approx(5.0)  # gaps 3 and 4


def test_closing_speed_ttc_and_cpa():
    # head-on on the x axis, 100 px apart, closing at 50 px/s in total
    closing = geo.closing_speed((0, 0), (20, 0), (100, 0), (-30, 0))
    assert closing == pytest.approx(50.0)
    assert geo.time_to_collision(100.0, closing) == pytest.approx(2.0)
    assert geo.closing_speed((0, 0), (-20, 0), (100, 0), (30, 0)) < 0
    assert geo.time_to_collision(100.0, -50.0) == math.inf
    assert geo.closing_speed((0, 0), (1, 0), (0, 0), (0, 1)) == 0.0  # coincident
    t, d = geo.closest_point_of_approach((0, 0), (10, 0), (100, 30), (-10, 0))
    assert (t, d) == (pytest.approx(5.0), pytest.approx(30.0))
    assert geo.closest_point_of_approach((0, 0), (-1, 0), (10, 0), (1, 0)) == (0.0, 10.0)


def test_post_encroachment_time_of_crossing_and_parallel_paths():
    first = np.array([[0.0, 0.0, 50.0], [2.0, 100.0, 50.0]])  # passes x=50 at t=1
    second = np.array([[0.0, 50.0, 0.0], [4.0, 50.0, 100.0]])  # passes y=50 at t=2
    assert geo.post_encroachment_time(first, second) == pytest.approx(1.0)
    parallel = np.array([[0.0, 0.0, 60.0], [2.0, 100.0, 60.0]])
    assert math.isnan(geo.post_encroachment_time(first, parallel))
    assert math.isnan(geo.post_encroachment_time(first[:1], second))



def test_crossings_of_long_paths_are_those_of_every_segment_pair():
    # the search skips segments outside the other path's bounding box: same crossings as
    # comparing every pair of segments, on random walks that cross many times
    rng = np.random.default_rng(0)
    crossings = 0
    for _ in range(5):
        a = np.cumsum(rng.normal(size=(60, 2)), axis=0)
        b = np.cumsum(rng.normal(size=(50, 2)), axis=0) + rng.normal(scale=3, size=2)
        idx, frac = geo._segment_crossings(a, b)
        every = [(i, j) for i in range(len(a) - 1) for j in range(len(b) - 1)
                 if len(geo._segment_crossings(a[i:i + 2], b[j:j + 2])[0])]
        assert sorted(map(tuple, idx.tolist())) == every
        assert ((frac >= 0) & (frac <= 1)).all()
        crossings += len(idx)
    assert crossings >= 10
    apart = geo._segment_crossings(np.array([[0, 0], [1, 1.0]]), np.array([[5, 5], [6, 5.0]]))
    assert apart[0].shape == (0, 2)

def test_risk_score_normalisations_and_levels():
    kw = {"proximity_threshold": 100.0, "ttc_threshold": 2.0, "reference_speed": 200.0}
    assert risk_score(0.0, 0.0, 400.0, **kw) == pytest.approx(1.0)
    assert risk_score(100.0, math.inf, -5.0, **kw) == 0.0
    # (1 - 0.5) * 0.4 + (1 - 0.5) * 0.4 + 0.5 * 0.2
    assert risk_score(50.0, 1.0, 100.0, **kw) == pytest.approx(0.5)
    assert [risk_level(s) for s in (0.7, 0.69, 0.4, 0.39)] == ["High", "Medium", "Medium", "Low"]


def test_ground_calibration_maps_pixels_to_metres():
    image = [[100, 100], [300, 100], [300, 300], [100, 300]]
    ground = [[0, 0], [10, 0], [10, 10], [0, 10]]  # 20 px per metre
    cal = GroundCalibration.from_points(image, ground)
    assert cal.to_ground(np.array([[200, 200]]))[0] == pytest.approx([5.0, 5.0])
    assert cal.ground_point([180, 150, 220, 200]) == pytest.approx((5.0, 5.0))  # bottom centre
    with pytest.raises(UserError, match="image_points"):
        GroundCalibration.from_points([[0, 0], [1, 1], [2, 2], [0, 5]], ground)
    with pytest.raises(UserError, match="4 finite"):
        GroundCalibration.from_points(image[:3], ground)


def test_kinematics_speed_heading_and_id_reuse():
    kin = KinematicsTracker(30.0)
    car = ((0.0, 0.0), "vehicle", 20.0)
    assert not kin.update(0, {1: car})[1].known  # a single observation has no velocity
    for f in range(2, 12, 2):  # 150 px/s downwards, observed at stride 2
        m = kin.update(f, {1: ((0.0, 5.0 * f), "vehicle", 20.0)})[1]
    assert m.known and m.speed == pytest.approx(150.0) and m.heading_deg == pytest.approx(90.0)
    assert m.mean_speed == pytest.approx(150.0) and m.scale == pytest.approx(20.0)
    assert not kin.update(12, {1: ((0.0, 60.0), "pedestrian", 20.0)})[1].known  # class changed
    kin.update(14, {1: ((0.0, 70.0), "pedestrian", 20.0)})
    assert not kin.update(16, {1: ((400.0, 70.0), "pedestrian", 20.0)})[1].known  # 6000 px/s
    assert kin.resets == 2


def test_velocity_needs_the_window_to_be_covered_at_any_stride():
    for stride in (1, 2, 3, 6):
        kin = KinematicsTracker(30.0)
        known_at = None
        for f in range(0, 30, stride):
            if kin.update(f, {1: ((10.0 * f, 0.0), "vehicle", 20.0)})[1].known:
                known_at = f
                break
        # 80% of the 0.3 s velocity window (8 frames), or two intervals when sparser
        assert known_at is not None and known_at >= min(8, 2 * stride), stride


    assert heading_difference(170.0, -170.0) == pytest.approx(20.0)
