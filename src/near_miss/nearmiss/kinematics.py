"""Per-object motion history: velocity, speed and heading from consecutive processed frames.

Velocities are in units per second (pixels, or metres when calibrated); the time step is
``(frame_index - previous_frame_index) / fps``, i.e. ``stride / fps`` for a regular stride.
Window means (for the filters) average the last ``window`` velocity samples, i.e. the last
``window`` processed frames, and express speed per processed frame (x ``frame_time``).
Headings are degrees of the velocity vector in image axes (x right, y down): 0 = moving
right, 90 = moving down the image, +-180 = moving left.

A track's history restarts (no velocity until its next sample) when its ID looks reused:
the class changed, it jumped faster than ``max_speed``, it was away longer than
``max_gap_frames``, or the frame index did not advance.
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass

import numpy as np

Vec = tuple[float, float]


@dataclass(frozen=True)
class Sample:
    frame_index: int
    t: float
    position: Vec
    velocity: Vec | None  # None for the first sample of a history


@dataclass(frozen=True)
class Motion:
    """An object's motion at the current frame."""

    position: Vec
    velocity: Vec  # (0, 0) when unknown
    known: bool  # False for single-frame histories
    mean_velocity: Vec  # mean over the recent window (units/s); (0, 0) when unknown
    mean_speed_per_frame: float  # mean speed over the window, units per PROCESSED frame

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


class KinematicsTracker:
    """Keeps a bounded, timed history per object ID and derives its motion."""

    def __init__(
        self,
        fps: float,
        *,
        frame_time: float | None = None,
        window: int = 15,
        max_speed: float = 1500.0,
        max_gap_frames: int = 20,
        history: int = 64,
    ) -> None:
        self.fps = float(fps)
        self.frame_time = frame_time or 1.0 / self.fps  # seconds per processed frame
        self.window = window
        self.max_speed = max_speed
        self.max_gap_frames = max_gap_frames
        self._history: dict[int, deque[Sample]] = {}
        self._class: dict[int, str] = {}
        self._history_len = history
        self.resets = 0  # histories restarted because an ID looked reused

    def update(self, frame_index: int, objects: dict[int, tuple[Vec, str]]) -> dict[int, Motion]:
        """Add this frame's positions (``id -> (position, class)``); return their motion."""
        t = frame_index / self.fps
        motions = {}
        for oid, (pos, cls) in objects.items():
            hist = self._history.get(oid)
            velocity = self._velocity(oid, hist, frame_index, t, pos, cls)
            if velocity is None:
                hist = self._history[oid] = deque(maxlen=self._history_len)
            hist.append(Sample(frame_index, t, pos, velocity))
            self._class[oid] = cls
            motions[oid] = self._motion(hist)
        self._prune(frame_index)
        return motions

    def path(self, object_id: int) -> np.ndarray:
        """The object's observed history as rows ``(t, x, y)``."""
        hist = self._history.get(object_id, ())
        return np.array([(s.t, *s.position) for s in hist], dtype=float).reshape(-1, 3)

    def _velocity(self, oid, hist, frame_index, t, pos, cls) -> Vec | None:
        """Velocity from the previous sample, or None when the history must restart."""
        if not hist:
            return None
        last = hist[-1]
        gap = frame_index - last.frame_index
        if gap <= 0 or gap > self.max_gap_frames:
            return None
        dt = t - last.t
        vx, vy = (pos[0] - last.position[0]) / dt, (pos[1] - last.position[1]) / dt
        if self._class.get(oid) != cls or math.hypot(vx, vy) > self.max_speed:
            self.resets += 1
            return None
        return vx, vy

    def _motion(self, hist: deque[Sample]) -> Motion:
        current = hist[-1]
        recent = [s.velocity for s in list(hist)[-self.window :] if s.velocity is not None]
        if current.velocity is None or not recent:
            return Motion(current.position, (0.0, 0.0), False, (0.0, 0.0), math.nan)
        arr = np.asarray(recent)
        mean_v = (float(arr[:, 0].mean()), float(arr[:, 1].mean()))
        mean_speed = float(np.hypot(arr[:, 0], arr[:, 1]).mean()) * self.frame_time
        return Motion(current.position, current.velocity, True, mean_v, mean_speed)

    def _prune(self, frame_index: int) -> None:
        horizon = frame_index - self.max_gap_frames
        stale = [o for o, h in self._history.items() if h[-1].frame_index < horizon]
        for oid in stale:
            del self._history[oid]
            self._class.pop(oid, None)
