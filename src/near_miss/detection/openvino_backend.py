"""OpenVINO CPU backend for the detector (spec Task 1.7, "model optimization").

``load_detector(..., backend="openvino")``: the ONNX file that ``detection.onnx_backend``
exports (and caches), compiled by ``openvino.Core`` for the CPU; letterbox, decode and NMS are
:class:`~near_miss.detection.onnx_backend.OnnxDetector`'s, so only the runtime differs.

Precision: bf16 where OpenVINO reports native bf16 on this CPU (``OPTIMIZATION_CAPABILITIES``
lists ``BF16``: AVX512-BF16 or AMX), else fp32; detected, never assumed. Measured on a 2-core
Xeon with AMX (YOLOv8n, 640x384 input, 2 threads, 16 spec-video frames, twice): ONNX Runtime
fp32 32-36 ms per frame, OpenVINO fp32 22-25 ms, OpenVINO bf16 8-9 ms. On 152 frames bf16
kept 97-99% of the fp32 boxes at confidence 0.4 (the rest sit at the threshold), coordinates
within 3.5% of the box size, confidences within 0.05. INT8 did not pay here: static QDQ INT8
ran at 12.5-15 ms (OpenVINO) and 17-19 ms (ONNX Runtime) and kept 72-83% of the boxes.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import numpy as np

from near_miss.detection.onnx_backend import OnnxDetector


@cache
def core():
    import openvino as ov

    return ov.Core()


HINTS = {"fp32": "f32", "bf16": "bf16"}  # precision -> OpenVINO's INFERENCE_PRECISION_HINT


def native_precision() -> str:
    """``"bf16"`` where this CPU runs bf16 natively (as OpenVINO reports it), else ``"fp32"``."""
    return "bf16" if "BF16" in core().get_property("CPU", "OPTIMIZATION_CAPABILITIES") else "fp32"


class OpenVinoDetector(OnnxDetector):
    """The exported ONNX model run by OpenVINO at ``precision`` (default: ``native_precision``).

    The name carries the precision (``yolov8n-openvino-bf16``): it keys the detection cache,
    and bf16 boxes differ slightly from fp32 ones.
    """

    runtime = "openvino"

    def __init__(self, *args, precision: str | None = None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.precision = precision or native_precision()
        self.name = f"{self.base_name}-{self.runtime}-{self.precision}"

    def open_session(self, model: Path):
        """The compiled model; OpenVINO keeps the compiled blob in the project cache
        (``CACHE_DIR``), so later runs load it instead of compiling again."""
        from tatweer_common.paths import cache_dir

        config = {"INFERENCE_NUM_THREADS": self.threads, "PERFORMANCE_HINT": "LATENCY",
                  "INFERENCE_PRECISION_HINT": HINTS[self.precision],
                  "CACHE_DIR": str(cache_dir("openvino"))}
        return core().compile_model(str(model), "CPU", config)

    def infer(self, session, blob: np.ndarray) -> np.ndarray:
        return session(blob)[0]
