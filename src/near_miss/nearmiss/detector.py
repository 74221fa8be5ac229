"""``NearMissDetector``: the near-miss logic of Task 1.4 with the filters of Task 1.6.

Per observation (a processed frame), for every pair of road users that can conflict
(``road_users``: no rider with its own bicycle, no passenger, no pedestrian-pedestrian pair
by default), the spec's three criteria:

1. **proximity**: the boxes overlap, or their distance is below the threshold. Default
   (``distance_mode="relative"``): the gap between the boxes' edges divided by the pair's
   size (the mean ``sqrt(w * h)`` of the two boxes) below ``proximity_ratio`` (0.5), so the
   same threshold holds at 480p and 1080p, near and far from the camera. The spec's literal
   reading, centroid distance below ``proximity_threshold`` pixels (100), is
   ``distance_mode="pixels"``; a :class:`GroundCalibration` measures in metres.
2. **TTC** below ``ttc_threshold`` (2 s), computed for proximate pairs only, as the spec says
   ("for each proximate pair"). Default (``ttc_method="box"``): the time until the two boxes
   first touch at their current velocities, finite only on a collision course; the spec's
   distance / closing speed along the line of centres is ``ttc_method="centres"``. Separating
   pairs have an infinite TTC.
3. **closing**: the distance shrinks faster than ``closing_ratio`` pair sizes per second
   (pixels: ``closing_speed_threshold`` px/s) AND the pair is on a collision course: the
   boxes would touch within ``2 x ttc_threshold``, or their paths cross less than
   ``PET_THRESHOLD_S`` (1 s) apart in time (post-encroachment time). A lateral pass closes
   along the line of centres but never touches and its paths never cross, so it is not
   "closing in" on the other object.

Pairs out of reach are not examined (``reach_ratio``, relative mode): see ``_in_reach``.

Two criteria qualify the pair. A **collision** is boxes in contact right after the pair
closed fast (within ``collision_lookback_s``) while one of them stops abruptly (smoothed
speed below half its recent peak): it qualifies alone, is High at once and needs no minimum
duration. Qualifying observations form an **episode** per pair (``episodes``), logged once at
its peak when it closes, unless an enabled filter rejects it (then kept in ``.rejected`` with
the column ``filter``). ``process_frame`` returns the events of the episodes closed at that
frame; ``finish()`` closes the open ones at the end of the video.

All durations are seconds from frame indices and the source fps (``frame_index / fps``), so
strides 1, 2 and 3 see the same conflicts.
"""

from __future__ import annotations

import itertools
import math
import numbers
import warnings
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from near_miss.nearmiss import aftermath
from near_miss.nearmiss import geometry as geo
from near_miss.nearmiss.calibration import GroundCalibration
from near_miss.nearmiss.episodes import Episode, PairSample
from near_miss.nearmiss.events import events_dataframe, print_summary
from near_miss.nearmiss.filters import FilterConfig, PairEvidence, rejecting_filters
from near_miss.nearmiss.kinematics import KinematicsTracker, Motion
from near_miss.nearmiss.pair_motion import PairMotionTracker, unit_boxes
from near_miss.nearmiss.risk import risk_level, risk_score
from near_miss.nearmiss.road_users import RoadUser, conflict_possible, not_road_users

DISTANCE_MODES = ("relative", "pixels")
# Closing speeds below this share of the closing criterion are box jitter (about 0.25 object
# sizes per second for smoothed velocities): such pairs are not approaching, TTC infinite.
MIN_CLOSING_RATIO = 0.25
CONTACT_RATIO = 0.1  # boxes this close (in pair sizes) touch, given detector jitter
COLLISION_CLOSING = 2.0  # a collision follows a closing at least this x the closing criterion
COLLISION_APPROACH = 0.5  # ... over which the gap shrank by at least this many pair sizes
PET_THRESHOLD_S = 1.0  # crossing paths this close in time are on a collision course
STEADY_SHARE = 0.7  # below this share of its recent peak speed an object is braking
MERGE_S = 3.0  # events sharing a road user this close in time are one incident
HISTORY_S = 6.0  # motion kept per object: the aftermath looks 1.2 s before a peak
REACH_RATIO = 2.0  # pairs farther apart (in pair sizes) are not examined: see _in_reach
TTC_METHODS = ("box", "centres")


