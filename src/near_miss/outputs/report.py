"""HTML summary report (spec Task 1.5 Part C), rendered with jinja2 from templates/report.html.j2.

Self-contained: the plots and the event thumbnails are embedded as base64 data URIs, the
events table sorts on a click with a few lines of inline JavaScript, nothing is fetched.
"""

from __future__ import annotations

import base64
import json
import math
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import pandas as pd

from near_miss.nearmiss.events import SPEC_COLUMNS, level_counts
from near_miss.outputs.render import mmss
from tatweer_common.io import write_text_atomic

__all__ = ["SPEC_COLUMNS", "RunSummary", "level_counts", "render_report", "write_report"]
IMAGE_TITLES = {
    "timeline": "Timeline of near-miss events",
    "risk_distribution": "Risk level distribution",
    "heatmap": "Object activity heatmap",
    "frequency": "Near-miss frequency (15 s bins)",
}


@dataclass
class RunSummary:
    """What a run measured, saved as ``run.json`` next to the tables (re-used by --from-tables).

    ``video``: path, origin, note, frames, fps, width, height, duration_s.
    ``detection``: model, processed_frames, avg_ms_per_frame, detections per class.
    ``tracking``: tracker, unique_ids, observations, avg_track_length, peak_active, peak_frame.
    """

    video: dict[str, Any]
    detection: dict[str, Any]
    tracking: dict[str, Any]
    config: dict[str, Any]
    end_frame: int
    run_time_s: float
    stage_times: dict[str, float] = field(default_factory=dict)
    created: str = ""

    def save(self, path: str | Path) -> Path:
        return write_text_atomic(path, json.dumps(asdict(self), indent=2, default=str) + "\n")

    @classmethod
    def load(cls, path: str | Path) -> RunSummary:
        return cls(**json.loads(Path(path).read_text(encoding="utf-8")))


def data_uri(path: str | Path) -> str:
    """A PNG file as a ``data:`` URI."""
    return "data:image/png;base64," + base64.b64encode(Path(path).read_bytes()).decode("ascii")


def jpeg_uri(image: np.ndarray, quality: int = 85) -> str:
    """A BGR image as a JPEG ``data:`` URI."""
    ok, buf = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, quality])
    if not ok:
        raise ValueError("JPEG encoding failed")
    return "data:image/jpeg;base64," + base64.b64encode(buf.tobytes()).decode("ascii")


def fmt(value: Any) -> str:
    """Table cell text: floats to 2 decimals, infinity as the symbol, NaN as a dash."""
    if isinstance(value, float | np.floating):
        if math.isnan(value):
            return "–"
        if math.isinf(value):
            return "∞" if value > 0 else "-∞"
        return f"{value:.2f}"
    return str(value)


def sort_key(value: Any) -> str:
    """``data-sort`` attribute: numbers as numbers (infinity large), the rest as text."""
    if isinstance(value, bool | np.bool_):
        return str(int(value))
    if isinstance(value, int | float | np.integer | np.floating):
        v = float(value)
        return "1e308" if math.isinf(v) and v > 0 else ("" if math.isnan(v) else repr(v))
    return str(value)


def top_events(events: pd.DataFrame, n: int = 5) -> pd.DataFrame:
    """The ``n`` highest-risk events (ties: earliest first)."""
    if events.empty:
        return events
    return events.sort_values(["risk_score", "timestamp_sec"], ascending=[False, True]).head(n)


def limitations(summary: RunSummary) -> list[str]:
    """Specific shortcomings of this run's approach, with its own numbers."""
    cfg, video = summary.config, summary.video
    eff_fps = float(video.get("fps", 0)) / max(int(cfg.get("stride", 1)), 1)
    bullets = [
        f"Distances, speeds and TTC are in image pixels of a {video.get('width')}x"
        f"{video.get('height')} frame. Perspective makes one pixel cover much more ground far "
        f"from the camera than near it, so the fixed {cfg.get('proximity_threshold')} px "
        "proximity threshold is far stricter near the camera than at the far side.",
        "No depth is estimated: two boxes that overlap in the image can be metres apart along "
        "the line of sight (a pedestrian on the far kerb behind a turning car), which the "
        "image-plane logic counts as close.",
        "The camera is assumed static: any pan, zoom or shake adds the same apparent motion to "
        "every object and corrupts speeds, headings and closing speeds.",
        f"Velocities come from centroid differences between processed frames at {eff_fps:.1f} "
        f"effective fps (stride {cfg.get('stride')}). Box jitter from the detector becomes "
        "speed noise, so TTC is noisy for slow or partly occluded objects.",
        "A cyclist is detected as a person plus a bicycle (a vehicle); the two boxes of one "
        "rider overlap and move together, and can read as a pedestrian-vehicle near miss "
        "unless the filters (direction of travel, minimum duration) remove them.",
        "Tracking is by detection only: an ID switch where paths cross splits one object into "
        "two IDs, which changes the pairs seen by the 30-frame debounce and can duplicate or "
        "hide an event.",
        "There is no ground truth for this video: the events are not validated against "
        "labelled incidents, and the risk-score weights (0.4/0.4/0.2) are the specification's, "
        "not calibrated on data.",
    ]
    if video.get("origin") == "offline":
        bullets.append(
            "The specification's YouTube video could not be downloaded here, so this report "
            f"describes the offline stand-in ({video.get('note')}); the numbers will differ "
            "on the real video."
        )
    return bullets


def event_rows(events: pd.DataFrame) -> tuple[list[str], list[list[tuple[str, str]]]]:
    """Column names and per-row ``(text, sort key)`` cells of the full events table."""
    columns = list(events.columns)
    rows = [[(fmt(v), sort_key(v)) for v in rec] for rec in events.itertuples(index=False)]
    return columns, rows


def render_report(
    summary: RunSummary,
    events: pd.DataFrame,
    images: dict[str, Path],
    thumbnails: dict[int, str] | None = None,
    artifacts: dict[str, str] | None = None,
) -> str:
    """The report's HTML. ``thumbnails`` maps an ``events`` index label to an image data URI;
    ``artifacts`` maps a label to a path relative to the report (linked, not embedded)."""
    from importlib.resources import files

    import jinja2

    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(files("near_miss.outputs") / "templates")),
        autoescape=jinja2.select_autoescape(["html", "j2"]),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(fmt=fmt, mmss=mmss)
    thumbnails = thumbnails or {}
    top = [(row.to_dict(), thumbnails.get(idx)) for idx, row in top_events(events).iterrows()]
    columns, rows = event_rows(events)
    return env.get_template("report.html.j2").render(
        s=summary,
        counts=level_counts(events),
        total_events=len(events),
        top=top,
        images=[(name, IMAGE_TITLES.get(name, name), data_uri(p)) for name, p in images.items()],
        columns=columns,
        rows=rows,
        limitations=limitations(summary),
        artifacts=artifacts or {},
    )


def write_report(path: str | Path, *args: Any, **kwargs: Any) -> Path:
    """Render (see ``render_report``) and write atomically to ``path``."""
    return write_text_atomic(path, render_report(*args, **kwargs))
