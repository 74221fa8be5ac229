"""Annotated video: drawing rules on single frames, then the encoded file decoded back."""

from __future__ import annotations

import cv2
import imageio_ffmpeg
import numpy as np
import pandas as pd
import pytest

from near_miss.outputs.render import (
    FrameAnnotator,
    active_frames,
    annotate_frame,
    event_thumbnail,
    label_classes,
    label_window,
    mmss,
    render_video,
)
from near_miss.outputs.tables import TRACK_COLUMNS
from near_miss_artifacts import events_table, tracks_table, write_video

FPS = 10.0


def _box_edge(img: np.ndarray, tracks, object_id: int) -> np.ndarray:
    """Pixel on the left edge of ``object_id``'s box, halfway down (BGR)."""
    row = tracks[tracks["object_id"] == object_id].iloc[0]
    return img[int((row.y1 + row.y2) / 2), int(row.x1)].astype(int)


def _is(colour: np.ndarray, channel: int) -> bool:
    """True when BGR ``colour`` is dominated by ``channel`` (0 blue, 1 green, 2 red)."""
    others = [colour[c] for c in range(3) if c != channel]
    return colour[channel] >= 150 and max(others) <= 60


@pytest.fixture
def blank():
    return np.full((192, 320, 3), 128, np.uint8)


def test_mmss_and_active_window():
    assert mmss(0) == "00:00" and mmss(75.9) == "01:15"
    assert active_frames(1.0, 11.03) == 11
    assert active_frames(0.0, 30) == 1


def test_class_colours_without_events(blank):
    tracks = tracks_table(10)
    at0 = tracks[tracks.frame_index == 0]
    img = annotate_frame(blank, 0, at0, events_table([], []), FPS)
    assert _is(_box_edge(img, at0, 1), 0), "vehicle box must be blue"
    assert _is(_box_edge(img, at0, 2), 1), "pedestrian box must be green"
    red = (img[:, :, 2] > 180) & (img[:, :, 0] < 60) & (img[:, :, 1] < 60)
    assert not red.any()


