"""The ``run`` command: configuration, then end to end on a short slice of the sample video."""

from __future__ import annotations

import json

import imageio_ffmpeg
import pandas as pd
import pytest

from near_miss import pipeline
from near_miss.cli import main as cli_main
from near_miss.config import PipelineConfig, describe, load_config
from near_miss.ingest import offline_video, video_metadata
from near_miss.outputs.report import SPEC_COLUMNS
from near_miss_artifacts import chromium, probe_report
from tatweer_common.errors import UserError

SLICE = 21  # source frames -> 11 detector passes at the default stride 2
STRIDE = PipelineConfig.stride  # run's default (the benchmark's pick)


def _args(*argv: str):
    import argparse

    parser = argparse.ArgumentParser()
    pipeline.add_arguments(parser)
    return parser.parse_args(list(argv))


def test_defaults_are_the_benchmark_pick_with_the_spec_thresholds():
    c = PipelineConfig()
    assert (c.backend, c.imgsz, c.rect, c.pipelined) == ("openvino", 640, True, True)
    assert pipeline.config_from_args(_args("--square")).rect is False
    assert (c.imgsz, c.conf, c.tracker, c.filters) == (640, 0.4, "centroid", True)
    assert pipeline.config_from_args(_args()).stride == c.stride  # the pick: see test_bench
    assert (c.proximity_threshold, c.ttc_threshold, c.debounce_frames) == (100.0, 2.0, 30)
    assert c.out == "outputs"


def test_the_spec_preset_gives_the_spec_literal_settings_and_flags_still_win():
    spec = pipeline.config_from_args(_args("--preset", "spec"))
    assert (spec.backend, spec.imgsz, spec.rect, spec.stride, spec.pipelined) == (
        "torch", 640, False, 2, False)
    assert describe(spec) == "PyTorch 640x640, stride 2, sequential, centroid tracker"
    assert pipeline.config_from_args(_args("--preset", "spec", "--stride", "3")).stride == 3
    with pytest.raises(UserError, match="preset must be one of"):
        load_config(None, "fastest")


def test_low_confidence_tracking_starts_ids_at_the_detection_threshold():
    # ``model`` given: no detector is loaded; the centroid tracker's start threshold follows
    # the run's --conf, and the boxes down to its low threshold are passed to it
    _, tracker, _ = pipeline._stages(load_config(conf=0.6), 30.0, model=object())
    assert (tracker.start_confidence, tracker.min_detection_confidence) == (0.6, 0.1)
    config = load_config(conf=0.6, tracker_options={"low_confidence": None})
    _, plain, _ = pipeline._stages(config, 30.0, model=object())
    assert plain.min_detection_confidence is None


def test_toml_then_flags_override(tmp_path):
    cfg = tmp_path / "run.toml"
    cfg.write_text('stride = 3\ntracker = "sort"\nproximity_threshold = 80\nfilters = false\n'
                   "[nearmiss_options]\ndistance_metric = \"edge\"\n")
    c = pipeline.config_from_args(_args("--config", str(cfg), "--stride", "4"))
    assert (c.stride, c.tracker, c.proximity_threshold, c.filters) == (4, "sort", 80.0, False)
    assert c.nearmiss_options == {"distance_metric": "edge"}
    assert pipeline.config_from_args(_args("--no-filters")).filters is False
    assert pipeline.config_from_args(_args()).filters is True


def test_yaml_config(tmp_path):
    cfg = tmp_path / "run.yaml"
    cfg.write_text("max_frames: 50\nevent_active_s: 0.5\n")
    c = load_config(cfg)
    assert (c.max_frames, c.event_active_s, c.stride) == (50, 0.5, PipelineConfig.stride)


@pytest.mark.parametrize(
    ("name", "text", "message"),
    [
        ("a.toml", "strid = 2\n", "unknown setting(s) strid"),
        ("b.toml", 'stride = "two"\n', "'stride' must be int"),
        ("c.toml", "stride = [\n", "invalid TOML"),
        ("d.yaml", "stride: [1,\n", "line"),
        ("e.toml", 'tracker = "kalman"\n', "tracker must be one of"),
        ("f.toml", "stride = 0\n", "stride must be >= 1"),
        ("g.json", "{}", "unknown configuration format"),
    ],
)
def test_bad_config_names_file_and_problem(tmp_path, name, text, message):
    path = tmp_path / name
    path.write_text(text)
    with pytest.raises(UserError) as err:
        load_config(path)
    assert str(path) in str(err.value) and message in str(err.value)


