"""Detection: class mapping/filtering, letterbox, model resolution and the real model."""

from __future__ import annotations

import urllib.error
from pathlib import Path

import numpy as np
import pytest
import torch

from near_miss.detection import CLASS_MAP, Box, detect_objects, load_detector, loader, models
from near_miss.detection.models import DetectionStats
from near_miss.ingest import read_frame
from tatweer_common.errors import UserError
from tatweer_common.paths import assets_dir

KEYS = {"id", "class", "bbox", "confidence", "center", "coco_class"}
COCO = ["person", "bicycle", "car", "motorcycle", "airplane", "bus", "train", "truck", "boat"]
COCO += [f"class{i}" for i in range(len(COCO), 80)]
COCO[16] = "dog"


def asset(rel: str) -> Path:
    path = assets_dir() / rel
    if not path.is_file():
        pytest.skip(f"offline asset {path} is absent")
    return path


class ScriptedDetector:
    """A Detector returning fixed boxes (whatever the frame)."""

    name, licence, imgsz, parameters = "scripted", "n/a", 640, 0

    def __init__(self, boxes: list[Box]) -> None:
        self.boxes = boxes
        self.stats = DetectionStats()

    def predict(self, frame, conf):
        self.stats.record(1.0)
        return self.boxes


def test_class_map_is_the_spec_filter() -> None:
    assert CLASS_MAP == {
        "car": "vehicle", "truck": "vehicle", "bus": "vehicle", "motorcycle": "vehicle",
        "bicycle": "vehicle", "person": "pedestrian",
    }


def test_detect_objects_returns_the_spec_dicts_filtered_and_mapped() -> None:
    model = ScriptedDetector([
        Box(10, 20, 30, 60, 0.9, "person"),
        Box(0, 0, 100, 50, 0.8, "truck"),
        Box(5, 5, 15, 15, 0.95, "dog"),  # not a road user
        Box(1, 1, 2, 2, 0.3, "car"),  # below the threshold
    ])
    dets = detect_objects(np.zeros((100, 200, 3), np.uint8), model, conf_threshold=0.4)
    assert [set(d) for d in dets] == [KEYS, KEYS]
    person, truck = dets
    assert person["id"] is None and person["class"] == "pedestrian"
    assert person["bbox"] == [10.0, 20.0, 30.0, 60.0] and person["center"] == (20.0, 40.0)
    assert truck["class"] == "vehicle" and truck["coco_class"] == "truck"
    assert truck["confidence"] == pytest.approx(0.8)
    assert model.stats.frames == 1 and model.stats.mean_ms == 1.0


def test_detect_objects_rejects_bad_input() -> None:
    model = ScriptedDetector([])
    with pytest.raises(ValueError, match="HxWx3"):
        detect_objects(np.zeros((10, 10), np.uint8), model)
    with pytest.raises(ValueError, match="conf_threshold"):
        detect_objects(np.zeros((10, 10, 3), np.uint8), model, conf_threshold=1.5)
    with pytest.raises(TypeError, match="unsupported model"):
        detect_objects(np.zeros((10, 10, 3), np.uint8), object())


def test_letterbox_is_square_and_keeps_the_aspect() -> None:
    image = models.letterbox(np.full((352, 640, 3), 255, np.uint8), 640)
    assert image.shape == (640, 640, 3)
    rows = np.nonzero(image[:, 320, 0] == 255)[0]
    assert (rows.min(), rows.max() + 1) == (144, 496)  # centred, 352 rows tall


def test_rect_letterbox_pads_to_a_multiple_of_32() -> None:
    image = models.letterbox(np.full((720, 1280, 3), 255, np.uint8), 640, rect=True)
    assert image.shape == (384, 640, 3)  # 1280x720 -> 640x360, padded to 384 rows
    rows = np.nonzero(image[:, 320, 0] == 255)[0]
    assert (rows.min(), rows.max() + 1) == (12, 372)


