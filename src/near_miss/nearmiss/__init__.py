"""Near-miss engine: pairwise geometry, kinematics, risk scoring and false-positive filters.

``NearMissDetector(fps, stride=2, ...).process_frame(frame_index, tracked_objects)`` takes
the tracker's ``OrderedDict`` (object_id -> class, bbox, center, confidence) per processed
frame and returns the events logged at it; ``events_dataframe()`` and ``summary()`` report.
"""

from near_miss.nearmiss.calibration import GroundCalibration
from near_miss.nearmiss.detector import NearMissDetector, NearMissInputWarning
from near_miss.nearmiss.events import (
    EVENT_COLUMNS,
    SPEC_COLUMNS,
    events_dataframe,
    filter_comparison,
    level_counts,
    print_summary,
    summarize,
)
from near_miss.nearmiss.filters import FilterConfig
from near_miss.nearmiss.risk import risk_level, risk_score
from near_miss.nearmiss.runner import compare_filters, run_detector

__all__ = [
    "EVENT_COLUMNS",
    "SPEC_COLUMNS",
    "FilterConfig",
    "GroundCalibration",
    "NearMissDetector",
    "NearMissInputWarning",
    "compare_filters",
    "events_dataframe",
    "filter_comparison",
    "level_counts",
    "print_summary",
    "risk_level",
    "risk_score",
    "run_detector",
    "summarize",
]
