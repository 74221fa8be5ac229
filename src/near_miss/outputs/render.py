"""Annotated output video (spec Task 1.5 Part A) and event thumbnails for the report.

Drawing rules:

* Every source frame is written, so the output has the input's fps, resolution and length.
  Frames skipped by the detection stride show the tracks of the last processed frame
  (frame ``i`` shows the tracks of frame ``i - i % stride``).
* Boxes are blue for vehicles and green for pedestrians, with ``#ID class`` above each box;
  the class is the object's current one (``label_classes``: the majority of its last second
  of detections, restarted after a gap), so a box is never labelled by an ID's past.
* A near miss is "active" during its whole episode (from its first to its last qualifying
  observation) and for ``event_active_s`` seconds (default 1 s) after its peak: its two
  objects are drawn red, joined by a red line, and the highest active risk level is written
  in large red text at the top ("HIGH RISK").
* The frame counter and the MM:SS timestamp are in the top-left corner.

The video is encoded H.264 (libx264, yuv420p, +faststart) with the ffmpeg binary bundled
by ``imageio-ffmpeg``, so that it plays in browsers and in Colab (OpenCV's mp4v does not).
"""

from __future__ import annotations

from collections import Counter, deque
from collections.abc import Iterable, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
import pandas as pd
from tqdm import tqdm

from tatweer_common.errors import UserError
from tatweer_common.io import atomic_path

BLUE = (255, 0, 0)  # BGR
GREEN = (0, 170, 0)
RED = (0, 0, 255)
WHITE = (255, 255, 255)
BLACK = (0, 0, 0)
CLASS_COLOURS = {"vehicle": BLUE, "pedestrian": GREEN}
LEVEL_ORDER = {"High": 3, "Medium": 2, "Low": 1}
FONT = cv2.FONT_HERSHEY_SIMPLEX
LABEL_WINDOW_S = 1.0  # the class drawn on a box: majority of the ID's last second


@dataclass
class RenderResult:
    path: Path
    frames: int
    fps: float
    width: int
    height: int


def mmss(seconds: float) -> str:
    """``75.4`` -> ``"01:15"``."""
    whole = int(seconds)
    return f"{whole // 60:02d}:{whole % 60:02d}"


def active_frames(event_active_s: float, fps: float) -> int:
    """Number of frames an event stays active (at least the frame it was logged in)."""
    return max(1, round(event_active_s * fps))


def _label(img: np.ndarray, text: str, org: tuple[int, int], colour, scale: float, thick: int):
    """Text on a filled box of ``colour`` (white letters), kept inside the image."""
    (tw, th), base = cv2.getTextSize(text, FONT, scale, thick)
    x = int(min(max(org[0], 0), max(img.shape[1] - tw - 4, 0)))
    y = int(max(org[1], th + base + 2))
    cv2.rectangle(img, (x, y - th - base - 2), (x + tw + 4, y), colour, cv2.FILLED)
    cv2.putText(img, text, (x + 2, y - base), FONT, scale, WHITE, thick, cv2.LINE_AA)


def _scale(img: np.ndarray) -> float:
    """Font scale relative to a 640-pixel-wide frame."""
    return max(img.shape[1] / 640.0, 0.5)


def _recent_majority(classes: Sequence[str]) -> str:
    """The most frequent of ``classes``; a tie goes to the most recent of the tied."""
    counts = Counter(classes)
    top = max(counts.values())
    return next(c for c in reversed(classes) if counts[c] == top)


class LabelState:
    """The current class of each ID, fed with observations in frame order (see
    ``label_classes``); the annotated video updates it one processed frame at a time."""

    def __init__(self, stride: int, window: int) -> None:
        self.stride, self.window = max(1, stride), window
        self._recent: dict[int, deque] = {}
        self._last_seen: dict[int, int] = {}

    def observe(self, object_id: int, frame: int, detected) -> str | None:
        """Add one observation (``detected``: this frame's class, None for a predicted box);
        return the ID's current class (None before its first detection)."""
        if isinstance(detected, str):
            if frame - self._last_seen.get(object_id, frame) > self.stride:
                self._recent.pop(object_id)
            self._recent.setdefault(object_id, deque(maxlen=self.window)).append(detected)
            self._last_seen[object_id] = frame
        recent = self._recent.get(object_id)
        return _recent_majority(recent) if recent else None

    def labels(self, tracks: pd.DataFrame) -> list:
        """Observe every row of ``tracks`` (one or more frames, in order); their labels."""
        source = "detected_class" if "detected_class" in tracks.columns else "class"
        out = []
        for oid, frame, cls, fallback in zip(tracks["object_id"], tracks["frame_index"],
                                             tracks[source], tracks["class"], strict=True):
            out.append(self.observe(int(oid), int(frame), cls) or fallback)
        return out


