"""ONNX Runtime CPU backend for the detector (spec Task 1.7, "model optimization").

``load_detector(..., backend="onnx")`` loads the PyTorch detector as usual, then wraps it in an
:class:`OnnxDetector` with the same ``Detector`` interface, so ``detect_objects`` is unchanged.
The OpenVINO backend (``detection.openvino_backend``) runs the same ONNX file.

* Export: ultralytics ``YOLO.export(format="onnx")`` (opset 17). A graph has a fixed input
  shape ``(1, 3, H, W)``: the letterboxed size of the video's frames, so each shape is exported
  on first use and cached as ``<cache>/onnx/<model>-<weights hash>-<H>x<W>-opset17.onnx``
  (``tatweer_common.paths.cache_dir``); later runs load it in well under a second.
* Inference: onnxruntime's ``CPUExecutionProvider`` with ``threads`` intra-op threads and
  no spin-waiting (on a shared 2-core machine spinning threads steal each other's time).
* Pre/post-processing needs no torch: the frame is letterboxed ONCE (:class:`Letterbox`:
  one ``cv2.resize`` keeping the aspect ratio, grey padding centred), the best class per
  candidate is kept (road users only), class-aware NMS (``cv2.dnn.NMSBoxesBatched``, IoU 0.45)
  and the boxes are mapped back exactly with the resize's own per-axis ratios.
"""

from __future__ import annotations

import hashlib
import math
import shutil
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from near_miss.detection.models import (
    IOU_THRESHOLD,
    LICENCE,
    Box,
    DetectionStats,
    UltralyticsDetector,
    default_threads,
)
from tatweer_common.io import atomic_path
from tatweer_common.paths import cache_dir, display_path

OPSET = 17
STRIDE = 32
PAD_VALUE = 114
MAX_DETECTIONS = 300


@dataclass(frozen=True)
class Letterbox:
    """How a ``height x width`` frame is fitted into the network input ``in_h x in_w``.

    The frame is resized to ``new_w x new_h`` (aspect ratio kept) and placed at
    ``(left, top)`` on a grey canvas.
    """

    height: int
    width: int
    in_h: int
    in_w: int
    new_h: int
    new_w: int
    top: int
    left: int

    @classmethod
    def plan(cls, height: int, width: int, imgsz: int = 640, rect: bool = False) -> Letterbox:
        """Square ``imgsz`` canvas, or (``rect``) the resized frame padded to a multiple of 32."""
        ratio = min(imgsz / height, imgsz / width)
        new_w, new_h = max(1, round(width * ratio)), max(1, round(height * ratio))
        if rect:
            in_w, in_h = (math.ceil(n / STRIDE) * STRIDE for n in (new_w, new_h))
        else:
            in_w = in_h = imgsz
        top, left = (in_h - new_h) // 2, (in_w - new_w) // 2
        return cls(height, width, in_h, in_w, new_h, new_w, top, left)

    @property
    def input_shape(self) -> tuple[int, int]:
        return self.in_h, self.in_w

    def apply(self, frame: np.ndarray) -> np.ndarray:
        """The letterboxed ``in_h x in_w x 3`` image."""
        if frame.shape[:2] != (self.height, self.width):
            raise ValueError(f"frame {frame.shape[:2]} is not {self.height}x{self.width}")
        if (self.new_h, self.new_w) != (self.height, self.width):
            frame = cv2.resize(frame, (self.new_w, self.new_h), interpolation=cv2.INTER_LINEAR)
        bottom, right = self.in_h - self.new_h - self.top, self.in_w - self.new_w - self.left
        return cv2.copyMakeBorder(frame, self.top, bottom, self.left, right,
                                  cv2.BORDER_CONSTANT, value=(PAD_VALUE,) * 3)

    def to_frame(self, xyxy: np.ndarray) -> np.ndarray:
        """Boxes ``(n, 4)`` in input pixels -> original-frame pixels (clipped to the frame)."""
        out = np.asarray(xyxy, dtype=np.float64).reshape(-1, 4).copy()
        out[:, [0, 2]] = (out[:, [0, 2]] - self.left) * (self.width / self.new_w)
        out[:, [1, 3]] = (out[:, [1, 3]] - self.top) * (self.height / self.new_h)
        out[:, [0, 2]] = out[:, [0, 2]].clip(0, self.width)
        out[:, [1, 3]] = out[:, [1, 3]].clip(0, self.height)
        return out

    def to_input(self, xyxy: np.ndarray) -> np.ndarray:
        """The inverse of :meth:`to_frame` (before clipping)."""
        out = np.asarray(xyxy, dtype=np.float64).reshape(-1, 4).copy()
        out[:, [0, 2]] = out[:, [0, 2]] * (self.new_w / self.width) + self.left
        out[:, [1, 3]] = out[:, [1, 3]] * (self.new_h / self.height) + self.top
        return out


def input_blob(image: np.ndarray) -> np.ndarray:
    """A letterboxed BGR image -> the network input ``(1, 3, H, W)``: RGB float32 in [0, 1]."""
    blob = np.ascontiguousarray(image[..., ::-1].transpose(2, 0, 1))[None]
    return blob.astype(np.float32) / 255


def session_options(threads: int):
    """onnxruntime options: ``threads`` intra-op threads, one inter-op thread, no spinning."""
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    return options


def weights_digest(module) -> str:
    """A short sha256 of a torch module's parameters and buffers (the export cache key)."""
    digest = hashlib.sha256()
    for name, tensor in sorted(module.state_dict().items()):
        digest.update(name.encode())
        digest.update(tensor.detach().cpu().contiguous().numpy().tobytes())
    return digest.hexdigest()[:12]


