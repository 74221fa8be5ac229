"""Risk score of a near miss, exactly the assignment's formula, and its level.

``score = (1 - normalized_distance) * 0.4 + (1 - normalized_TTC) * 0.4 + speed_factor * 0.2``

The three inputs are each mapped to [0, 1] so that 0 means "at the edge of (or outside)
the danger zone of that criterion" and 1 means "as dangerous as it gets":

* ``normalized_distance = clip(distance / proximity_threshold, 0, 1)``: the proximity
  criterion fires below the threshold, so dividing by it makes a pair touching (0 px)
  score the full 0.4 and a pair at or beyond the threshold score nothing.
* ``normalized_TTC = clip(TTC / ttc_threshold, 0, 1)`` (infinite TTC -> 1): a collision
  now scores the full 0.4 and a TTC at or beyond the critical threshold scores nothing,
  the same scale on which the TTC criterion is decided.
* ``speed_factor = clip(closing_speed / reference_speed, 0, 1)`` (separating -> 0): the
  closing speed is unbounded, so it is scaled by a reference speed above which an
  approach counts as maximally violent (default 4x the closing-speed criterion, i.e. a
  fast, not merely "closing", approach). Collision severity grows with impact speed,
  hence this term; it carries the smallest weight as the spec asks.

Levels: High >= 0.7, Medium 0.4-0.7, Low < 0.4.
"""

from __future__ import annotations

import math

LEVELS = ("High", "Medium", "Low")


def _clip01(value: float) -> float:
    return 1.0 if math.isnan(value) else min(1.0, max(0.0, value))


def risk_score(
    distance: float,
    ttc: float,
    closing: float,
    *,
    proximity_threshold: float,
    ttc_threshold: float,
    reference_speed: float,
) -> float:
    """The spec's weighted score in [0, 1] (see the module docstring for the normalisations)."""
    norm_distance = _clip01(distance / proximity_threshold)
    norm_ttc = _clip01(ttc / ttc_threshold)
    speed_factor = 0.0 if math.isnan(closing) else _clip01(closing / reference_speed)
    return (1.0 - norm_distance) * 0.4 + (1.0 - norm_ttc) * 0.4 + speed_factor * 0.2


def risk_level(score: float) -> str:
    """High (>= 0.7), Medium (0.4 to < 0.7) or Low (< 0.4)."""
    if score >= 0.7:
        return "High"
    return "Medium" if score >= 0.4 else "Low"
