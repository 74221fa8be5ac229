"""Relative motion of a pair, measured in the pair's own size so that perspective cancels.

Two cars driving side by side away from the camera converge on the vanishing point: in
pixels their gap shrinks and a box-based TTC predicts a crash, although in the world
nothing changes. Gap and size shrink together, so the offset between the two centres
divided by the pair's size stays constant. Each pair therefore keeps a timed history of
``offset = (centre_b - centre_a) / scale`` (``scale`` = the pair's mean ``sqrt(w * h)`` in
relative mode, 1 in pixel mode) and its relative velocity is the least-squares slope of
that offset over the velocity window (as ``kinematics`` does for single objects). Closing
speed and time to contact are computed from it on boxes expressed in the same units.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

from near_miss.nearmiss import geometry as geo
from near_miss.nearmiss.kinematics import Vec, fit_velocity

Box = tuple[float, float, float, float]


@dataclass(frozen=True)
class PairMotion:
    offset: Vec  # centre_b - centre_a, in pair units
    velocity: Vec  # d offset / dt (pair units per s); (0, 0) when unknown
    known: bool

    @property
    def closing(self) -> float:
        """Rate at which the centres approach (pair units per s; negative = separating)."""
        return geo.closing_speed((0.0, 0.0), (0.0, 0.0), self.offset, self.velocity)


def unit_boxes(a: Box, b: Box, scale: float) -> tuple[Box, Box]:
    """Both boxes in pair units, ``a`` centred on the origin."""
    ax, ay = (a[0] + a[2]) / 2, (a[1] + a[3]) / 2
    return (
        tuple((v - c) / scale for v, c in zip(a, (ax, ay, ax, ay), strict=True)),
        tuple((v - c) / scale for v, c in zip(b, (ax, ay, ax, ay), strict=True)),
    )


class PairMotionTracker:
    """Timed offset histories per pair (see the module docstring)."""

    def __init__(self, velocity_window_s: float = 0.3, max_gap_s: float = 1.0,
                 history_s: float = 1.0) -> None:
        self.velocity_window_s = velocity_window_s
        self.max_gap_s = max_gap_s
        self.history_s = history_s
        self._history: dict[tuple[int, int], deque[tuple[float, Vec]]] = {}

    def update(self, key: tuple[int, int], t: float, offset: Vec) -> PairMotion:
        hist = self._history.setdefault(key, deque())
        if hist and t - hist[-1][0] > self.max_gap_s:
            hist.clear()
        hist.append((t, offset))
        while hist and hist[0][0] < t - self.history_s:
            hist.popleft()
        velocity = fit_velocity([s[0] for s in hist], [s[1] for s in hist],
                                self.velocity_window_s)
        if velocity is None:
            return PairMotion(offset, (0.0, 0.0), False)
        return PairMotion(offset, velocity, True)

    def __contains__(self, key: tuple[int, int]) -> bool:
        """Whether the pair has a recent offset history."""
        return key in self._history

    def prune(self, t: float) -> None:
        """Forget pairs not seen for longer than ``max_gap_s``."""
        for key in [k for k, h in self._history.items() if h[-1][0] < t - self.max_gap_s]:
            del self._history[key]
