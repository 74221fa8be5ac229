"""Detector models (spec Task 1.2): a pre-trained COCO YOLO behind one small interface,
filtered to road users.

Why this model: YOLOv8n (the spec's) is the nano variant of its family, the lightest YOLOv8,
which runs a 640x640 frame on one CPU core in well under a second, and it is trained on COCO,
whose classes cover the road users we need (YOLOv8s, about 2x slower, is the accurate
option). Frames are letterboxed to a square ``imgsz`` (640, as the spec asks; ``rect=True``
pads only to a multiple of 32, about twice as fast on 16:9 video), NMS is applied (IoU 0.45),
and boxes are mapped back to the original frame's pixels. Which model is loaded:
``detection.loader``.
"""

from __future__ import annotations

import os
import time
import weakref
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol, runtime_checkable

import numpy as np

CLASS_MAP = {
    "car": "vehicle",
    "truck": "vehicle",
    "bus": "vehicle",
    "motorcycle": "vehicle",
    "bicycle": "vehicle",
    "person": "pedestrian",
}
LICENCE = "AGPL-3.0"
IOU_THRESHOLD = 0.45


@dataclass(frozen=True)
class Box:
    """One detection in original-frame pixels."""

    x1: float
    y1: float
    x2: float
    y2: float
    confidence: float
    coco_class: str


@dataclass
class DetectionStats:
    """Per-frame wall-clock times of ``predict`` (letterbox + forward + NMS), in ms."""

    frame_ms: list[float] = field(default_factory=list)

    def record(self, ms: float) -> None:
        self.frame_ms.append(ms)

    @property
    def frames(self) -> int:
        return len(self.frame_ms)

    @property
    def mean_ms(self) -> float:
        return float(np.mean(self.frame_ms)) if self.frame_ms else float("nan")


@runtime_checkable
class Detector(Protocol):
    """What ``detect_objects`` needs from a model."""

    name: str
    licence: str
    imgsz: int
    stats: DetectionStats

    @property
    def parameters(self) -> int: ...

    def predict(self, frame: np.ndarray, conf: float) -> list[Box]: ...


