"""Dashboard plots from synthetic event tables, including the zero-event case."""

from __future__ import annotations

import numpy as np
import pytest
from matplotlib.colors import to_hex

from near_miss.outputs.plots import (
    LEVEL_COLOURS,
    NO_EVENTS,
    event_locations,
    frequency_edges,
    frequency_figure,
    heatmap_figure,
    risk_distribution_figure,
    save_dashboard,
    timeline_figure,
)
from near_miss_artifacts import events_table, tracks_table

FRAME = np.full((192, 320, 3), 90, np.uint8)


def _texts(fig) -> str:
    ax = fig.axes[0]
    parts = [t.get_text() for t in ax.texts] + [ax.get_title()]
    return " ".join(parts)


@pytest.fixture
def events():
    # t = 1, 14 (first 15 s bin), 16, 29 (second), 40 (third); levels H, M, L, H, M
    return events_table([1.0, 14.0, 16.0, 29.0, 40.0], [0.8, 0.5, 0.2, 0.9, 0.55])


def test_zero_events_every_plot_says_so():
    empty = events_table([], [])
    for fig in (timeline_figure(empty, 60), risk_distribution_figure(empty),
                frequency_figure(empty, 60), heatmap_figure(tracks_table(10), FRAME, empty)):
        assert NO_EVENTS in _texts(fig)
    for fig in (timeline_figure(empty, 60), risk_distribution_figure(empty),
                frequency_figure(empty, 60)):
        assert not fig.axes[0].axison, "an empty axis must not be drawn"


def test_timeline_points_and_colours(events):
    fig = timeline_figure(events, 45.0)
    ax = fig.axes[0]
    by_colour = {to_hex(c.get_facecolor()[0]): c.get_offsets() for c in ax.collections}
    high = by_colour[LEVEL_COLOURS["High"]]
    assert sorted(high[:, 0]) == [1.0, 29.0]
    assert len(by_colour[LEVEL_COLOURS["Low"]]) == 1
    assert NO_EVENTS not in _texts(fig)
    assert ax.get_xlim()[1] >= 45.0


def test_pie_shares(events):
    ax = risk_distribution_figure(events).axes[0]
    assert [t.get_text() for t in ax.get_legend().get_texts()] == [
        "High (2)", "Medium (2)", "Low (1)"]
    assert [t.get_text() for t in ax.texts if t.get_text()] == ["40%\n(2)", "40%\n(2)", "20%\n(1)"]
    only_high = events[events.risk_level == "High"]
    ax = risk_distribution_figure(only_high).axes[0]
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["High (2)"]
    assert len(ax.patches) == 1


def test_frequency_uses_15_second_bins(events):
    ax = frequency_figure(events, 45.0).axes[0]
    heights = np.zeros(3)
    for patch in ax.patches:
        heights[round(patch.get_x() + patch.get_width() / 2)] += patch.get_height()
    assert heights.tolist() == [2, 2, 1]
    assert [t.get_text() for t in ax.get_xticklabels()] == ["0-15 s", "15-30 s", "30-45 s"]


def test_frequency_bins_end_at_the_video_end():
    # a 22.9 s video: the last bin is 15-22.9 s, not 15-30 s
    assert frequency_edges(22.9).tolist() == [0.0, 15.0, 22.9]
    assert frequency_edges(45.0).tolist() == [0.0, 15.0, 30.0, 45.0]
    ax = frequency_figure(events_table([1.0, 16.0, 22.85], [0.8, 0.5, 0.2]), 22.9).axes[0]
    assert [t.get_text() for t in ax.get_xticklabels()] == ["0-15 s", "15-22.9 s"]
    assert sum(p.get_height() for p in ax.patches) == 3


def test_heatmap_is_a_histogram_of_all_centroids(events):
    tracks = tracks_table(20)
    fig = heatmap_figure(tracks, FRAME, events, cell_px=16)
    hist = fig.axes[0].images[1].get_array()
    assert hist.shape == (192 // 16, 320 // 16)
    assert hist.sum() == len(tracks)
    # event markers at the pair midpoints (frames 10 and 290 -> only frame 10 is in tracks)
    assert event_locations(events, tracks).tolist() == [[160.0, 85.0]]


def test_save_dashboard_writes_four_pngs(tmp_path, events):
    paths = save_dashboard(events, tracks_table(20), FRAME, 45.0, tmp_path)
    assert sorted(p.name for p in paths.values()) == [
        "frequency.png", "heatmap.png", "risk_distribution.png", "timeline.png"]
    for p in paths.values():
        assert p.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        assert p.stat().st_size > 5000