@pytest.fixture
def no_yolov8(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Empty cwd and cache, downloads failing fast; returns the URLs that were tried."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("TATWEER_CACHE", str(tmp_path / "cache"))
    monkeypatch.delenv("TATWEER_SMOKE", raising=False)
    tried: list[str] = []

    def fail(url, target, timeout_s=0):
        tried.append(url)
        raise urllib.error.URLError("no network (test)")

    monkeypatch.setattr(loader, "download_file", fail)
    return tried


def test_auto_falls_back_to_the_verified_offline_yolov8n(no_yolov8, tmp_path: Path,
                                                          capsys) -> None:
    asset("models/yolov8n.pt")
    detector = load_detector("auto")
    assert isinstance(detector, models.UltralyticsDetector) and detector.name == "yolov8n"
    assert no_yolov8 == [loader.CHECKPOINTS["yolov8n"].url]
    line = capsys.readouterr().out.strip()
    assert "\n" not in line and line.startswith("detector: YOLOv8n from ")
    assert "models/yolov8n.pt" in line and "sha256 verified" in line and "unreachable" in line
    assert 3.1e6 < detector.parameters < 3.2e6  # 3,157,200 parameters, as published
    assert "sha256 verified" in detector.origin
    assert not list(tmp_path.rglob("yolov8n.pt"))  # nothing half-downloaded anywhere


def test_offline_copy_with_another_sha256_is_refused(no_yolov8, tmp_path: Path,
                                                     monkeypatch) -> None:
    fake = tmp_path / "assets" / "models" / "yolov8s.pt"
    fake.parent.mkdir(parents=True)
    fake.write_bytes(b"not the release file")
    monkeypatch.setenv("TATWEER_ASSETS", str(tmp_path / "assets"))
    with pytest.raises(UserError, match="sha256 differs from the official yolov8s.pt"):
        load_detector("yolov8s")


def test_no_weights_anywhere_is_a_user_error(no_yolov8, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("TATWEER_ASSETS", str(tmp_path / "none"))
    with pytest.raises(UserError, match="yolov8n.pt: the Ultralytics release was unreachable "
                                        "and there is no offline copy"):
        load_detector("auto")


def test_unknown_detector_name_is_a_user_error(no_yolov8) -> None:
    with pytest.raises(UserError, match="yolov9: not a detector name"):
        load_detector("yolov9")


def test_cached_yolov8n_is_used_first(no_yolov8, tmp_path: Path, capsys) -> None:
    from ultralytics import YOLO

    weights = tmp_path / "cache" / "models" / "yolov8n.pt"
    weights.parent.mkdir(parents=True)
    untrained = YOLO("yolov8n.yaml")  # the real architecture and file format, random weights
    untrained.model.names = dict(enumerate(COCO))
    untrained.save(weights)
    detector = load_detector("auto")
    assert isinstance(detector, models.UltralyticsDetector) and detector.name == "yolov8n"
    assert sorted(detector.class_ids) == [0, 1, 2, 3, 5, 7]
    assert 3.1e6 < detector.parameters < 3.2e6  # YOLOv8n: 3.2 M parameters, as published
    out = capsys.readouterr().out
    assert no_yolov8 == [] and "detector: YOLOv8n from " in out and "(cached;" in out


def test_a_raw_ultralytics_yolo_works_as_model(monkeypatch) -> None:
    from ultralytics import YOLO
    from ultralytics.engine.results import Results

    yolo = YOLO("yolov8n.yaml")
    yolo.model.names = dict(enumerate(COCO))
    frame = np.zeros((100, 200, 3), np.uint8)
    calls = []

    def fake_predict(source, **kwargs):
        calls.append(kwargs)
        boxes = torch.tensor([[10, 10, 50, 40, 0.8, 2], [60, 5, 80, 90, 0.7, 0]])
        return [Results(source, path="", names=yolo.names, boxes=boxes)]

    monkeypatch.setattr(yolo, "predict", fake_predict)
    dets = detect_objects(frame, yolo, conf_threshold=0.5)
    assert [(d["coco_class"], d["class"]) for d in dets] == [("car", "vehicle"),
                                                           ("person", "pedestrian")]
    assert dets[1]["bbox"] == pytest.approx([60, 5, 80, 90]) and set(dets[0]) == KEYS
    assert calls[0]["conf"] == 0.5 and calls[0]["imgsz"] == 640 and calls[0]["rect"] is False
    assert sorted(calls[0]["classes"]) == [0, 1, 2, 3, 5, 7]
    detect_objects(frame, yolo)
    assert models.as_detector(yolo).stats.frames == 2  # one wrapper, timings kept


def test_download_file_leaves_no_partial_file(tmp_path: Path, monkeypatch) -> None:
    class BrokenResponse:
        def __enter__(self):
            return self

        def __exit__(self, *exc):
            return False

        def read(self, n):
            raise TimeoutError("read timed out")

    monkeypatch.setattr(loader.urllib.request, "urlopen", lambda url, timeout: BrokenResponse())
    with pytest.raises(TimeoutError):
        loader.download_file("https://example.invalid/x.pt", tmp_path / "x.pt")
    assert list(tmp_path.iterdir()) == []


@pytest.fixture(scope="module")
def yolov8n() -> models.UltralyticsDetector:
    return models.UltralyticsDetector(asset("models/yolov8n.pt"), name="yolov8n")


@pytest.mark.slow
def test_offline_checkpoint_is_the_release_yolov8n(yolov8n: models.UltralyticsDetector) -> None:
    path = asset("models/yolov8n.pt")
    assert loader.sha256_of(path) == loader.CHECKPOINTS["yolov8n"].sha256
    assert yolov8n.parameters == 3_157_200
    assert [yolov8n.yolo.names[i] for i in range(3)] == ["person", "bicycle", "car"]
    assert len(yolov8n.yolo.names) == 80


@pytest.mark.slow
def test_real_model_finds_cars_on_the_highway(yolov8n: models.UltralyticsDetector) -> None:
    frame = read_frame(asset("video/highway_sample.mp4"), 100)
    dets = detect_objects(frame, yolov8n, conf_threshold=0.4)
    vehicles = [d for d in dets if d["class"] == "vehicle" and d["confidence"] >= 0.4]
    assert len(vehicles) >= 3
    h, w = frame.shape[:2]
    for d in dets:
        x1, y1, x2, y2 = d["bbox"]
        assert 0 <= x1 < x2 <= w and 0 <= y1 < y2 <= h


@pytest.mark.slow
def test_real_model_finds_pedestrians_on_the_crosswalk(yolov8n: models.UltralyticsDetector
                                                       ) -> None:
    frame = read_frame(asset("video/crosswalk_intersection.mp4"), 100)
    dets = detect_objects(frame, yolov8n, conf_threshold=0.4)
    assert sum(d["class"] == "pedestrian" for d in dets) >= 3
