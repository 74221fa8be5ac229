"""Optional ground-plane calibration: image pixels -> metres on the road surface.

Four image points (e.g. the corners of a crosswalk) and the same four points measured on
the ground in metres define a homography (``cv2.getPerspectiveTransform``). An object's
ground position is the bottom-centre of its box (where it touches the road), not the
box centre, which floats above the ground and would be projected too far away.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from tatweer_common.errors import UserError


@dataclass(frozen=True)
class GroundCalibration:
    """A 3 x 3 homography from image pixels to ground metres."""

    matrix: np.ndarray
    units: str = "m"

    @classmethod
    def from_points(
        cls, image_points: Sequence[Sequence[float]], ground_points: Sequence[Sequence[float]]
    ) -> GroundCalibration:
        """Build from 4 image points (px) and their 4 ground positions (m)."""
        import cv2

        src = np.asarray(image_points, dtype=np.float32)
        dst = np.asarray(ground_points, dtype=np.float32)
        for name, pts in (("image_points", src), ("ground_points", dst)):
            if pts.shape != (4, 2) or not np.isfinite(pts).all():
                raise UserError(f"calibration: {name} must be 4 finite (x, y) pairs")
            if _degenerate(pts):
                raise UserError(f"calibration: {name} has three points on one line")
        return cls(matrix=cv2.getPerspectiveTransform(src, dst).astype(np.float64))

    def to_ground(self, points: np.ndarray) -> np.ndarray:
        """Map N x 2 pixel points to N x 2 ground points (metres)."""
        pts = np.asarray(points, dtype=np.float64).reshape(-1, 2)
        homog = np.hstack([pts, np.ones((len(pts), 1))]) @ self.matrix.T
        return homog[:, :2] / homog[:, 2:3]

    def ground_point(self, bbox: Sequence[float]) -> tuple[float, float]:
        """Ground position (m) of the bottom-centre of a pixel box."""
        x, y = self.to_ground(np.array([[(bbox[0] + bbox[2]) / 2.0, bbox[3]]]))[0]
        return float(x), float(y)


def _degenerate(pts: np.ndarray) -> bool:
    """True when any three of the four points are (nearly) collinear."""
    scale = max(float(np.ptp(pts, axis=0).max()), 1e-9) ** 2
    for skip in range(4):
        a, b, c = np.delete(pts, skip, axis=0).astype(np.float64)
        area2 = abs((b[0] - a[0]) * (c[1] - a[1]) - (b[1] - a[1]) * (c[0] - a[0]))
        if area2 < 1e-6 * scale:
            return True
    return False
