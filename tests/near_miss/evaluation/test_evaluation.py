"""The labelled evaluation: labels parsing, event scoring, totals and the command."""

from __future__ import annotations

import argparse
import math
from pathlib import Path

import pandas as pd
import pytest

from near_miss.evaluation import evaluate as ev
from near_miss.evaluation.labels import Clip, Window, read_labels
from near_miss.evaluation.scoring import score_clip, table_totals, totals
from tatweer_common.errors import UserError

HEADER = "file,kind,start_s,end_s,road_users,description\n"


def labels_file(tmp_path: Path, rows: str, videos=("a.mp4", "b.mp4")) -> Path:
    for name in videos:
        (tmp_path / name).write_bytes(b"")
    path = tmp_path / "labels.csv"
    path.write_text(HEADER + rows, encoding="utf-8")
    return path


def test_labels_merge_rows_of_a_clip_and_resolve_paths(tmp_path):
    path = labels_file(tmp_path, "a.mp4,collision,1.0,1.5,,crash\n"
                                 "a.mp4,possible,4,5,,maybe\n"
                                 "b.mp4,none,,,,normal\n")
    clips = read_labels(path)
    assert [c.name for c in clips] == ["a.mp4", "b.mp4"]
    assert [w.kind for w in clips[0].windows] == ["collision", "possible"]
    assert clips[0].path == (tmp_path / "a.mp4").resolve()
    assert clips[1].normal and not clips[0].normal


@pytest.mark.parametrize(("row", "message"), [
    ("a.mp4,crash,1,2,,\n", r"labels.csv:2: kind must be one of"),
    ("a.mp4,collision,x,2,,\n", r"labels.csv:2: start_s must be a number"),
    ("a.mp4,collision,3,2,,\n", r"labels.csv:2: end_s 2.0 is before start_s 3.0"),
    ("c.mp4,none,,,,\n", r"labels.csv:2: video c.mp4 not found"),
])
def test_bad_labels_name_the_file_and_line(tmp_path, row, message):
    with pytest.raises(UserError, match=message):
        read_labels(labels_file(tmp_path, row))


def test_missing_columns_and_missing_file(tmp_path):
    bad = tmp_path / "labels.csv"
    bad.write_text("file,kind\n", encoding="utf-8")
    with pytest.raises(UserError, match=r"labels.csv:1: missing column\(s\) start_s, end_s"):
        read_labels(bad)
    with pytest.raises(UserError, match="cannot read the labels file"):
        read_labels(tmp_path / "absent.csv")


def events(*rows):
    cols = ["timestamp_sec", "start_sec", "end_sec", "risk_level", "kind"]
    return pd.DataFrame(list(rows), columns=cols)


def test_an_incident_is_found_by_peak_start_or_end_within_a_second():
    clip = Clip(Path("a.mp4"), (Window("collision", 5.0, 5.5), Window("possible", 10.0, 11.0)))
    found = score_clip(clip, events((3.0, 2.0, 4.1, "Medium", "near_miss"),
                                    (5.2, 5.0, 5.9, "High", "collision")), 20.0)
    assert found.windows[0].found and found.windows[0].level == "High"
    assert found.windows[0].kind == "collision"
    assert found.false_alarms == 0  # 4.1 s is within 2 s of the window
    missed = score_clip(clip, events((7.4, 7.4, 7.4, "High", "near_miss")), 20.0)
    assert not missed.windows[0].found and missed.windows[0].level is None
    assert missed.false_alarms == 0  # 1.9 s after the window: neither found nor an alarm
    alarm = score_clip(clip, events((7.6, 7.6, 7.6, "High", "near_miss")), 20.0)
    assert alarm.false_alarms == 1  # 2.1 s from one window, 2.4 s from the other
    far = score_clip(clip, events((14.0, 13.5, 14.0, "Low", "near_miss")), 20.0)
    assert far.false_alarms == 1