def test_from_tables_without_a_run_is_a_user_error(tmp_path, capsys):
    assert cli_main(["run", "--from-tables", "--out", str(tmp_path)]) == 2
    assert "missing tracks.csv" in capsys.readouterr().err


@pytest.fixture(scope="module")
def slice_run(tmp_path_factory):
    """``python -m near_miss run --max-frames 20`` on the offline crosswalk sample."""
    video = offline_video()
    if not video.is_file():
        pytest.skip(f"offline sample video not found: {video}")
    mp = pytest.MonkeyPatch()
    mp.setenv("TATWEER_SMOKE", "1")  # no download attempts
    out = tmp_path_factory.mktemp("run")
    try:
        code = cli_main(["run", "--video", str(video), "--max-frames", str(SLICE),
                         "--out", str(out)])
    finally:
        mp.undo()
    assert code == 0
    return video, out


@pytest.mark.slow
def test_run_writes_every_artifact(slice_run):
    video, out = slice_run
    for name in ("annotated_video.mp4", "tracks.csv", "events.csv", "run.json", "report.html",
                 "timeline.png", "risk_distribution.png", "heatmap.png", "frequency.png"):
        assert (out / name).stat().st_size > 0, name
    tracks = pd.read_csv(out / "tracks.csv")
    assert list(tracks.columns) == pipeline.TRACK_COLUMNS
    assert len(tracks) > 0 and tracks["frame_index"].max() < SLICE
    assert set(tracks["frame_index"]) <= set(range(0, SLICE, STRIDE))
    assert set(tracks["class"]) <= {"vehicle", "pedestrian"}
    events = pd.read_csv(out / "events.csv")
    assert list(events.columns[: len(SPEC_COLUMNS)]) == list(SPEC_COLUMNS)
    run = json.loads((out / "run.json").read_text())
    assert run["end_frame"] == SLICE
    assert run["detection"]["processed_frames"] == len(range(0, SLICE, STRIDE))
    assert run["tracking"]["observations"] == len(tracks)


@pytest.mark.slow
def test_annotated_video_matches_input(slice_run):
    video, out = slice_run
    meta_in = video_metadata(video)
    reader = imageio_ffmpeg.read_frames(str(out / "annotated_video.mp4"))
    meta = next(reader)
    assert sum(1 for _ in reader) == SLICE
    assert meta["codec"] == "h264" and meta["pix_fmt"].startswith("yuv420p")
    assert tuple(meta["size"]) == (meta_in.width, meta_in.height)
    assert meta["fps"] == pytest.approx(meta_in.fps, abs=0.01)


@pytest.mark.slow
@pytest.mark.skipif(chromium() is None, reason="Chromium not installed (apt-get install chromium)")
def test_report_of_the_run_loads_in_chromium(slice_run):
    _, out = slice_run
    seen = probe_report(out / "report.html")
    assert len(seen["images"]) >= 4
    assert all(img["width"] > 0 for img in seen["images"])
    assert any("Limitations" in s for s in seen["sections"])


@pytest.mark.slow
def test_from_tables_rebuilds_without_detecting(slice_run, monkeypatch, capsys):
    _, out = slice_run

    def no_detector(*args, **kwargs):
        raise AssertionError("--from-tables must not load the detector")

    monkeypatch.setattr("near_miss.detection.load_detector", no_detector)
    (out / "report.html").unlink()
    (out / "annotated_video.mp4").unlink()
    assert cli_main(["run", "--from-tables", "--out", str(out)]) == 0
    assert (out / "report.html").is_file()
    frames, _ = imageio_ffmpeg.count_frames_and_secs(str(out / "annotated_video.mp4"))
    assert frames == SLICE
    assert "rebuilding from the tables" in capsys.readouterr().out
