"""The ``info`` command: detection + tracking pass, printed summary and option errors."""

from __future__ import annotations

import urllib.error
from pathlib import Path

import cv2
import numpy as np
import pytest

from near_miss import ingest
from near_miss.cli import COMMANDS
from near_miss.detection import loader
from near_miss.detection.models import Box, DetectionStats
from near_miss.outputs.overview import analyse, format_overview
from near_miss.tracking import make_tracker
from tatweer_common.cli import dispatch
from tatweer_common.paths import assets_dir


def info(*argv: str) -> int:
    """Run ``near_miss info`` alone (other commands' modules are not needed)."""
    return dispatch("near_miss", "test", {"info": COMMANDS["info"]}, ["info", *argv])


def write_video(path: Path, frames: int = 10) -> Path:
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), 10.0, (96, 64))
    for _ in range(frames):
        writer.write(np.zeros((64, 96, 3), np.uint8))
    writer.release()
    return path


class MovingBoxes:
    """A Detector that sees a car moving right and a person standing still (every frame)."""

    name, licence, imgsz, parameters = "scripted", "n/a", 640, 0

    def __init__(self) -> None:
        self.stats = DetectionStats()
        self.calls = 0

    def predict(self, frame, conf):
        x = 5.0 * self.calls
        self.calls += 1
        self.stats.record(2.0)
        return [Box(x, 10, x + 20, 30, 0.9, "car"), Box(70, 30, 80, 60, 0.8, "person"),
                Box(0, 0, 5, 5, 0.9, "dog")]


def test_analyse_counts_detections_and_tracks(tmp_path: Path) -> None:
    video = write_video(tmp_path / "v.mp4", frames=10)
    detector = MovingBoxes()
    result = analyse(video, detector, make_tracker("centroid"), stride=2, max_frames=7)
    assert result.frames_processed == 4 == detector.calls  # frames 0, 2, 4, 6
    assert result.coco_counts == {"car": 4, "person": 4}
    assert result.class_counts == {"vehicle": 4, "pedestrian": 4}
    assert result.mean_ms == 2.0
    assert result.tracking.unique_ids == 2 and result.tracking.peak_active == 2
    text = format_overview(result, fps=10.0, total_frames=10, stride=2)
    assert "average detection time: 2.0 ms/frame" in text
    assert "detections per class: car: 4, person: 4" in text
    assert "unique IDs: 2" in text


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--stride", "0"], "--stride must be >= 1"),
        (["--max-frames", "0"], "--max-frames must be >= 1"),
        (["--conf", "2"], "--conf must be within [0, 1]"),
        (["--imgsz", "100"], "--imgsz must be a positive multiple of 32"),
        (["--threads", "0"], "--threads must be >= 1"),
        (["--video", "no/such.mp4"], "no/such.mp4: video file not found"),
    ],
)
def test_bad_options_are_one_line_errors(argv, message, capsys) -> None:
    assert info(*argv) == 2
    err = capsys.readouterr().err.strip()
    assert err == f"error: {err.removeprefix('error: ')}" and message in err
    assert "\n" not in err


@pytest.mark.slow
def test_info_on_the_offline_sample(tmp_path: Path, monkeypatch, capsys) -> None:
    video = assets_dir() / ingest.OFFLINE_VIDEO
    if not video.is_file() or not loader.CHECKPOINTS["yolov8n"].asset.is_file():
        pytest.skip(f"offline assets under {assets_dir()} are absent")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("TATWEER_CACHE", str(tmp_path / "cache"))

    def offline(*args, **kwargs):
        raise urllib.error.URLError("no network (test)")

    monkeypatch.setattr(loader, "download_file", offline)
    assert info("--video", str(video), "--max-frames", "6", "--tracker", "sort") == 0
    out = capsys.readouterr().out
    assert "source: local" in out and "458 frames, 20.00 fps, 1280x720" in out
    assert "frames processed: 3 (stride 2" in out
    assert "ms/frame" in out and "detections per class: " in out and "car:" in out
    assert "unique IDs:" in out and "peak active objects:" in out
