"""One configuration object for the whole pipeline (command line, notebooks and tests).

Precedence, lowest to highest: the dataclass defaults below, a TOML or YAML file
(``--config FILE``, flat keys named like the fields), then explicit command-line flags.
"""

from __future__ import annotations

import dataclasses
import tomllib
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from tatweer_common.errors import UserError

TRACKERS = ("centroid", "sort", "bytetrack")
BACKENDS = ("torch", "onnx", "openvino")  # detector backends (near_miss.detection.load_detector)
BACKEND_TITLES = {"torch": "PyTorch", "onnx": "ONNX Runtime", "openvino": "OpenVINO"}


@dataclass
class PipelineConfig:
    """Every setting of ``python -m near_miss run``.

    The detector defaults (YOLOv8n on OpenVINO at 640 rect, stride 2, pipelined, centroid
    tracker) are the benchmark's pick (``python -m near_miss bench``, ``benchmark.csv``): the
    fastest configuration that finds every labelled incident the spec's settings find with no
    more false alarms; ``PRESETS["spec"]`` (``--preset spec``) are the spec's own.
    ``event_active_s``: how long a logged near miss stays "active" in the annotated video
    after its peak (its objects drawn red and its risk level shown).
    """

    video: str | None = None  # path or URL; None = the spec's YouTube video, else offline sample
    out: str = "outputs"
    data_dir: str = "data"
    detector: str = "auto"  # "auto" (= "yolov8n") | "yolov8s" | a path to ultralytics weights
    imgsz: int = 640
    backend: str = "openvino"  # "torch" | "onnx" (onnxruntime) | "openvino" (see detection)
    rect: bool = True  # letterbox to the frame's aspect ratio (multiple of 32), not a square
    conf: float = 0.4
    stride: int = 2
    max_frames: int | None = None  # first N source frames (N / stride detected); None = all
    tracker: str = "centroid"
    max_disappeared: int = 10
    proximity_threshold: float = 100.0
    ttc_threshold: float = 2.0
    debounce_frames: int = 30  # source frames at the video's fps (30 frames = 1 s at 30 fps)
    distance_mode: str = "relative"  # "relative" (box gap / object size) | "pixels" (spec)
    ttc_method: str = "box"  # "box" (time until the boxes touch) | "centres" (spec's formula)
    pedestrian_pairs: bool = False  # pedestrian-pedestrian pairs are not traffic conflicts
    filters: bool = True
    event_active_s: float = 1.0
    render_video: bool = True
    pipelined: bool = True  # decode, detect, track and render in overlapping threads
    detection_cache: bool = False  # reuse a per-video table of every frame's detections
    # Extra keyword arguments passed through unchanged to the tracker / NearMissDetector.
    tracker_options: dict[str, Any] = field(default_factory=dict)
    nearmiss_options: dict[str, Any] = field(default_factory=dict)

    def validate(self, origin: str = "configuration") -> PipelineConfig:
        """Raise UserError naming ``origin`` and the offending setting when a value is invalid."""
        problems = self._choice_problems() + self._range_problems()
        if problems:
            raise UserError(f"{origin}: " + "; ".join(problems))
        return self

    def _choice_problems(self) -> list[str]:
        choices = {"tracker": TRACKERS, "backend": BACKENDS,
                   "distance_mode": ("relative", "pixels"), "ttc_method": ("box", "centres")}
        return [f"{name} must be one of {', '.join(allowed)}, got {getattr(self, name)!r}"
                for name, allowed in choices.items() if getattr(self, name) not in allowed]

    def _range_problems(self) -> list[str]:
        problems = []
        if self.stride < 1:
            problems.append(f"stride must be >= 1, got {self.stride}")
        if self.imgsz < 32 or self.imgsz % 32:
            problems.append(f"imgsz must be a multiple of 32, got {self.imgsz}")
        if not 0.0 <= self.conf <= 1.0:
            problems.append(f"conf must be within [0, 1], got {self.conf}")
        if self.max_frames is not None and self.max_frames < 1:
            problems.append(f"max_frames must be >= 1, got {self.max_frames}")
        if self.event_active_s < 0:
            problems.append(f"event_active_s must be >= 0, got {self.event_active_s}")
        for name in ("proximity_threshold", "ttc_threshold"):
            if getattr(self, name) <= 0:
                problems.append(f"{name} must be > 0, got {getattr(self, name)}")
        return problems

    def with_overrides(self, **values: Any) -> PipelineConfig:
        """A copy with every non-None value applied (how command-line flags override)."""
        return dataclasses.replace(self, **{k: v for k, v in values.items() if v is not None})

    def as_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


