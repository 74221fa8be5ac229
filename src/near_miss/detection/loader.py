"""Which detector to load (spec Task 1.2): the official Ultralytics YOLOv8n, online or offline.

``load_detector("auto")`` (= ``"yolov8n"``) finds ``yolov8n.pt`` in this order: ``./yolov8n.pt``,
the cached copy, a download from the Ultralytics release (short timeout, into the cache, never
into the repository), then the offline assets' copy, used only when its sha256 is the release
file's. ``"yolov8s"`` (the more accurate, about 2x slower option) is found the same way; any
ultralytics ``.pt`` path works too. One line names the file used and why.

``backend="onnx"`` runs the model exported to ONNX by ONNX Runtime (``detection.onnx_backend``),
``backend="openvino"`` the same ONNX file by OpenVINO (``detection.openvino_backend``).
"""

from __future__ import annotations

import hashlib
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from near_miss.config import BACKENDS
from near_miss.detection.models import LICENCE, Detector, UltralyticsDetector, default_threads
from tatweer_common.errors import UserError
from tatweer_common.io import atomic_path
from tatweer_common.paths import assets_dir, cache_dir, display_path, is_smoke

DOWNLOAD_TIMEOUT_S = 10
RELEASE_URL = "https://github.com/ultralytics/assets/releases/download/v8.3.0"


@dataclass(frozen=True)
class Checkpoint:
    """An official Ultralytics checkpoint: its file name and the sha256 of the offline copy."""

    name: str
    title: str
    sha256: str

    @property
    def file(self) -> str:
        return f"{self.name}.pt"

    @property
    def url(self) -> str:
        return f"{RELEASE_URL}/{self.file}"

    @property
    def asset(self) -> Path:
        return assets_dir() / "models" / self.file


CHECKPOINTS = {c.name: c for c in (
    Checkpoint("yolov8n", "YOLOv8n",
               "31e20dde3def09e2cf938c7be6fe23d9150bbbe503982af13345706515f2ef95"),
    Checkpoint("yolov8s", "YOLOv8s",
               "1f47a78bf100391c2a140b7ac73a1caae18c32779be7d310658112f7ac9aa78a"),
)}
DEFAULT_MODEL = "yolov8n"


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


def sha256_of(path: Path) -> str:
    with open(path, "rb") as fh:
        return hashlib.file_digest(fh, "sha256").hexdigest()


def find_weights(checkpoint: Checkpoint) -> tuple[Path, str]:
    """``(weights file, why this one)``: ``./<name>.pt``, the cached copy, a download into the
    cache, else the offline assets' copy when its sha256 matches."""
    cached = cache_dir("models") / checkpoint.file
    for candidate, why in ((Path.cwd() / checkpoint.file, "found in the working folder"),
                           (cached, "cached")):
        if candidate.is_file():
            return candidate, why
    failure = "smoke run, no download attempted"
    if not is_smoke():
        try:
            return download_file(checkpoint.url, cached), "downloaded from the Ultralytics release"
        except OSError as exc:  # URLError, timeouts and HTTP errors are all OSErrors
            failure = "the Ultralytics release was unreachable"
            if not getattr(exc, "reason", None):
                failure = f"the download failed ({exc})"
    asset = checkpoint.asset
    if not asset.is_file():
        raise UserError(f"{checkpoint.file}: {failure} and there is no offline copy at "
                        f"{display_path(asset)}")
    if sha256_of(asset) != checkpoint.sha256:
        raise UserError(f"{display_path(asset)}: sha256 differs from the official "
                        f"{checkpoint.file}; refusing to load it")
    return asset, f"{failure}; offline copy, sha256 verified"


def load_checkpoint(name: str, imgsz: int, rect: bool) -> UltralyticsDetector:
    """An official checkpoint (``CHECKPOINTS``) through ultralytics; prints where it came from."""
    checkpoint = CHECKPOINTS[name]
    weights, why = find_weights(checkpoint)
    try:
        detector = UltralyticsDetector(weights, imgsz, name=name, rect=rect)
    except Exception as exc:  # a corrupt cached or local file: say which one
        raise UserError(f"{display_path(weights)}: cannot be loaded by ultralytics ({exc})"
                        ) from exc
    detector.origin = f"{display_path(weights)} ({why})"
    print(f"detector: {checkpoint.title} from {display_path(weights)} "
          f"({why}; Ultralytics, {LICENCE})")
    return detector


def load_torch(source: str, imgsz: int, rect: bool) -> UltralyticsDetector:
    source = DEFAULT_MODEL if source == "auto" else source
    if source in CHECKPOINTS:
        return load_checkpoint(source, imgsz, rect)
    path = Path(source)
    if not path.is_file():
        raise UserError(f"{source}: not a detector name (auto, {', '.join(CHECKPOINTS)}) "
                        f"or a weights file")
    detector = UltralyticsDetector(path, imgsz, rect=rect)
    print(f"detector: {detector.name} from {display_path(path)}")
    return detector


def load_detector(source: str = "auto", imgsz: int = 640, threads: int | None = None,
                  rect: bool = False, backend: str = "torch") -> Detector:
    """A ``Detector`` for ``source``: ``auto`` (= ``yolov8n``), ``yolov8n``, ``yolov8s`` or a
    path to an ultralytics ``.pt`` checkpoint.

    ``imgsz``/``rect``: see ``letterbox``; ``threads``: CPU threads (``default_threads``).
    ``backend``: ``torch``, ``onnx`` (ONNX Runtime) or ``openvino`` (see the module docstring).
    """
    if backend not in BACKENDS:
        raise UserError(f"backend must be one of {', '.join(BACKENDS)}, got {backend!r}")
    import torch

    torch.set_num_threads(threads or default_threads())
    detector = load_torch(source, imgsz, rect)
    if backend == "onnx":
        from near_miss.detection.onnx_backend import OnnxDetector

        return OnnxDetector.from_torch(detector, threads)
    if backend == "openvino":
        from near_miss.detection.openvino_backend import OpenVinoDetector

        return OpenVinoDetector.from_torch(detector, threads)
    return detector
