"""Road users, not boxes: which tracked objects can be in a traffic conflict with which.

COCO detects a cyclist as a ``person`` box on a ``bicycle`` box and a bus passenger as a
``person`` inside a ``bus`` box. Treated as separate objects they "collide" with each other
in every frame. Here:

* a person whose box overlaps a bicycle or motorcycle box (``RIDER_OVERLAP`` of the person's
  box area, or the two-wheeler's top inside the person's lower half) is its **rider**: the
  pair is never assessed, and the person's other pairs are dropped too (the two-wheeler
  stands for the road user, a cyclist or motorcyclist);
* a person whose box lies mostly inside a car, bus or truck box (``PASSENGER_INSIDE``) is a
  **passenger**: dropped;
* two vehicle boxes that overlap almost entirely (IoU >= ``DUPLICATE_IOU``) are one vehicle
  detected twice (COCO's car and truck often both fire on a van or a pickup): the one with
  the lower confidence is dropped;
* pedestrian-pedestrian pairs are not traffic conflicts (people walk close together on
  crosswalks): skipped unless ``pedestrian_pairs=True``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from near_miss.nearmiss.geometry import iou

TWO_WHEELERS = ("bicycle", "motorcycle")
CABINS = ("car", "bus", "truck")
RIDER_OVERLAP = 0.2  # share of the person's box covered by the two-wheeler's box
PASSENGER_INSIDE = 0.7  # share of the person's box inside the vehicle's box
DUPLICATE_IOU = 0.7  # two vehicle boxes overlapping this much are one vehicle


@dataclass(frozen=True)
class RoadUser:
    object_id: int
    cls: str  # "vehicle" | "pedestrian"
    coco_class: str
    bbox: tuple[float, float, float, float]
    confidence: float = 1.0


def _covered(inner: tuple, outer: tuple) -> float:
    """Share of ``inner``'s area that lies inside ``outer``."""
    w = min(inner[2], outer[2]) - max(inner[0], outer[0])
    h = min(inner[3], outer[3]) - max(inner[1], outer[1])
    area = (inner[2] - inner[0]) * (inner[3] - inner[1])
    return 0.0 if w <= 0 or h <= 0 or area <= 0 else w * h / area


def _rides(person: RoadUser, vehicle: RoadUser) -> bool:
    covered = _covered(person.bbox, vehicle.bbox)
    return vehicle.coco_class in TWO_WHEELERS and covered >= RIDER_OVERLAP


def _inside(person: RoadUser, vehicle: RoadUser) -> bool:
    return vehicle.coco_class in CABINS and _covered(person.bbox, vehicle.bbox) >= PASSENGER_INSIDE


def carried_people(users: Mapping[int, RoadUser]) -> set[int]:
    """IDs of the people who ride a two-wheeler or sit inside a vehicle in this frame."""
    people = [u for u in users.values() if u.coco_class == "person"]
    vehicles = [u for u in users.values() if u.coco_class != "person"]
    return {p.object_id for p in people
            if any(_rides(p, v) or _inside(p, v) for v in vehicles)}


def duplicate_vehicles(users: Mapping[int, RoadUser]) -> set[int]:
    """IDs of the weaker box of each pair of vehicle boxes that are one vehicle."""
    vehicles = sorted((u for u in users.values() if u.cls == "vehicle"),
                      key=lambda u: (-u.confidence, u.object_id))
    dropped: set[int] = set()
    for i, strong in enumerate(vehicles):
        if strong.object_id in dropped:
            continue
        dropped |= {weak.object_id for weak in vehicles[i + 1:]
                    if iou(strong.bbox, weak.bbox) >= DUPLICATE_IOU}
    return dropped


def not_road_users(users: Mapping[int, RoadUser]) -> set[int]:
    """Objects that take part in no conflict this frame: riders, passengers, duplicates."""
    return carried_people(users) | duplicate_vehicles(users)


def conflict_possible(a: RoadUser, b: RoadUser, pedestrian_pairs: bool) -> bool:
    """False for the pairs that are never traffic conflicts (see the module docstring)."""
    if a.cls == "pedestrian" and b.cls == "pedestrian":
        return pedestrian_pairs
    return True
