"""Which detector to load (spec Task 1.2): YOLOv8n online, else the offline YOLOv5n.

Resolution order of ``load_detector("auto")``: (1) YOLOv8n through ``ultralytics``
(``./yolov8n.pt``, the cached copy, else a download with a short timeout, never into the
repository); (2) the official COCO YOLOv5n checkpoint from the offline assets, with one line
saying so. ``backend="onnx"`` wraps either in ONNX Runtime (``detection.onnx_backend``),
``backend="onnx-int8"`` in its int8 quantization (``detection.quantize``).
"""

from __future__ import annotations

import urllib.request
import zipfile
from pathlib import Path

from near_miss.config import BACKENDS
from near_miss.detection.models import (
    LICENCE,
    Detector,
    UltralyticsDetector,
    YOLOv5Detector,
    default_threads,
)
from tatweer_common.errors import UserError
from tatweer_common.io import atomic_path
from tatweer_common.paths import assets_dir, cache_dir, display_path, is_smoke

YOLOV8_NAME = "yolov8n.pt"
YOLOV8_URL = f"https://github.com/ultralytics/assets/releases/download/v8.3.0/{YOLOV8_NAME}"
YOLOV5_ASSET = "models/yolov5n.pt"
DOWNLOAD_TIMEOUT_S = 10

def download_file(url: str, target: Path, timeout_s: float = DOWNLOAD_TIMEOUT_S) -> Path:
    """Download ``url`` to ``target`` atomically (no partial file is ever left at ``target``)."""
    with (
        urllib.request.urlopen(url, timeout=timeout_s) as response,
        atomic_path(target) as tmp,
        open(tmp, "wb") as fh,
    ):
        while chunk := response.read(1 << 20):
            fh.write(chunk)
    return target


def find_yolov8_weights() -> Path:
    """``./yolov8n.pt`` or the cached copy, else download it into the cache (short timeout)."""
    cached = cache_dir("models") / YOLOV8_NAME
    for candidate in (Path.cwd() / YOLOV8_NAME, cached):
        if candidate.is_file():
            return candidate
    if is_smoke():
        raise RuntimeError("smoke run (TATWEER_SMOKE=1): no download attempted")
    try:
        return download_file(YOLOV8_URL, cached)
    except OSError as exc:  # URLError, timeouts and HTTP errors are all OSErrors
        reason = getattr(exc, "reason", None) or exc
        raise RuntimeError(f"download of {YOLOV8_URL} failed ({reason})") from exc


def yolov5_weights() -> Path:
    return assets_dir() / YOLOV5_ASSET


def _is_yolov5_repo_checkpoint(path: Path) -> bool:
    """True for checkpoints pickled by the yolov5 repository (they reference ``models.yolo``)."""
    try:
        with zipfile.ZipFile(path) as zf:
            pkl = next(n for n in zf.namelist() if n.endswith("data.pkl"))
            return b"models.yolo" in zf.read(pkl)
    except (zipfile.BadZipFile, StopIteration, OSError):
        return False


def _load_yolov8(imgsz: int, rect: bool) -> UltralyticsDetector:
    weights = find_yolov8_weights()
    try:
        detector = UltralyticsDetector(weights, imgsz, name="yolov8n", rect=rect)
    except Exception as exc:  # a corrupt cached file must not stop the offline fallback
        raise RuntimeError(f"{weights} could not be loaded: {exc}") from exc
    print(f"detector: YOLOv8n via ultralytics from {display_path(weights)} "
          f"(Ultralytics, {LICENCE})")
    return detector


def _load_yolov5(imgsz: int, rect: bool, why: str | None = None) -> YOLOv5Detector:
    weights = yolov5_weights()
    detector = YOLOv5Detector.from_checkpoint(weights, imgsz, rect)
    reason = f"YOLOv8n unavailable: {why}; " if why else ""
    print(f"detector: {reason}using offline YOLOv5n checkpoint {display_path(weights)} "
          f"(Ultralytics, {LICENCE})")
    return detector


def load_detector(
    source: str = "auto", imgsz: int = 640, threads: int | None = None, rect: bool = False,
    backend: str = "torch", calibration_video: str | Path | None = None,
) -> Detector:
    """A ``Detector`` for ``source``: ``auto`` (YOLOv8n, else offline YOLOv5n), ``yolov8n``,
    ``yolov5n`` or a path to a ``.pt`` checkpoint (ultralytics or yolov5-repository format).

    ``imgsz``/``rect``: see ``letterbox``; ``threads``: torch CPU threads (``default_threads``).
    ``backend="onnx"``: the same model exported to ONNX and run by onnxruntime
    (``near_miss.detection.onnx_backend``); ``backend="onnx-int8"``: that model quantized to
    int8, calibrated on frames of ``calibration_video`` (the video to analyse), or the fp32 ONNX
    model when int8 loses too many detections (``near_miss.detection.quantize``).
    Prints one line naming the model used and why."""
    if backend not in BACKENDS:
        raise UserError(f"backend must be one of {', '.join(BACKENDS)}, got {backend!r}")
    if backend == "onnx-int8" and not (calibration_video and Path(calibration_video).is_file()):
        raise UserError(f"backend onnx-int8 needs calibration_video, a video file to calibrate "
                        f"the int8 model on (got {calibration_video!r})")
    if backend in ("onnx", "onnx-int8"):
        from near_miss.detection.onnx_backend import OnnxDetector

        onnx = OnnxDetector.from_torch(load_detector(source, imgsz, threads, rect), threads)
        if backend == "onnx":
            return onnx
        from near_miss.detection.quantize import load_int8

        return load_int8(onnx, Path(calibration_video))
    import torch

    torch.set_num_threads(threads or default_threads())
    if source == "auto":
        try:
            return _load_yolov8(imgsz, rect)
        except RuntimeError as exc:
            return _load_yolov5(imgsz, rect, why=str(exc))
    if source == "yolov8n":
        try:
            return _load_yolov8(imgsz, rect)
        except RuntimeError as exc:
            raise UserError(f"detector yolov8n: {exc}") from exc
    if source == "yolov5n":
        return _load_yolov5(imgsz, rect)
    path = Path(source)
    if not path.is_file():
        raise UserError(f"{source}: not a detector name (auto, yolov8n, yolov5n) or a file")
    detector = (
        YOLOv5Detector.from_checkpoint(path, imgsz, rect)
        if _is_yolov5_repo_checkpoint(path)
        else UltralyticsDetector(path, imgsz, rect=rect)
    )
    print(f"detector: {detector.name} from {display_path(path)}")
    return detector