def label_classes(tracks: pd.DataFrame, stride: int, window: int) -> pd.Series:
    """The class to draw on each row of ``tracks``: its object's current class.

    That is the majority of the ID's last ``window`` detected classes (column
    ``detected_class``, else ``class``), restarted when the ID is observed again after a
    gap (more than ``stride`` frames), so a box that an ID switch moved onto an object of
    another class is relabelled at once after a gap and within half a window otherwise.
    Rows without a detection of their own (predicted boxes) keep the label reached so
    far. The tables' ``class`` (the per-ID majority) is not changed.
    """
    ordered = tracks.sort_values("frame_index", kind="stable")
    labels = LabelState(stride, window).labels(ordered)
    return pd.Series(labels, index=ordered.index, name="label").reindex(tracks.index)


def label_window(fps: float, stride: int, seconds: float = LABEL_WINDOW_S) -> int:
    """Number of processed frames in ``seconds`` (at least 1)."""
    return max(1, round(seconds * fps / max(1, stride)))


def draw_tracks(img: np.ndarray, tracks: pd.DataFrame, red_ids: set[int]) -> None:
    """Boxes with ``#ID class`` labels; objects in ``red_ids`` in red.

    The class is the ``label`` column where ``tracks`` has one (``label_classes``), else
    ``class``.
    """
    s = _scale(img)
    cls_column = "label" if "label" in tracks.columns else "class"
    columns = ["object_id", cls_column, "x1", "y1", "x2", "y2"]
    rows = tracks[columns].itertuples(index=False, name=None)
    for oid, cls, x1, y1, x2, y2 in rows:
        colour = RED if int(oid) in red_ids else CLASS_COLOURS.get(cls, BLUE)
        p1, p2 = (int(x1), int(y1)), (int(x2), int(y2))
        cv2.rectangle(img, p1, p2, colour, max(1, round(2 * s)), cv2.LINE_AA)
        _label(img, f"#{int(oid)} {cls}", (p1[0], p1[1] - 1), colour, 0.4 * s, max(1, round(s)))


def draw_event_links(img: np.ndarray, tracks: pd.DataFrame, events: pd.DataFrame) -> None:
    """A red line between the centres of the two objects of each active event."""
    centres = {int(r.object_id): (int(r.cx), int(r.cy)) for r in tracks.itertuples(index=False)}
    for ev in events.itertuples(index=False):
        a, b = centres.get(int(ev.object_id_1)), centres.get(int(ev.object_id_2))
        if a and b:
            cv2.line(img, a, b, RED, max(1, round(2 * _scale(img))), cv2.LINE_AA)


