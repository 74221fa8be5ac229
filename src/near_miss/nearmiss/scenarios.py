"""Scripted traffic scenes with known answers, and the ``scenarios`` command.

Each scenario scripts tracked objects over time (the tracker's output format, no video) at
its own frame rate (30 fps, or 10 fps for the CCTV-like crash) and is labelled: must a
conflict be reported, and within which window around the scripted pair's closest approach.
Box jitter (parked cars, convoy) is seeded with a numpy Generator, so runs are reproducible.
Every scenario is rendered at strides 1, 2 and 3: the engine works in seconds, so the
answers must agree. The command prints, per scenario and stride, the events with filters off
and on, then precision and recall over the set (a scenario counts as a true positive when it
must be reported and an event falls in its window, as a false positive when it must not be
and any event is logged).
"""

from __future__ import annotations

import argparse
import math
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    import pandas as pd

FPS = 30.0
STRIDE = 2  # the spec's stride, used when none is given
STRIDES = (1, 2, 3)
Path = Callable[[float], "tuple[float, float] | None"]  # time (s) -> centre, None = absent


@dataclass(frozen=True)
class Actor:
    object_id: int
    cls: str
    size: tuple[float, float]  # box width, height (px)
    path: Path
    confidence: float = 0.9
    jitter: float = 0.3  # std of the box-centre noise (px)
    coco_class: str | None = None  # e.g. "bicycle"; default: car or person by ``cls``


@dataclass(frozen=True)
class Scenario:
    name: str
    description: str
    must_report: bool
    window: tuple[int, int] | None  # source frames (inclusive) where events must fall
    frames: list[tuple[int, OrderedDict]]
    fps: float = FPS
    stride: int = STRIDE


def linear(start: tuple[float, float], velocity: tuple[float, float], t0=0.0, t1=math.inf) -> Path:
    """Constant velocity from ``start`` at ``t0``; present during ``[t0, t1]``."""

    def at(t: float):
        if not t0 <= t <= t1:
            return None
        return start[0] + velocity[0] * (t - t0), start[1] + velocity[1] * (t - t0)

    return at


def braking(start: tuple[float, float], speed: float, brake_at: float, decel: float) -> Path:
    """Moving right at ``speed`` then braking at ``decel`` px/s^2 from ``brake_at`` to a stop."""
    stop_after = speed / decel

    def at(t: float):
        if t <= brake_at:
            return start[0] + speed * t, start[1]
        tau = min(t - brake_at, stop_after)
        return start[0] + speed * brake_at + speed * tau - decel * tau * tau / 2, start[1]

    return at


def with_gaps(path: Path, gaps: list[tuple[float, float]]) -> Path:
    """``path`` but absent (not detected) during each ``(start, end)`` time gap."""
    return lambda t: None if any(a <= t <= b for a, b in gaps) else path(t)


def render(actors: list[Actor], duration_s: float, rng: np.random.Generator,
           fps: float = FPS, stride: int = STRIDE):
    """Frames ``(frame_index, OrderedDict)`` at every ``stride``-th source frame."""
    frames = []
    for frame_index in range(0, int(duration_s * fps) + 1, stride):
        t = frame_index / fps
        objects = OrderedDict()
        for actor in actors:
            centre = actor.path(t)
            if centre is None:
                continue
            cx, cy = np.asarray(centre) + rng.normal(0.0, actor.jitter, 2)
            w, h = actor.size
            default_coco = "car" if actor.cls == "vehicle" else "person"
            objects[actor.object_id] = {
                "class": actor.cls,
                "bbox": [cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2],
                "center": (float(cx), float(cy)),
                "confidence": actor.confidence,
                "coco_class": actor.coco_class or default_coco,
            }
        frames.append((frame_index, objects))
    return frames


def crash(start: tuple[float, float], velocity: tuple[float, float], stop_at: float) -> Path:
    """Constant velocity from ``start`` until ``stop_at`` s, then stopped dead (an impact)."""
    moving = linear(start, velocity)
    return lambda t: moving(min(t, stop_at))


CAR, PED = (80.0, 40.0), (30.0, 60.0)
LEAD_S, LAG_S = 2.5, 1.0  # event window around a must-report pair's closest approach


@dataclass(frozen=True)
class Script:
    """A scenario before rendering; a must-report pair is ``actors[0]`` and ``actors[1]``."""

    name: str
    description: str
    must_report: bool
    duration_s: float
    actors: tuple[Actor, ...]
    fps: float = FPS


