"""``benchmark.png``: speed against quality, one point per configuration.

Left: source frames per second of the whole run (with the annotated video) against the
labelled incidents found (or, without labels, the detection agreement with PyTorch 640);
right: the same speed against false alarms per minute of normal traffic. The dashed line is
real time for the benchmark video; colour = backend, marker = stride.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import seaborn as sns
from matplotlib.figure import Figure

from near_miss.config import BACKEND_TITLES
from near_miss.outputs.plots import save_figure


def _panel(ax, table: pd.DataFrame, y: str, label: str, real_time: float | None) -> None:
    data = table.assign(backend=table["backend"].map(BACKEND_TITLES))
    sns.scatterplot(data=data, x="fps", y=y, hue="backend", style="stride", s=70, ax=ax)
    if real_time:
        ax.axvline(real_time, color="#888888", ls="--", lw=1)
    ax.set(xlabel="source frames per second, whole run with video", ylabel=label)
    ax.grid(alpha=0.3)


def benchmark_figure(table: pd.DataFrame, real_time_fps: float | None = None) -> Figure:
    quality = "incidents_found" in table.columns and table["incidents_found"].notna().any()
    fig = Figure(figsize=(12, 4.8) if quality else (6.5, 4.8), constrained_layout=True)
    axes = fig.subplots(1, 2 if quality else 1, squeeze=False)[0]
    if quality:
        n = int(table["incidents"].max())
        _panel(axes[0], table, "incidents_found", f"labelled incidents found (of {n})",
               real_time_fps)
        _panel(axes[1], table, "false_alarms_per_min", "false alarms per minute (normal traffic)",
               real_time_fps)
        axes[1].get_legend().remove()
    else:
        _panel(axes[0], table, "detection_agreement_%", "detection agreement with PyTorch 640 (%)",
               real_time_fps)
    fig.suptitle("CPU configurations: speed vs quality")
    return fig


def save_benchmark_figure(table: pd.DataFrame, path: str | Path,
                          real_time_fps: float | None = None) -> Path:
    return save_figure(benchmark_figure(table, real_time_fps), path)
