"""Per-object motion history in seconds: smoothed velocity, speed, heading and size.

Every window is a duration, so the thresholds mean the same at any stride or frame rate (the
stride still sets how many observations a window holds).
Velocities (units/s: pixels, or metres when calibrated) are least-squares slopes of the
positions observed within the last ``velocity_window_s`` (0.3 s: 9 frames at 30 fps, or
two sampling intervals when the stride samples more sparsely; known once the samples span
80% of 0.3 s; the
spec's "consecutive processed frames" being 2 frames = 0.067 s at stride 2, which on real
boxes is mostly detector jitter); window means for the filters cover ``window_s`` (the
spec's 15 frames = 0.5 s at 30 fps). Each object also has a size ``scale`` (median of
``sqrt(w * h)`` of its recent boxes, in pixels), the yardstick of the size-relative
thresholds. Headings are degrees of the velocity in image axes (x right, y down): 0 =
moving right, 90 = moving down the image, +-180 = moving left.

A track's history restarts when its ID looks reused: the class changed, it jumped faster
than ``max_scale_speed`` object sizes per second, or it was away longer than ``max_gap_s``.
"""

from __future__ import annotations

import math
import statistics
from collections import deque
from dataclasses import dataclass

import numpy as np

Vec = tuple[float, float]
SETTLED = 0.8  # a velocity is known once its samples span 80% of the velocity window


@dataclass(frozen=True)
class Sample:
    t: float
    position: Vec
    scale: float  # sqrt(box area), pixels


@dataclass(frozen=True)
class Motion:
    """An object's motion at the current frame."""

    position: Vec
    velocity: Vec  # (0, 0) when unknown
    known: bool  # False until the samples span SETTLED x the velocity window
    mean_velocity: Vec  # mean over the filter window (units/s)
    mean_speed: float  # mean speed over the filter window, units/s (nan when unknown)
    peak_speed: float  # highest smoothed speed within the filter window (units/s)
    scale: float  # object size in pixels (median sqrt(w * h) of recent boxes)

    @property
    def speed(self) -> float:
        return math.hypot(*self.velocity)

    @property
    def heading_deg(self) -> float:
        return heading(self.velocity) if self.known else math.nan

    @property
    def mean_heading_deg(self) -> float:
        return heading(self.mean_velocity) if self.known else math.nan


def heading(v: Vec) -> float:
    """Angle of a velocity in degrees (image axes); nan for a zero vector."""
    return math.degrees(math.atan2(v[1], v[0])) if v != (0.0, 0.0) else math.nan


def heading_difference(a: float, b: float) -> float:
    """Smallest absolute difference of two headings in degrees (0-180); nan if unknown."""
    return abs((a - b + 180.0) % 360.0 - 180.0)


def slope(times, points) -> Vec:
    """Least-squares velocity of ``points`` (x, y) observed at ``times`` (>= 2 distinct).
    Plain Python: a window holds a handful of samples, where numpy's call overhead would
    dominate the engine's time."""
    n = len(times)
    t_mean = sum(times) / n
    x_mean = sum(p[0] for p in points) / n
    y_mean = sum(p[1] for p in points) / n
    stt = sxt = syt = 0.0
    for t, (x, y) in zip(times, points, strict=True):
        dt = t - t_mean
        stt += dt * dt
        sxt += dt * (x - x_mean)
        syt += dt * (y - y_mean)
    return float(sxt / stt), float(syt / stt)


def fit_velocity(times: list[float], points: list[Vec], window_s: float) -> Vec | None:
    """Velocity over the last ``window_s`` (at least two sampling intervals), or None until
    the samples span ``SETTLED`` of the window. Times are ascending."""
    if len(times) < 2:
        return None
    window = max(window_s, 2.0 * (times[-1] - times[-2]))
    first = next(i for i, t in enumerate(times) if t >= times[-1] - window - 1e-9)
    if times[-1] - times[first] < SETTLED * window_s:
        return None
    return slope(times[first:], points[first:])


