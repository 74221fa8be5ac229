"""INT8 ONNX detector (spec Task 1.7, "model quantization"): ``backend="onnx-int8"``.

The fp32 ONNX export of :mod:`near_miss.detection.onnx_backend` is statically quantized by
``onnxruntime.quantization.quantize_static`` (QDQ format, uint8 activations, int8 weights per
output channel, activation ranges from a histogram's 99.999th percentile: on the spec video
at 640x384 MinMax ranges kept 90% of the fp32 detections, percentiles 96.7%; at 640x640 90.6%
and 87.5%, both under the floor): after ``quant_pre_process``
(shape inference, graph optimisation), calibrated on ``CALIBRATION_FRAMES`` evenly spaced
frames of the video to be analysed, letterboxed exactly as at inference. The detection head's
decode (the ops after the last convolutions: sigmoid, grid offsets, anchors, concat) stays in
float: quantizing it too kept none of the detections (its output mixes pixels and scores).

The int8 model is used only when it keeps at least ``MIN_AGREEMENT`` of the fp32 model's
detections: the recall of fp32 boxes (confidence >= ``AGREEMENT_CONF``) by int8 boxes of the
same class at IoU >= ``AGREEMENT_IOU``, on ``HELD_OUT_FRAMES`` other frames of the same video.
Otherwise the fp32 ONNX detector is returned, with one line saying so. Either way the figure
is the detector's ``agreement`` attribute.

Cache: ``<cache>/onnx/<fp32 model stem>-int8-<key>.onnx`` and a ``.json`` report next to it,
both written atomically; the key hashes the fp32 model file, the video file, the frame
indices and the recipe, so a second load of the same video reuses them.
"""

from __future__ import annotations

import hashlib
import json
import tempfile
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

import cv2
import numpy as np

from near_miss.detection.models import Box, DetectionStats
from near_miss.detection.onnx_backend import Letterbox, OnnxDetector, input_blob
from tatweer_common.errors import UserError
from tatweer_common.io import atomic_path, write_text_atomic

CALIBRATION_FRAMES = 32
HELD_OUT_FRAMES = 16
MIN_AGREEMENT = 0.95
AGREEMENT_CONF = 0.4
AGREEMENT_IOU = 0.5


@dataclass(frozen=True)
class Recipe:
    """How to quantize: ``quant_format`` ``"QDQ"`` or ``"QOperator"``; ``calibrate_method`` a
    ``CalibrationMethod`` name; ``float_ops`` ``"none"``, ``"decode"`` (the ops after the last
    convolutions) or ``"head"`` (those convolutions too) are kept in float."""

    quant_format: str = "QDQ"
    per_channel: bool = True
    calibrate_method: str = "Percentile"
    float_ops: str = "decode"


