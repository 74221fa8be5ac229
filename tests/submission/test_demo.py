"""The demo video on a tiny fixture tree: duration, codec, captions, voice and missing inputs."""

from __future__ import annotations

import shutil

import numpy as np
import pytest

from submission import narration
from submission.cli import main
from submission.encode import probe
from submission.scenes import Clip
from submission.slides import Canvas
from submission_fixtures import VIDEO_FRAMES, make_tree, write_video

SMALL = ["--size", "320x180", "--fps", "4"]


@pytest.fixture(scope="module")
def tree(tmp_path_factory):
    return make_tree(tmp_path_factory.mktemp("submission"))


def test_silent_demo_is_short_h264_with_every_scene(tree, tmp_path, capsys):
    out = tmp_path / "demo.mp4"
    assert main(["demo", "--root", str(tree), "--output", str(out), "--no-voice", *SMALL]) == 0
    info = probe(out)
    assert (info.codec, info.pix_fmt, info.width, info.height) == ("h264", "yuv420p", 320, 180)
    assert 30 < info.duration_s <= 180
    assert info.audio_codec is None
    printed = capsys.readouterr().out
    for scene in ("title", "footage", "replay", "labelled", "technical", "evaluation",
                  "benchmark", "training", "results", "answers_1", "answers_2", "limitations"):
        assert f"  {scene} " in printed


@pytest.mark.skipif(shutil.which("espeak-ng") is None, reason="espeak-ng not installed")
def test_narrated_demo_has_an_aac_track(tree, tmp_path):
    out = tmp_path / "voiced.mp4"
    assert main(["demo", "--root", str(tree), "--output", str(out), *SMALL]) == 0
    info = probe(out)
    assert info.audio_codec == "aac" and info.duration_s <= 180


@pytest.mark.parametrize("missing", ["outputs/loss_curves.png", "outputs/annotated_video.mp4",
                                     "outputs/evaluation_summary.json"])
def test_missing_input_is_one_clear_line(tmp_path, capsys, missing):
    root = make_tree(tmp_path / "tree")
    (root / missing).unlink()
    assert main(["demo", "--root", str(root), "--no-voice", *SMALL]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith(f"error: {missing} is missing (make it with: python -m ")
    assert "\n" not in err and not (root / "demo_video.mp4").exists()


def test_bad_size_is_a_user_error(tree, capsys):
    assert main(["demo", "--root", str(tree), "--size", "big"]) == 2
    assert "--size" in capsys.readouterr().err


def test_lines_follow_each_other_and_captions_switch():
    lines, end = narration.time_lines(["one two three", "four five six seven eight nine"], None)
    assert lines[0].start == narration.LEAD_S
    assert lines[1].start == pytest.approx(lines[0].start + lines[0].duration + narration.GAP_S)
    assert end == pytest.approx(lines[1].start + lines[1].duration + narration.TAIL_S)
    assert narration.caption_at(lines, 0.0) == "one two three"
    assert narration.caption_at(lines, lines[1].start + 0.01).startswith("four")


def test_mix_places_each_line_at_its_time():
    beep = np.full(100, 1000, dtype=np.int16)
    lines = [narration.Line("a", 0.5, 100 / narration.RATE, beep)]
    track = narration.mix([(1.0, lines)], 2.0)
    at = int(1.5 * narration.RATE)
    assert track[at - 1] == 0 and track[at] == 1000 and track[at + 99] == 1000
    assert track[at + 100] == 0 and len(track) == 2 * narration.RATE + 1


def test_clip_holds_its_last_frame(tmp_path):
    video = write_video(tmp_path / "v.mp4")
    clip = Clip(video, 0.0, VIDEO_FRAMES / 6.0, speed=0.5)
    times = [i / 2 for i in range(12)]  # 0 .. 5.5 s; the clip lasts 4 s at half speed
    frames = list(clip.contents(times, Canvas(320, 180)))
    assert len(frames) == len(times) and frames[0].shape == (Canvas(320, 180).content[1], 320, 3)
    assert not np.array_equal(frames[0], frames[4])
    assert np.array_equal(frames[-1], frames[-2])


def test_answers_are_typed_out_side_by_side_then_held():
    from submission.terminal import HOLD_S, TYPE_S, Typing

    typing = Typing("ask --base", "Why?", (("Base", "left answer " * 20),
                                          ("Fine-tuned", "right answer\n1. step")))
    canvas = Canvas(640, 360)
    frames = list(typing.contents([0.0, TYPE_S / 2, TYPE_S, TYPE_S + HOLD_S], canvas))
    inked = [int((f.sum(axis=2) > 300).sum()) for f in frames]
    assert inked[0] < inked[1] < inked[2] and np.array_equal(frames[2], frames[3])
    half = frames[2].shape[1] // 2
    assert (frames[2][:, half:].sum(axis=2) > 300).sum() > 0  # the right pane has text
