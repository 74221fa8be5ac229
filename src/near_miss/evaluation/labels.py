"""The labels file of the incident evaluation, read with errors that name the file and line.

Format (CSV with a header): ``file,kind,start_s,end_s,road_users,description``; ``file`` is
relative to the labels file; ``kind`` is ``collision`` or ``near_miss`` (an incident that
must be found within ``[start_s, end_s]``), ``possible`` (an ambiguous interaction: an event
in its window is neither required nor a false alarm) or ``none`` (normal traffic: every
event of the clip is a false alarm; no window). A clip may have several rows.
"""

from __future__ import annotations

import csv
import math
from dataclasses import dataclass
from pathlib import Path

from tatweer_common.errors import UserError

INCIDENT_KINDS = ("collision", "near_miss")
KINDS = (*INCIDENT_KINDS, "possible", "none")
HEADER = ("file", "kind", "start_s", "end_s")


@dataclass(frozen=True)
class Window:
    kind: str
    start_s: float
    end_s: float
    description: str = ""

    @property
    def is_incident(self) -> bool:
        return self.kind in INCIDENT_KINDS


@dataclass(frozen=True)
class Clip:
    path: Path
    windows: tuple[Window, ...]  # empty for a clip of normal traffic

    @property
    def name(self) -> str:
        return self.path.name

    @property
    def normal(self) -> bool:
        return not self.windows


def _number(path: Path, line: int, name: str, text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        message = f"{path}:{line}: {name} must be a number of seconds, got {text!r}"
        raise UserError(message) from None
    if not math.isfinite(value) or value < 0:
        raise UserError(f"{path}:{line}: {name} must be >= 0, got {text!r}")
    return value


def _window(path: Path, line: int, row: dict) -> Window | None:
    kind = (row.get("kind") or "").strip()
    if kind not in KINDS:
        raise UserError(f"{path}:{line}: kind must be one of {', '.join(KINDS)}, got {kind!r}")
    if kind == "none":
        return None
    start = _number(path, line, "start_s", (row.get("start_s") or "").strip())
    end = _number(path, line, "end_s", (row.get("end_s") or "").strip())
    if end < start:
        raise UserError(f"{path}:{line}: end_s {end} is before start_s {start}")
    return Window(kind, start, end, (row.get("description") or "").strip())


def read_labels(path: str | Path) -> list[Clip]:
    """The clips of a labels file, in file order (rows of one clip merged)."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise UserError(f"{path}: cannot read the labels file ({exc.strerror})") from exc
    reader = csv.DictReader(text.splitlines())
    missing = [c for c in HEADER if c not in (reader.fieldnames or [])]
    if missing:
        raise UserError(f"{path}:1: missing column(s) {', '.join(missing)}")
    clips: dict[Path, list[Window]] = {}
    for line, row in enumerate(reader, start=2):
        name = (row.get("file") or "").strip()
        if not name:
            raise UserError(f"{path}:{line}: empty file name")
        video = (path.parent / name).resolve()
        if not video.is_file():
            raise UserError(f"{path}:{line}: video {name} not found (paths are relative to "
                            "the labels file)")
        window = _window(path, line, row)
        clips.setdefault(video, [])
        if window is not None:
            clips[video].append(window)
    if not clips:
        raise UserError(f"{path}: no clips listed")
    return [Clip(video, tuple(windows)) for video, windows in clips.items()]