@dataclass(frozen=True)
class Calibration:
    """Which frames of ``video`` calibrate the model and which judge it (indices)."""

    video: Path
    frames: tuple[int, ...]
    held_out: tuple[int, ...]

    @classmethod
    def of(cls, video: Path, frames: int = CALIBRATION_FRAMES,
           held_out: int = HELD_OUT_FRAMES) -> Calibration:
        """Evenly spaced calibration frames (the last frame, often unreadable, left out);
        held-out frames evenly among the midpoints between them."""
        total = frame_count(video)
        calib = np.unique(np.linspace(0, total - 1, frames, endpoint=False).round().astype(int))
        mids = np.setdiff1d((calib[:-1] + calib[1:]) // 2, calib)
        if len(calib) < frames or len(mids) < held_out:
            raise UserError(f"{video}: {total} frames, too few for {frames} calibration and "
                            f"{held_out} held-out frames")
        picked = mids[np.linspace(0, len(mids) - 1, held_out).round().astype(int)]
        return cls(video, tuple(calib.tolist()), tuple(picked.tolist()))


def frame_count(video: Path) -> int:
    capture = cv2.VideoCapture(str(video))
    total = int(capture.get(cv2.CAP_PROP_FRAME_COUNT)) if capture.isOpened() else 0
    capture.release()
    if total <= 0:
        raise UserError(f"{video}: not a readable video (needed to calibrate the int8 model)")
    return total


def read_frames(video: Path, indices: Sequence[int]) -> list[np.ndarray]:
    """The frames at ``indices`` (decoded in order: exact, unlike seeking)."""
    wanted, frames = set(indices), {}
    capture = cv2.VideoCapture(str(video))
    for index in range(max(indices) + 1):
        if not capture.grab():
            break
        if index in wanted:
            frames[index] = capture.retrieve()[1]
    capture.release()
    if missing := wanted - frames.keys():
        raise UserError(f"{video}: frames {sorted(missing)[:5]} could not be read")
    return [frames[i] for i in indices]


def file_digest(path: Path) -> str:
    with open(path, "rb") as fh:
        return hashlib.file_digest(fh, "sha256").hexdigest()


def cache_key(fp32_model: Path, calibration: Calibration, recipe: Recipe) -> str:
    """12 hex digits identifying the fp32 model, the calibration frames and the recipe."""
    parts = [file_digest(fp32_model), file_digest(calibration.video),
             json.dumps([calibration.frames, calibration.held_out, asdict(recipe)])]
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()[:12]


class FrameReader:
    """A duck-typed ``CalibrationDataReader``: one ``{input name: blob}`` feed per frame."""

    def __init__(self, input_name: str, blobs: Sequence[np.ndarray]) -> None:
        self._feeds: Iterator[dict[str, np.ndarray]] = iter([{input_name: b} for b in blobs])

    def get_next(self) -> dict[str, np.ndarray] | None:
        return next(self._feeds, None)


def float_nodes(model, float_ops: str) -> list[str]:
    """Nodes to keep in float: those from which no convolution is reachable (the head's
    decode), with (``"head"``) or without (``"decode"``) the last convolutions."""
    if float_ops == "none":
        return []
    consumers: dict[str, list] = {}
    for node in model.graph.node:
        for name in node.input:
            consumers.setdefault(name, []).append(node)
    reaches_conv: dict[str, bool] = {}
    for node in reversed(model.graph.node):  # nodes are stored in topological order
        reaches_conv[node.name] = any(
            c.op_type == "Conv" or reaches_conv[c.name]
            for out in node.output for c in consumers.get(out, ()))
    return [n.name for n in model.graph.node if not reaches_conv[n.name]
            and (float_ops == "head" or n.op_type != "Conv")]


def quantize_model(fp32_model: Path, target: Path, blobs: Sequence[np.ndarray],
                   recipe: Recipe) -> None:
    """``quant_pre_process`` then ``quantize_static`` of ``fp32_model`` into ``target``."""
    import onnx
    from onnxruntime.quantization import (
        CalibrationMethod,
        QuantFormat,
        QuantType,
        quantize_static,
    )
    from onnxruntime.quantization.shape_inference import quant_pre_process

    with tempfile.TemporaryDirectory(dir=target.parent) as tmp:
        prepared = Path(tmp) / "prepared.onnx"
        quant_pre_process(str(fp32_model), str(prepared))
        model = onnx.load(str(prepared))
        reader = FrameReader(model.graph.input[0].name, blobs)
        with atomic_path(target) as out:
            quantize_static(str(prepared), str(out), reader,
                            quant_format=QuantFormat[recipe.quant_format],
                            per_channel=recipe.per_channel,
                            calibrate_method=CalibrationMethod[recipe.calibrate_method],
                            activation_type=QuantType.QUInt8,
                            weight_type=QuantType.QInt8,
                            nodes_to_exclude=float_nodes(model, recipe.float_ops))


def kept(reference: Sequence[Box], candidate: Sequence[Box], iou: float = AGREEMENT_IOU) -> int:
    """How many ``reference`` boxes a distinct ``candidate`` box of the same class matches
    at IoU >= ``iou`` (greedy, most confident reference first)."""
    free = list(candidate)
    count = 0
    for ref in sorted(reference, key=lambda b: -b.confidence):
        scores = [box_iou(ref, c) if c.coco_class == ref.coco_class else 0.0 for c in free]
        if scores and max(scores) >= iou:
            free.pop(int(np.argmax(scores)))
            count += 1
    return count


def box_iou(a: Box, b: Box) -> float:
    w = min(a.x2, b.x2) - max(a.x1, b.x1)
    h = min(a.y2, b.y2) - max(a.y1, b.y1)
    inter = max(w, 0.0) * max(h, 0.0)
    union = (a.x2 - a.x1) * (a.y2 - a.y1) + (b.x2 - b.x1) * (b.y2 - b.y1) - inter
    return inter / union if union > 0 else 0.0


def measure_agreement(fp32: OnnxDetector, int8: OnnxDetector,
                      frames: Sequence[np.ndarray]) -> tuple[int, int]:
    """``(kept, fp32 boxes)`` over ``frames`` at confidence >= ``AGREEMENT_CONF``."""
    matched = total = 0
    for frame in frames:
        reference = fp32.predict(frame, AGREEMENT_CONF)
        matched += kept(reference, int8.predict(frame, AGREEMENT_CONF))
        total += len(reference)
    fp32.stats, int8.stats = DetectionStats(), DetectionStats()  # measuring is not inference
    return matched, total


class Int8OnnxDetector(OnnxDetector):
    """An :class:`OnnxDetector` that runs the int8 model calibrated for one input shape."""

    def __init__(self, fp32: OnnxDetector, shape: tuple[int, int], model: Path) -> None:
        super().__init__(fp32.base_name, fp32.names, fp32.class_ids, fp32.layout, fp32.exporter,
                         fp32.digest, fp32.imgsz, fp32.rect, fp32.threads, fp32.parameters)
        self.name = f"{fp32.base_name}-onnx-int8"
        self.shape, self.model = shape, model

    def model_path(self, shape: tuple[int, int]) -> Path:
        if shape != self.shape:
            raise ValueError(f"int8 model calibrated for input {self.shape}, not {shape}")
        return self.model


def load_int8(fp32: OnnxDetector, video: Path, frames: int = CALIBRATION_FRAMES,
              held_out: int = HELD_OUT_FRAMES, recipe: Recipe = Recipe()) -> OnnxDetector:
    """The int8 copy of ``fp32`` calibrated on ``video`` (quantized once, then cached), or
    ``fp32`` itself when the copy keeps under ``MIN_AGREEMENT`` of its detections."""
    calibration = Calibration.of(video, frames, held_out)
    images = read_frames(video, calibration.frames + calibration.held_out)
    plan = Letterbox.plan(*images[0].shape[:2], imgsz=fp32.imgsz, rect=fp32.rect)
    shape = plan.input_shape
    fp32_model = fp32.model_path(shape)
    target = fp32_model.with_name(f"{fp32_model.stem}-int8-"
                                  f"{cache_key(fp32_model, calibration, recipe)}.onnx")
    report_path = target.with_suffix(".json")
    int8 = Int8OnnxDetector(fp32, shape, target)
    if not (target.is_file() and report_path.is_file()):
        print(f"quantizing {fp32_model.name} to int8 on {len(calibration.frames)} frames of "
              f"{video.name} -> {target}")
        blobs = [input_blob(plan.apply(f)) for f in images[: len(calibration.frames)]]
        quantize_model(fp32_model, target, blobs, recipe)
        matched, total = measure_agreement(fp32, int8, images[len(calibration.frames):])
        report = {"fp32_model": fp32_model.name, "video": str(video), "recipe": asdict(recipe),
                  "calibration_frames": calibration.frames, "held_out_frames": calibration.held_out,
                  "kept": matched, "fp32_boxes": total}
        write_text_atomic(report_path, json.dumps(report, indent=1) + "\n")
    report = json.loads(report_path.read_text(encoding="utf-8"))
    agreement = report["kept"] / report["fp32_boxes"] if report["fp32_boxes"] else float("nan")
    fp32.agreement = int8.agreement = agreement
    print(f"int8 {fp32.base_name} {shape[0]}x{shape[1]}: keeps {agreement:.1%} of the fp32 "
          f"detections ({report['kept']}/{report['fp32_boxes']} boxes, conf >= "
          f"{AGREEMENT_CONF}, IoU {AGREEMENT_IOU}) on {held_out} held-out frames of {video.name}")
    if not agreement >= MIN_AGREEMENT:
        print(f"int8 {fp32.base_name}: under the {MIN_AGREEMENT:.0%} agreement floor, using the "
              f"fp32 ONNX model")
        return fp32
    return int8
