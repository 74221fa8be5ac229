"""Detection stage (spec Task 1.2): YOLOv8 models, the ONNX Runtime and OpenVINO backends,
the loader that finds the weights online or offline.

``models`` (the ``Detector`` interface, ``detect_objects``, drawing) is the lowest module;
``onnx_backend`` builds on it, ``openvino_backend`` on that; ``loader`` picks one. May import
``near_miss.config`` and ``tatweer_common`` only.
"""

from near_miss.detection.loader import CHECKPOINTS, load_detector
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
    "CHECKPOINTS",
    "CLASS_MAP",
    "Box",
    "Detector",
    "default_threads",
    "detect_objects",
    "draw_detections",
    "letterbox",
    "load_detector",
]