def _scripts() -> list[Script]:
    """Every labelled scenario."""
    v, p = "vehicle", "pedestrian"
    return [
        Script("head_on", "two cars 900 px apart in one lane drive at each other at 150 px/s "
               "each, brake hard and stop 20 px apart", True, 5.0,
               (Actor(1, v, CAR, braking((100, 360), 150.0, 2.2, 160.0)),
                Actor(2, v, CAR, braking((1000, 362), -150.0, 2.2, -160.0)))),
        Script("truck_crossing", "a car at 250 px/s brakes hard for a long truck crossing its "
               "path at 80 px/s and stops 10 px from its side", True, 4.0,
               (Actor(1, v, CAR, braking((40, 400), 250.0, 1.81, 400.0)),
                Actor(2, v, (40, 160), linear((640, 150), (0, 80))))),
        Script("braking_for_pedestrian", "car at 250 px/s brakes hard and stops 15 px short of "
               "a pedestrian crossing its lane", True, 4.0,
               (Actor(1, v, CAR, braking((60, 360), 250.0, 1.8, 260.0)),
                Actor(2, p, PED, linear((700, 480), (0, -50), t0=0.36)))),
        Script("crash_10fps", "at 10 fps, a car at 300 px/s runs into a car coming the other "
               "way at 150 px/s, slightly offset; both stop dead at impact", True, 4.0,
               (Actor(1, v, CAR, crash((40, 400), (300, 0), 2.0)),
                Actor(2, v, CAR, crash((1020, 410), (-150, 0), 2.0))), fps=10.0),
        Script("parked_touching", "two parked cars whose jittery boxes touch", False, 4.0,
               (Actor(1, v, CAR, linear((500, 300), (0, 0)), jitter=1.5),
                Actor(2, v, CAR, linear((582, 302), (0, 0)), jitter=1.5))),
        Script("convoy", "two cars at 150 px/s, 90 px headway, jittery boxes", False, 5.0,
               (Actor(1, v, CAR, linear((100, 360), (150, 0)), jitter=1.5),
                Actor(2, v, CAR, linear((190, 360), (150, 0)), jitter=1.5))),
        Script("overtaking", "a car at 200 px/s overtakes one at 160 px/s in the next lane",
               False, 6.0,
               (Actor(1, v, CAR, linear((300, 340), (160, 0))),
                Actor(2, v, CAR, linear((100, 410), (200, 0))))),
        Script("far_apart", "two cars pass each other 400 px apart at 150 px/s each", False, 6.0,
               (Actor(1, v, CAR, linear((100, 150), (150, 0))),
                Actor(2, v, CAR, linear((1000, 550), (-150, 0))))),
        Script("lateral_pass", "oncoming cars in adjacent lanes, 10 px between their boxes, at "
               "150 px/s each", False, 5.0,
               (Actor(1, v, CAR, linear((100, 360), (150, 0))),
                Actor(2, v, CAR, linear((1100, 410), (-150, 0))))),
        Script("crosswalk_pedestrians", "two pedestrians on a crosswalk walking at each other and "
               "passing shoulder to shoulder", False, 5.0,
               (Actor(1, p, PED, linear((400, 300), (40, 0))),
                Actor(2, p, PED, linear((600, 320), (-40, 0))))),
        Script("cyclist", "a person riding a bicycle (two boxes moving together)", False, 4.0,
               (Actor(1, p, (30, 60), linear((100, 330), (120, 0))),
                Actor(2, v, (50, 40), linear((100, 360), (120, 0)), coco_class="bicycle"))),
        Script("ghost", "a one-frame, low-confidence ghost box 60 px ahead of a moving car",
               False, 3.0,
               (Actor(1, v, CAR, linear((100, 360), (200, 0))),
                Actor(2, v, CAR, linear((560, 360), (0, 0), t0=1.5, t1=1.55), confidence=0.35))),
        Script("vanish_reappear", "a car approaches a crossing pedestrian and brakes hard, both "
               "tracks drop out for a while; the car's ID is later reused far away", True, 5.0,
               (Actor(1, v, CAR, with_gaps(braking((60, 360), 220.0, 2.0, 300.0), [(1.0, 1.2)])),
                Actor(2, p, PED, with_gaps(linear((650, 470), (0, -40)), [(0.5, 0.8)])),
                Actor(1, v, CAR, linear((60, 100), (220, 0), t0=3.8)))),
    ]  # fmt: skip


