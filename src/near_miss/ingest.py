"""Video ingestion (spec Task 1.1): find the source video, read its metadata and frames.

``resolve_video`` decides which video the pipeline analyses and prints one line saying why:

1. an explicit ``video`` argument (``--video``): a local file, or a URL downloaded with yt-dlp;
2. otherwise the spec's YouTube video, downloaded once with yt-dlp (<=720p) to
   ``data/raw_video.mp4`` (reused when already there);
3. when that download fails (no internet), the offline copy of that same video,
   ``<assets>/video/spec_video_r86kxxU-LUY.mp4`` (as downloaded with yt-dlp; third-party
   footage, local input only; see ``tatweer_common.paths``).

Every bad file (missing, not a video, zero frames, corrupt) raises ``UserError`` naming the
path and the problem.
"""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from tatweer_common.errors import UserError
from tatweer_common.io import atomic_path
from tatweer_common.paths import assets_dir, display_path, is_smoke

YOUTUBE_URL = "https://www.youtube.com/watch?v=r86kxxU-LUY"
DEFAULT_VIDEO_NAME = "raw_video.mp4"
OFFLINE_VIDEO = "video/spec_video_r86kxxU-LUY.mp4"
YTDLP_FORMAT = "best[height<=720][ext=mp4]/best[height<=720]"
DOWNLOAD_TIMEOUT_S = 10


@dataclass(frozen=True)
class VideoMetadata:
    """What OpenCV reports about a video file."""

    path: Path
    frames: int
    fps: float
    width: int
    height: int
    duration_s: float

    def summary(self) -> str:
        return (
            f"{self.path}: {self.frames} frames, {self.fps:.2f} fps, "
            f"{self.width}x{self.height}, {self.duration_s:.1f} s"
        )


@dataclass(frozen=True)
class VideoSource:
    """The video chosen by ``resolve_video``: its path, where it came from and why."""

    path: Path
    origin: str  # "youtube", "url", "local" or "offline"
    note: str  # one human sentence for logs and reports
    detail: str = ""  # the technical reason behind a fallback (kept in run.json)


def offline_video() -> Path:
    """The offline copy of the spec's video (may not exist outside this machine)."""
    return assets_dir() / OFFLINE_VIDEO


def _open(path: str | os.PathLike) -> cv2.VideoCapture:
    path = Path(path)
    if not path.exists():
        raise UserError(f"{path}: video file not found")
    if not path.is_file():
        raise UserError(f"{path}: is not a file")
    cap = cv2.VideoCapture(str(path))
    if not cap.isOpened():
        cap.release()
        raise UserError(f"{path}: cannot be opened as a video (not a video file, or corrupt)")
    return cap


def video_metadata(path: str | os.PathLike) -> VideoMetadata:
    """Frame count, fps, size and duration of ``path``; UserError when it is not a usable video."""
    path = Path(path)
    cap = _open(path)
    try:
        fps = float(cap.get(cv2.CAP_PROP_FPS) or 0.0)
        width = int(cap.get(cv2.CAP_PROP_FRAME_WIDTH))
        height = int(cap.get(cv2.CAP_PROP_FRAME_HEIGHT))
        frames = int(cap.get(cv2.CAP_PROP_FRAME_COUNT) or 0)
        ok, first = cap.read()
        if not ok or first is None:
            raise UserError(f"{path}: contains no decodable frames (empty or corrupt video)")
        if frames <= 0:  # container without a frame count: count by decoding
            frames = 1
            while cap.grab():
                frames += 1
        else:
            frames = _decodable_count(cap, frames)
    finally:
        cap.release()
    if fps <= 0:
        raise UserError(f"{path}: reports no frame rate (corrupt or unsupported video)")
    height, width = (height, width) if width > 0 else first.shape[:2]
    return VideoMetadata(path, frames, fps, width, height, frames / fps)


def _decodable_count(cap: cv2.VideoCapture, reported: int, tries: int = 5) -> int:
    """``reported`` frames, or fewer when the container's last frames cannot be decoded
    (yt-dlp downloads often announce one frame more than they hold)."""
    for count in range(reported, max(reported - tries, 1), -1):
        cap.set(cv2.CAP_PROP_POS_FRAMES, count - 1)
        if cap.grab():
            return count
    return reported


def iter_frames(
    path: str | os.PathLike, stride: int = 1, start: int = 0, max_frames: int | None = None
) -> Iterator[tuple[int, np.ndarray]]:
    """Yield ``(frame_index, bgr_frame)`` for every ``stride``-th frame from ``start``.

    ``frame_index`` is the index in the source video. ``max_frames`` limits the window of source
    frames read (``start`` to ``start + max_frames - 1``), so ``max_frames=300, stride=2``
    yields the 150 processed frames of the first 300.
    """
    if stride < 1 or start < 0 or (max_frames is not None and max_frames < 0):
        raise UserError(f"iter_frames: bad window stride={stride} start={start} max={max_frames}")
    cap = _open(path)
    end = None if max_frames is None else start + max_frames
    try:
        index = 0
        while end is None or index < end:
            wanted = index >= start and (index - start) % stride == 0
            ok, frame = cap.read() if wanted else (cap.grab(), None)
            if not ok:
                return
            if wanted:
                yield index, frame
            index += 1
    finally:
        cap.release()


def read_frame(path: str | os.PathLike, index: int) -> np.ndarray:
    """One frame by its index (seeks); UserError when the video has no such frame."""
    cap = _open(path)
    try:
        cap.set(cv2.CAP_PROP_POS_FRAMES, index)
        ok, frame = cap.read()
    finally:
        cap.release()
    if not ok:
        raise UserError(f"{path}: cannot read frame {index}")
    return frame


