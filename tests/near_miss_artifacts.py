"""Synthetic tables, a tiny video and a headless-Chromium probe for the artifact-layer tests."""

from __future__ import annotations

import html as html_lib
import json
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd

from near_miss.outputs.report import SPEC_COLUMNS, RunSummary
from near_miss.outputs.tables import TRACK_COLUMNS

LEVEL_OF = {0.9: "High", 0.8: "High", 0.55: "Medium", 0.5: "Medium", 0.2: "Low"}


def tracks_table(frames: int, stride: int = 2) -> pd.DataFrame:
    """A car (#1) moving right and a pedestrian (#2) moving left on every processed frame."""
    rows = []
    for f in range(0, frames, stride):
        for oid, cls, coco, x in ((1, "vehicle", "car", 20 + 4 * f), (2, "pedestrian", "person",
                                                                    260 - 4 * f)):
            x1, y1, x2, y2 = x, 60.0, x + 40.0, 110.0
            rows.append((f, oid, cls, coco, cls, x1, y1, x2, y2, x1 + 20, 85.0, 0.8))
    return pd.DataFrame(rows, columns=TRACK_COLUMNS)


def events_table(timestamps: list[float], scores: list[float], fps: float = 10.0) -> pd.DataFrame:
    """Events between objects #1 and #2 at ``timestamps`` with ``scores`` (levels derived)."""
    rows = []
    for t, s in zip(timestamps, scores, strict=True):
        level = "High" if s >= 0.7 else ("Medium" if s >= 0.4 else "Low")
        rows.append((int(round(t * fps)), t, 1, 2, "vehicle", "pedestrian", 60.0 + 10 * s,
                     float("inf") if s < 0.3 else 1.5 - s, s, level))
    df = pd.DataFrame(rows, columns=list(SPEC_COLUMNS))
    df["iou"] = 0.1
    return df


def summary(frames: int = 20, fps: float = 10.0, width: int = 320, height: int = 192,
            video: str = "synthetic.mp4") -> RunSummary:
    return RunSummary(
        video={"path": video, "origin": "local", "note": f"--video {video}", "frames": frames,
               "fps": fps, "width": width, "height": height, "duration_s": frames / fps},
        detection={"model": "synthetic", "processed_frames": frames // 2,
                   "avg_ms_per_frame": 12.5, "per_class": {"vehicle": 10, "pedestrian": 10},
                   "per_coco_class": {"car": 10, "person": 10}},
        tracking={"tracker": "centroid", "observations": frames, "unique_ids": 2,
                  "avg_track_length": frames / 2, "avg_track_span": frames - 1,
                  "peak_active": 2, "peak_frame": 0},
        config={"stride": 2, "proximity_threshold": 100.0, "event_active_s": 1.0},
        end_frame=frames, run_time_s=3.25, stage_times={"detect+track": 2.0, "render": 1.0},
        created="2026-01-01 00:00 UTC",
    )


def write_video(path: Path, frames: int = 20, fps: float = 10.0, size=(320, 192)) -> Path:
    """A small H.264 test video: a grey gradient whose brightness changes per frame."""
    from near_miss.outputs.render import write_h264

    w, h = size
    base = np.tile(np.linspace(40, 200, w, dtype=np.uint8), (h, 1))
    images = (np.dstack([np.clip(base.astype(int) + i, 0, 255).astype(np.uint8)] * 3)
              for i in range(frames))
    write_h264(images, path, size, fps)
    return path


PROBE = """
<script>
window.addEventListener("load", function () {
  var out = {images: [], sections: []};
  document.querySelectorAll("img").forEach(function (img) {
    out.images.push({alt: img.alt, complete: img.complete, width: img.naturalWidth});
  });
  document.querySelectorAll("section h2").forEach(function (h) {
    out.sections.push(h.textContent); });
  var table = document.getElementById("events-table");
  if (table) {
    var headers = Array.prototype.map.call(table.tHead.rows[0].cells, function (c) {
      return c.textContent; });
    var box = table.parentElement, level = headers.indexOf("risk_level");
    out.table_layout = {
      page_width: document.documentElement.clientWidth,
      page_scroll_width: document.documentElement.scrollWidth,
      box_right: box.getBoundingClientRect().right,
      box_overflow_x: getComputedStyle(box).overflowX,
      risk_level_right: table.tHead.rows[0].cells[level].getBoundingClientRect().right};
    var col = headers.indexOf("risk_score");
    table.tHead.rows[0].cells[col].click();
    table.tHead.rows[0].cells[col].click();
    out.sorted_scores = Array.prototype.map.call(table.tBodies[0].rows, function (r) {
      return parseFloat(r.cells[col].dataset.sort); });
  }
  var pre = document.createElement("pre");
  pre.id = "probe-result";
  pre.textContent = JSON.stringify(out);
  document.body.appendChild(pre);
});
</script>
"""


def chromium() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser")


def probe_report(html: Path, width: int = 1280) -> dict:
    """Open a copy of ``html`` (plus a probe script) in headless Chromium, ``width`` px wide;
    return what it saw: every image's load state, the section titles, where the events table
    and its risk_level header end, and the risk-score column after sorting."""
    with tempfile.TemporaryDirectory() as tmp:
        page = Path(tmp) / "page.html"
        page.write_text(html.read_text(encoding="utf-8").replace("</body>", PROBE + "</body>"),
                        encoding="utf-8")
        cmd = [chromium(), "--headless", "--no-sandbox", "--disable-gpu",
               "--disable-background-networking", "--disable-component-update", "--disable-sync",
               "--no-first-run", f"--user-data-dir={tmp}/profile", "--virtual-time-budget=5000",
               f"--window-size={width},900",
               "--dump-dom", page.as_uri()]
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    match = re.search(r'<pre id="probe-result">(.*?)</pre>', proc.stdout, re.S)
    assert match, f"no probe result from chromium (rc {proc.returncode}): {proc.stderr[-2000:]}"
    return json.loads(html_lib.unescape(match.group(1)))
