"""Tracking on real footage (offline assets; skipped when they are absent)."""

from __future__ import annotations

import pandas as pd
import pytest

from near_miss.detection import detect_objects
from near_miss.detection.models import UltralyticsDetector
from near_miss.ingest import iter_frames
from near_miss.outputs.render import label_classes
from near_miss.tracking import CentroidTracker
from tatweer_common.paths import assets_dir


def asset(rel: str):
    path = assets_dir() / rel
    if not path.is_file():
        pytest.skip(f"offline asset {path} is absent")
    return path


@pytest.mark.slow
def test_the_car_turning_across_the_crosswalk_gets_its_own_id_and_label():
    # With last-position matching and a 100 px gate, pedestrian #6, missed by the detector,
    # handed its ID to this car, which then showed "#6 pedestrian" (source frame 55).
    video = asset("video/crosswalk_intersection.mp4")
    detector = UltralyticsDetector(asset("models/yolov8n.pt"), name="yolov8n")
    tracker = CentroidTracker()
    rows = []
    for index, frame in iter_frames(video, stride=2, max_frames=56):
        for oid, obj in tracker.update(detect_objects(frame, detector), index).items():
            rows.append((index, oid, obj["class"], obj["detected_class"], *obj["center"]))
    columns = ["frame_index", "object_id", "class", "detected_class", "cx", "cy"]
    tracks = pd.DataFrame(rows, columns=columns)
    tracks["label"] = label_classes(tracks, stride=2, window=3)
    at = tracks[tracks.frame_index == 54]
    distance = ((at.cx - 209) ** 2 + (at.cy - 189) ** 2) ** 0.5
    assert distance.min() < 15, "the car was not tracked at frame 54"
    car = at.loc[distance.idxmin()]
    assert car.detected_class == "vehicle" and car.label == "vehicle"
    assert tracker.class_of(int(car.object_id)) == "vehicle"
