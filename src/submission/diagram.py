"""The technical-challenge figure: TTC along the line of centres vs closest point of approach.

Drawn for one real event of ``outputs/events.csv``: the two objects' centres at the event's
frame (``outputs/tracks.csv``) and their velocities (speed and heading of the event row),
extrapolated at constant velocity to the closest point of approach.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np


def pick_event(events: Any) -> dict[str, Any] | None:
    """The event where TTC and CPA disagree most: finite TTC, largest CPA distance."""
    finite = events[np.isfinite(events["ttc_sec"]) & events["cpa_distance"].notna()]
    return None if finite.empty else finite.loc[finite["cpa_distance"].idxmax()].to_dict()


def _velocity(speed: float, heading_deg: float) -> np.ndarray:
    if not (math.isfinite(speed) and math.isfinite(heading_deg)):
        return np.zeros(2)
    angle = math.radians(heading_deg)
    return speed * np.array([math.cos(angle), math.sin(angle)])


def event_geometry(event: dict[str, Any], tracks: Any) -> dict[str, np.ndarray] | None:
    """Positions and velocities of the event's two objects, or None if a track is missing."""
    rows = tracks[tracks["frame_index"] == event["frame_index"]].set_index("object_id")
    ids = (int(event["object_id_1"]), int(event["object_id_2"]))
    if not all(i in rows.index for i in ids):
        return None
    return {
        "p1": rows.loc[ids[0], ["cx", "cy"]].to_numpy(float),
        "p2": rows.loc[ids[1], ["cx", "cy"]].to_numpy(float),
        "v1": _velocity(event["speed_1"], event["heading_1"]),
        "v2": _velocity(event["speed_2"], event["heading_2"]),
    }


def ttc_cpa_figure(event: dict[str, Any], geo: dict[str, np.ndarray],
                   size: tuple[int, int]) -> np.ndarray:
    """An RGB image (``size`` = width, height) of the event's geometry."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    t_cpa = float(event["cpa_time_sec"])
    fig, ax = plt.subplots(figsize=(size[0] / 100, size[1] / 100), dpi=100)
    fig.patch.set_facecolor("#101c2e")
    ax.set_facecolor("#101c2e")
    for key, colour, label in (("1", "#4aa3ff", event["class_1"]),
                               ("2", "#f5a623", event["class_2"])):
        p, v = geo["p" + key], geo["v" + key]
        end = p + v * max(t_cpa, 0.05)
        ax.plot(*p, "o", color=colour, ms=10)
        ax.annotate("", end, p, arrowprops={"arrowstyle": "->", "color": colour, "lw": 2})
        ax.plot(*end, "s", color=colour, ms=7)
        ax.text(*p, f"  #{int(event['object_id_' + key])} {label}", color=colour, fontsize=14)
    c1, c2 = geo["p1"] + geo["v1"] * t_cpa, geo["p2"] + geo["v2"] * t_cpa
    ax.plot(*zip(geo["p1"], geo["p2"], strict=True), "--", color="white", lw=1)
    ax.plot(*zip(c1, c2, strict=True), ":", color="#ff5555", lw=2)
    ax.annotate(f"line of centres\nTTC {event['ttc_sec']:.2f} s", (geo["p1"] + geo["p2"]) / 2,
                xytext=(-12, 0), textcoords="offset points", ha="right", va="center",
                color="white", fontsize=13)
    ax.annotate(f"closest approach\n{event['cpa_distance']:.0f} px at {t_cpa:.2f} s",
                (c1 + c2) / 2, xytext=(12, 0), textcoords="offset points", ha="left",
                va="center", color="#ff7777", fontsize=13)
    ax.invert_yaxis()
    ax.set_aspect("equal", adjustable="datalim")
    ax.margins(0.25)
    ax.tick_params(colors="#a0aab9")
    ax.set_xlabel("x (px)", color="#a0aab9")
    ax.set_ylabel("y (px)", color="#a0aab9")
    fig.subplots_adjust(left=0.12, right=0.97, top=0.97, bottom=0.12)
    fig.canvas.draw()
    image = np.asarray(fig.canvas.buffer_rgba())[..., :3].copy()
    plt.close(fig)
    return image
