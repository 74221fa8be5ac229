"""Per-video detection tables, cached once per model so re-analyses skip the detector.

A detector's output on frame ``i`` does not depend on the stride, so one pass over every
frame (stride 1) at a low confidence floor serves every later analysis of that video: any
stride (every ``stride``-th frame of the table), any confidence threshold at or above the
floor, any tracker or near-miss setting. The labelled evaluation and the benchmark's
quality columns re-analyse the same clips many times; timing is never measured from it.

Tables live in ``<cache>/detections/<video name>-<sha256 prefix>-<model key>.csv`` (rows:
``frame_index, class, coco_class, x1, y1, x2, y2, confidence``), written atomically.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path

import pandas as pd

from tatweer_common.io import atomic_path
from tatweer_common.paths import cache_dir

CONF_FLOOR = 0.1  # lowest confidence kept (ByteTrack's second association round uses these)
COLUMNS = ["frame_index", "class", "coco_class", "x1", "y1", "x2", "y2", "confidence"]


def video_digest(path: Path, chunk: int = 1 << 20) -> str:
    """First 12 hex digits of the file's sha256."""
    sha = hashlib.sha256()
    with open(path, "rb") as fh:
        while block := fh.read(chunk):
            sha.update(block)
    return sha.hexdigest()[:12]


def model_key(model, imgsz: int, rect: bool) -> str:
    """What identifies a detector's output: the network (``base_name``), the numeric precision
    it runs at and the input geometry, e.g. ``yolov8n-fp32-640sq``.

    The runtime is not part of the key: PyTorch, ONNX Runtime and OpenVINO fp32 give the same
    boxes (confidences within 1e-3, tested), so one fp32 table serves all three and the fastest
    fills it; OpenVINO bf16 boxes differ slightly and get their own (``yolov8n-bf16-640sq``).
    """
    return f"{model.base_name}-{model.precision}-{imgsz}{'rect' if rect else 'sq'}"


def cache_path(video: Path, model_key: str) -> Path:
    return cache_dir("detections") / f"{video.stem}-{video_digest(video)}-{model_key}.csv"


def detection_table(video: Path, model, model_key: str, progress: bool = True,
                    max_frames: int | None = None) -> pd.DataFrame:
    """Every frame's detections (confidence >= ``CONF_FLOOR``), from the cache or computed.
    With ``max_frames``, only the first frames, computed and not cached."""
    path = cache_path(video, model_key)
    if max_frames is None and path.is_file():
        return pd.read_csv(path)
    from tqdm import tqdm

    from near_miss.detection.models import detect_objects
    from near_miss.ingest import iter_frames, video_metadata

    rows = []
    frames = iter_frames(video, stride=1, max_frames=max_frames)
    total = max_frames or video_metadata(video).frames
    for index, frame in tqdm(frames, total=total, desc=f"detect {video.name}", unit="frame",
                             disable=not progress):
        for d in detect_objects(frame, model, conf_threshold=CONF_FLOOR):
            rows.append((index, d["class"], d["coco_class"], *d["bbox"], d["confidence"]))
    table = pd.DataFrame(rows, columns=COLUMNS)
    if max_frames is None:
        with atomic_path(path) as tmp:
            table.to_csv(tmp, index=False)
    return table


def iter_cached(table: pd.DataFrame, frames: int, stride: int, conf: float
                ) -> Iterator[tuple[int, list[dict]]]:
    """``(frame_index, detections)`` for frames 0, stride, 2*stride... below ``frames``,
    the detections in ``detect_objects``' format with confidence >= ``conf``."""
    kept = table[table["confidence"] >= conf].rename(columns={"class": "cls"})
    by_frame = {int(i): g for i, g in kept.groupby("frame_index")}
    for index in range(0, frames, stride):
        group = by_frame.get(index)
        yield index, [] if group is None else [_as_detection(r) for r in group.itertuples()]


def _as_detection(row) -> dict:
    x1, y1, x2, y2 = float(row.x1), float(row.y1), float(row.x2), float(row.y2)
    return {"id": None, "class": row.cls, "bbox": [x1, y1, x2, y2],
            "confidence": float(row.confidence), "center": ((x1 + x2) / 2, (y1 + y2) / 2),
            "coco_class": row.coco_class}