class NearMissInputWarning(UserWarning):
    """A frame or an object was skipped because its data were unusable."""


@dataclass(frozen=True)
class Observation:
    """One tracked object at the current frame, validated."""

    object_id: int
    cls: str
    coco_class: str
    bbox: tuple[float, float, float, float]
    center: tuple[float, float]
    confidence: float
    low_confidence: bool = False  # a tracker's low-confidence extension: motion only

    @property
    def scale(self) -> float:
        return math.sqrt((self.bbox[2] - self.bbox[0]) * (self.bbox[3] - self.bbox[1]))


@dataclass(frozen=True)
class PairMetrics:
    distance: float  # the judged distance (relative, px or m)
    centroid_px: float
    iou: float
    edge_px: float
    scale: float  # the pair's size in px (divides distances and speeds in relative mode)
    closing: float  # judged units/s, 0 when a velocity is unknown
    ttc: float
    on_course: bool  # the boxes would touch within 2 x ttc_threshold, or the paths cross
    contact: bool  # boxes overlapping or within jitter of each other (CONTACT_RATIO sizes)
    ground_gap: float  # gap between the boxes' footprints, pair sizes (aftermath.ground_gap)
    criteria: tuple[str, ...]  # which of proximity / ttc / closing hold
    pet: float | None = None  # post-encroachment time, when the collision course needed it


