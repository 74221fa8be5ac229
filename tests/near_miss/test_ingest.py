"""Video ingestion: metadata, frame iteration, sampling, source resolution and bad input."""

from __future__ import annotations

import shutil
from pathlib import Path

import cv2
import numpy as np
import pytest

from near_miss import ingest
from near_miss.ingest import (
    YOUTUBE_URL,
    iter_frames,
    resolve_video,
    sample_frames,
    video_metadata,
)
from tatweer_common.errors import UserError

FRAMES, FPS, W, H = 12, 10.0, 64, 48


def write_video(path: Path, frames: int = FRAMES) -> Path:
    """A tiny mp4 whose frame i is uniformly grey with value 20 * i."""
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), FPS, (W, H))
    assert writer.isOpened()
    for i in range(frames):
        writer.write(np.full((H, W, 3), 20 * i, dtype=np.uint8))
    writer.release()
    return path


@pytest.fixture
def video(tmp_path: Path) -> Path:
    return write_video(tmp_path / "tiny.mp4")


@pytest.fixture
def offline(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """No network: downloads fail fast; assets point at a folder holding a tiny default video."""
    assets = tmp_path / "assets"
    (assets / "video").mkdir(parents=True)
    write_video(assets / ingest.OFFLINE_VIDEO)
    monkeypatch.setenv("TATWEER_ASSETS", str(assets))
    monkeypatch.delenv("TATWEER_SMOKE", raising=False)
    calls: list[str] = []

    def fail(url, target, timeout_s=0):
        calls.append(url)
        raise RuntimeError("no network (test)")

    monkeypatch.setattr(ingest, "download_video", fail)
    return calls


def test_metadata_of_a_small_video(video: Path) -> None:
    meta = video_metadata(video)
    assert (meta.frames, meta.fps, meta.width, meta.height) == (FRAMES, FPS, W, H)
    assert meta.duration_s == pytest.approx(FRAMES / FPS)
    assert str(video) in meta.summary()


def _grey(frame: np.ndarray) -> int:
    return int(round(float(frame.mean()) / 20))


@pytest.mark.parametrize(
    ("kwargs", "expected"),
    [
        ({}, list(range(FRAMES))),
        ({"stride": 2}, [0, 2, 4, 6, 8, 10]),
        ({"stride": 3, "start": 1}, [1, 4, 7, 10]),
        ({"stride": 2, "max_frames": 5}, [0, 2, 4]),
        ({"stride": 2, "start": 4, "max_frames": 3}, [4, 6]),
    ],
)
def test_iter_frames_yields_source_indices(video: Path, kwargs: dict, expected: list[int]) -> None:
    pairs = list(iter_frames(video, **kwargs))
    assert [i for i, _ in pairs] == expected
    assert [_grey(f) for _, f in pairs] == expected  # the frame really is the indexed one
    assert all(f.shape == (H, W, 3) for _, f in pairs)


def test_iter_frames_rejects_a_bad_stride(video: Path) -> None:
    with pytest.raises(UserError, match="stride=0"):
        list(iter_frames(video, stride=0))


def test_sample_frames_are_evenly_spaced(video: Path) -> None:
    import matplotlib.pyplot as plt

    plt.close("all")
    samples = sample_frames(video, n=4, show=True)
    assert [i for i, _ in samples] == [0, 3, 7, 11]
    assert [_grey(f) for _, f in samples] == [0, 3, 7, 11]
    assert len(plt.get_fignums()) == 1 and len(plt.gcf().axes) == 4
    plt.close("all")
    assert len(sample_frames(video, n=5, show=False)) == 5
    assert not plt.get_fignums()


def test_missing_file_is_a_user_error(tmp_path: Path) -> None:
    path = tmp_path / "nope.mp4"
    with pytest.raises(UserError, match=r"nope\.mp4: video file not found"):
        video_metadata(path)


def test_a_folder_is_not_a_video(tmp_path: Path) -> None:
    with pytest.raises(UserError, match="is not a file"):
        video_metadata(tmp_path)


def test_garbage_bytes_are_not_a_video(tmp_path: Path) -> None:
    path = tmp_path / "garbage.mp4"
    path.write_bytes(np.random.default_rng(0).bytes(4096))
    with pytest.raises(UserError, match=r"garbage\.mp4: cannot be opened as a video"):
        video_metadata(path)


def test_zero_frame_video_is_rejected(tmp_path: Path) -> None:
    path = write_video(tmp_path / "empty.mp4", frames=0)
    with pytest.raises(UserError, match=r"empty\.mp4: (cannot be opened|contains no decodable)"):
        video_metadata(path)


def test_truncated_video_is_rejected(tmp_path: Path, video: Path) -> None:
    data = video.read_bytes()
    path = tmp_path / "cut.mp4"
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(UserError, match=r"cut\.mp4: (cannot be opened|contains no decodable)"):
        video_metadata(path)


def test_offline_falls_back_to_the_default_video(tmp_path: Path, offline, capsys) -> None:
    source = resolve_video(None, data_dir=tmp_path / "data")
    assert source.origin == "offline"
    assert source.path.name == "spec_video_r86kxxU-LUY.mp4"
    assert offline == [YOUTUBE_URL]
    out = capsys.readouterr().out.strip().splitlines()
    assert len(out) == 1
    assert "YouTube was unreachable; analysed the offline copy of the same video" in out[0]
    assert source.detail == "YouTube download failed: no network (test)"
    assert not (tmp_path / "data" / "raw_video.mp4").exists()


def test_smoke_run_does_not_try_the_network(tmp_path: Path, offline, monkeypatch) -> None:
    monkeypatch.setenv("TATWEER_SMOKE", "1")
    source = resolve_video(None, data_dir=tmp_path / "data")
    assert source.origin == "offline" and "smoke run" in source.note
    assert offline == []


def test_existing_download_is_reused(tmp_path: Path, offline) -> None:
    write_video(tmp_path / "raw_video.mp4")
    source = resolve_video(None, data_dir=tmp_path)
    assert source.origin == "youtube" and source.path == tmp_path / "raw_video.mp4"
    assert offline == []


def test_invalid_existing_download_is_fetched_again(tmp_path: Path, offline, monkeypatch) -> None:
    (tmp_path / "raw_video.mp4").write_bytes(b"not a video")
    fetched = []

    def fake_download(url, target, timeout_s=0):
        fetched.append(url)
        return write_video(target)

    monkeypatch.setattr(ingest, "download_video", fake_download)
    source = resolve_video(None, data_dir=tmp_path)
    assert fetched == [YOUTUBE_URL] and source.origin == "youtube"
    assert video_metadata(source.path).frames == FRAMES


def test_explicit_local_video_wins(video: Path, offline, tmp_path: Path, capsys) -> None:
    source = resolve_video(str(video), data_dir=tmp_path)
    assert (source.origin, source.path) == ("local", video)
    assert offline == []
    assert "--video" in capsys.readouterr().out


def test_explicit_missing_video_is_a_user_error(tmp_path: Path, offline) -> None:
    with pytest.raises(UserError, match="missing.mp4: video file not found"):
        resolve_video(str(tmp_path / "missing.mp4"), data_dir=tmp_path)


def test_unreadable_url_is_a_user_error(tmp_path: Path, offline) -> None:
    url = "https://example.invalid/clip"
    with pytest.raises(UserError, match=r"example\.invalid/clip: cannot download the video"):
        resolve_video(url, data_dir=tmp_path)
    assert offline == [url]


def test_url_is_downloaded_to_its_own_file(tmp_path: Path, offline, monkeypatch) -> None:
    monkeypatch.setattr(ingest, "download_video", lambda url, target, **kw: write_video(target))
    source = resolve_video("https://example.org/a.mp4", data_dir=tmp_path)
    assert source.origin == "url" and source.path.parent == tmp_path
    assert source.path.name.startswith("video_") and source.path.name != "raw_video.mp4"


def test_no_video_anywhere_is_a_user_error(tmp_path: Path, offline, monkeypatch) -> None:
    monkeypatch.setenv("TATWEER_ASSETS", str(tmp_path / "elsewhere"))
    with pytest.raises(UserError, match="no video: YouTube download failed.*use --video"):
        resolve_video(None, data_dir=tmp_path)


def test_download_errors_become_short_reasons_and_leave_no_file(tmp_path, monkeypatch) -> None:
    import yt_dlp

    class FailingYDL:
        def __init__(self, options):
            self.options = options

        def __enter__(self):
            Path(self.options["outtmpl"]).write_bytes(b"partial")
            return self

        def __exit__(self, *exc):
            return False

        def download(self, urls):
            raise yt_dlp.utils.DownloadError(
                "ERROR: [youtube] x: Unable to download API page: HTTPSConnection(host='h', "
                "port=443): Failed to resolve 'h' (caused by TransportError())"
            )

    monkeypatch.setattr(yt_dlp, "YoutubeDL", FailingYDL)
    target = tmp_path / "raw_video.mp4"
    with pytest.raises(RuntimeError) as info:
        ingest.download_video(YOUTUBE_URL, target)
    assert str(info.value) == "[youtube] x: Unable to download API page: Failed to resolve 'h'"
    assert list(tmp_path.iterdir()) == []


def test_download_options_ask_for_720p_without_retries(tmp_path, monkeypatch, video) -> None:
    import yt_dlp

    seen = {}

    class RecordingYDL:
        def __init__(self, options):
            seen.update(options)

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            return False

        def download(self, urls):
            shutil.copy(video, seen["outtmpl"])

    monkeypatch.setattr(yt_dlp, "YoutubeDL", RecordingYDL)
    target = ingest.download_video(YOUTUBE_URL, tmp_path / "data" / "raw_video.mp4")
    assert video_metadata(target).frames == FRAMES
    assert "height<=720" in seen["format"] and seen["retries"] == 0
    assert seen["socket_timeout"] <= 30
