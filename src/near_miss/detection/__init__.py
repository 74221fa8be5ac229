"""Detection stage (spec Task 1.2): YOLO models, the ONNX Runtime backend, the offline loader.

``models`` (the ``Detector`` interface, ``detect_objects``, drawing) is the lowest module;
``yolov5_offline`` and ``onnx_backend`` build on it; ``loader`` picks one. May import
``near_miss.config`` and ``tatweer_common`` only.
"""

from near_miss.detection.loader import YOLOV5_ASSET, load_detector, yolov5_weights
from near_miss.detection.models import (
    CLASS_MAP,
    Box,
    Detector,
    default_threads,
    detect_objects,
    draw_detections,
    letterbox,
)

__all__ = [
    "CLASS_MAP",
    "YOLOV5_ASSET",
    "Box",
    "Detector",
    "default_threads",
    "detect_objects",
    "draw_detections",
    "letterbox",
    "load_detector",
    "yolov5_weights",
]
