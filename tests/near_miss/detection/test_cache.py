"""Detection cache: one stride-1 table per video and model, replayed at any stride."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from near_miss.detection import cache
from near_miss.detection.models import Box, DetectionStats


class CountingDetector:
    """One car per frame, moving 10 px per frame; counts the frames it was asked about."""

    name = base_name = "fake"
    precision = "fp32"
    licence = "MIT"
    imgsz = 640
    parameters = 0

    def __init__(self):
        self.calls = 0
        self.stats = DetectionStats()

    def predict(self, frame, conf):
        self.calls += 1
        x = 10.0 * (self.calls - 1)
        return [Box(x, 0.0, x + 20.0, 10.0, 0.9, "car"), Box(0.0, 50.0, 8.0, 70.0, 0.2, "person")]


@pytest.fixture
def video(tmp_path):
    path = tmp_path / "clip.avi"
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), 10.0, (64, 48))
    for i in range(7):
        writer.write(np.full((48, 64, 3), i * 30, np.uint8))
    writer.release()
    return path


def test_the_table_is_computed_once_then_read_from_the_cache(video, tmp_path, monkeypatch):
    monkeypatch.setenv("TATWEER_CACHE", str(tmp_path / "cache"))
    model = CountingDetector()
    key = cache.model_key(model, 640, rect=True)
    assert key == "fake-fp32-640rect"
    first = cache.detection_table(video, model, key, progress=False)
    assert model.calls == 7 and len(first) == 14  # every frame, low-confidence boxes kept
    again = cache.detection_table(video, model, key, progress=False)
    assert model.calls == 7 and again.equals(first)
    assert cache.cache_path(video, key).is_file()


def test_replay_takes_every_stride_th_frame_above_the_threshold(video, tmp_path, monkeypatch):
    monkeypatch.setenv("TATWEER_CACHE", str(tmp_path / "cache"))
    table = cache.detection_table(video, CountingDetector(), "fake-640sq", progress=False)
    replay = list(cache.iter_cached(table, frames=7, stride=3, conf=0.4))
    assert [i for i, _ in replay] == [0, 3, 6]
    assert all(len(dets) == 1 for _, dets in replay)  # the 0.2 person is below 0.4
    det = replay[1][1][0]
    assert det["class"] == "vehicle" and det["coco_class"] == "car"
    assert det["bbox"] == [30.0, 0.0, 50.0, 10.0] and det["center"] == (40.0, 5.0)
    low = list(cache.iter_cached(table, frames=7, stride=3, conf=0.1))
    assert all(len(dets) == 2 for _, dets in low)
