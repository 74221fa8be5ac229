"""OpenVINO backend: precision detected from the CPU, boxes agree with ONNX Runtime."""

from __future__ import annotations

import numpy as np
import pytest

from near_miss.detection import detect_objects, load_detector
from near_miss.detection import openvino_backend as ovb
from near_miss.detection.cache import model_key
from near_miss.ingest import read_frame
from near_miss.tracking.sort import iou_matrix
from tatweer_common.paths import assets_dir

# bf16 keeps about 8 significant bits: measured on 152 spec-video frames, matched boxes moved
# by at most 3.5% of their size and confidences by at most 0.05 against fp32.
BF16_BOX_TOLERANCE = 0.05  # of the box's larger side
BF16_CONF_TOLERANCE = 0.06


def matched(want: list[dict], got: list[dict]) -> list[tuple[dict, dict]]:
    """One-to-one pairs of the same COCO class with IoU >= 0.5 (Hungarian on IoU)."""
    from scipy.optimize import linear_sum_assignment

    if not (want and got):
        return []
    iou = iou_matrix(np.array([w["bbox"] for w in want]), np.array([g["bbox"] for g in got]))
    iou *= np.equal.outer([w["coco_class"] for w in want], [g["coco_class"] for g in got])
    rows, cols = linear_sum_assignment(iou, maximize=True)
    return [(want[r], got[c]) for r, c in zip(rows, cols, strict=True) if iou[r, c] >= 0.5]


def test_precision_follows_the_cpu(monkeypatch):
    class Core:
        def __init__(self, caps):
            self.caps = caps

        def get_property(self, device, name):
            assert (device, name) == ("CPU", "OPTIMIZATION_CAPABILITIES")
            return self.caps

    monkeypatch.setattr(ovb, "core", lambda: Core(["FP32", "BF16", "INT8"]))
    assert ovb.native_precision() == "bf16"
    monkeypatch.setattr(ovb, "core", lambda: Core(["FP32", "INT8"]))
    assert ovb.native_precision() == "fp32"


@pytest.fixture(scope="module")
def frames():
    video = assets_dir() / "video" / "highway_sample.mp4"  # cars in several lanes
    if not (video.is_file() and (assets_dir() / "models" / "yolov8n.pt").is_file()):
        pytest.skip("offline assets absent")
    return [read_frame(video, i) for i in (50, 150, 250)]


@pytest.mark.slow
@pytest.mark.parametrize("precision", ["fp32", "native"])
def test_openvino_boxes_match_onnx_runtime(frames, precision, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("TATWEER_CACHE", str(tmp_path))
    monkeypatch.setenv("TATWEER_SMOKE", "1")
    onnx = load_detector("auto", imgsz=640, rect=True, backend="onnx")
    ov = load_detector("auto", imgsz=640, rect=True, backend="openvino")
    if precision == "fp32":
        ov = ovb.OpenVinoDetector.from_torch(load_detector("auto", imgsz=640, rect=True),
                                             precision="fp32")
    assert ov.name == f"yolov8n-openvino-{ov.precision}"
    if precision == "fp32":  # the same boxes: one detection table serves both
        assert model_key(ov, 640, True) == model_key(onnx, 640, True) == "yolov8n-fp32-640rect"
    exact = ov.precision == "fp32"
    box_tol, conf_tol = (0.002, 1e-3) if exact else (BF16_BOX_TOLERANCE, BF16_CONF_TOLERANCE)
    total = kept = 0
    for frame in frames:
        want = detect_objects(frame, onnx)
        got = detect_objects(frame, ov)
        pairs = matched(want, got)
        total, kept = total + len(want), kept + len(pairs)
        for w, g in pairs:
            size = max(w["bbox"][2] - w["bbox"][0], w["bbox"][3] - w["bbox"][1])
            assert np.abs(np.subtract(g["bbox"], w["bbox"])).max() <= box_tol * size
            assert g["confidence"] == pytest.approx(w["confidence"], abs=conf_tol)
    assert total >= 5
    assert kept == total if exact else kept >= 0.9 * total
    assert capsys.readouterr().out.count("exporting") == 1  # both runtimes read one ONNX file
