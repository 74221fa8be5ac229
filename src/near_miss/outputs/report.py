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
from markupsafe import Markup, escape

from near_miss.nearmiss.detector import REACH_RATIO
from near_miss.nearmiss.events import SPEC_COLUMNS, level_counts
from near_miss.outputs.render import mmss
from tatweer_common.io import write_text_atomic

__all__ = ["SPEC_COLUMNS", "RunSummary", "level_counts", "render_report", "write_report"]
PIXELS_ONLY = ("proximity_threshold",)  # settings read only with distance_mode="pixels"
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


def method(summary: RunSummary) -> list[str]:
    """How this run found its events, in a few sentences that follow its configuration."""
    cfg = summary.config
    relative = cfg.get("distance_mode", "relative") == "relative"
    proximity = ("the gap between the two boxes is below half the pair's size (the mean "
                 "square root of their areas), so the same threshold holds near and far"
                 if relative else
                 f"their centroids are less than {cfg.get('proximity_threshold')} px apart "
                 "(the specification's literal reading)")
    ttc = ("the time until the two boxes would touch at their current relative velocity "
           "(finite only on a collision course)" if cfg.get("ttc_method", "box") == "box" else
           "the distance divided by the closing speed along the line of centres (the "
           "specification's formula)")
    reach = cfg.get("nearmiss_options", {}).get("reach_ratio", REACH_RATIO)
    reach_text = (f" A pair is examined once its boxes come within {reach:g} pair sizes of each "
                  "other, so its closing speed is measured from there on: a distant pair "
                  "converging in the image does not count." if relative and reach else "")
    return [
        "A pair of road users is in a near miss when two of the specification's three "
        f"criteria hold at once: proximity (the boxes overlap or {proximity}), a "
        f"time-to-collision below {cfg.get('ttc_threshold')} s, computed for proximate pairs "
        f"only as {ttc}, and a rapid closing speed on a collision course. Velocities and "
        "durations are measured in seconds from frame indices, so the thresholds mean the "
        "same at any stride; the stride still changes which conflicts are found, as it sets "
        f"how many observations a conflict spans (stride {cfg.get('stride')} in this run; the "
        "stride rows of the benchmark, python -m near_miss bench, compare the incidents found "
        "and the false alarms per minute)." + reach_text,
        "The observations of one interaction form an episode, logged once at its most severe "
        "moment with its start and end; the annotated video shows the pair in red from the "
        "episode's start until its end or "
        f"{cfg.get('event_active_s', 1.0):g} s after its peak, whichever is later. Boxes that "
        "touch right after a fast approach while a vehicle stops "
        "abruptly are a collision: High at once, without a minimum duration.",
        "Pedestrian pairs, a rider with their bicycle and a passenger with their bus are not "
        "conflicts. Before an episode is logged the false-positive filters "
        + ("ask for physical evidence: a vehicle of the pair stops abruptly within 1.5 s "
           "of the peak (a crash, or the hard braking that avoids one; after a collision a "
           "lasting slowdown to half its speed is enough; a pedestrian who stops is everyday "
           "behaviour, not evidence), and their footprints, "
           "the bottom of their boxes where they stand on the road, come close; traffic that "
           "only overlaps in the image keeps its speed. They also discard convoys, parked "
           "pairs, flickers, low-confidence detections and cars driving past parked ones, "
           "and events that share a road user within 3 s are one incident."
           if cfg.get("filters", True) else "are off in this run."),
    ]


def limitations(summary: RunSummary) -> list[str]:
    """Specific shortcomings of this run's approach, with its own numbers."""
    video = summary.video
    bullets = [
        f"Distances and speeds are measured in the image ({video.get('width')}x"
        f"{video.get('height')}), relative to the objects' own size. That removes the scale "
        "of the camera but not perspective: two cars one behind the other along the line of "
        "sight look adjacent from a high camera although metres apart.",
        "No depth is estimated: boxes that overlap in the image can be far apart along the "
        "line of sight (a car passing behind a bus), which the image-plane logic can read as "
        "contact. A ground-plane calibration (four image points with their positions in "
        "metres) measures in metres instead.",
        "The camera is assumed static: any pan, zoom or shake adds the same apparent motion to "
        "every object and corrupts speeds, headings and closing speeds.",
        "The detector is the weakest link: a nano YOLO misses dark or small cars at night and "
        "often merges two colliding cars into one box, and then no tracker or rule can see the "
        "collision.",
        "Tracking is by detection only: an ID switch where paths cross splits one object into "
        "two IDs and can split or hide an episode.",
        "The risk-score weights (0.4/0.4/0.2) and levels are the specification's, not "
        "calibrated on data; the thresholds were checked on a small set of labelled clips, "
        "not fitted to them.",
    ]
    if video.get("origin") == "offline":
        bullets.append(
            "The specification's YouTube video could not be downloaded here, so this report "
            "describes its offline copy (the reason is in run.json)."
        )
    return bullets


def config_items(config: dict[str, Any]) -> list[tuple[str, Any, str]]:
    """``(key, value, note)`` per setting; one the run's distance mode does not read says so."""
    relative = config.get("distance_mode", "relative") == "relative"
    unused = "not used: read only with --distance-mode pixels"
    return [(k, v, unused if relative and k in PIXELS_ONLY else "") for k, v in config.items()]


def breakable(name: Any) -> Markup:
    """A column name that may wrap after its underscores, so that headers stay narrow."""
    return Markup("_<wbr>").join(escape(part) for part in str(name).split("_"))


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
    env.filters.update(fmt=fmt, mmss=mmss, breakable=breakable)
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
        method=method(summary),
        limitations=limitations(summary),
        config_items=config_items(summary.config),
        artifacts=artifacts or {},
    )


def write_report(path: str | Path, *args: Any, **kwargs: Any) -> Path:
    """Render (see ``render_report``) and write atomically to ``path``."""
    return write_text_atomic(path, render_report(*args, **kwargs))
