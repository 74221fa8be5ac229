"""Event tables: the sorted DataFrame, the printed summary and the filters on/off comparison."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import pandas as pd

from near_miss.nearmiss.risk import LEVELS

# The assignment's event keys, in its order; every event dict starts with exactly these.
SPEC_COLUMNS = [
    "frame_index",
    "timestamp_sec",
    "object_id_1",
    "object_id_2",
    "class_1",
    "class_2",
    "distance_px",
    "ttc_sec",
    "risk_score",
    "risk_level",
]
# Extras after the spec's keys. "distance", "closing_speed", speeds and "cpa_distance" are in
# ``units`` ("px" or "m" with a ground calibration); ``*_px`` columns are always pixels.
EXTRA_COLUMNS = [
    "units",
    "distance",
    "closing_speed",
    "speed_1",
    "speed_2",
    "heading_1",
    "heading_2",
    "iou",
    "edge_distance_px",
    "cpa_time_sec",
    "cpa_distance",
    "pet_sec",
    "criteria",
    "confidence_1",
    "confidence_2",
]
EVENT_COLUMNS = SPEC_COLUMNS + EXTRA_COLUMNS


def events_dataframe(events: Iterable[dict]) -> pd.DataFrame:
    """Events as a DataFrame sorted by timestamp (spec columns first, extras after)."""
    df = pd.DataFrame(list(events))
    if df.empty:
        return pd.DataFrame(columns=EVENT_COLUMNS)
    ordered = [c for c in EVENT_COLUMNS if c in df.columns]
    df = df[ordered + [c for c in df.columns if c not in ordered]]
    keys = ["timestamp_sec", "object_id_1", "object_id_2"]
    return df.sort_values(keys, kind="stable").reset_index(drop=True)


def level_counts(events: Sequence[dict] | pd.DataFrame) -> dict[str, int]:
    """Number of events per risk level, every level present."""
    df = events if isinstance(events, pd.DataFrame) else events_dataframe(events)
    counts = df["risk_level"].value_counts() if len(df) else {}
    return {level: int(counts.get(level, 0)) for level in LEVELS}


def summarize(events: Sequence[dict] | pd.DataFrame, top: int = 3) -> str:
    """The spec's summary as text: total, breakdown by level, the ``top`` riskiest events."""
    df = events if isinstance(events, pd.DataFrame) else events_dataframe(events)
    counts = level_counts(df)
    lines = [f"Near-miss events: {len(df)}"]
    lines += [f"  {level:<6} {counts[level]}" for level in LEVELS]
    if len(df):
        lines.append(f"Top {min(top, len(df))} by risk score:")
        best = df.sort_values(["risk_score", "timestamp_sec"], ascending=[False, True]).head(top)
        for row in best.itertuples(index=False):
            lines.append(
                f"  t={row.timestamp_sec:7.2f}s frame {row.frame_index:>5}  "
                f"#{row.object_id_1} {row.class_1} / #{row.object_id_2} {row.class_2}  "
                f"distance {row.distance_px:6.1f} px  TTC {row.ttc_sec:5.2f} s  "
                f"score {row.risk_score:.3f} ({row.risk_level})"
            )
    return "\n".join(lines)


def print_summary(events: Sequence[dict] | pd.DataFrame, top: int = 3) -> str:
    """Print :func:`summarize` and return the same text."""
    text = summarize(events, top)
    print(text)
    return text


def filter_comparison(
    events_off: Sequence[dict] | pd.DataFrame, events_on: Sequence[dict] | pd.DataFrame
) -> pd.DataFrame:
    """Before/after table: rows Total/High/Medium/Low, columns filters off, on, removed."""
    off, on = level_counts(events_off), level_counts(events_on)
    rows = {"Total": (len(events_off), len(events_on))}
    rows.update({level: (off[level], on[level]) for level in LEVELS})
    table = pd.DataFrame.from_dict(rows, orient="index", columns=["filters off", "filters on"])
    table["removed"] = table["filters off"] - table["filters on"]
    table.index.name = "events"
    return table