def _read_mapping(path: Path) -> dict[str, Any]:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise UserError(f"{path}: cannot read the configuration file ({exc.strerror})") from exc
    if path.suffix.lower() == ".toml":
        try:
            data = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            raise UserError(f"{path}: invalid TOML: {exc}") from exc
    elif path.suffix.lower() in (".yaml", ".yml"):
        import yaml

        try:
            data = yaml.safe_load(text) or {}
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            where = f" line {mark.line + 1}" if mark else ""
            raise UserError(f"{path}:{where} invalid YAML: {exc}") from exc
    else:
        raise UserError(f"{path}: unknown configuration format (use .toml, .yaml or .yml)")
    if not isinstance(data, dict):
        raise UserError(f"{path}: expected a table of settings at the top level")
    return data


def _check_types(path: Path, data: dict[str, Any]) -> dict[str, Any]:
    defaults = PipelineConfig()
    out = {}
    for key, value in data.items():
        default = getattr(defaults, key)
        if isinstance(default, bool) and not isinstance(value, bool):
            raise UserError(f"{path}: setting {key!r} must be true or false, got {value!r}")
        if isinstance(default, float) and isinstance(value, int) and not isinstance(value, bool):
            value = float(value)
        if default is not None and not isinstance(value, type(default)):
            raise UserError(
                f"{path}: setting {key!r} must be {type(default).__name__}, got {value!r}"
            )
        out[key] = value
    return out


# The spec's literal settings (Tasks 1.2-1.3): PyTorch at 640x640, every other frame, the
# detect-then-track loop without threads. ``run --preset spec`` selects them.
PRESETS: dict[str, dict[str, Any]] = {
    "default": {},
    "spec": {"backend": "torch", "imgsz": 640, "rect": False, "stride": 2, "pipelined": False,
             "tracker": "centroid"},
}


def describe(config: PipelineConfig) -> str:
    """One line naming the detector settings a run uses."""
    backend = BACKEND_TITLES
    size = f"{config.imgsz} rect" if config.rect else f"{config.imgsz}x{config.imgsz}"
    mode = "pipelined" if config.pipelined else "sequential"
    return (f"{backend.get(config.backend, config.backend)} {size}, stride {config.stride}, "
            f"{mode}, {config.tracker} tracker")


def load_config(path: str | Path | None = None, preset: str = "default",
                **overrides: Any) -> PipelineConfig:
    """Defaults, then the ``preset`` (``PRESETS``), then the TOML/YAML file at ``path`` (if
    given), then non-None ``overrides``."""
    if preset not in PRESETS:
        raise UserError(f"preset must be one of {', '.join(PRESETS)}, got {preset!r}")
    config = PipelineConfig(**PRESETS[preset])
    origin = "configuration"
    if path is not None:
        path = Path(path)
        data = _read_mapping(path)
        known = {f.name for f in fields(PipelineConfig)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise UserError(f"{path}: unknown setting(s) {', '.join(unknown)}; "
                            f"known: {', '.join(sorted(known))}")
        config = dataclasses.replace(config, **_check_types(path, data))
        origin = str(path)
    return config.with_overrides(**overrides).validate(origin)
