"""``evaluate --explain``: which failures get a sheet, what their captions say, the sheet."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from near_miss.evaluation.explain import OFFSETS_S, TILE_WIDTH, Moment, contact_sheet, failures
from near_miss.evaluation.labels import Clip, Window
from near_miss.evaluation.scoring import score_clip
from near_miss_artifacts import events_table, tracks_table, write_video


def with_episodes(table: pd.DataFrame) -> pd.DataFrame:
    return table.assign(start_sec=table["timestamp_sec"], end_sec=table["timestamp_sec"])


def test_missed_windows_show_the_riskiest_rejected_candidate_or_say_there_was_none():
    clip = Clip(Path("a.mp4"), (Window("collision", 5.0, 5.5), Window("collision", 9.0, 9.5)))
    events = with_episodes(events_table([1.0, 9.2], [0.9, 0.8]))
    rejected = with_episodes(events_table([5.2, 5.3, 12.0], [0.5, 0.6, 0.9]))
    rejected["filter"] = ["ground", "aftermath", "stationary"]
    moments = failures(score_clip(clip, events, 20.0), events, rejected)
    assert [m.name for m in moments] == ["missed_1", "false_alarm_1"]
    missed, alarm = moments
    assert missed.time_s == 5.3 and "rejected by aftermath" in missed.caption
    assert missed.caption.startswith("MISSED collision 5-5.5 s") and "Medium 0.60" in missed.caption
    assert alarm.time_s == 1.0 and alarm.caption.startswith("FALSE ALARM at 1.0 s: #1 vehicle")
    nothing = failures(score_clip(clip, events, 20.0), events, rejected.iloc[2:])
    assert nothing[0].pair is None and nothing[0].caption.endswith("no candidate pair")
    assert nothing[0].time_s == 5.25


def test_a_sheet_puts_the_frames_around_the_moment_side_by_side(tmp_path):
    video = write_video(tmp_path / "v.mp4", frames=40)
    moment = Moment("m", 1.0, events_table([1.0], [0.9]).iloc[0].to_dict(), "FALSE ALARM")
    sheet = contact_sheet(video, tracks_table(40), moment, fps=10.0, stride=2, end_frame=40)
    tile_height = round(192 * TILE_WIDTH / 320)
    assert sheet.shape == (tile_height + 30, TILE_WIDTH * len(OFFSETS_S), 3)
    red = (sheet[..., 2] > 200) & (sheet[..., 1] < 60) & (sheet[..., 0] < 60)
    assert red.any()  # the pair is drawn in red
    assert (sheet[-30:] < 128).any()  # dark caption text on the white strip