def test_event_objects_red_while_active_then_back(blank):
    tracks = tracks_table(40)
    events = events_table([1.0], [0.9], fps=FPS)  # logged at frame 10, High
    annotate = FrameAnnotator(tracks, events, FPS, stride=2, event_active_s=1.0)
    for frame in (10, 15, 19):
        img = annotate(frame, blank)
        at = annotate.tracks_at(frame)
        assert _is(_box_edge(img, at, 1), 2) and _is(_box_edge(img, at, 2), 2), frame
        top = img[: img.shape[0] // 3]
        assert ((top[:, :, 2] > 180) & (top[:, :, 1] < 60)).sum() > 200, "no large red banner"
    for frame in (9, 20):
        img = annotate(frame, blank)
        assert _is(_box_edge(img, annotate.tracks_at(frame), 1), 0), frame


def test_an_episode_is_red_from_its_start_to_one_second_after_its_peak(blank):
    tracks = tracks_table(60)
    events = events_table([1.0], [0.9], fps=FPS).assign(start_frame=4, end_frame=30)
    annotate = FrameAnnotator(tracks, events, FPS, stride=2, event_active_s=0.5)
    for frame in (4, 10, 30):  # start, peak, end (the peak's 0.5 s ends at frame 24)
        img = annotate(frame, blank)
        assert _is(_box_edge(img, annotate.tracks_at(frame), 1), 2), frame
    for frame in (3, 31):
        img = annotate(frame, blank)
        assert not _is(_box_edge(img, annotate.tracks_at(frame), 1), 2), frame


def test_stride_reuses_last_processed_frame_and_never_stale_tracks():
    tracks = tracks_table(10)
    tracks = tracks[tracks.frame_index != 4]  # processed frame 4 had no tracked objects
    annotate = FrameAnnotator(tracks, events_table([], []), FPS, stride=2)
    assert list(annotate.tracks_at(3).frame_index.unique()) == [2]
    assert annotate.tracks_at(4).empty and annotate.tracks_at(5).empty


def test_thumbnail_outlines_both_objects_in_red(blank):
    tracks = tracks_table(12)
    event = events_table([1.0], [0.55], fps=FPS).iloc[0]
    at = tracks[tracks.frame_index == 10]
    thumb = event_thumbnail(blank, at, event, width=200)
    assert thumb.shape[1] == 200
    red = (thumb[:, :, 2] > 180) & (thumb[:, :, 1] < 60) & (thumb[:, :, 0] < 60)
    assert red.sum() > 100


def test_render_video_decodes_back_as_h264(tmp_path):
    video = write_video(tmp_path / "in.mp4", frames=20, fps=FPS)
    tracks = tracks_table(20)
    events = events_table([0.6], [0.8], fps=FPS)
    result = render_video(video, tracks, events, tmp_path / "out.mp4", fps=FPS, stride=2,
                          progress=False)
    assert result.frames == 20
    reader = imageio_ffmpeg.read_frames(str(result.path))
    meta = next(reader)
    decoded = sum(1 for _ in reader)
    assert meta["codec"] == "h264"
    assert meta["pix_fmt"].startswith("yuv420p")
    assert tuple(meta["size"]) == (320, 192)
    assert meta["fps"] == pytest.approx(FPS, rel=1e-3)
    assert decoded == 20
    cap = cv2.VideoCapture(str(result.path))
    assert int(cap.get(cv2.CAP_PROP_FRAME_COUNT)) == 20
    cap.set(cv2.CAP_PROP_POS_FRAMES, 7)  # event logged at frame 6: objects red at frame 7
    ok, frame = cap.read()
    cap.release()
    assert ok
    at = tracks[tracks.frame_index == 6]
    row = at[at.object_id == 1].iloc[0]
    patch = frame[int(row.y1) + 5: int(row.y2) - 5, int(row.x1) - 1: int(row.x1) + 2].astype(int)
    assert (patch[:, :, 2] - patch[:, :, 0]).mean() > 60, "event object not red after encoding"


def test_render_video_end_frame_limits_length(tmp_path):
    video = write_video(tmp_path / "in.mp4", frames=20, fps=FPS)
    result = render_video(video, tracks_table(20), events_table([], []), tmp_path / "o.mp4",
                          fps=FPS, stride=2, end_frame=7, progress=False)
    frames, _ = imageio_ffmpeg.count_frames_and_secs(str(result.path))
    assert result.frames == frames == 7


def switched_id(seen: dict[int, str | None]) -> pd.DataFrame:
    """Tracks of ID 6 at the given frames with their detected class (None: a predicted box).

    The ``class`` column is the per-ID majority, which stays "pedestrian" throughout.
    """
    rows = [(f, 6, "pedestrian", "person", cls, 100.0, 60.0, 140.0, 110.0, 120.0, 85.0, 0.8)
            for f, cls in sorted(seen.items())]
    return pd.DataFrame(rows, columns=TRACK_COLUMNS)


def test_label_window_is_about_one_second_of_processed_frames():
    assert label_window(10.0, 2) == 5 and label_window(30.0, 1) == 30
    assert label_window(1.0, 4) == 1


def test_label_is_the_current_class_once_an_id_is_reassociated_after_a_gap(blank):
    walker = {f: "pedestrian" for f in range(0, 22, 2)}
    car = {f: "vehicle" for f in range(28, 40, 2)}  # ID 6 re-associated onto a car
    tracks = switched_id(walker | car)
    labels = label_classes(tracks, stride=2, window=5)
    assert list(labels) == ["pedestrian"] * len(walker) + ["vehicle"] * len(car)
    assert set(tracks["class"]) == {"pedestrian"}  # the table keeps the majority class
    annotate = FrameAnnotator(tracks, events_table([], []), FPS, stride=2)
    for frame in (28, 29):
        img = annotate(frame, blank)
        assert _is(_box_edge(img, annotate.tracks_at(frame), 6), 0), "car drawn as pedestrian"
    assert _is(_box_edge(annotate(20, blank), annotate.tracks_at(20), 6), 1)


def test_label_follows_a_switch_without_gap_within_half_a_window():
    seen = {f: "pedestrian" if f < 20 else "vehicle" for f in range(0, 40, 2)}
    labels = label_classes(switched_id(seen), stride=2, window=5)
    assert list(labels[8:14]) == ["pedestrian"] * 4 + ["vehicle"] * 2  # frames 16-26


def test_predicted_boxes_keep_their_label_and_the_next_detection_restarts_it():
    seen = {f: "pedestrian" for f in range(0, 20, 2)} | {20: None, 22: None, 24: "vehicle"}
    labels = label_classes(switched_id(seen), stride=2, window=5)
    assert list(labels[-3:]) == ["pedestrian", "pedestrian", "vehicle"]


def test_without_detected_classes_labels_are_the_table_class():
    tracks = tracks_table(10).drop(columns="detected_class")
    labels = label_classes(tracks, stride=2, window=5)
    assert list(labels) == list(tracks["class"])
