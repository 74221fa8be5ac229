"""ByteTrack (Zhang et al., ECCV 2022) with the interface and output of the other trackers.

The association is ultralytics' own ``BYTETracker`` (Kalman filter, IoU fused with the
detection score, two rounds): high-confidence detections are matched first, then the tracks
left over are matched by IoU alone to the low-confidence ones (``track_low_thresh`` <
confidence < ``track_high_thresh``), which keeps an object whose score dipped, typically
while partly occluded, on its ID. It therefore wants detections down to
``track_low_thresh``: ``min_detection_confidence`` says so to the pipeline.
"""

from __future__ import annotations

import importlib.util
from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass
from types import SimpleNamespace

import numpy as np

from near_miss.tracking.base import TrackedObjects, TrackHistory, clean_detections
from tatweer_common.errors import UserError


@dataclass(frozen=True)
class _Boxes:
    """The part of an ultralytics ``Boxes`` that ``BYTETracker.update`` reads."""

    xywh: np.ndarray  # (N, 4) center x, center y, width, height
    conf: np.ndarray  # (N,)
    cls: np.ndarray  # (N,) all zero: association ignores the class, like the other trackers

    @classmethod
    def of(cls, dets: list[dict]) -> _Boxes:
        boxes = np.array([d["bbox"] for d in dets], dtype=np.float32).reshape(-1, 4)
        xywh = np.concatenate([(boxes[:, :2] + boxes[:, 2:]) / 2, boxes[:, 2:] - boxes[:, :2]], 1)
        conf = np.array([d["confidence"] for d in dets], dtype=np.float32)
        return cls(xywh, conf, np.zeros(len(dets), dtype=np.float32))

    def __len__(self) -> int:
        return len(self.conf)

    def __getitem__(self, mask: np.ndarray) -> _Boxes:
        return _Boxes(self.xywh[mask], self.conf[mask], self.cls[mask])


def _byte_tracker(args: SimpleNamespace):
    """ultralytics' ``BYTETracker``; its matching needs ``lap``, which ultralytics would
    otherwise try to pip-install on import."""
    if importlib.util.find_spec("lap") is None:
        raise UserError("the bytetrack tracker needs the 'lap' package: pip install lap==0.5.13")
    from ultralytics.trackers.byte_tracker import BYTETracker

    return BYTETracker(args)


class ByteTrackTracker(TrackHistory):
    """ByteTrack with the centroid tracker's interface and output.

    ``track_high_thresh`` (default 0.4, the spec's detection threshold) and
    ``track_low_thresh`` split the detections for the two association rounds; only a
    detection of at least ``new_track_thresh`` (default: the high threshold) starts a
    track, and a new track gets its public ID when it is matched again in the next update
    (its first point is then added to its trajectory), except in the very first update.
    ``match_thresh`` is the largest cost (1 - IoU, fused with the score) of a first-round
    match. A lost track is kept ``track_buffer`` updates, scaled by ``frame_rate / 30``
    as in the original ByteTrack (ultralytics' version takes no frame rate); the default
    30 leaves ``track_buffer`` in updates, exactly like ``max_disappeared`` (ByteTrack's
    bookkeeping keeps a track one update longer than its buffer, so it is given one less).
    Public IDs count from 0 in order of confirmation. The reported box and center are the
    matched detection's own, like the other trackers. Deterministic: no randomness in the
    association.

    ``coast_frames``: a lost track is also returned, at its Kalman-predicted box with
    ``"predicted": True``, for up to this many consecutive missed updates (0: never).
    """

    min_detection_confidence: float | None = 0.1

    def __init__(
        self,
        track_high_thresh: float = 0.4,
        track_low_thresh: float = 0.1,
        new_track_thresh: float | None = None,
        track_buffer: int = 10,
        match_thresh: float = 0.8,
        fuse_score: bool = True,
        frame_rate: float = 30.0,
        coast_frames: int = 0,
    ) -> None:
        super().__init__()
        if not 0.0 <= track_low_thresh <= track_high_thresh <= 1.0:
            raise ValueError("need 0 <= track_low_thresh <= track_high_thresh <= 1")
        self.min_detection_confidence = float(track_low_thresh)
        self.coast_frames = int(coast_frames)
        self.track_buffer = max(1, round(track_buffer * frame_rate / 30.0))
        self.byte = _byte_tracker(
            SimpleNamespace(
                track_high_thresh=float(track_high_thresh),
                track_low_thresh=float(track_low_thresh),
                new_track_thresh=float(
                    track_high_thresh if new_track_thresh is None else new_track_thresh
                ),
                track_buffer=self.track_buffer - 1,
                match_thresh=float(match_thresh),
                fuse_score=bool(fuse_score),
            )
        )
        self.public_ids: dict[int, int] = {}  # ultralytics track_id -> our object ID
        self.last: dict[int, dict] = {}  # our object ID -> last matched detection
        self._first_hits: dict[int, tuple[int, dict]] = {}  # unconfirmed track -> its hit

    def _public_id(self, track_id: int) -> int:
        """Our ID for ultralytics' ``track_id``, assigned on its first output."""
        if track_id not in self.public_ids:
            self.public_ids[track_id] = len(self.public_ids)
            first = self._first_hits.get(track_id)
            if first is not None:
                self._record(self.public_ids[track_id], first[1], first[0])
        return self.public_ids[track_id]

    def _remember_new_tracks(self, dets: list[dict], frame: int) -> None:
        """The hit of each track started in this update, added to its trajectory if confirmed."""
        self._first_hits = {
            t.track_id: (frame, dets[int(t.idx)])
            for t in self.byte.tracked_stracks
            if not t.is_activated and t.frame_id == self.byte.frame_id
        }

    def _coasting_objects(self) -> TrackedObjects:
        """Lost tracks missed at most ``coast_frames`` updates, at their predicted box."""
        from ultralytics.trackers.basetrack import TrackState

        out: TrackedObjects = OrderedDict()
        for track in self.byte.lost_stracks:
            missed = self.byte.frame_id - track.frame_id
            object_id = self.public_ids.get(track.track_id)
            lost = track.state == TrackState.Lost
            if object_id is not None and lost and 0 < missed <= self.coast_frames:
                out[object_id] = self._coasting(object_id, track.xyxy, self.last[object_id])
        return out

    def update(
        self, detections: Iterable[dict] | None, frame_index: int | None = None
    ) -> TrackedObjects:
        """Match this frame's detections; return the confirmed objects matched in this frame.

        Coasting tracks are added when ``coast_frames`` > 0.
        """
        frame = self._frame(frame_index)
        dets = clean_detections(detections)
        rows = self.byte.update(_Boxes.of(dets)).reshape(-1, 8)
        output: TrackedObjects = OrderedDict()
        for track_id, idx in rows[:, [4, 7]].astype(int).tolist():
            object_id = self._public_id(track_id)
            det = dets[idx]
            self.last[object_id] = det
            self._record(object_id, det, frame)
            output[object_id] = self._output(object_id, det)
        self._remember_new_tracks(dets, frame)
        output.update(self._coasting_objects())
        return OrderedDict(sorted(output.items()))