def test_every_event_of_a_normal_clip_is_a_false_alarm_and_totals_per_minute():
    normal = score_clip(Clip(Path("n.mp4"), ()), events((1.0, 1.0, 1.0, "Low", "near_miss"),
                                                       (9.0, 9.0, 9.0, "High", "near_miss")), 30.0)
    crash = score_clip(Clip(Path("c.mp4"), (Window("collision", 2.0, 2.4),)),
                       events((2.2, 2.0, 2.4, "High", "collision")), 8.0)
    t = totals([normal, crash])
    assert normal.false_alarms == 2
    assert (t["found"], t["incidents"], t["found_high"], t["collisions_high"]) == (1, 1, 1, 1)
    assert t["normal_minutes"] == pytest.approx(0.5)
    assert t["false_alarms_per_min"] == pytest.approx(4.0)


def test_the_command_scores_each_clip_and_writes_the_table(tmp_path, monkeypatch, capsys):
    path = labels_file(tmp_path, "a.mp4,collision,1.0,1.5,,\nb.mp4,none,,,,\n")

    class Summary:
        end_frame, video = 300, {"fps": 30.0}

    class Analysis:
        summary = Summary()

        def __init__(self, config):
            name = Path(config.video).name
            self.events = (events((1.2, 1.0, 1.4, "High", "collision")) if name == "a.mp4"
                           else events((3.0, 3.0, 3.0, "Low", "near_miss")))

    seen = []

    loaded = []

    def fake_analyse(config, progress=True, model=None):
        seen.append((Path(config.video).name, config.stride, config.render_video,
                     config.detection_cache, model))
        return Analysis(config)

    def fake_load(source, imgsz, rect, backend):
        loaded.append((source, imgsz, rect, backend))
        return "the detector"

    monkeypatch.setattr("near_miss.pipeline.analyse", fake_analyse)
    monkeypatch.setattr("near_miss.detection.load_detector", fake_load)
    args = argparse.Namespace(labels=str(path), out=str(tmp_path / "out"), no_cache=False,
                              config=None, stride=3)
    assert ev.main(args) == 0
    assert seen == [("a.mp4", 3, False, True, "the detector"),
                    ("b.mp4", 3, False, True, "the detector")]
    assert loaded == [("auto", 640, True, "openvino")]  # once for all clips
    out = capsys.readouterr().out
    assert "collision 1-1.5 s: found High collision" in out
    assert "TOTAL incidents found 1/1 (High 1)" in out and "= 6.00/min" in out
    table = pd.read_csv(tmp_path / "out" / ev.RESULT_FILE)
    assert table["label"].tolist() == ["collision", "none"]
    assert table["false_alarms"].tolist() == [0, 1]


def test_totals_read_back_from_the_saved_table_equal_the_scored_ones(tmp_path):
    normal = score_clip(Clip(Path("n.mp4"), ()), events((1.0, 1.0, 1.0, "Low", "near_miss")), 45.0)
    crash = score_clip(
        Clip(Path("c.mp4"), (Window("collision", 2.0, 2.4), Window("near_miss", 6.0, 7.0))),
        events((2.2, 2.0, 2.4, "High", "collision"), (12.0, 12.0, 12.0, "Medium", "near_miss")),
        14.0,
    )
    missed = score_clip(Clip(Path("m.mp4"), (Window("collision", 1.0, 2.0),)), events(), 5.0)
    scores = [normal, crash, missed]
    table = pd.read_csv(ev.save_scores(scores, tmp_path / "t.csv"))
    assert table_totals(table) == pytest.approx(totals(scores))
    assert table_totals(table)["collisions_high"] == 1
    t = table_totals(table)
    assert t["false_alarms"] == 2 and t["video_minutes"] == pytest.approx(64 / 60)  # 45+14+5 s
    assert t["high_false_alarms_all_per_min"] == 0.0
    older = table_totals(table.drop(columns="false_alarms_high"))  # saved before the column
    assert math.isnan(older["high_false_alarms_all_per_min"]) and older["false_alarms"] == 2


def test_a_clip_with_only_ambiguous_windows_is_not_counted_as_normal_traffic():
    ambiguous = score_clip(Clip(Path("p.mp4"), (Window("possible", 2.0, 3.0),)),
                           events((9.0, 9.0, 9.0, "Low", "near_miss")), 12.0)
    normal = score_clip(Clip(Path("n.mp4"), ()), events((1.0, 1.0, 1.0, "Low", "near_miss")), 60.0)
    t = totals([ambiguous, normal])
    assert (t["normal_minutes"], t["normal_false_alarms"]) == (1.0, 1)
    assert t["false_alarms_incident_clips"] == 1 and t["incidents"] == 0