def default_threads() -> int:
    """CPU threads for torch: half the cores this process may use (1 to 8).

    Leaving cores free matters: on a busy 2-core machine, 2 torch threads made a YOLO
    forward pass about 10x slower than 1 thread (threads waiting on each other).
    """
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        cores = os.cpu_count() or 1
    return max(1, min(cores // 2, 8))


def _road_user_ids(names: dict[int, str] | list[str]) -> list[int]:
    items = names.items() if isinstance(names, dict) else enumerate(names)
    return [int(i) for i, n in items if n in CLASS_MAP]


def _to_boxes(xyxy: np.ndarray, conf: np.ndarray, cls: np.ndarray, names) -> list[Box]:
    return [
        Box(*(float(v) for v in b), float(c), names[int(k)])
        for b, c, k in zip(xyxy, conf, cls, strict=True)
    ]


class UltralyticsDetector:
    """A YOLOv8 (or any ultralytics) model behind the ``Detector`` interface."""

    licence = LICENCE
    precision = "fp32"

    def __init__(
        self, model, imgsz: int = 640, name: str | None = None, rect: bool = False
    ) -> None:
        from ultralytics import YOLO

        self.yolo = model if isinstance(model, YOLO) else YOLO(str(model))
        self.imgsz = imgsz
        self.rect = rect
        self.name = name or Path(str(getattr(self.yolo, "ckpt_path", None) or "yolo")).stem
        self.base_name = self.name
        self.class_ids = _road_user_ids(self.yolo.names)
        self.stats = DetectionStats()
        self.origin: str | None = None  # where the weights came from (set by the loader)

    @property
    def parameters(self) -> int:
        return sum(p.numel() for p in self.yolo.model.parameters())

    def predict(self, frame: np.ndarray, conf: float) -> list[Box]:
        start = time.perf_counter()
        result = self.yolo.predict(
            frame, conf=conf, iou=IOU_THRESHOLD, imgsz=self.imgsz, classes=self.class_ids,
            rect=self.rect, device="cpu", verbose=False,
        )[0]
        b = result.boxes
        boxes = _to_boxes(b.xyxy.numpy(), b.conf.numpy(), b.cls.numpy(), self.yolo.names)
        self.stats.record((time.perf_counter() - start) * 1000)
        return boxes


def letterbox(frame: np.ndarray, imgsz: int = 640, rect: bool = False) -> np.ndarray:
    """``frame`` resized to fit an ``imgsz`` square (aspect kept, grey padding, centred).

    ``rect=True`` pads only up to the next multiple of 32 instead of the full square
    (e.g. 640x384 for a 16:9 frame): the same image scale for about half the compute.
    """
    from ultralytics.data.augment import LetterBox

    return LetterBox((imgsz, imgsz), auto=rect, stride=32)(image=frame)


_WRAPPED: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def as_detector(model, imgsz: int = 640) -> Detector:
    """``model`` itself when it is a ``Detector``; an ultralytics ``YOLO`` gets wrapped once."""
    from ultralytics import YOLO

    if isinstance(model, YOLO):  # checked first: YOLO forwards unknown attributes to its model
        if model not in _WRAPPED:
            _WRAPPED[model] = UltralyticsDetector(model, imgsz)
        return _WRAPPED[model]
    if isinstance(model, Detector):
        return model
    raise TypeError(f"detect_objects: unsupported model type {type(model).__name__}")


def detect_objects(frame: np.ndarray, model, conf_threshold: float = 0.4) -> list[dict]:
    """Detect road users in a BGR ``frame``.

    Returns dicts ``{"id": None, "class": "vehicle"|"pedestrian", "bbox": [x1, y1, x2, y2],
    "confidence": float, "center": (cx, cy), "coco_class": str}`` in original-frame pixels.
    ``model`` is a ``Detector`` (see ``load_detector``) or an ultralytics ``YOLO``.
    """
    if not isinstance(frame, np.ndarray) or frame.ndim != 3 or frame.shape[2] != 3:
        raise ValueError("detect_objects: frame must be an HxWx3 BGR numpy array")
    if not 0.0 <= conf_threshold <= 1.0:
        raise ValueError(f"detect_objects: conf_threshold {conf_threshold} not in [0, 1]")
    boxes = as_detector(model).predict(frame, conf_threshold)
    return [
        {
            "id": None,
            "class": CLASS_MAP[b.coco_class],
            "bbox": [b.x1, b.y1, b.x2, b.y2],
            "confidence": b.confidence,
            "center": ((b.x1 + b.x2) / 2, (b.y1 + b.y2) / 2),
            "coco_class": b.coco_class,
        }
        for b in boxes
        if b.coco_class in CLASS_MAP and b.confidence >= conf_threshold
    ]


CLASS_COLOURS = {"vehicle": (255, 0, 0), "pedestrian": (0, 200, 0)}  # BGR: blue, green


def draw_detections(frame: np.ndarray, detections: list[dict]) -> np.ndarray:
    """A copy of ``frame`` with boxes and "coco_class conf" labels (vehicles blue, people green)."""
    import cv2

    out = frame.copy()
    for d in detections:
        x1, y1, x2, y2 = (int(round(v)) for v in d["bbox"])
        colour = CLASS_COLOURS.get(d["class"], (0, 0, 255))
        cv2.rectangle(out, (x1, y1), (x2, y2), colour, 2)
        label = f"{d.get('coco_class', d['class'])} {d['confidence']:.2f}"
        cv2.putText(out, label, (x1, max(y1 - 4, 10)), cv2.FONT_HERSHEY_SIMPLEX, 0.45, colour, 1)
    return out
