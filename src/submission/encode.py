"""H.264 encoding and probing with the ffmpeg binary bundled by ``imageio-ffmpeg``."""

from __future__ import annotations

import re
import subprocess
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from tatweer_common.errors import UserError
from tatweer_common.io import atomic_path

MAX_DEMO_S = 180.0


@dataclass(frozen=True)
class VideoInfo:
    codec: str
    pix_fmt: str
    width: int
    height: int
    duration_s: float
    audio_codec: str | None


def ffmpeg_exe() -> str:
    import imageio_ffmpeg

    return imageio_ffmpeg.get_ffmpeg_exe()


def probe(path: Path) -> VideoInfo:
    """Codec, pixel format, size, duration and audio codec, from ``ffmpeg -i``."""
    log = subprocess.run([ffmpeg_exe(), "-hide_banner", "-i", str(path)],
                         capture_output=True, text=True).stderr
    video = re.search(r"Video: (\w+)[^,]*, (\w+)[^,]*(?:\([^)]*\))?, (\d+)x(\d+)", log)
    duration = re.search(r"Duration: (\d+):(\d+):([\d.]+)", log)
    if not video or not duration:
        raise UserError(f"{path}: not a readable video")
    audio = re.search(r"Audio: (\w+)", log)
    h, m, s = duration.groups()
    return VideoInfo(
        codec=video.group(1), pix_fmt=video.group(2), width=int(video.group(3)),
        height=int(video.group(4)), duration_s=int(h) * 3600 + int(m) * 60 + float(s),
        audio_codec=audio.group(1) if audio else None,
    )


def demo_problems(path: Path) -> list[str]:
    """The checklist's rules for the demo video: <= 3 minutes, H.264 yuv420p."""
    info = probe(path)
    problems = []
    if info.duration_s > MAX_DEMO_S:
        problems.append(f"{path.name}: {info.duration_s:.0f} s, longer than {MAX_DEMO_S:.0f} s")
    if (info.codec, info.pix_fmt) != ("h264", "yuv420p"):
        problems.append(f"{path.name}: {info.codec}/{info.pix_fmt}, not h264/yuv420p")
    return problems


def write_video(path: Path, frames: Iterable[np.ndarray], size: tuple[int, int], fps: float,
                audio: Path | None = None) -> Path:
    """Encode RGB frames (and an optional WAV track, as AAC) to an H.264 yuv420p MP4."""
    import imageio_ffmpeg

    with atomic_path(path) as tmp:
        writer = imageio_ffmpeg.write_frames(
            str(tmp), size, fps=fps, codec="libx264", pix_fmt_out="yuv420p", quality=None,
            macro_block_size=2, ffmpeg_log_level="error",
            output_params=["-preset", "veryfast", "-crf", "23", "-movflags", "+faststart"],
            audio_path=str(audio) if audio else None, audio_codec="aac" if audio else None,
        )
        writer.send(None)  # start ffmpeg
        for frame in frames:
            writer.send(np.ascontiguousarray(frame, dtype=np.uint8))
        writer.close()
    return path
