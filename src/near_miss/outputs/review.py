"""Filters on vs off and the manual review of kept and filtered events (spec Task 1.6).

The filters only act on the near-miss logic, never on detection or tracking, so running the
pipeline "with filters enabled vs. disabled" is the same as replaying its tracks table
through two ``NearMissDetector``s, one with every filter and one with none.
"""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pandas as pd

from near_miss.nearmiss import compare_filters, run_detector
from near_miss.nearmiss.runner import FilterComparison
from near_miss.outputs.render import FONT, annotate_frame
from near_miss.outputs.tables import tracked_frames


def _options(config) -> dict:
    return {"stride": config.stride, "proximity_threshold": config.proximity_threshold,
            "ttc_threshold": config.ttc_threshold, "debounce_frames": config.debounce_frames,
            **config.nearmiss_options}


def replay_filters(tracks: pd.DataFrame, config, fps: float, end_frame: int) -> FilterComparison:
    """Filters off vs on over the processed frames ``0, stride, ... < end_frame`` of ``tracks``
    (a ``PipelineConfig`` gives the stride and the near-miss settings)."""
    frames = tracked_frames(tracks, range(0, end_frame, config.stride), config.conf)
    return compare_filters(frames, fps, **_options(config))


def replay_events(tracks: pd.DataFrame, config, fps: float, end_frame: int,
                  filters: bool) -> pd.DataFrame:
    """The events of ``tracks`` replayed with every filter on or off."""
    frames = tracked_frames(tracks, range(0, end_frame, config.stride), config.conf)
    return run_detector(frames, fps, **{**_options(config), "filters": filters}).events_dataframe()


def pick_for_review(events: pd.DataFrame, n: int = 5, group: str | None = None) -> pd.DataFrame:
    """``n`` events, riskiest first; with ``group`` (e.g. ``"filter"``) taken in turn from
    each group so that every rejecting filter is represented. Sorted by time."""
    if events.empty:
        return events
    ranked = events.sort_values(["risk_score", "timestamp_sec"], ascending=[False, True])
    if group is not None:
        ranked = ranked.assign(_turn=ranked.groupby(group).cumcount())
        ranked = ranked.sort_values("_turn", kind="stable").drop(columns="_turn")
    return ranked.head(n).sort_values("timestamp_sec")


def caption(event) -> str:
    verdict = f"filtered by {event['filter']}" if isinstance(event.get("filter"), str) else "kept"
    return (f"t={event['timestamp_sec']:.2f}s #{int(event['object_id_1'])} {event['class_1']} / "
            f"#{int(event['object_id_2'])} {event['class_2']}: {verdict}")


def review_image(frame: np.ndarray, frame_index: int, tracks: pd.DataFrame, event,
                 fps: float) -> np.ndarray:
    """The event's frame with every track, the pair in red and a caption strip below."""
    at = tracks[tracks["frame_index"] == frame_index]
    img = annotate_frame(frame, frame_index, at, pd.DataFrame([dict(event)]), fps)
    strip = np.full((28, img.shape[1], 3), 255, np.uint8)
    text = caption(event)
    scale = min(0.55, 0.55 * img.shape[1] / max(cv2.getTextSize(text, FONT, 0.55, 1)[0][0], 1))
    cv2.putText(strip, text, (4, 19), FONT, scale, (0, 0, 0), 1, cv2.LINE_AA)
    return np.vstack([img, strip])


def review_images(video: str | Path, tracks: pd.DataFrame, events: pd.DataFrame,
                  fps: float) -> list[np.ndarray]:
    from near_miss.ingest import read_frame

    return [review_image(read_frame(video, int(ev["frame_index"])), int(ev["frame_index"]),
                         tracks, ev, fps) for _, ev in events.iterrows()]


def save_images(images: list[np.ndarray], folder: str | Path, prefix: str) -> list[Path]:
    """Write ``<prefix>_<k>.png`` files (for looking at them full size), replacing older ones."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    for old in folder.glob(f"{prefix}_*.png"):
        old.unlink()
    paths = []
    for k, img in enumerate(images, 1):
        path = folder / f"{prefix}_{k}.png"
        cv2.imwrite(str(path), img)
        paths.append(path)
    return paths
