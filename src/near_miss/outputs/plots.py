"""Dashboard plots (spec Task 1.5 Part B): timeline, risk pie, activity heatmap, frequency.

Each ``*_figure`` function returns a matplotlib ``Figure`` (no pyplot state, so it works
headless); ``save_dashboard`` writes the four PNGs atomically. With zero events every plot
says "no near-miss events" instead of drawing an empty axis.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import seaborn as sns
from matplotlib.figure import Figure

from near_miss.nearmiss.risk import LEVELS
from tatweer_common.io import atomic_path

LEVEL_COLOURS = {"High": "#d62728", "Medium": "#ff8c00", "Low": "#f2c80f"}
NO_EVENTS = "no near-miss events"
FILES = {
    "timeline": "timeline.png",
    "risk_distribution": "risk_distribution.png",
    "heatmap": "heatmap.png",
    "frequency": "frequency.png",
}


def _figure(size=(9, 3.6)) -> tuple[Figure, object]:
    fig = Figure(figsize=size, dpi=110, layout="constrained")
    with sns.axes_style("whitegrid"):
        ax = fig.add_subplot()
    return fig, ax


def _no_events(ax, title: str) -> None:
    ax.set_axis_off()
    ax.set_title(title, fontsize=13, weight="bold")
    ax.text(0.5, 0.5, NO_EVENTS, ha="center", va="center", fontsize=20, color="#555555",
            transform=ax.transAxes)


def timeline_figure(events: pd.DataFrame, duration_s: float) -> Figure:
    """Events on the video timeline: x = time (s), y = risk level, colour = risk level."""
    fig, ax = _figure()
    title = "Near-miss events on the video timeline"
    if events.empty:
        _no_events(ax, title)
        return fig
    y = events["risk_level"].map({lv: i for i, lv in enumerate(reversed(LEVELS))})
    for level in LEVELS:
        sel = events["risk_level"] == level
        if not sel.any():
            continue
        ax.scatter(events.loc[sel, "timestamp_sec"], y[sel],
                   s=60 + 240 * events.loc[sel, "risk_score"], color=LEVEL_COLOURS[level],
                   edgecolor="black", linewidth=0.6, alpha=0.85,
                   label=f"{level} ({int(sel.sum())})", zorder=3)
    ax.set_yticks(range(len(LEVELS)), list(reversed(LEVELS)))
    ax.set_ylim(-0.6, len(LEVELS) - 0.4)
    ax.set_xlim(0, max(duration_s, float(events["timestamp_sec"].max()) + 0.5))
    ax.set_xlabel("time in video (s)")
    ax.set_ylabel("risk level")
    ax.set_title(f"{title} (marker size = risk score)", fontsize=13, weight="bold")
    ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), frameon=False)
    return fig


def risk_distribution_figure(events: pd.DataFrame) -> Figure:
    """Pie chart of the share of High / Medium / Low events."""
    fig, ax = _figure((5.5, 4.6))
    title = "Risk level distribution"
    if events.empty:
        _no_events(ax, title)
        return fig
    counts = events["risk_level"].value_counts()
    levels = [lv for lv in LEVELS if counts.get(lv, 0) > 0]
    values = [int(counts[lv]) for lv in levels]
    total = sum(values)
    wedges, _, _ = ax.pie(
        values, colors=[LEVEL_COLOURS[lv] for lv in levels], startangle=90, counterclock=False,
        autopct=lambda pct: f"{pct:.0f}%\n({round(pct * total / 100)})",
        wedgeprops={"edgecolor": "white", "linewidth": 2}, textprops={"fontsize": 12})
    ax.legend(wedges, [f"{lv} ({n})" for lv, n in zip(levels, values, strict=True)],
              title="risk level", loc="center left", bbox_to_anchor=(1.0, 0.5), frameon=False)
    ax.set_title(f"{title} ({total} {'event' if total == 1 else 'events'})", fontsize=13,
                 weight="bold")
    ax.axis("equal")
    return fig


def event_locations(events: pd.DataFrame, tracks: pd.DataFrame) -> np.ndarray:
    """(n, 2) midpoints of the two objects of each event, from the tracks at its frame."""
    if events.empty or tracks.empty:
        return np.empty((0, 2))
    pos = tracks.set_index(["frame_index", "object_id"])[["cx", "cy"]]
    points = []
    for ev in events[["frame_index", "object_id_1", "object_id_2"]].itertuples(index=False):
        frame = int(ev.frame_index)
        keys = [(frame, int(ev.object_id_1)), (frame, int(ev.object_id_2))]
        if all(k in pos.index for k in keys):
            points.append(pos.loc[keys].to_numpy(dtype=float).mean(axis=0))
    return np.array(points).reshape(-1, 2)


def heatmap_figure(tracks: pd.DataFrame, first_frame: np.ndarray, events: pd.DataFrame,
                   cell_px: int = 16) -> Figure:
    """``numpy.histogram2d`` of all tracked centroids overlaid on the first frame (BGR)."""
    h, w = first_frame.shape[:2]
    fig, ax = _figure((8, 8 * h / w + 0.9))
    ax.imshow(first_frame[:, :, ::-1], extent=(0, w, h, 0))
    ax.grid(False)
    hist, _, _ = np.histogram2d(tracks["cx"], tracks["cy"],
                                bins=(max(1, w // cell_px), max(1, h // cell_px)),
                                range=((0, w), (0, h)))
    image = ax.imshow(np.ma.masked_equal(hist.T, 0), extent=(0, w, h, 0), cmap="turbo",
                      alpha=0.7, interpolation="nearest")
    if hist.any():
        fig.colorbar(image, ax=ax, shrink=0.8, label="centroid observations per cell")
    points = event_locations(events, tracks)
    if len(points):
        ax.scatter(points[:, 0], points[:, 1], marker="X", s=90, color="#00e5ff",
                   edgecolor="black", linewidth=0.8, label="near-miss location")
        ax.legend(loc="lower right", framealpha=0.85)
    note = f"{len(tracks)} centroids of {tracks['object_id'].nunique()} tracked objects"
    if not hist.any():
        note = "no tracked objects"
    if events.empty:
        note += f"; {NO_EVENTS}"
    ax.set_title(f"Object activity heatmap\n{note}", fontsize=12, weight="bold")
    ax.set_xlim(0, w)
    ax.set_ylim(h, 0)
    ax.set_xlabel("x (px)")
    ax.set_ylabel("y (px)")
    return fig


def frequency_edges(end_s: float, bin_s: float = 15.0) -> np.ndarray:
    """Bin edges every ``bin_s`` seconds from 0, the last one at ``end_s`` (the video's end),
    so a 22.9 s video has the bins 0-15 and 15-22.9 s."""
    starts = np.arange(math.ceil(end_s / bin_s)) * bin_s
    return np.append(starts, end_s) if len(starts) else np.array([0.0, end_s])


def frequency_figure(events: pd.DataFrame, duration_s: float, bin_s: float = 15.0) -> Figure:
    """Near-miss count per ``bin_s``-second interval up to the video's end, stacked by level."""
    fig, ax = _figure()
    title = f"Near-miss frequency per {bin_s:g} s interval"
    if events.empty:
        _no_events(ax, title)
        return fig
    end = max(duration_s, float(events["timestamp_sec"].max()))
    edges = frequency_edges(end, bin_s)
    labels = [f"{a:g}-{round(b, 1):g} s" for a, b in zip(edges[:-1], edges[1:], strict=True)]
    bottom = np.zeros(len(labels))
    for level in LEVELS:
        sel = events.loc[events["risk_level"] == level, "timestamp_sec"]
        counts, _ = np.histogram(sel, bins=edges)
        ax.bar(labels, counts, bottom=bottom, color=LEVEL_COLOURS[level], edgecolor="black",
               linewidth=0.5, label=level)
        bottom += counts
    for x, total in enumerate(bottom):
        ax.text(x, total, f"{int(total)}", ha="center", va="bottom", fontsize=10)
    ax.set_ylim(0, bottom.max() * 1.18 + 0.5)
    ax.set_xlabel("video interval")
    ax.set_ylabel("events")
    ax.yaxis.get_major_locator().set_params(integer=True)
    ax.set_title(title, fontsize=13, weight="bold")
    ax.legend(title="risk", loc="upper left", bbox_to_anchor=(1.0, 1.0), frameon=False)
    return fig


def save_figure(fig: Figure, path: str | Path) -> Path:
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format="png")
    return Path(path)


def save_dashboard(events: pd.DataFrame, tracks: pd.DataFrame, first_frame: np.ndarray,
                   duration_s: float, out_dir: str | Path) -> dict[str, Path]:
    """Write the four PNGs into ``out_dir``; returns name -> path."""
    out_dir = Path(out_dir)
    figures = {
        "timeline": timeline_figure(events, duration_s),
        "risk_distribution": risk_distribution_figure(events),
        "heatmap": heatmap_figure(tracks, first_frame, events),
        "frequency": frequency_figure(events, duration_s),
    }
    return {name: save_figure(fig, out_dir / FILES[name]) for name, fig in figures.items()}
