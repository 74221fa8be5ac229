"""The annotated video drawn and encoded while the analysis is still running.

The analysis (decode, detect, track, near-miss logic) publishes each processed frame's track
rows and how far its results are final; a ``LiveRenderer`` thread decodes the video on its
own, draws every frame as soon as it is final and pipes it to ffmpeg (its own process), so
drawing and H.264 encoding overlap with detection instead of following it. A frame is final
once no episode that is still open started at or before it (``NearMissDetector
.final_before``): its red pairs and risk banner can no longer change. The renderer holds no
frames, only the track rows, so a long open episode makes it wait, never grow.
"""

from __future__ import annotations

import itertools
import threading
from pathlib import Path

import numpy as np
import pandas as pd

from near_miss.nearmiss.events import events_dataframe
from near_miss.outputs.render import (
    LabelState,
    RenderResult,
    active_events,
    active_frames,
    annotate_frame,
    h264_writer,
    label_window,
)
from near_miss.outputs.tables import TRACK_COLUMNS
from tatweer_common.errors import UserError
from tatweer_common.io import atomic_path


class _Cancelled(Exception):
    """The analysis stopped: the render thread leaves without writing a video."""


class LiveRenderer:
    """Render ``video`` frames ``[0, end)`` to ``out_path`` as their results become final.

    ``publish`` (from the analysis thread) hands over a processed frame's rows, the events
    logged so far and the index before which everything is final; ``finish`` declares the
    rest final, waits for the last frame and returns the ``RenderResult``.
    """

    def __init__(self, video: Path, out_path: Path, *, fps: float, stride: int, end: int,
                 event_active_s: float = 1.0) -> None:
        self.video, self.out_path = Path(video), Path(out_path)
        self.fps, self.stride, self.end = fps, max(1, stride), end
        self.event_active_s = event_active_s
        self._rows: dict[int, list[tuple]] = {}
        self._events: list[dict] = []
        self._final = 0
        self._ready = threading.Condition()
        self._error: BaseException | None = None
        self._cancelled = False
        self._result: RenderResult | None = None
        self._thread = threading.Thread(target=self._run, name="render", daemon=True)
        self._thread.start()

    def publish(self, frame_index: int, rows: list[tuple], events: list[dict],
                final_before: int) -> None:
        with self._ready:
            self._rows[frame_index] = rows
            self._events = list(events)
            self._final = max(self._final, final_before)
            self._ready.notify()

    def finish(self, events: list[dict]) -> RenderResult:
        """Everything is final now: wait for the encoder and return what it wrote."""
        self.publish(-1, [], events, self.end)
        self._thread.join()
        if self._error is not None:
            raise self._error
        assert self._result is not None
        return self._result

    def cancel(self) -> None:
        """Stop without a video (the analysis failed): the encoder's partial file is removed."""
        with self._ready:
            self._cancelled = True
            self._ready.notify()
        self._thread.join()

    def _wait_until_final(self, frame_index: int) -> tuple[list[tuple], list[dict]]:
        processed = frame_index - frame_index % self.stride
        with self._ready:
            self._ready.wait_for(lambda: frame_index < self._final or self._cancelled)
            if self._cancelled:
                raise _Cancelled
            return self._rows.get(processed, []), self._events

    def _run(self) -> None:
        try:
            self._result = self._render()
        except _Cancelled:
            pass
        except BaseException as exc:  # handed over to finish()
            self._error = exc
            with self._ready:
                self._final = self.end

    def _render(self) -> RenderResult:
        from near_miss.ingest import iter_frames

        labels = LabelState(self.stride, label_window(self.fps, self.stride))
        window = active_frames(self.event_active_s, self.fps)
        frames = iter(iter_frames(self.video, stride=1, max_frames=self.end))
        head = next(frames, None)
        if head is None:
            raise UserError(f"{self.video}: no frame could be read to render")
        height, width = head[1].shape[:2]
        count, shown, tracks = 0, None, None
        table, logged = events_dataframe([]), 0
        with atomic_path(self.out_path) as tmp, h264_writer(tmp, (width, height), self.fps) as out:
            for index, frame in itertools.chain([head], frames):
                rows, events = self._wait_until_final(index)
                processed = index - index % self.stride
                if processed != shown:  # labels advance once per processed frame
                    tracks = pd.DataFrame(rows, columns=TRACK_COLUMNS)
                    tracks = tracks.assign(label=labels.labels(tracks))
                    shown = processed
                if len(events) != logged:  # the events table changes only when one is logged
                    table, logged = events_dataframe(events), len(events)
                active = active_events(table, index, window)
                out.send(np.ascontiguousarray(
                    annotate_frame(frame, index, tracks, active, self.fps, self.end)))
                count += 1
        return RenderResult(self.out_path, count, self.fps, width, height)
