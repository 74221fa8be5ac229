"""HTML report from synthetic tables: content, then rendered in headless Chromium."""

from __future__ import annotations

import re

import numpy as np
import pytest

from near_miss.nearmiss.events import EXTRA_COLUMNS
from near_miss.outputs.plots import save_dashboard
from near_miss.outputs.report import (
    RunSummary,
    config_items,
    fmt,
    jpeg_uri,
    limitations,
    method,
    top_events,
    write_report,
)
from near_miss_artifacts import chromium, events_table, probe_report, summary, tracks_table

SECTIONS = [
    "Video metadata", "Detection and tracking", "Near-miss events", "highest-risk events",
    "Dashboard", "All events", "Limitations & Assumptions", "Configuration used", "Run",
]
SCORES = [0.9, 0.2, 0.55, 0.8, 0.5, 0.75, 0.45]
EPISODE_COLUMNS = ["kind", "start_sec", "end_sec", "start_frame", "end_frame", "observations",
                   "min_distance", "min_ttc_sec"]


@pytest.fixture
def events():
    return events_table([0.2, 0.5, 0.8, 1.1, 1.4, 1.7, 1.9], SCORES)


def engine_events():
    """Events with every column a run writes: the engine's measures after the spec's."""
    events = events_table([0.2, 0.5, 0.8, 1.1], [0.9, 0.2, 0.55, 0.8])
    text = {"units": "px", "criteria": "proximity+ttc+closing", "kind": "near_miss"}
    for column in EXTRA_COLUMNS + EPISODE_COLUMNS:
        if column not in events:
            events[column] = text.get(column, 12.345)
    return events


def _write(tmp_path, events, thumbs=True):
    images = save_dashboard(events, tracks_table(20), np.full((192, 320, 3), 90, np.uint8),
                            2.0, tmp_path)
    thumb = jpeg_uri(np.full((40, 60, 3), 200, np.uint8))
    thumbnails = {i: thumb for i in top_events(events).index} if thumbs else {}
    return write_report(tmp_path / "report.html", summary(), events, images, thumbnails,
                        {"events table": "events.csv"})


def test_formatting_helpers():
    assert fmt(float("inf")) == "∞" and fmt(0.12345) == "0.12" and fmt(float("nan")) == "–"
    assert top_events(events_table([1, 2, 3], [0.3, 0.9, 0.6]))["risk_score"].tolist() == [0.9,
                                                                                          0.6, 0.3]


def test_report_content(tmp_path, events):
    html = _write(tmp_path, events).read_text(encoding="utf-8")
    for title in SECTIONS:
        assert title.replace("&", "&amp;") in html
    assert len(re.findall(r'src="data:image/png;base64,', html)) == 4
    assert len(re.findall(r'src="data:image/jpeg;base64,', html)) == 5
    top = re.search(r'id="top-events">(.*?)</section>', html, re.S).group(1)
    shown = [float(s) for s in re.findall(r"score (\d\.\d\d)", top)]
    assert shown == sorted(SCORES, reverse=True)[:5]
    assert re.search(r"<b>2</b>", html)  # two unique IDs
    assert "∞" in html  # TTC of the Low event
    bullets = re.search(r'id="limitations">.*?<ul>(.*?)</ul>', html, re.S).group(1)
    assert bullets.count("<li>") >= 3
    assert "640" not in bullets and "320x192" in bullets  # uses this run's numbers
    method = re.search(r'id="method">(.*?)</section>', html, re.S).group(1)
    assert "stride 2 in this run" in method and "1 s after its peak" in method


def test_configuration_labels_a_setting_the_distance_mode_does_not_read(tmp_path, events):
    html = _write(tmp_path, events).read_text(encoding="utf-8")
    config = re.search(r'id="configuration">(.*?)</section>', html, re.S).group(1)
    row = re.search(r"<dt>proximity_threshold</dt><dd>(.*?)</dd>", config).group(1)
    assert "<code>100.0</code>" in row and "only with --distance-mode pixels" in row
    assert "not used" not in re.search(r"<dt>stride</dt><dd>(.*?)</dd>", config).group(1)
    pixels = {"distance_mode": "pixels", "proximity_threshold": 100.0}
    assert [note for _, _, note in config_items(pixels)] == ["", ""]


def test_method_names_the_reach_only_where_the_run_uses_it():
    s = summary()
    assert "within 2 pair sizes" in method(s)[0]
    s.config["nearmiss_options"] = {"reach_ratio": 3.0}
    assert "within 3 pair sizes" in method(s)[0]
    s.config["nearmiss_options"] = {"reach_ratio": None}
    assert "pair sizes of each other" not in method(s)[0]
    s.config.update(nearmiss_options={}, distance_mode="pixels")
    assert "pair sizes of each other" not in method(s)[0]


def test_limitations_mention_offline_source():
    s = summary()
    s.video.update(origin="offline", note="offline stand-in x.mp4")
    assert any("describes its offline copy" in b for b in limitations(s))
    assert not any("offline" in b for b in limitations(summary()))


def test_run_summary_round_trip(tmp_path):
    s = summary()
    assert RunSummary.load(s.save(tmp_path / "run.json")) == s


def test_zero_events_report(tmp_path):
    html = _write(tmp_path, events_table([], [])).read_text(encoding="utf-8")
    assert html.count("No near-miss events were detected.") == 2
    assert 'id="events-table"' not in html


@pytest.mark.skipif(chromium() is None, reason="Chromium not installed (apt-get install chromium)")
def test_report_in_headless_chromium(tmp_path, events):
    seen = probe_report(_write(tmp_path, events))
    assert len(seen["images"]) == 9
    assert all(img["complete"] and img["width"] > 0 for img in seen["images"]), seen["images"]
    for title in SECTIONS:
        assert any(title in s for s in seen["sections"]), title
    assert seen["sorted_scores"] == sorted(SCORES, reverse=True)  # two clicks: descending


@pytest.mark.skipif(chromium() is None, reason="Chromium not installed (apt-get install chromium)")
def test_events_table_fits_a_1280_px_window_in_headless_chromium(tmp_path):
    layout = probe_report(_write(tmp_path, engine_events()), width=1280)["table_layout"]
    assert layout["page_scroll_width"] <= layout["page_width"]  # the page does not scroll
    assert layout["box_overflow_x"] in ("auto", "scroll")  # the table scrolls in its box
    assert layout["risk_level_right"] <= layout["box_right"]  # the spec's columns are in view


@pytest.mark.skipif(chromium() is None, reason="Chromium not installed (apt-get install chromium)")
def test_zero_event_report_in_headless_chromium(tmp_path):
    seen = probe_report(_write(tmp_path, events_table([], [])))
    assert len(seen["images"]) == 4 and all(i["width"] > 0 for i in seen["images"])
    assert "sorted_scores" not in seen
