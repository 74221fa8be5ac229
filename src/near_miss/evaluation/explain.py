"""``evaluate --explain DIR``: one contact sheet per missed incident and per false alarm.

A sheet is a row of processed frames from 1 s before to 1 s after the moment, every track
drawn (vehicles blue, pedestrians green) and the pair in red, above a caption with the verdict
and the pair's criteria. For a false alarm the pair is the logged event. For a missed incident
it is the riskiest candidate episode the filters rejected inside the window, with the filters
that rejected it; with none, the sheet says the engine never saw a qualifying pair there (the
detector or the tracker lost the road users, or they never came close). The sheets are for
looking at failures, not deliverables: the labelled clips are third-party footage.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
import pandas as pd

from near_miss.evaluation.scoring import (
    ALARM_MARGIN_S,
    FOUND_MARGIN_S,
    ClipScore,
    event_gap,
    event_rows,
)

OFFSETS_S = (-1.0, -0.5, 0.0, 0.5, 1.0)
TILE_WIDTH = 384


@dataclass(frozen=True)
class Moment:
    """One failure to show: when, the pair drawn in red (an event row, or None) and a caption."""

    name: str
    time_s: float
    pair: dict | None
    caption: str


def criteria(row: dict) -> str:
    """The pair and the values the engine judged it by, in one line."""
    ttc = row.get("ttc_sec", float("nan"))
    return (f"#{int(row['object_id_1'])} {row['class_1']} / #{int(row['object_id_2'])} "
            f"{row['class_2']}, {row.get('risk_level', '?')} {row.get('risk_score', 0):.2f}, "
            f"TTC {ttc:.2f} s, distance {row.get('distance_px', 0):.0f} px")


def failures(score: ClipScore, events: pd.DataFrame, rejected: pd.DataFrame) -> list[Moment]:
    """The missed incidents of one clip and its false alarms, as moments to draw."""
    found = []
    for k, result in enumerate(score.windows):
        if result.found:
            continue
        w = result.window
        near = rejected[[event_gap(row, w) <= FOUND_MARGIN_S for row in event_rows(rejected)]]
        label = f"MISSED {w.kind} {w.start_s:g}-{w.end_s:g} s"
        if near.empty:
            found.append(Moment(f"missed_{k + 1}", (w.start_s + w.end_s) / 2, None,
                                f"{label}: no candidate pair"))
            continue
        best = near.sort_values("risk_score", ascending=False).iloc[0].to_dict()
        found.append(Moment(f"missed_{k + 1}", best["timestamp_sec"], best,
                            f"{label}: rejected by {best['filter']}: {criteria(best)}"))
    windows = score.clip.windows
    alarms = [row for row in event_rows(events)
              if all(event_gap(row, w) > ALARM_MARGIN_S for w in windows)]
    found += [Moment(f"false_alarm_{k + 1}", row["timestamp_sec"], row,
                     f"FALSE ALARM at {row['timestamp_sec']:.1f} s: {criteria(row)}")
              for k, row in enumerate(alarms)]
    return found


def contact_sheet(video: str | Path, tracks: pd.DataFrame, moment: Moment, fps: float,
                  stride: int, end_frame: int) -> np.ndarray:
    """The frames around ``moment`` side by side (at processed frames), captioned below."""
    from near_miss.ingest import read_frame
    from near_miss.outputs.render import FONT, annotate_frame

    pair = pd.DataFrame([moment.pair]) if moment.pair else pd.DataFrame(
        columns=["object_id_1", "object_id_2"])
    tiles = []
    for offset in OFFSETS_S:
        index = round((moment.time_s + offset) * fps / stride) * stride
        index = min(max(index, 0), (end_frame - 1) // stride * stride)
        img = annotate_frame(read_frame(video, index), index,
                             tracks[tracks["frame_index"] == index], pair, fps)
        tiles.append(cv2.resize(img, (TILE_WIDTH, round(img.shape[0] * TILE_WIDTH
                                                         / img.shape[1]))))
    row = np.hstack(tiles)
    strip = np.full((30, row.shape[1], 3), 255, np.uint8)
    cv2.putText(strip, moment.caption, (6, 21), FONT, 0.6, (0, 0, 0), 1, cv2.LINE_AA)
    return np.vstack([row, strip])


def explain_clip(score: ClipScore, analysis, config, folder: Path) -> list[Path]:
    """Write a sheet per failure of one analysed clip to ``folder``; return their paths."""
    from near_miss.outputs.review import replay_filters

    fps, end = analysis.summary.video["fps"], analysis.summary.end_frame
    rejected = pd.DataFrame()
    if any(not r.found for r in score.windows):
        rejected = replay_filters(analysis.tracks, config, fps, end).with_filters \
            .rejected_dataframe()
    paths = []
    for moment in failures(score, analysis.events, rejected):
        sheet = contact_sheet(config.video, analysis.tracks, moment, fps, config.stride, end)
        path = folder / f"{score.clip.path.stem}_{moment.name}.png"
        path.parent.mkdir(parents=True, exist_ok=True)
        cv2.imwrite(str(path), sheet)
        paths.append(path)
    return paths
