"""Scenes of the demo video (a still slide or a video clip, plus narration) and their frames."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from submission import narration
from submission.slides import Canvas, letterbox, with_caption
from submission.terminal import Typing


@dataclass(frozen=True)
class Clip:
    """``start_s`` to ``end_s`` of a video, played at ``speed`` (0.5 = half speed)."""

    path: Path
    start_s: float
    end_s: float
    speed: float = 1.0

    @property
    def length_s(self) -> float:
        return (self.end_s - self.start_s) / self.speed

    def contents(self, times: list[float], canvas: Canvas) -> Iterator[np.ndarray]:
        """The clip's frame at each output time (ascending), letterboxed; the last one holds."""
        import imageio_ffmpeg

        reader = imageio_ffmpeg.read_frames(str(self.path), input_params=["-ss", f"{self.start_s}"])
        meta = next(reader)
        (w, h), fps = meta["size"], meta["fps"]
        index, frame = -1, None
        try:
            for t in times:
                wanted = int(min(t, self.length_s) * self.speed * fps)
                while index < wanted:
                    raw = next(reader, None)
                    if raw is None:
                        break
                    index, frame = index + 1, np.frombuffer(raw, np.uint8).reshape(h, w, 3)
                if frame is None:
                    raise ValueError(f"{self.path}: no frames after {self.start_s:.1f} s")
                yield letterbox(frame, canvas)
        finally:
            reader.close()


@dataclass
class Scene:
    """What is shown (``still`` or ``clip``) while ``sentences`` are narrated."""

    name: str
    sentences: list[str]
    still: np.ndarray | None = None
    clip: Clip | Typing | None = None  # anything with ``length_s`` and ``contents``
    min_s: float = 0.0
    lines: list[narration.Line] = field(default_factory=list)
    duration: float = 0.0

    def time(self, voice: narration.Voice | None, fps: float) -> None:
        """Synthesise (or estimate) the narration and fix the duration to whole frames."""
        self.lines, spoken = narration.time_lines(self.sentences, voice)
        length = max(self.min_s, spoken, self.clip.length_s if self.clip else 0.0)
        self.duration = round(length * fps) / fps

    def frames(self, canvas: Canvas, fps: float) -> Iterator[np.ndarray]:
        times = [i / fps for i in range(round(self.duration * fps))]
        if self.clip is not None:
            for t, content in zip(times, self.clip.contents(times, canvas), strict=True):
                yield with_caption(content, canvas, narration.caption_at(self.lines, t))
            return
        composed: dict[str, np.ndarray] = {}
        for t in times:
            caption = narration.caption_at(self.lines, t)
            if caption not in composed:
                composed[caption] = with_caption(self.still, canvas, caption)
            yield composed[caption]


def all_frames(scenes: list[Scene], canvas: Canvas, fps: float) -> Iterator[np.ndarray]:
    for scene in scenes:
        yield from scene.frames(canvas, fps)


def soundtrack(scenes: list[Scene]) -> np.ndarray:
    """The narration of every scene at its place on the timeline."""
    offsets = np.cumsum([0.0] + [s.duration for s in scenes])
    return narration.mix([(o, s.lines) for o, s in zip(offsets, scenes, strict=False)],
                         float(offsets[-1]))
