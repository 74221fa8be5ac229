"""False-positive filters of Task 1.6, each switchable, applied before an event is logged.

Frame conventions. The filters count PROCESSED frames (the frames the detector sees, every
``stride``-th source frame), as the spec does for the confirmation buffer: the stationary
window is the last 15 processed frames and "5 px/frame" is the displacement between two
consecutive processed frames, i.e. ``5 * fps / stride`` px/s (75 px/s for 30 fps, stride 2).
Only the debounce counts SOURCE frames, because it compares the logged ``frame_index``es.

Minimum duration. The spec confirms an event once "the proximity condition" held for 5
consecutive processed frames. Read literally (``confirm_condition="proximity"``: centroid
distance below the threshold or boxes overlapping) a fast conflict never qualifies: by the
time a car has been within 100 px of a pedestrian for 5 processed frames (1/3 s) it has
braked or passed, and the closing-speed/TTC criteria no longer hold. The default
(``"near_miss"``) therefore counts consecutive frames in which the pair meets the near-miss
condition itself (>= 2 of the 3 criteria), which still removes one-frame flickers.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass

from near_miss.nearmiss.kinematics import heading_difference

FILTER_NAMES = ("confidence", "min_duration", "stationary", "direction")


@dataclass(frozen=True)
class FilterConfig:
    """Which filters run and their thresholds (units: px, or m when calibrated)."""

    stationary: bool = True
    min_duration: bool = True
    direction: bool = True
    confidence: bool = True
    stationary_window_frames: int = 15  # processed frames of speed history averaged
    stationary_speed: float = 5.0  # units per processed frame; both below -> discard
    confirm_frames: int = 5  # consecutive processed frames meeting confirm_condition
    confirm_condition: str = "near_miss"  # or "proximity" (criterion 1 only, see above)
    heading_tolerance_deg: float = 30.0  # same direction when the headings differ less
    convoy_closing_speed: float = 1.0  # units per processed frame: |closing| below = "zero"
    min_confidence: float = 0.5  # either detection below -> discard

    def __post_init__(self) -> None:
        if self.confirm_condition not in ("near_miss", "proximity"):
            raise ValueError("confirm_condition must be 'near_miss' or 'proximity'")

    @classmethod
    def off(cls) -> FilterConfig:
        """Every filter disabled (the spec's raw detector)."""
        return cls(stationary=False, min_duration=False, direction=False, confidence=False)

    @classmethod
    def coerce(cls, value: FilterConfig | bool | None) -> FilterConfig:
        """``True``/``None`` -> all filters on, ``False`` -> all off, a config unchanged."""
        if isinstance(value, FilterConfig):
            return value
        return cls() if value is None or value else cls.off()

    @property
    def any_enabled(self) -> bool:
        return any(getattr(self, name) for name in FILTER_NAMES)

    def as_dict(self) -> dict:
        return dataclasses.asdict(self)


@dataclass(frozen=True)
class PairEvidence:
    """What the filters need to know about a candidate pair at the event frame."""

    confidence_1: float
    confidence_2: float
    confirm_streak: int  # consecutive processed frames meeting the confirm condition
    mean_speed_1: float  # units per processed frame over the window (nan = unknown)
    mean_speed_2: float
    mean_heading_1: float  # degrees over the window (nan = unknown)
    mean_heading_2: float
    mean_closing_per_frame: float  # closing speed of the window-mean velocities, per frame


def rejecting_filters(config: FilterConfig, ev: PairEvidence) -> tuple[str, ...]:
    """Names of the enabled filters that discard the candidate (empty: keep it)."""
    slow = config.stationary_speed
    verdicts = {
        "confidence": min(ev.confidence_1, ev.confidence_2) < config.min_confidence,
        "min_duration": ev.confirm_streak < config.confirm_frames,
        # an unknown (nan) speed is never "stationary"
        "stationary": ev.mean_speed_1 < slow and ev.mean_speed_2 < slow,
        "direction": _same_direction_no_closing(config, ev),
    }
    return tuple(name for name in FILTER_NAMES if getattr(config, name) and verdicts[name])


def _same_direction_no_closing(config: FilterConfig, ev: PairEvidence) -> bool:
    diff = heading_difference(ev.mean_heading_1, ev.mean_heading_2)
    if math.isnan(diff):
        return False
    near_zero = abs(ev.mean_closing_per_frame) < config.convoy_closing_speed
    return diff < config.heading_tolerance_deg and near_zero