def conflict_window(a: Actor, b: Actor, duration_s: float, fps: float) -> tuple[int, int]:
    """Source frames from LEAD_S before to LAG_S after the scripted pair's closest approach."""
    best_frame, best = 0, math.inf
    for frame_index in range(int(duration_s * fps) + 1):
        pa, pb = a.path(frame_index / fps), b.path(frame_index / fps)
        if pa is not None and pb is not None and math.dist(pa, pb) < best:
            best_frame, best = frame_index, math.dist(pa, pb)
    return max(0, best_frame - round(LEAD_S * fps)), best_frame + round(LAG_S * fps)


def build_scenarios(seed: int = 0, stride: int = STRIDE) -> list[Scenario]:
    """Every labelled scenario at ``stride``, rendered with one seeded Generator each.

    A must-report scenario's window is derived from its noise-free script (first two
    actors): an event counts when its peak is at most LEAD_S before their closest approach
    (the 2 s TTC horizon plus half a second) and at most LAG_S after it.
    """
    scenarios = []
    for i, sc in enumerate(_scripts()):
        rng = np.random.default_rng([seed, i])
        window = None
        if sc.must_report:
            window = conflict_window(*sc.actors[:2], sc.duration_s, sc.fps)
        frames = render(list(sc.actors), sc.duration_s, rng, sc.fps, stride)
        scenarios.append(Scenario(sc.name, sc.description, sc.must_report, window, frames,
                                  sc.fps, stride))
    return scenarios


# (must_report, reported: in its window / at all) -> outcome
OUTCOMES = {(True, True): "TP", (True, False): "FN", (False, True): "FP", (False, False): "TN"}


@dataclass(frozen=True)
class Outcome:
    scenario: str
    must_report: bool
    events: int
    in_window: int
    outcome: str  # TP, FN, FP or TN

    @property
    def correct(self) -> bool:
        return self.outcome in ("TP", "TN") and self.in_window == self.events


def evaluate(scenario: Scenario, filters=True, **options) -> Outcome:
    """Run one scenario through a fresh detector and classify the result."""
    from near_miss.nearmiss import run_detector

    detector = run_detector(scenario.frames, scenario.fps, stride=scenario.stride,
                            filters=filters, **options)
    frames = [e["frame_index"] for e in detector.events]
    lo, hi = scenario.window or (0, -1)
    in_window = sum(lo <= f <= hi for f in frames)
    detected = in_window > 0 if scenario.must_report else bool(frames)
    outcome = OUTCOMES[scenario.must_report, detected]
    return Outcome(scenario.name, scenario.must_report, len(frames), in_window, outcome)


def precision_recall(outcomes: list[Outcome]) -> tuple[float, float]:
    """Scenario-level precision and recall (nan when undefined)."""
    tp = sum(o.outcome == "TP" for o in outcomes)
    fp = sum(o.outcome == "FP" for o in outcomes)
    fn = sum(o.outcome == "FN" for o in outcomes)
    precision = tp / (tp + fp) if tp + fp else math.nan
    recall = tp / (tp + fn) if tp + fn else math.nan
    return precision, recall


def scenario_tables(seed: int = 0, strides: tuple[int, ...] = STRIDES, **options
                    ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Per-scenario table (a column per stride and filters off/on) and the precision/recall
    table (a row per stride and filters off/on).

    ``options`` go to every ``NearMissDetector`` (e.g. thresholds); ``filters`` is set here.
    """
    import pandas as pd

    rows: dict[str, dict] = {}
    summary = []
    for stride in strides:
        scenarios = build_scenarios(seed, stride)
        for label, on in (("off", False), ("on", True)):
            outcomes = [evaluate(s, on, **options) for s in scenarios]
            for s, o in zip(scenarios, outcomes, strict=True):
                row = rows.setdefault(s.name, {"scenario": s.name, "must_report": s.must_report,
                                               "fps": s.fps})
                row[f"stride {stride} {label}"] = f"{o.outcome} ({o.events})"
            precision, recall = precision_recall(outcomes)
            counts = {k: sum(o.outcome == k for o in outcomes) for k in ("TP", "FP", "FN", "TN")}
            summary.append({"stride": stride, "filters": label, "precision": precision,
                            "recall": recall, **counts})
    return pd.DataFrame(list(rows.values())), pd.DataFrame(summary).set_index(["stride", "filters"])


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--seed", type=int, default=0, help="seed of the box jitter (default 0)")


def main(args: argparse.Namespace) -> int:
    per_scenario, summary = scenario_tables(args.seed)
    print(f"Scripted scenarios (strides {', '.join(map(str, STRIDES))}, seed {args.seed}); "
          "cells: outcome (events):")
    print(per_scenario.to_string(index=False))
    print("\nPrecision/recall over the scenarios:")
    print(summary.to_string(float_format=lambda x: f"{x:.2f}"))
    return 0
