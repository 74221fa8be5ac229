"""What follows a conflict, and where road users meet the road: the physical evidence.

**Abrupt stop.** A collision, and the hard braking that avoids one, changes motion: a road user
that was moving loses most of its speed within a second or so. Traffic that only overlaps in
the image (a car behind another seen from above, cars in adjacent lanes) keeps its speed.
For each road user of a conflict, the speed before its peak (a least-squares fit over
``BEFORE_S``) is compared with the speed after it (over ``AFTER_S``), both in object sizes
per second, so the test holds at any zoom, resolution and stride:

* moving before: at least ``MOVING`` (0.75 sizes/s, about 12 km/h for a 4.5 m car). A
  queue creeping slower than that stops and starts all the time, and such stops confirmed
  conflicts that were only dense traffic: on the 36 labelled clips (YOLOv8n, strides 1, 2
  and 3, with vehicles' stops only) 9, 8 and 7 incidents were found with 6, 4 and 2 false
  alarms, instead of 8, 5 and 3 false alarms with 0.5 sizes/s; 0.9 gives the same, 1.0
  loses an incident;
* stopped after: at most ``STOPPED_SHARE`` (25%) of that speed, i.e. a deceleration of at
  least 0.75 x 0.75 sizes/s within 2.7 s (about 0.9 m/s^2 for the slowest car that counts;
  a crash at urban speed is tens of m/s^2);
* seen after: at least ``MIN_AFTER_OBS`` observations in the after window, so a track that
  simply ends (left the frame, lost by the detector) is never read as a stop.

A collision episode (contact right after a fast approach while one road user fell below half
its recent peak speed, ``detector``) has already shown the impact; its aftermath only has to
show that the slowdown lasts: at most ``COLLISION_STOPPED_SHARE`` (50%, the same half as the
collision test) of the speed before (``SpeedChange.stopped``). A crash that shoves a car on
at a third of its speed, or spins it, is a collision all the same.

Only vehicles' stops count (``counts_as_stop``): a pedestrian who stops at a kerb or in a
crowd is everyday behaviour, not the evidence of a conflict; the driver's braking is (the
collision test, in ``detector``, reads vehicles' speeds only as well). On the 36 labelled
clips at strides 1, 2 and 3: the same incidents, with 6, 4 and 2 false alarms instead of 8, 4
and 2 when a pedestrian's stop counts too.

**Ground gap.** Road users meet the road along the bottom of their boxes. The gap between
the boxes' footprints (their lowest ``FOOTPRINT_SHARE`` of height) divided by the pair's size
stays large for a car behind another seen from a raised camera, whose boxes overlap in the
image although a car length separates them on the road.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from near_miss.nearmiss import geometry as geo
from near_miss.nearmiss.kinematics import slope

BEFORE_S = (1.2, 0.1)  # seconds before the peak: from, to
AFTER_S = (0.2, 1.5)  # seconds after the peak: from, to
MOVING = 0.75  # sizes per second
STOPPED_SHARE = 0.25
COLLISION_STOPPED_SHARE = 0.5
MIN_AFTER_OBS = 3
FOOTPRINT_SHARE = 0.35


@dataclass(frozen=True)
class SpeedChange:
    """An object's speed (sizes/s) before and after a moment; nan when not measurable."""

    before: float
    after: float
    after_observations: int

    def stopped(self, share: float) -> bool:
        """Moving before, seen after, and at most ``share`` of the speed left."""
        return (self.before >= MOVING and self.after_observations >= MIN_AFTER_OBS
                and self.after <= share * self.before)


def _speed(samples: np.ndarray, t0: float, t1: float, size: float) -> tuple[float, int]:
    """Speed in sizes/s fitted to ``samples`` rows ``(t, x, y)`` within ``[t0, t1]``."""
    window = samples[(samples[:, 0] >= t0) & (samples[:, 0] <= t1)]
    if len(window) < 2 or np.ptp(window[:, 0]) < 0.15:
        return math.nan, len(window)
    return math.hypot(*slope(window[:, 0], window[:, 1:3])) / size, len(window)


def speed_change(samples: np.ndarray, size: float, t_peak: float) -> SpeedChange:
    """``samples``: an object's observed ``(t, x, y)`` rows; ``size`` its size in pixels."""
    before, _ = _speed(samples, t_peak - BEFORE_S[0], t_peak - BEFORE_S[1], size)
    after, seen = _speed(samples, t_peak + AFTER_S[0], t_peak + AFTER_S[1], size)
    return SpeedChange(before, after, seen)


def counts_as_stop(cls: str, change: SpeedChange, share: float) -> bool:
    """Whether a road user of class ``cls`` shows the abrupt stop: vehicles only."""
    return cls == "vehicle" and change.stopped(share)


def footprint(box) -> tuple[float, float, float, float]:
    """The lowest ``FOOTPRINT_SHARE`` of a box: where the road user stands on the road."""
    x1, y1, x2, y2 = box
    return x1, y2 - FOOTPRINT_SHARE * (y2 - y1), x2, y2


def ground_gap(box_a, box_b, size: float) -> float:
    """Gap between the two footprints in pair sizes (0 when they overlap)."""
    return geo.edge_distance(footprint(box_a), footprint(box_b)) / size