class NearMissDetector:
    """Find near misses and collisions between tracked objects (see the module docstring).

    ``fps`` is the source video's frame rate; ``stride`` is only informative (times come from
    frame indices). ``reference_speed`` scales the closing speed in the risk score (default
    4x the closing criterion). ``debounce_frames`` (spec: 30) is read as source frames at the
    video's fps: an episode ends once the pair has not qualified for that long.
    """

    def __init__(
        self,
        fps: float,
        stride: int = 2,
        proximity_threshold: float = 100.0,
        ttc_threshold: float = 2.0,
        closing_speed_threshold: float = 50.0,
        debounce_frames: int = 30,
        filters: FilterConfig | bool | None = None,
        calibration: GroundCalibration | None = None,
        reference_speed: float | None = None,
        distance_metric: str = "centroid",
        *,
        distance_mode: str = "relative",
        proximity_ratio: float = 0.5,
        closing_ratio: float = 1.0,
        ttc_method: str = "box",
        pedestrian_pairs: bool = False,
        episode_gap_s: float = 0.5,
        collision_lookback_s: float = 1.0,
        reach_ratio: float | None = REACH_RATIO,
    ) -> None:
        _check_settings(fps, stride, proximity_threshold, ttc_threshold, distance_metric,
                        distance_mode, ttc_method)
        if calibration is not None and distance_metric == "edge":
            raise ValueError("distance_metric='edge' is a pixel measure: not with a calibration")
        self.fps, self.stride = float(fps), int(stride)
        self.relative = distance_mode == "relative" and calibration is None
        self.distance_mode = "relative" if self.relative else "pixels"
        self.proximity = proximity_ratio if self.relative else float(proximity_threshold)
        self.ttc_threshold = float(ttc_threshold)
        self.closing_threshold = closing_ratio if self.relative else closing_speed_threshold
        self.reference_speed = float(reference_speed or 4.0 * self.closing_threshold)
        self.min_closing = MIN_CLOSING_RATIO * self.closing_threshold
        self.debounce_frames = int(debounce_frames)
        self.close_after_s = max(episode_gap_s, debounce_frames / self.fps)
        self.collision_lookback_s = collision_lookback_s
        self.ttc_method = "centres" if calibration is not None else ttc_method
        self.pedestrian_pairs = pedestrian_pairs
        if reach_ratio is not None and not reach_ratio > 0:
            raise ValueError(f"reach_ratio must be > 0 or None, got {reach_ratio!r}")
        self.reach_ratio = (max(reach_ratio, self.proximity)
                            if self.relative and reach_ratio is not None else None)
        self.filters = FilterConfig.coerce(filters)
        self.calibration = calibration
        self.units = calibration.units if calibration else ("size" if self.relative else "px")
        self.distance_metric = distance_metric
        self.kinematics = KinematicsTracker(self.fps, window_s=self.filters.stationary_window_s,
                                            history_s=HISTORY_S)
        self.pairs = PairMotionTracker()
        self._now = 0.0
        self.events: list[dict] = []
        self.rejected: list[dict] = []  # episodes a filter discarded, with key "filter"
        self.skipped = {"frames": 0, "objects": 0}
        self._prev_frame: int | None = None
        self._episodes: dict[tuple[int, int], Episode] = {}
        self._closing: dict[tuple[int, int], deque[tuple[float, float]]] = {}

    # ----------------------------------------------------------------- per frame
    def process_frame(self, frame_index: int, tracked_objects: Mapping | None) -> list[dict]:
        """Analyse one processed frame; return the events of the episodes that closed."""
        problem = None
        if not isinstance(frame_index, numbers.Integral) or frame_index < 0:
            problem = "the frame index must be an integer >= 0"
        elif self._prev_frame is not None and frame_index <= self._prev_frame:
            problem = f"not after frame {self._prev_frame}"
        if problem:
            self._warn(f"frame {frame_index!r} skipped: {problem}")
            self.skipped["frames"] += 1
            return []
        objects = self._validate(frame_index, tracked_objects)
        positions = {oid: (self._position(o), o.cls, o.scale) for oid, o in objects.items()}
        self._now = frame_index / self.fps
        motions = self.kinematics.update(frame_index, positions)
        road_users = {oid: _user(o) for oid, o in objects.items()}
        excluded = not_road_users(road_users)
        users = sorted(oid for oid in objects
                       if oid not in excluded and not objects[oid].low_confidence)
        for a, b in itertools.combinations(users, 2):
            oa, ob = objects[a], objects[b]
            if (conflict_possible(road_users[a], road_users[b], self.pedestrian_pairs)
                    and self._in_reach(oa, ob, motions[a], motions[b])):
                self._observe_pair(frame_index, oa, ob, motions[a], motions[b])
        self._prev_frame = frame_index
        self.pairs.prune(self._now)
        return self._close_episodes(self._now)

    def final_before(self, frame_index: int) -> int:
        """``frame_index``, or the first frame of the earliest episode still open: no event
        that is still to be logged covers a frame before the returned index."""
        return min([frame_index, *(ep.qualifying[0].frame_index for ep in self._episodes.values())])

    def finish(self) -> list[dict]:
        """Close every open episode (call once at the end of the video); return their events."""
        return self._close_episodes(math.inf)

    def _in_reach(self, oa, ob, ma: Motion, mb: Motion) -> bool:
        """Whether the pair is examined at this frame. A pair whose boxes are more than
        ``reach_ratio`` (2) pair sizes apart can neither qualify nor collide there: proximity
        needs a gap under ``proximity_ratio`` (0.5) sizes, TTC is computed for proximate
        pairs only and contact needs 0.1, so at most the closing criterion holds, one of the
        two needed. Such a pair is skipped unless it has an open episode or a closing
        history: once within reach it is followed while both are tracked (the history lasts
        2 s after its last examination). Skipping changes what is measured, not only what is
        examined: the pair's relative velocity is fitted from the moment it comes within
        reach, over a 0.3 s window, so a distant pair converging in the image (perspective, a
        pass in the next lane) cannot arrive with a closing speed already high. A fast crash
        is still seen (the window straddles the contact; tested up to 14 sizes per second at
        stride 3). In dense traffic it examines 33-59% of the pairs. The reach is never
        below ``proximity_ratio``. ``reach_ratio=None`` examines every pair; the pixel and
        metre modes always do (their thresholds are not in pair sizes)."""
        if self.reach_ratio is None:
            return True
        key = (oa.object_id, ob.object_id)
        if key in self._episodes or key in self._closing:
            return True
        reach = self.reach_ratio * 0.5 * (ma.scale + mb.scale)
        return geo.edge_distance(oa.bbox, ob.bbox) <= reach

    def _observe_pair(self, frame_index: int, oa, ob, ma: Motion, mb: Motion) -> None:
        key = (oa.object_id, ob.object_id)
        t = frame_index / self.fps
        m = self._metrics(oa, ob, ma, mb)
        history = self._closing.setdefault(key, deque())
        history.append((t, m.closing if m.on_course else 0.0, m.distance / self._unit(m)))
        while history and history[0][0] < t - self.collision_lookback_s:
            history.popleft()
        collision = m.contact and self._collided(history, oa, ob, ma, mb)
        qualifies = len(m.criteria) >= 2
        episode = self._episodes.get(key)
        if episode is None and not (qualifies or collision):
            return
        score = self._score(m, collision)
        event = self._event(frame_index, oa, ob, ma, mb, m, score)
        paths = None if m.pet is not None else self._pet_paths(oa.object_id, ob.object_id, ma, mb)
        sample = PairSample(frame_index, t, qualifies, collision, score, m.ttc, m.closing,
                            m.distance, m.ground_gap,
                            {**event, "evidence": self._evidence(oa, ob, ma, mb, m)}, paths)
        self._episodes.setdefault(key, Episode(key)).samples.append(sample)

    def _collided(self, history, oa, ob, ma: Motion, mb: Motion) -> bool:
        """Contact after a fast approach, while one of the two stops abruptly. The approach
        is fast (``COLLISION_CLOSING`` x the closing criterion) and real: within the lookback
        the pair was at least ``COLLISION_APPROACH`` pair sizes farther apart than now, so a
        velocity spike of a re-associated box cannot fake it."""
        fast = COLLISION_CLOSING * self.closing_threshold
        closed_fast = max(c for _, c, _ in history) >= fast
        approached = max(d for _, _, d in history) - history[-1][2] >= COLLISION_APPROACH
        return closed_fast and approached and (self._stopping(oa, ma) or self._stopping(ob, mb))

    def _unit(self, m: PairMetrics) -> float:
        """The judged distance's unit in pair sizes (1 in relative mode)."""
        return 1.0 if self.relative else (m.scale if self.calibration is None else 1.0)

    def _stopping(self, o: Observation, m: Motion) -> bool:
        """A vehicle whose smoothed speed fell below half its recent, fast peak."""
        peak = self._per_unit(m.peak_speed, m.scale)
        return (o.cls == "vehicle" and m.known and peak >= self.closing_threshold
                and m.speed < 0.5 * m.peak_speed)

    def _metrics(self, oa, ob, ma: Motion, mb: Motion) -> PairMetrics:
        centroid_px = geo.centroid_distance(oa.center, ob.center)
        edge_px = geo.edge_distance(oa.bbox, ob.bbox)
        overlap = geo.iou(oa.bbox, ob.bbox)
        scale_px = 0.5 * (ma.scale + mb.scale)
        unit = scale_px if self.relative else 1.0
        offset = ((mb.position[0] - ma.position[0]) / unit,
                  (mb.position[1] - ma.position[1]) / unit)
        pm = self.pairs.update((oa.object_id, ob.object_id), self._now, offset)
        closing = pm.closing if pm.known else 0.0
        box_ttc = math.inf
        if pm.known and self.calibration is None:
            ua, ub = unit_boxes(oa.bbox, ob.bbox, unit)
            box_ttc = geo.box_time_to_contact(ua, (0.0, 0.0), ub, pm.velocity, self.min_closing)
        if self.relative:
            distance = edge_px / unit
        elif self.distance_metric == "edge":
            distance = edge_px
        else:
            distance = geo.centroid_distance(ma.position, mb.position)
        contact = overlap > 0.0 or edge_px <= CONTACT_RATIO * scale_px
        proximate = distance < self.proximity or overlap > 0.0
        ttc = math.inf
        if proximate and closing > self.min_closing:
            ttc = self._ttc(box_ttc, distance, math.hypot(*offset), closing, contact)
        pet = None  # computed only where the collision course depends on it
        on_course = closing > self.min_closing and box_ttc <= 2.0 * self.ttc_threshold
        if not on_course and closing > self.closing_threshold and distance < 2 * self.proximity:
            pet = self._pet(oa.object_id, ob.object_id, ma, mb)
            on_course = not math.isnan(pet) and pet < PET_THRESHOLD_S
        flags = {
            "proximity": proximate,
            "ttc": ttc < self.ttc_threshold,
            "closing": closing > self.closing_threshold and on_course,
        }
        criteria = tuple(name for name, hit in flags.items() if hit)
        return PairMetrics(distance, centroid_px, overlap, edge_px, scale_px, closing, ttc,
                           on_course, contact, aftermath.ground_gap(oa.bbox, ob.bbox, scale_px),
                           criteria, pet)

    def _ttc(self, box_ttc: float, distance: float, centres: float, closing: float,
             contact: bool) -> float:
        """Box method: time until the boxes touch or, once they touch, until the centres
        would meet (so touching boxes alone never make a TTC of 0: that would count the
        proximity criterion twice). Centres method: the spec's distance / closing speed."""
        if self.ttc_method == "centres":
            return geo.time_to_collision(distance, closing)
        return geo.time_to_collision(centres, closing) if contact else box_ttc

    def _score(self, m: PairMetrics, collision: bool) -> float:
        score = risk_score(m.distance, m.ttc, m.closing, proximity_threshold=self.proximity,
                           ttc_threshold=self.ttc_threshold,
                           reference_speed=self.reference_speed)
        return max(score, 0.7) if collision else score

    def _evidence(self, oa, ob, ma: Motion, mb: Motion, m: PairMetrics) -> dict:
        mean_closing = geo.closing_speed(ma.position, ma.mean_velocity, mb.position,
                                         mb.mean_velocity)
        return {"confidence_1": oa.confidence, "confidence_2": ob.confidence,
                "mean_speed_1": self._per_unit(ma.mean_speed, ma.scale),
                "mean_speed_2": self._per_unit(mb.mean_speed, mb.scale),
                "mean_heading_1": ma.mean_heading_deg, "mean_heading_2": mb.mean_heading_deg,
                "mean_closing": self._per_unit(mean_closing, m.scale),
                "braking_1": _braking(ma), "braking_2": _braking(mb),
                "scale_1": ma.scale, "scale_2": mb.scale}

    def _per_unit(self, value: float, scale: float) -> float:
        return value / scale if self.relative else value

    def _event(self, frame_index, oa, ob, ma: Motion, mb: Motion, m: PairMetrics,
               score: float) -> dict:
        cpa_t, cpa_d = geo.closest_point_of_approach(
            ma.position, ma.velocity, mb.position, mb.velocity
        )
        return {
            "frame_index": int(frame_index),
            "timestamp_sec": frame_index / self.fps,
            "object_id_1": int(oa.object_id),
            "object_id_2": int(ob.object_id),
            "class_1": oa.cls,
            "class_2": ob.cls,
            "distance_px": m.centroid_px,
            "ttc_sec": m.ttc,
            "risk_score": score,
            "risk_level": risk_level(score),
            "units": self.units,
            "distance": m.distance,
            "closing_speed": m.closing,
            "speed_1": ma.speed,
            "speed_2": mb.speed,
            "heading_1": ma.heading_deg,
            "heading_2": mb.heading_deg,
            "iou": m.iou,
            "edge_distance_px": m.edge_px,
            "cpa_time_sec": cpa_t,
            "cpa_distance": cpa_d,
            "pet_sec": m.pet,  # None: computed for the logged peak only (PairSample.pet_paths)
            "criteria": "+".join(m.criteria),
            "confidence_1": oa.confidence,
            "confidence_2": ob.confidence,
        }

    def _pet(self, a: int, b: int, ma: Motion, mb: Motion) -> float:
        """PET of the observed paths extended at constant velocity for 3 x ttc_threshold."""
        return geo.post_encroachment_time(*self._pet_paths(a, b, ma, mb))

    def _pet_paths(self, a: int, b: int, ma: Motion, mb: Motion) -> tuple[np.ndarray, np.ndarray]:
        """The two timed paths ``_pet`` compares, as they are now."""
        horizon = 3.0 * self.ttc_threshold
        paths = []
        for oid, motion in ((a, ma), (b, mb)):
            path = self.kinematics.path(oid)
            t, x, y = path[-1]
            vx, vy = motion.velocity
            ahead = (t + horizon, x + vx * horizon, y + vy * horizon)
            paths.append(np.vstack([path, ahead]) if motion.known else path)
        return paths[0], paths[1]

    # ----------------------------------------------------------------- episodes
    def _close_episodes(self, now: float) -> list[dict]:
        """Log the episodes over at ``now``: the pair has not qualified for
        ``close_after_s`` and the aftermath of the peak (``aftermath.AFTER_S``) was seen."""
        closed = [k for k, ep in self._episodes.items()
                  if ep.last_qualifying_t < now - self.close_after_s
                  and ep.peak().t <= now - aftermath.AFTER_S[1]]
        logged = []
        for key in sorted(closed, key=lambda k: self._episodes[k].peak().t):
            episode = self._episodes.pop(key)
            record = episode.record()
            reasons = rejecting_filters(self.filters, self._pair_evidence(episode, record))
            if not reasons and self._merges_into(record, [*self.events, *logged]):
                reasons = ("merged",)
            if reasons:
                self.rejected.append({**record, "filter": "+".join(reasons)})
            else:
                logged.append(record)
        for key in [k for k, h in self._closing.items() if h and h[-1][0] < now - 2.0]:
            del self._closing[key]
        self.events.extend(logged)
        return logged

    def _pair_evidence(self, episode: Episode, record: dict) -> PairEvidence:
        """What the filters judge: the peak's evidence, the episode's summary and the
        aftermath (did either vehicle stop abruptly after the peak?)."""
        evidence = record.pop("evidence")
        evidence["confidence_1"], evidence["confidence_2"] = episode.best_confidences()
        t_peak = record["timestamp_sec"]
        share = aftermath.COLLISION_STOPPED_SHARE if episode.collision else aftermath.STOPPED_SHARE
        stops = [aftermath.counts_as_stop(
            record[f"class_{i}"],
            aftermath.speed_change(self.kinematics.path(record[f"object_id_{i}"], t_peak),
                                   evidence.pop(f"scale_{i}"), t_peak), share)
            for i in (1, 2)]
        return PairEvidence(
            collision=episode.collision,
            duration_s=episode.confirmed_duration_s(self.stride / self.fps),
            observations=len(episode.qualifying), peak_closing=episode.peak_closing,
            abrupt_stop=any(stops), ground_gap=episode.min_ground_gap, **evidence)

    @staticmethod
    def _merges_into(record: dict, earlier: list[dict]) -> bool:
        """One incident, one event: an event sharing a road user with an event logged less
        than ``MERGE_S`` before it is part of that incident."""
        ids = {record["object_id_1"], record["object_id_2"]}
        return any(abs(record["timestamp_sec"] - e["timestamp_sec"]) < MERGE_S
                   and ids & {e["object_id_1"], e["object_id_2"]} for e in earlier)

    # ----------------------------------------------------------------- input checks
    def _position(self, obs: Observation) -> tuple[float, float]:
        return self.calibration.ground_point(obs.bbox) if self.calibration else obs.center

    def _validate(self, frame_index: int, tracked: Mapping | None) -> dict[int, Observation]:
        if not isinstance(tracked, Mapping):
            self._warn(f"frame {frame_index}: tracked objects are not a mapping: skipped")
            self.skipped["frames"] += 1
            return {}
        objects = {}
        for oid, obj in tracked.items():
            obs, problem = _observation(oid, obj)
            if problem:
                self._warn(f"frame {frame_index}: object {oid!r} skipped: {problem}")
                self.skipped["objects"] += 1
            else:
                objects[obs.object_id] = obs
        return objects

    @staticmethod
    def _warn(message: str) -> None:
        warnings.warn(message, NearMissInputWarning, stacklevel=4)

    # ----------------------------------------------------------------- results
    def events_dataframe(self) -> pd.DataFrame:
        """All logged events, sorted by timestamp."""
        return events_dataframe(self.events)

    def rejected_dataframe(self) -> pd.DataFrame:
        """Episodes discarded by filters (column ``filter`` names them), sorted by time."""
        return events_dataframe(self.rejected)

    def summary(self, top: int = 3) -> str:
        """Print and return the total, the breakdown by risk level and the top events."""
        return print_summary(self.events, top)


