"""One event per interaction: a pair's conflict is an episode with a start, a peak and an end.

An episode opens at the first observation in which the pair qualifies (>= 2 criteria or a
collision), keeps every later observation of the pair, and closes once the pair has not
qualified for ``close_after_s`` (the spec's 30-frame debounce read in seconds, 30 / fps,
or the episode gap, whichever is longer) or at the end of the video. It is logged once, at
its most severe observation (highest risk score, then lowest TTC), with its start and end
time, minimum distance, minimum TTC and the collision verdict.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from near_miss.nearmiss import geometry as geo


@dataclass(frozen=True)
class PairSample:
    """What the engine measured for one pair at one observation."""

    frame_index: int
    t: float
    qualifies: bool
    collision: bool
    score: float
    ttc: float
    closing: float  # judged units/s
    distance: float  # the judged distance (relative, px or m)
    ground_gap: float  # footprint gap in pair sizes (aftermath.ground_gap)
    event: dict  # the event record this observation would log
    # the two timed paths whose PET the record reports, when event["pet_sec"] is None: the
    # crossing search runs for the logged peak only, not for every observation
    pet_paths: tuple[np.ndarray, np.ndarray] | None = None

    def pet(self) -> float:
        """The post-encroachment time of this observation (NaN when the paths never cross)."""
        if self.event["pet_sec"] is not None:
            return self.event["pet_sec"]
        return geo.post_encroachment_time(*self.pet_paths)


@dataclass
class Episode:
    key: tuple[int, int]
    samples: list[PairSample] = field(default_factory=list)

    @property
    def qualifying(self) -> list[PairSample]:
        return [s for s in self.samples if s.qualifies or s.collision]

    @property
    def last_qualifying_t(self) -> float:
        return self.qualifying[-1].t

    @property
    def collision(self) -> bool:
        return any(s.collision for s in self.samples)

    @property
    def peak_closing(self) -> float:
        """The fastest closing speed over the qualifying observations."""
        return max(s.closing for s in self.qualifying)

    @property
    def min_ground_gap(self) -> float:
        """The smallest footprint gap over the qualifying observations (pair sizes)."""
        return min(s.ground_gap for s in self.qualifying)

    def best_confidences(self) -> tuple[float, float]:
        """Each object's highest detection confidence over the episode."""
        return (max(s.event["confidence_1"] for s in self.samples),
                max(s.event["confidence_2"] for s in self.samples))

    def confirmed_duration_s(self, frame_time: float) -> float:
        """Seconds from the first to the last qualifying observation, each lasting one step."""
        q = self.qualifying
        return q[-1].t - q[0].t + frame_time

    def peak(self) -> PairSample:
        """The most severe observation: a collision first, then score, then lowest TTC."""
        pool = [s for s in self.qualifying if s.collision] or self.qualifying
        return max(pool, key=lambda s: (s.score, -s.ttc if math.isfinite(s.ttc) else -1e9))

    def record(self) -> dict:
        """The event of the episode: the peak's record plus the episode's summary fields."""
        q = self.qualifying
        peak = self.peak()
        ttcs = [s.ttc for s in q]
        return {
            **peak.event,
            "pet_sec": peak.pet(),
            "kind": "collision" if self.collision else "near_miss",
            "start_sec": q[0].t,
            "end_sec": q[-1].t,
            "start_frame": q[0].frame_index,
            "end_frame": q[-1].frame_index,
            "observations": len(q),
            "min_distance": min(s.distance for s in q),
            "min_ttc_sec": min(ttcs),
        }
