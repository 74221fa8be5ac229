"""Tracking statistics (spec Task 1.3 validation), trajectory plot and ID-switch count."""

from __future__ import annotations

from collections import Counter
from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from tatweer_common.io import atomic_path

Trajectories = Mapping[int, Sequence[tuple[int, float, float]]]


@dataclass(frozen=True)
class TrackingStats:
    """What the spec asks to print after tracking.

    ``avg_track_length`` counts the frames in which an ID was matched (processed frames,
    so at stride 2 one unit is two source frames); ``avg_track_span`` is the mean of
    ``last - first + 1`` source-frame indices. ``peak_active`` is the largest number of
    IDs matched in one frame, first reached at ``peak_frame``. ``observations`` is the
    number of (frame, ID) points in all trajectories.
    """

    unique_ids: int
    observations: int
    avg_track_length: float
    avg_track_span: float
    peak_active: int
    peak_frame: int | None

    def __str__(self) -> str:
        return (
            f"unique IDs: {self.unique_ids} ({self.observations} observations)\n"
            f"average track length: {self.avg_track_length:.1f} processed frames "
            f"(average span {self.avg_track_span:.1f} source frames)\n"
            f"peak active objects: {self.peak_active} (frame {self.peak_frame})"
        )


def _trajectories(tracks: Any) -> Trajectories:
    return getattr(tracks, "trajectories", tracks)


def tracking_stats(tracks: Any) -> TrackingStats:
    """Statistics of a tracker (anything with ``.trajectories``) or of a trajectories dict."""
    trajectories = {k: v for k, v in _trajectories(tracks).items() if len(v)}
    if not trajectories:
        return TrackingStats(0, 0, 0.0, 0.0, 0, None)
    lengths = [len(points) for points in trajectories.values()]
    spans = [points[-1][0] - points[0][0] + 1 for points in trajectories.values()]
    per_frame = Counter(frame for points in trajectories.values() for frame, _, _ in points)
    peak_frame, peak = min(per_frame.items(), key=lambda item: (-item[1], item[0]))
    return TrackingStats(
        unique_ids=len(trajectories),
        observations=int(sum(lengths)),
        avg_track_length=float(np.mean(lengths)),
        avg_track_span=float(np.mean(spans)),
        peak_active=int(peak),
        peak_frame=int(peak_frame),
    )


def count_id_switches(assignments: Iterable[Mapping[Hashable, int | None]]) -> int:
    """ID switches (CLEAR-MOT definition) given, per frame, ground-truth ID -> tracker ID.

    A switch is counted when a ground-truth object is matched to a tracker ID different
    from the one it was last matched to; frames where it is unmatched (None) are skipped.
    """
    last: dict[Hashable, int] = {}
    switches = 0
    for frame in assignments:
        for gt_id, track_id in frame.items():
            if track_id is None:
                continue
            if gt_id in last and last[gt_id] != track_id:
                switches += 1
            last[gt_id] = track_id
    return switches


def plot_trajectories(
    tracks: Any,
    background: np.ndarray | None = None,
    ax: Any = None,
    title: str = "Trajectories",
    save_path: str | Path | None = None,
):
    """Draw every trajectory on one canvas, one colour per ID, labelled at its last point.

    ``background`` is an optional BGR frame drawn underneath. Returns the figure; saves
    it atomically as PNG when ``save_path`` is given.
    """
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=(10, 6))
    if background is not None:
        ax.imshow(np.ascontiguousarray(background[..., ::-1]))
    cmap = plt.get_cmap("tab20")
    for object_id, points in sorted(_trajectories(tracks).items()):
        if not len(points):
            continue
        xy = np.array([(cx, cy) for _, cx, cy in points])
        color = cmap(object_id % cmap.N)
        ax.plot(xy[:, 0], xy[:, 1], "-", color=color, linewidth=1.5)
        ax.plot(xy[-1, 0], xy[-1, 1], "o", color=color, markersize=4)
        ax.annotate(str(object_id), xy[-1], color=color, fontsize=7)
    if background is None:
        ax.invert_yaxis()  # image coordinates: y grows downwards
        ax.set_aspect("equal")
    ax.set(title=title, xlabel="x (px)", ylabel="y (px)")
    fig = ax.figure
    if save_path is not None:
        with atomic_path(save_path) as tmp:
            fig.savefig(tmp, format="png", dpi=120, bbox_inches="tight")
    return fig
