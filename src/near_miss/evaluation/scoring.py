"""Events against labelled windows: incidents found, their level, and false alarms.

* An incident window is **found** when an event's peak, start or end time falls within
  ``[start - FOUND_MARGIN_S, end + FOUND_MARGIN_S]`` (1 s: the labels are judged by eye, and an
  episode's peak may precede the moment of contact); its level is the highest level among
  those events.
* An event farther than ``ALARM_MARGIN_S`` (2 s) from every window of its clip (``possible``
  windows included) is a **false alarm**; every event of a ``none`` clip is one.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import pandas as pd

from near_miss.evaluation.labels import Clip, Window
from near_miss.nearmiss.risk import LEVELS

FOUND_MARGIN_S = 1.0
ALARM_MARGIN_S = 2.0


@dataclass(frozen=True)
class WindowResult:
    window: Window
    found: bool
    level: str | None  # the best level among the matching events
    kind: str | None  # "collision" when any matching event is one, else "near_miss"


@dataclass(frozen=True)
class ClipScore:
    clip: Clip
    duration_s: float
    events: int
    windows: tuple[WindowResult, ...]
    false_alarms: int
    false_alarms_high: int = 0  # the false alarms logged at level High


TIME_COLUMNS = ("timestamp_sec", "start_sec", "end_sec")  # an event's peak and episode ends


def event_gap(event: dict, window: Window) -> float:
    """Seconds from the nearest of an event's times to the window (0 inside it)."""
    times = [event[c] for c in TIME_COLUMNS if c in event and not math.isnan(event[c])]
    return min(max(window.start_s - t, 0.0, t - window.end_s) for t in times)


def event_rows(events: pd.DataFrame) -> list[dict]:
    """The events as one dict per row (none for an empty table, whatever its columns)."""
    return events.to_dict("records") if len(events) else []


def score_clip(clip: Clip, events: pd.DataFrame, duration_s: float) -> ClipScore:
    """Match one clip's events with its windows."""
    rows = event_rows(events)
    results = []
    for window in (w for w in clip.windows if w.is_incident):
        hits = [i for i, row in enumerate(rows) if event_gap(row, window) <= FOUND_MARGIN_S]
        matched = events.iloc[hits]
        level = next((lv for lv in LEVELS if (matched["risk_level"] == lv).any()), None)
        kind = None
        if hits:
            kinds = matched["kind"] if "kind" in matched.columns else pd.Series(["near_miss"])
            kind = "collision" if (kinds == "collision").any() else "near_miss"
        results.append(WindowResult(window, bool(hits), level, kind))
    alarm = [all(event_gap(row, w) > ALARM_MARGIN_S for w in clip.windows) for row in rows]
    high = [a and row.get("risk_level") == "High" for a, row in zip(alarm, rows, strict=True)]
    return ClipScore(clip, duration_s, len(events), tuple(results), sum(alarm), sum(high))


TABLE_COLUMNS = ("clip", "duration_s", "events", "false_alarms", "false_alarms_high", "label",
                 "start_s", "end_s", "found", "level", "detected_kind")


def scores_table(scores: list[ClipScore]) -> pd.DataFrame:
    """One row per incident window (``label`` its kind), one per clip without any (``none``
    for normal traffic, ``possible`` for a clip with only ambiguous windows): the table
    ``evaluate`` saves as ``incident_eval.csv``."""
    rows = []
    for s in scores:
        base = {"clip": s.clip.name, "duration_s": round(s.duration_s, 2), "events": s.events,
                "false_alarms": s.false_alarms, "false_alarms_high": s.false_alarms_high}
        rows += [{**base, "label": w.window.kind, "start_s": w.window.start_s,
                  "end_s": w.window.end_s, "found": w.found, "level": w.level,
                  "detected_kind": w.kind} for w in s.windows]
        if not s.windows:
            rows.append({**base, "label": "none" if s.clip.normal else "possible"})
    return pd.DataFrame(rows, columns=list(TABLE_COLUMNS))


def table_totals(table: pd.DataFrame) -> dict:
    """Incidents found (and High), collisions found High, false alarms per minute of normal
    traffic and per minute of all the video (every event on a normal clip and every event
    more than ``ALARM_MARGIN_S`` from a labelled window), all and High only, from
    ``scores_table`` or the ``incident_eval.csv`` it was saved as."""
    incidents = table[table["label"].isin(["collision", "near_miss"])]
    found = incidents["found"].astype(bool)
    high = found & (incidents["level"] == "High")
    normal = table[table["label"] == "none"]
    minutes = float(normal["duration_s"].sum()) / 60.0
    normal_alarms = int(normal["false_alarms"].sum())
    clips = table.drop_duplicates("clip")
    all_minutes = float(clips["duration_s"].sum()) / 60.0
    all_alarms = int(clips["false_alarms"].sum())
    # tables saved before High false alarms were counted have no such column: unknown
    high_alarms = (int(clips["false_alarms_high"].sum()) if "false_alarms_high" in clips
                   else math.nan)
    return {
        "incidents": len(incidents),
        "found": int(found.sum()),
        "found_high": int(high.sum()),
        "collisions": int((incidents["label"] == "collision").sum()),
        "collisions_high": int(high[incidents["label"] == "collision"].sum()),
        "normal_minutes": minutes,
        "normal_false_alarms": normal_alarms,
        "false_alarms_per_min": normal_alarms / minutes if minutes else math.nan,
        "false_alarms_incident_clips": int(clips[clips["label"] != "none"]["false_alarms"].sum()),
        "video_minutes": all_minutes,
        "false_alarms": all_alarms,
        "false_alarms_all_per_min": all_alarms / all_minutes if all_minutes else math.nan,
        "high_false_alarms_all_per_min": high_alarms / all_minutes if all_minutes else math.nan,
    }


def totals(scores: list[ClipScore]) -> dict:
    """``table_totals`` of these scores."""
    return table_totals(scores_table(scores))