def sample_frames(
    video_path: str | os.PathLike, n: int = 5, show: bool = True
) -> list[tuple[int, np.ndarray]]:
    """``n`` evenly spaced ``(frame_index, bgr_frame)`` pairs; shown in a matplotlib grid."""
    meta = video_metadata(video_path)
    indices = sorted({int(i) for i in np.linspace(0, meta.frames - 1, num=max(n, 1))})
    samples = [(i, read_frame(video_path, i)) for i in indices]
    if show:
        import matplotlib.pyplot as plt

        titles = [f"frame {i} ({i / meta.fps:.1f} s)" for i, _ in samples]
        frame_grid([f for _, f in samples], titles)
        plt.show()
    return samples


def frame_grid(frames: list[np.ndarray], titles: list[str] | None = None, cols: int = 5):
    """A matplotlib figure showing BGR ``frames`` in a grid (returns the figure)."""
    import matplotlib.pyplot as plt

    cols = max(1, min(cols, len(frames)))
    rows = max(1, -(-len(frames) // cols))
    fig, axes = plt.subplots(rows, cols, figsize=(4 * cols, 3 * rows), squeeze=False)
    for k, ax in enumerate(axes.flat):
        ax.axis("off")
        if k < len(frames):
            ax.imshow(cv2.cvtColor(frames[k], cv2.COLOR_BGR2RGB))
            if titles:
                ax.set_title(titles[k], fontsize=9)
    fig.tight_layout()
    return fig


class _QuietLogger:
    """Keeps yt-dlp silent: the one status line is printed by ``resolve_video``."""

    def debug(self, msg: str) -> None:
        pass

    info = warning = error = debug


def download_video(url: str, target: Path, timeout_s: float = DOWNLOAD_TIMEOUT_S) -> Path:
    """Download ``url`` with yt-dlp (<=720p, mp4 preferred) to ``target`` atomically.

    Raises ``RuntimeError`` with a short reason on any failure (offline, unknown URL...).
    """
    import yt_dlp

    options = {
        "format": YTDLP_FORMAT,
        "quiet": True,
        "no_warnings": True,
        "noprogress": True,
        "noplaylist": True,
        "logger": _QuietLogger(),
        "socket_timeout": timeout_s,
        "retries": 0,
        "fragment_retries": 0,
        "extractor_retries": 0,
        "overwrites": True,
    }
    try:
        with atomic_path(target) as tmp:
            options["outtmpl"] = str(tmp)
            with yt_dlp.YoutubeDL(options) as ydl:
                ydl.download([url])
    except Exception as exc:  # yt-dlp raises many types; all mean "no video from there"
        raise RuntimeError(_short_reason(exc)) from exc
    return target


def _short_reason(exc: Exception, limit: int = 140) -> str:
    """yt-dlp's first error line without its connection-object noise."""
    text = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    text = re.sub(r"HTTPS?Connection\([^)]*\): ", "", text.removeprefix("ERROR: "))
    text = text.split(" (caused by ")[0]
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _is_valid_video(path: Path) -> bool:
    try:
        video_metadata(path)
    except UserError:
        return False
    return True


def _from_url(url: str, data_dir: Path) -> VideoSource:
    name = DEFAULT_VIDEO_NAME if url == YOUTUBE_URL else _url_file_name(url)
    target = data_dir / name
    if _is_valid_video(target):
        return VideoSource(target, "url", f"{url} already downloaded ({display_path(target)})")
    try:
        download_video(url, target)
    except RuntimeError as exc:
        raise UserError(f"{url}: cannot download the video ({exc})") from exc
    video_metadata(target)
    return VideoSource(target, "url", f"downloaded {url} to {display_path(target)}")


def _url_file_name(url: str) -> str:
    return f"video_{hashlib.sha1(url.encode()).hexdigest()[:10]}.mp4"


def _default_source(data_dir: Path) -> VideoSource:
    target = data_dir / DEFAULT_VIDEO_NAME
    if _is_valid_video(target):
        shown = display_path(target)
        return VideoSource(target, "youtube", f"spec video already downloaded ({shown})")
    if is_smoke():
        reason = "smoke run (TATWEER_SMOKE=1): no download attempted"
    else:
        try:
            download_video(YOUTUBE_URL, target)
            video_metadata(target)
            return VideoSource(target, "youtube", f"downloaded {YOUTUBE_URL} (<=720p)")
        except RuntimeError as exc:
            reason = f"YouTube download failed: {exc}"
    fallback = offline_video()
    if not fallback.is_file():
        raise UserError(f"no video: {reason}; offline default {fallback} not found (use --video)")
    video_metadata(fallback)
    why = "no download attempted (smoke run)" if is_smoke() else "YouTube was unreachable"
    return VideoSource(fallback, "offline", f"{why}; analysed the offline copy of the same video "
                       f"({display_path(fallback)})", reason)


def resolve_video(video: str | None = None, data_dir: str | os.PathLike = "data") -> VideoSource:
    """Choose the video to analyse (see the module docstring) and print one line saying why.

    ``video`` may be a local path or an http(s) URL; ``None`` means the spec's YouTube video
    with the offline fallback.
    """
    data_dir = Path(data_dir)
    if video is None:
        source = _default_source(data_dir)
    elif str(video).lower().startswith(("http://", "https://")):
        source = _from_url(str(video), data_dir)
    else:
        path = Path(video).expanduser()
        video_metadata(path)
        source = VideoSource(path, "local", f"--video {display_path(path)}")
    print(f"video source: {source.note}")
    return source