def _braking(m: Motion) -> bool:
    """The object slowed below ``STEADY_SHARE`` of its recent peak speed (brakes or stops)."""
    return m.known and m.speed < STEADY_SHARE * m.peak_speed


def _user(o: Observation) -> RoadUser:
    return RoadUser(o.object_id, o.cls, o.coco_class, o.bbox, o.confidence)


def _check_settings(fps, stride, proximity, ttc, metric, mode, method) -> None:
    if not (isinstance(fps, numbers.Real) and math.isfinite(fps) and fps > 0):
        raise ValueError(f"fps must be a positive number, got {fps!r}")
    if int(stride) < 1:
        raise ValueError(f"stride must be >= 1, got {stride!r}")
    if proximity <= 0 or ttc <= 0:
        raise ValueError("proximity_threshold and ttc_threshold must be > 0")
    if metric not in ("centroid", "edge"):
        raise ValueError(f"distance_metric must be 'centroid' or 'edge', got {metric!r}")
    if mode not in DISTANCE_MODES:
        raise ValueError(f"distance_mode must be one of {DISTANCE_MODES}, got {mode!r}")
    if method not in TTC_METHODS:
        raise ValueError(f"ttc_method must be one of {TTC_METHODS}, got {method!r}")


def _observation(oid, obj) -> tuple[Observation | None, str | None]:
    """Validate one tracker entry: ``(observation, None)`` or ``(None, problem)``."""
    if not isinstance(oid, numbers.Integral) or isinstance(oid, bool):
        return None, "object ID is not an integer"
    if not isinstance(obj, Mapping) or not {"class", "bbox", "center", "confidence"} <= set(obj):
        return None, "needs keys class, bbox, center, confidence"
    try:
        bbox = tuple(float(v) for v in obj["bbox"])
        center = tuple(float(v) for v in obj["center"])
        confidence = float(obj["confidence"])
    except (TypeError, ValueError):
        return None, "bbox, center and confidence must be numbers"
    if len(bbox) != 4 or len(center) != 2:
        return None, "bbox needs 4 numbers and center 2"
    if not all(math.isfinite(v) for v in (*bbox, *center, confidence)):
        return None, "NaN or infinite coordinate/confidence"
    if bbox[2] <= bbox[0] or bbox[3] <= bbox[1]:
        return None, f"zero-size box {list(bbox)}"
    cls = str(obj["class"])
    coco = str(obj.get("coco_class") or ("person" if cls == "pedestrian" else "car"))
    return Observation(int(oid), cls, coco, bbox, center, confidence,
                       bool(obj.get("low_confidence", False))), None