def export_ultralytics(yolo, path: Path, shape: tuple[int, int]) -> None:
    """ultralytics ``export(format="onnx")`` (output ``(1, 4 + nc, n)``), moved to ``path``."""
    from ultralytics import YOLO

    with tempfile.TemporaryDirectory(dir=path.parent) as tmp:
        weights = Path(tmp) / "model.pt"  # export writes next to the weights: keep it out of cwd
        yolo.save(weights)
        written = YOLO(str(weights)).export(format="onnx", imgsz=shape, simplify=False,
                                            dynamic=False, opset=OPSET, device="cpu")
        shutil.move(written, path)


class OnnxDetector:
    """An ultralytics ``Detector`` exported to ONNX and run by onnxruntime (see the module
    docstring). The network's output is ``(1, 4 + nc, n)``: box centre and size, class scores.
    """

    licence = LICENCE
    runtime = "onnx"
    precision = "fp32"

    def __init__(self, name: str, names: list[str], class_ids: list[int],
                 exporter: Callable[[Path, tuple[int, int]], None], digest: str,
                 imgsz: int = 640, rect: bool = False, threads: int | None = None,
                 parameters: int = 0) -> None:
        self.name = f"{name}-{self.runtime}"
        self.names, self.class_ids = names, np.asarray(class_ids)
        self.exporter, self.digest, self.base_name = exporter, digest, name
        self.imgsz, self.rect = imgsz, rect
        self.threads = threads or default_threads()
        self.stats = DetectionStats()
        self._parameters = parameters
        self._sessions: dict[tuple[int, int], object] = {}
        self._plans: dict[tuple[int, int], Letterbox] = {}

    @classmethod
    def from_torch(cls, detector: UltralyticsDetector, threads: int | None = None,
                   imgsz: int | None = None, rect: bool | None = None,
                   **options) -> OnnxDetector:
        """Wrap an ``UltralyticsDetector`` (by default at its own ``imgsz`` and ``rect``);
        ``options`` go to the constructor (a subclass's own settings)."""
        if not isinstance(detector, UltralyticsDetector):
            raise TypeError(f"no ONNX export for {type(detector).__name__}")
        names = [detector.yolo.names[i] for i in range(len(detector.yolo.names))]
        exporter = lambda path, shape: export_ultralytics(detector.yolo, path, shape)  # noqa: E731
        wrapped = cls(detector.name, names, detector.class_ids, exporter,
                      weights_digest(detector.yolo.model), imgsz or detector.imgsz,
                      detector.rect if rect is None else rect, threads, detector.parameters,
                      **options)
        wrapped.origin = detector.origin
        return wrapped

    @property
    def parameters(self) -> int:
        return self._parameters

    def model_path(self, shape: tuple[int, int]) -> Path:
        """The cached ONNX file for an input shape, exported first when missing."""
        path = cache_dir("onnx") / f"{self.base_name}-{self.digest}-{shape[0]}x{shape[1]}" \
                                   f"-opset{OPSET}.onnx"
        if not path.is_file():
            print(f"exporting {self.base_name} to ONNX for input {shape[0]}x{shape[1]} -> "
                  f"{display_path(path)}")
            with atomic_path(path) as tmp:
                self.exporter(tmp, shape)
        return path

    def session(self, shape: tuple[int, int]):
        """The onnxruntime session for an input shape (created once)."""
        if shape not in self._sessions:
            self._sessions[shape] = self.open_session(self.model_path(shape))
        return self._sessions[shape]

    def open_session(self, model: Path):
        import onnxruntime as ort

        return ort.InferenceSession(str(model), session_options(self.threads),
                                    providers=["CPUExecutionProvider"])

    def infer(self, session, blob: np.ndarray) -> np.ndarray:
        """The network's raw output for one input blob."""
        return session.run(None, {session.get_inputs()[0].name: blob})[0]

    def letterbox(self, frame: np.ndarray) -> Letterbox:
        key = frame.shape[:2]
        if key not in self._plans:
            self._plans[key] = Letterbox.plan(*key, imgsz=self.imgsz, rect=self.rect)
        return self._plans[key]

    def predict(self, frame: np.ndarray, conf: float) -> list[Box]:
        start = time.perf_counter()
        plan = self.letterbox(frame)
        session = self.session(plan.input_shape)
        raw = self.infer(session, input_blob(plan.apply(frame)))
        boxes = self._boxes(raw, plan, conf)
        self.stats.record((time.perf_counter() - start) * 1000)
        return boxes

    def _boxes(self, raw: np.ndarray, plan: Letterbox, conf: float) -> list[Box]:
        """Raw network output -> road-user boxes in frame pixels after NMS."""
        pred = raw[0].T
        xywh, scores = pred[:, :4], pred[:, 4:]
        cls = scores.argmax(1)
        best = scores[np.arange(len(cls)), cls]
        keep = (best > conf) & np.isin(cls, self.class_ids)
        xywh, best, cls = xywh[keep], best[keep], cls[keep]
        corner = np.column_stack((xywh[:, :2] - xywh[:, 2:] / 2, xywh[:, 2:]))  # x, y, w, h
        picked = cv2.dnn.NMSBoxesBatched(corner.tolist(), best.tolist(), cls.tolist(),
                                         conf, IOU_THRESHOLD)
        picked = np.asarray(picked, dtype=int).reshape(-1)
        picked = picked[np.argsort(-best[picked], kind="stable")][:MAX_DETECTIONS]
        xyxy = plan.to_frame(np.column_stack((corner[picked, :2],
                                              corner[picked, :2] + corner[picked, 2:])))
        return [Box(*(float(v) for v in b), float(best[i]), self.names[int(cls[i])])
                for b, i in zip(xyxy, picked, strict=True)]