class KinematicsTracker:
    """Keeps a timed history per object ID and derives its motion (see the module doc)."""

    def __init__(self, fps: float, *, velocity_window_s: float = 0.3, window_s: float = 0.5,
                 max_gap_s: float = 1.0, max_scale_speed: float = 30.0,
                 history_s: float = 3.0) -> None:
        self.fps = float(fps)
        self.velocity_window_s = velocity_window_s
        self.window_s = window_s
        self.max_gap_s = max_gap_s
        self.max_scale_speed = max_scale_speed
        self.history_s = history_s
        self._history: dict[int, deque[Sample]] = {}
        self._speeds: dict[int, deque[tuple[float, Vec]]] = {}
        self._class: dict[int, str] = {}
        self._previous: dict[int, deque[Sample]] = {}  # the history before a restart
        self.resets = 0  # histories restarted because an ID looked reused

    def update(self, frame_index: int, objects: dict[int, tuple[Vec, str, float]]
               ) -> dict[int, Motion]:
        """Add this frame's ``id -> (position, class, scale)``; return each object's motion."""
        t = frame_index / self.fps
        motions = {}
        for oid, (pos, cls, scale) in objects.items():
            if self._must_restart(oid, t, pos, cls, scale):
                if self._history.get(oid):
                    self._previous[oid] = self._history[oid]
                self._history[oid] = deque()
                self._speeds[oid] = deque()
            hist = self._history[oid]
            hist.append(Sample(t, pos, scale))
            while hist and hist[0].t < t - self.history_s:
                hist.popleft()
            self._class[oid] = cls
            motions[oid] = self._motion(oid, t)
        self._prune(t)
        return motions

    def path(self, object_id: int, at: float | None = None) -> np.ndarray:
        """The object's observed history as rows ``(t, x, y)``; with ``at``, the history that
        was current at that time (the one before a restart, when the ID was reused since)."""
        hist = self._history.get(object_id, ())
        if at is not None and (not hist or hist[0].t > at):
            hist = self._previous.get(object_id, ())
        return np.array([(s.t, *s.position) for s in hist], dtype=float).reshape(-1, 3)

    def _must_restart(self, oid: int, t: float, pos: Vec, cls: str, scale: float) -> bool:
        hist = self._history.get(oid)
        if not hist:
            return True
        last = hist[-1]
        dt = t - last.t
        if dt <= 0 or dt > self.max_gap_s:
            return True
        jump = math.hypot(pos[0] - last.position[0], pos[1] - last.position[1]) / dt
        if self._class.get(oid) != cls or jump > self.max_scale_speed * max(scale, 1.0):
            self.resets += 1
            return True
        return False

    def _motion(self, oid: int, t: float) -> Motion:
        hist = self._history[oid]
        current = hist[-1]
        scale = float(statistics.median(s.scale for s in hist if s.t >= t - self.window_s))
        velocity = fit_velocity([s.t for s in hist], [s.position for s in hist],
                                self.velocity_window_s)
        if velocity is None:
            return Motion(current.position, (0.0, 0.0), False, (0.0, 0.0), math.nan, 0.0,
                          scale)
        speeds = self._speeds[oid]
        speeds.append((t, velocity))
        while speeds and speeds[0][0] < t - self.window_s - 1e-9:
            speeds.popleft()
        arr = np.array([v for _, v in speeds])
        norms = np.hypot(arr[:, 0], arr[:, 1])
        mean_v = (float(arr[:, 0].mean()), float(arr[:, 1].mean()))
        return Motion(current.position, velocity, True, mean_v, float(norms.mean()),
                      float(norms.max()), scale)

    def _prune(self, t: float) -> None:
        stale = [o for o, h in self._history.items() if h[-1].t < t - self.max_gap_s]
        for oid in [o for o, h in self._previous.items() if h[-1].t < t - self.history_s]:
            del self._previous[oid]
        for oid in stale:
            self._previous[oid] = self._history[oid]
            del self._history[oid]
            self._speeds.pop(oid, None)
            self._class.pop(oid, None)
