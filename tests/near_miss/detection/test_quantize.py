"""INT8 ONNX backend: calibration frames, cache, the 95% agreement rule, and real detections."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

import near_miss.detection.quantize as quantize
from near_miss.detection import load_detector, yolov5_weights
from near_miss.detection.models import Box
from near_miss.detection.onnx_backend import OnnxDetector, export_yolov5
from near_miss.detection.quantize import Calibration, Int8OnnxDetector, cache_key, kept, load_int8
from near_miss.ingest import read_frame
from tatweer_common.errors import UserError
from tatweer_common.paths import assets_dir

torch = pytest.importorskip("torch")


class Tiny(torch.nn.Module):
    """A YOLOv5-layout stand-in: ``(1, n, 6)`` = box (x, y, w, h), objectness, one class."""

    def __init__(self) -> None:
        super().__init__()
        torch.manual_seed(0)
        self.conv = torch.nn.Conv2d(3, 6, 8, stride=8)

    def forward(self, x):
        y = self.conv(x).sigmoid().flatten(2).transpose(1, 2)
        return torch.cat((y[..., :4] * 64, y[..., 4:]), -1)


@pytest.fixture
def tiny(tmp_path, monkeypatch) -> OnnxDetector:
    monkeypatch.setenv("TATWEER_CACHE", str(tmp_path / "cache"))
    model = Tiny().eval()
    return OnnxDetector("tiny", ["car"], [0], "v5", lambda p, s: export_yolov5(model, p, s),
                        digest="test", imgsz=64, rect=True, threads=1)


@pytest.fixture
def video(tmp_path) -> Path:
    path = tmp_path / "clip.mp4"
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), 10, (128, 96))
    rng = np.random.default_rng(0)
    for _ in range(24):
        writer.write(rng.integers(0, 255, (96, 128, 3), dtype=np.uint8))
    writer.release()
    return path


def test_calibration_frames_are_even_deterministic_and_disjoint(video):
    calibration = Calibration.of(video, frames=4, held_out=2)
    assert calibration == Calibration.of(video, frames=4, held_out=2)
    assert calibration.frames == (0, 6, 12, 17)
    assert not set(calibration.frames) & set(calibration.held_out)
    assert len(calibration.held_out) == 2
    with pytest.raises(UserError, match="too few"):
        Calibration.of(video, frames=30, held_out=2)


def test_cache_key_changes_with_the_calibration_frames(tmp_path, video):
    model = tmp_path / "model.onnx"
    model.write_bytes(b"fp32 model")
    base = Calibration(video, (0, 6, 12), (3, 9))
    key = cache_key(model, base, quantize.Recipe())
    assert key == cache_key(model, Calibration(video, (0, 6, 12), (3, 9)), quantize.Recipe())
    assert key != cache_key(model, Calibration(video, (0, 6, 13), (3, 9)), quantize.Recipe())
    assert key != cache_key(model, Calibration(video, (0, 6, 12), (4, 9)), quantize.Recipe())
    assert key != cache_key(model, base, quantize.Recipe(per_channel=False))
    model.write_bytes(b"another fp32 model")
    assert key != cache_key(model, base, quantize.Recipe())


def test_second_load_reuses_the_cached_int8_model(tiny, video, monkeypatch):
    calls = []
    real = quantize.quantize_model
    monkeypatch.setattr(quantize, "quantize_model", lambda *a: calls.append(a) or real(*a))
    monkeypatch.setattr(quantize, "measure_agreement", lambda *a: (10, 10))
    first = load_int8(tiny, video, frames=4, held_out=2)
    assert isinstance(first, Int8OnnxDetector) and first.name == "tiny-onnx-int8"
    mtime = first.model.stat().st_mtime_ns
    second = load_int8(tiny, video, frames=4, held_out=2)
    assert len(calls) == 1 and second.model == first.model
    assert second.model.stat().st_mtime_ns == mtime
    assert first.model.with_suffix(".json").is_file()
    assert second.agreement == 1.0


def test_low_agreement_falls_back_to_fp32(tiny, video, monkeypatch, capsys):
    monkeypatch.setattr(quantize, "measure_agreement", lambda *a: (9, 10))
    detector = load_int8(tiny, video, frames=4, held_out=2)
    out = capsys.readouterr().out
    assert detector is tiny and detector.agreement == pytest.approx(0.9)
    assert "keeps 90.0% of the fp32 detections (9/10 boxes" in out
    assert "under the 95% agreement floor, using the fp32 ONNX model" in out


def test_int8_model_runs_and_keeps_the_head_decode_in_float(tiny, video, monkeypatch):
    import onnx

    monkeypatch.setattr(quantize, "measure_agreement", lambda *a: (1, 1))
    detector = load_int8(tiny, video, frames=4, held_out=2)
    graph = onnx.load(str(detector.model)).graph
    ops = {n.op_type for n in graph.node}
    assert {"QuantizeLinear", "DequantizeLinear"} <= ops
    producer = {o: n for n in graph.node for o in n.output}
    last = producer[graph.output[0].name]
    assert last.op_type == "Concat"  # the decode is float: no (de)quantization around it
    assert "DequantizeLinear" not in {producer[i].op_type for i in last.input}
    frame = quantize.read_frames(video, [5])[0]
    assert all(isinstance(b, Box) for b in detector.predict(frame, 0.1))
    with pytest.raises(ValueError, match="calibrated for input"):
        detector.predict(np.zeros((200, 100, 3), np.uint8), 0.1)


def test_float_nodes_are_what_follows_the_last_convolutions(tiny):
    import onnx

    model = onnx.load(str(tiny.model_path((64, 64))))
    decode = quantize.float_nodes(model, "decode")
    head = quantize.float_nodes(model, "head")
    assert decode and not any(n.op_type == "Conv" for n in model.graph.node if n.name in decode)
    assert set(head) - set(decode) == {n.name for n in model.graph.node if n.op_type == "Conv"}
    assert quantize.float_nodes(model, "none") == []


def test_agreement_counts_same_class_boxes_at_iou_half():
    ref = [Box(0, 0, 10, 10, 0.9, "car"), Box(20, 20, 30, 30, 0.5, "person")]
    assert kept(ref, [Box(1, 0, 11, 10, 0.8, "car"), Box(20, 20, 30, 30, 0.5, "person")]) == 2
    assert kept(ref, [Box(5, 0, 15, 10, 0.8, "car")]) == 0  # IoU 1/3
    assert kept(ref, [Box(20, 20, 30, 30, 0.5, "car")]) == 0  # wrong class
    assert kept(ref + ref, [Box(0, 0, 10, 10, 0.9, "car")]) == 1  # one match per box


def test_int8_without_a_calibration_video_is_a_user_error():
    with pytest.raises(UserError, match="onnx-int8 needs calibration_video"):
        load_detector("yolov5n", backend="onnx-int8")


@pytest.mark.slow
def test_int8_yolov5n_detections_agree_with_fp32(tmp_path, monkeypatch):
    crosswalk = assets_dir() / "video" / "crosswalk_intersection.mp4"  # many road users
    if not (crosswalk.is_file() and yolov5_weights().is_file()):
        pytest.skip("offline assets absent")
    monkeypatch.setenv("TATWEER_CACHE", str(tmp_path))
    monkeypatch.setattr(quantize, "MIN_AGREEMENT", 0.0)  # judge the int8 model here instead
    fp32 = load_detector("yolov5n", imgsz=320, rect=True, backend="onnx")
    int8 = load_int8(OnnxDetector.from_torch(load_detector("yolov5n", imgsz=320, rect=True)),
                     crosswalk, frames=8, held_out=4)
    assert isinstance(int8, Int8OnnxDetector) and 0.0 <= int8.agreement <= 1.0
    frame = read_frame(crosswalk, 40)
    want = fp32.predict(frame, 0.4)
    got = int8.predict(frame, 0.25)  # a box at 0.41 in fp32 may score 0.39 in int8
    assert len(want) >= 3
    assert kept(want, got) >= 0.9 * len(want)