def draw_banner(img: np.ndarray, events: pd.DataFrame) -> None:
    """The highest active risk level in large red text at the top centre."""
    if events.empty:
        return
    level = max(events["risk_level"], key=lambda lv: LEVEL_ORDER.get(lv, 0))
    text = f"{level.upper()} RISK"
    if len(events) > 1:
        text += f" ({len(events)} near misses)"
    s = _scale(img)
    scale, thick = 1.1 * s, max(2, round(3 * s))
    (tw, th), base = cv2.getTextSize(text, FONT, scale, thick)
    x, y = max((img.shape[1] - tw) // 2, 0), th + round(34 * s)
    cv2.putText(img, text, (x, y), FONT, scale, WHITE, thick + 4, cv2.LINE_AA)
    cv2.putText(img, text, (x, y), FONT, scale, RED, thick, cv2.LINE_AA)


def draw_clock(img: np.ndarray, frame_index: int, fps: float, total: int | None) -> None:
    """Frame counter and MM:SS timestamp in the top-left corner."""
    count = f"{frame_index}/{total - 1}" if total else str(frame_index)
    s = _scale(img)
    text = f"Frame {count}  {mmss(frame_index / fps)}"
    _label(img, text, (4, 4), BLACK, 0.5 * s, max(1, round(s)))


def annotate_frame(
    frame: np.ndarray,
    frame_index: int,
    tracks: pd.DataFrame,
    active: pd.DataFrame,
    fps: float,
    total_frames: int | None = None,
) -> np.ndarray:
    """A copy of ``frame`` with tracks, active near misses, banner and clock drawn."""
    img = frame.copy()
    red = set(active["object_id_1"].astype(int)) | set(active["object_id_2"].astype(int))
    draw_tracks(img, tracks, red)
    draw_event_links(img, tracks, active)
    draw_banner(img, active)
    draw_clock(img, frame_index, fps, total_frames)
    return img


def active_events(events: pd.DataFrame, frame_index: int, window: int) -> pd.DataFrame:
    """Events active at ``frame_index``: the whole episode (``start_frame`` to ``end_frame``)
    and ``window`` frames from its peak; just the latter for events without an episode."""
    if len(events) == 0:
        return events
    peak = events["frame_index"]
    start = events["start_frame"] if "start_frame" in events.columns else peak
    end = events["end_frame"] if "end_frame" in events.columns else peak
    after_peak = (peak <= frame_index) & (peak > frame_index - window)
    return events[after_peak | ((start <= frame_index) & (end >= frame_index))]


class FrameAnnotator:
    """Looks up the tracks (with their ``label`` class) and active events for any frame."""

    def __init__(self, tracks: pd.DataFrame, events: pd.DataFrame, fps: float, stride: int,
                 event_active_s: float = 1.0, total_frames: int | None = None):
        self.fps, self.stride, self.total = fps, max(1, stride), total_frames
        self.window = active_frames(event_active_s, fps)
        labels = label_classes(tracks, self.stride, label_window(fps, self.stride))
        tracks = tracks.assign(label=labels)
        self._by_frame = {int(k): g for k, g in tracks.groupby("frame_index")}
        self._empty = tracks.iloc[0:0]
        self.events = events.sort_values("frame_index") if len(events) else events

    def tracks_at(self, frame_index: int) -> pd.DataFrame:
        """Tracks of the processed frame shown at ``frame_index`` (stride reuse)."""
        return self._by_frame.get(frame_index - frame_index % self.stride, self._empty)

    def active_at(self, frame_index: int) -> pd.DataFrame:
        return active_events(self.events, frame_index, self.window)

    def __call__(self, frame_index: int, frame: np.ndarray) -> np.ndarray:
        return annotate_frame(frame, frame_index, self.tracks_at(frame_index),
                              self.active_at(frame_index), self.fps, self.total)


@contextmanager
def h264_writer(path: str | Path, size: tuple[int, int], fps: float):
    """An ffmpeg process encoding the BGR frames ``send``-ed to it to H.264/yuv420p MP4 at
    ``path`` (not atomic: write to a temporary path). ffmpeg runs in its own process, so
    encoding overlaps with whatever produces the frames."""
    import imageio_ffmpeg

    writer = imageio_ffmpeg.write_frames(
        str(path), size, pix_fmt_in="bgr24", pix_fmt_out="yuv420p", fps=float(fps),
        codec="libx264", quality=None, macro_block_size=2, ffmpeg_log_level="error",
        output_params=["-crf", "23", "-preset", "veryfast", "-movflags", "+faststart"],
    )
    writer.send(None)  # start ffmpeg
    try:
        yield writer
    finally:
        writer.close()


def write_h264(frames: Iterable[np.ndarray], path: str | Path, size: tuple[int, int],
               fps: float) -> int:
    """Encode BGR ``frames`` of ``size`` (w, h) to an H.264/yuv420p MP4 atomically; count."""
    count = 0
    with atomic_path(path) as tmp, h264_writer(tmp, size, fps) as writer:
        for frame in frames:
            writer.send(np.ascontiguousarray(frame))
            count += 1
    return count


def render_video(
    video_path: str | Path,
    tracks: pd.DataFrame,
    events: pd.DataFrame,
    out_path: str | Path,
    *,
    fps: float,
    stride: int,
    end_frame: int | None = None,
    event_active_s: float = 1.0,
    progress: bool = True,
) -> RenderResult:
    """Write the annotated video of source frames ``[0, end_frame)`` (all when None)."""
    from near_miss.ingest import iter_frames

    annotate = FrameAnnotator(tracks, events, fps, stride, event_active_s, end_frame)
    frames = iter(iter_frames(str(video_path), stride=1, max_frames=end_frame))
    head = next(frames, None)
    if head is None:
        raise UserError(f"{video_path}: no frame could be read to render")
    height, width = head[1].shape[:2]

    def annotated():
        yield annotate(*head)
        for index, frame in frames:
            yield annotate(index, frame)

    bar = tqdm(annotated(), total=end_frame, desc="render", unit="frame", disable=not progress)
    count = write_h264(bar, out_path, (width, height), fps)
    return RenderResult(Path(out_path), count, fps, width, height)


def event_thumbnail(frame: np.ndarray, tracks: pd.DataFrame, event, width: int = 360) -> np.ndarray:
    """Crop around the two objects of ``event`` (both outlined in red), resized to ``width``."""
    img = frame.copy()
    ids = {int(event["object_id_1"]), int(event["object_id_2"])}
    pair = tracks[tracks["object_id"].astype(int).isin(ids)]
    draw_tracks(img, pair, ids)
    draw_event_links(img, pair, pd.DataFrame([event]))
    h, w = img.shape[:2]
    if len(pair):
        x1, y1 = pair["x1"].min(), pair["y1"].min()
        x2, y2 = pair["x2"].max(), pair["y2"].max()
        pad = max(0.5 * max(x2 - x1, y2 - y1), 0.15 * w)
        x1, y1 = int(max(x1 - pad, 0)), int(max(y1 - pad, 0))
        x2, y2 = int(min(x2 + pad, w)), int(min(y2 + pad, h))
        img = img[y1:y2, x1:x2]
    height = max(1, round(img.shape[0] * width / img.shape[1]))
    return cv2.resize(img, (width, height), interpolation=cv2.INTER_AREA)
