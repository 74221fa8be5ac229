"""ONNX Runtime backend: letterbox geometry, export cache, and agreement with PyTorch."""

from __future__ import annotations

import numpy as np
import pytest

from near_miss.detection import CLASS_MAP, detect_objects, load_detector
from near_miss.detection.models import UltralyticsDetector
from near_miss.detection.onnx_backend import Letterbox, OnnxDetector
from near_miss.ingest import read_frame
from tatweer_common.errors import UserError
from tatweer_common.paths import assets_dir


@pytest.mark.parametrize(
    ("size", "imgsz", "rect", "shape", "top", "left"),
    [
        ((352, 640), 640, True, (352, 640), 0, 0),  # crosswalk: already a multiple of 32
        ((720, 1280), 640, True, (384, 640), 12, 0),  # 16:9 -> 640x360 padded to 384
        ((720, 1280), 640, False, (640, 640), 140, 0),
        ((720, 1280), 320, True, (192, 320), 6, 0),
        ((480, 300), 416, False, (416, 416), 0, 78),  # portrait: padded left and right
    ],
)
def test_letterbox_plan(size, imgsz, rect, shape, top, left):
    plan = Letterbox.plan(*size, imgsz=imgsz, rect=rect)
    assert plan.input_shape == shape
    assert (plan.top, plan.left) == (top, left)
    image = plan.apply(np.zeros((*size, 3), np.uint8))
    assert image.shape == (*shape, 3)


def test_boxes_map_back_exactly():
    plan = Letterbox.plan(720, 1280, imgsz=416, rect=True)
    boxes = np.array([[0.0, 0.0, 1280.0, 720.0], [100.5, 200.25, 300.0, 650.0]])
    np.testing.assert_allclose(plan.to_frame(plan.to_input(boxes)), boxes, atol=1e-9)


def test_letterboxed_content_sits_where_the_mapping_says():
    frame = np.zeros((720, 1280, 3), np.uint8)
    frame[200:400, 600:1000] = 255  # a white box x 600-1000, y 200-400
    plan = Letterbox.plan(720, 1280, imgsz=320, rect=False)
    image = plan.apply(frame)
    ys, xs = np.nonzero(image[..., 0] > 127)
    expected = plan.to_input(np.array([[600, 200, 1000, 400]]))[0]
    found = [xs.min(), ys.min(), xs.max() + 1, ys.max() + 1]
    np.testing.assert_allclose(found, expected, atol=1.0)
    assert (image[: plan.top] == 114).all()  # grey padding above the picture


def test_raw_output_is_decoded_filtered_and_suppressed():
    """``(1, 4 + nc, n)`` candidates: a car, an overlapping weaker car (NMS drops it), a dog
    (not a road user) and a car under the threshold."""
    names = ["person", "bicycle", "car", "dog"]
    detector = OnnxDetector("test", names, [0, 1, 2], None, "x", imgsz=320, rect=True)
    plan = Letterbox.plan(720, 1280, imgsz=320, rect=True)  # scale 4, 6 rows of padding
    candidates = [((100, 56, 40, 20), 2, 0.9), ((102, 56, 40, 20), 2, 0.6),
                  ((200, 100, 10, 10), 3, 0.95), ((50, 50, 10, 10), 2, 0.2)]
    raw = np.zeros((1, 4 + len(names), len(candidates)), np.float32)
    for i, (xywh, cls, score) in enumerate(candidates):
        raw[0, :4, i], raw[0, 4 + cls, i] = xywh, score
    boxes = detector._boxes(raw, plan, conf=0.4)
    assert [(b.coco_class, round(b.confidence, 2)) for b in boxes] == [("car", 0.9)]
    b = boxes[0]
    np.testing.assert_allclose([b.x1, b.y1, b.x2, b.y2], [320, 160, 480, 240], atol=1e-4)


def test_unknown_backend_is_a_user_error():
    with pytest.raises(UserError, match="backend must be one of"):
        load_detector("auto", backend="tensorrt")


@pytest.mark.slow
def test_ultralytics_model_exports_with_export_format_onnx(tmp_path, monkeypatch):
    torch = pytest.importorskip("torch")
    from ultralytics import YOLO

    monkeypatch.setenv("TATWEER_CACHE", str(tmp_path))
    monkeypatch.chdir(tmp_path)
    yolo = YOLO("yolov8n.yaml")  # architecture only (random weights): no download needed
    onnx = OnnxDetector.from_torch(UltralyticsDetector(yolo, imgsz=320, name="yolov8n-test"))
    shape = (192, 320)
    blob = np.random.default_rng(0).random((1, 3, *shape), dtype=np.float32)
    session = onnx.session(shape)
    got = session.run(None, {session.get_inputs()[0].name: blob})[0]
    with torch.inference_mode():
        want = yolo.model.eval()(torch.from_numpy(blob))
    want = (want[0] if isinstance(want, (list, tuple)) else want).numpy()
    assert got.shape == want.shape
    np.testing.assert_allclose(got, want, rtol=1e-3, atol=1e-2)
    assert onnx.model_path(shape).parent == tmp_path / "onnx"
    assert not list(tmp_path.glob("*.onnx"))  # nothing written into the working directory


@pytest.fixture(scope="module")
def crosswalk_frame():
    video = assets_dir() / "video" / "crosswalk_intersection.mp4"
    if not (video.is_file() and (assets_dir() / "models" / "yolov8n.pt").is_file()):
        pytest.skip("offline assets absent")
    return read_frame(video, 40)


@pytest.mark.slow
def test_onnx_yolov8n_matches_pytorch(crosswalk_frame, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("TATWEER_CACHE", str(tmp_path))
    monkeypatch.setenv("TATWEER_SMOKE", "1")  # no download attempt: the offline copy
    torch_det = load_detector("auto", imgsz=320, rect=True)
    onnx_det = load_detector("auto", imgsz=320, rect=True, backend="onnx")
    assert onnx_det.name == "yolov8n-onnx" and onnx_det.parameters == torch_det.parameters
    want = detect_objects(crosswalk_frame, torch_det)
    got = detect_objects(crosswalk_frame, onnx_det)
    assert "exporting yolov8n to ONNX for input 192x320" in capsys.readouterr().out
    assert len(got) == len(want) > 0
    key = lambda d: (d["class"], round(d["bbox"][0]), round(d["bbox"][1]))  # noqa: E731
    for g, w in zip(sorted(got, key=key), sorted(want, key=key), strict=True):
        assert g.keys() == w.keys()
        assert g["class"] in CLASS_MAP.values() and g["coco_class"] == w["coco_class"]
        np.testing.assert_allclose(g["bbox"], w["bbox"], atol=0.5)
        assert g["confidence"] == pytest.approx(w["confidence"], abs=1e-3)
    assert onnx_det.stats.frames == 1
    # a second detector reuses the cached export
    again = OnnxDetector.from_torch(torch_det)
    detect_objects(crosswalk_frame, again)
    assert "exporting" not in capsys.readouterr().out


def test_run_command_takes_backend_and_rect():
    import argparse

    from near_miss import pipeline
    from near_miss.config import load_config

    parser = argparse.ArgumentParser()
    pipeline.add_arguments(parser)
    config = pipeline.config_from_args(parser.parse_args(["--backend", "torch", "--rect"]))
    assert (config.backend, config.rect) == ("torch", True)
    assert (load_config().backend, load_config().rect) == ("openvino", True)
    with pytest.raises(UserError, match="backend must be one of torch, onnx"):
        load_config(backend="tpu")
