"""``benchmark.png``, one row per video: FPS vs missed events and FPS vs missed candidates
(filters off) over strides 1-4, one line per input size and letterbox; and the resolution
trade-off, FPS vs detection recall at stride 1. Dashed lines: 30 fps and 10% missed."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import seaborn as sns
from matplotlib.figure import Figure

from near_miss.bench.metrics import MAX_MISSED_PCT, TARGET_FPS
from near_miss.outputs.plots import save_figure


def _grid(runs: pd.DataFrame) -> pd.DataFrame:
    """The ONNX threaded grid rows (the lines of the stride plot)."""
    return runs[(runs["backend"] == "onnx") & runs["threaded"].astype(bool)]


def _targets(ax, y: float) -> None:
    ax.axvline(TARGET_FPS, color="#888888", ls="--", lw=1)
    ax.axhline(y, color="#888888", ls=":", lw=1)


def _stride_axis(ax, runs: pd.DataFrame, palette: dict, column: str) -> None:
    for (size, box), line in _grid(runs).groupby(["imgsz", "letterbox"]):
        line = line.sort_values("stride")
        ax.plot(line["fps"], line[column], marker="o", color=palette[size],
                ls="-" if box == "rect" else "--", label=f"ONNX {int(size)} {box}")
        for stride, x, y in zip(line["stride"], line["fps"], line[column], strict=True):
            ax.annotate(f"s{int(stride)}", (x, y), fontsize=7, xytext=(3, 3),
                        textcoords="offset points")
    seq = runs[(runs["backend"] == "onnx") & ~runs["threaded"].astype(bool)]
    seq = seq[seq["imgsz"] == seq["imgsz"].min()].sort_values("stride")
    if len(seq) > 1:
        ax.plot(seq["fps"], seq[column], marker=".", color="grey", ls=":",
                label=f"ONNX {int(seq['imgsz'].iloc[0])} sequential")
    torch = runs[runs["backend"] == "torch"]
    ax.scatter(torch["fps"], torch[column], marker="s", color="black",
               label="PyTorch 640 (s1 ref, s2 spec)", zorder=3)
    _targets(ax, MAX_MISSED_PCT)
    ax.set_ylim(-3, 105)
    ax.set_xlabel("source frames per second (end to end)")
    ax.set_ylabel(f"{column.replace('_', ' ').rstrip('%').strip()} vs reference (%)")
    if runs[column].isna().all():
        ax.text(0.5, 0.5, "no reference events", ha="center", transform=ax.transAxes)
    ax.legend(fontsize=7)


def _resolution_axis(ax, runs: pd.DataFrame, palette: dict) -> None:
    one = runs[(runs["stride"] == 1) & runs["threaded"].astype(bool)]
    for box, marker in (("square", "o"), ("rect", "^")):
        part = one[one["letterbox"] == box]
        ax.scatter(part["fps"], part["detection_recall_%"], marker=marker, s=50,
                   c=[palette[s] for s in part["imgsz"]], label=f"ONNX {box}")
        for text, x, y in zip(part["input"], part["fps"], part["detection_recall_%"],
                              strict=True):
            ax.annotate(text, (x, y), fontsize=7, xytext=(3, -9), textcoords="offset points")
    _targets(ax, 100.0)
    ax.set_xlabel("source frames per second at stride 1")
    ax.set_ylabel("640 detections still found (%)")
    ax.legend(fontsize=7)


def benchmark_figure(table: pd.DataFrame) -> Figure:
    runs = table[table["stage"] == "end-to-end"]
    videos = list(dict.fromkeys(runs["video"]))
    sizes = sorted(runs["imgsz"].dropna().unique())
    colours = sns.color_palette("viridis", max(len(sizes), 1))
    palette = dict(zip(sizes, colours, strict=True))
    fig = Figure(figsize=(17, 4.2 * len(videos)), dpi=100, layout="constrained")
    axes = fig.subplots(len(videos), 3, squeeze=False)
    for row, video in zip(axes, videos, strict=True):
        part = runs[runs["video"] == video]
        for ax, column, what in ((row[0], "missed_events_%", "events (filters on)"),
                                 (row[1], "missed_candidates_%", "candidates (filters off)")):
            _stride_axis(ax, part, palette, column)
            ax.set_title(f"{video}: FPS vs missed {what}, strides 1-4", fontsize=10)
        _resolution_axis(row[2], part, palette)
        row[2].set_title(f"{video}: input size trade-off (stride 1)", fontsize=10)
    return fig


def save_benchmark_figure(table: pd.DataFrame, path: str | Path) -> Path:
    return save_figure(benchmark_figure(table), path)
