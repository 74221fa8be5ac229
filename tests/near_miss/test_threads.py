"""Producer-consumer threads (order, bounded memory, errors, early shutdown) and the
pipelined run against the sequential one."""

from __future__ import annotations

import itertools
import threading
import time

import pandas as pd
import pytest

from near_miss.config import PipelineConfig
from near_miss.detection import CHECKPOINTS
from near_miss.ingest import offline_video, read_frame, video_metadata
from near_miss.pipeline import run_pipeline
from near_miss.threads import ThreadedPipeline


def _slow_square(x: int) -> int:
    time.sleep(0.001 * ((x * 7) % 5))  # uneven work: workers finish out of order
    return x * x


@pytest.mark.parametrize("workers", [1, 3])
def test_results_come_back_in_input_order(workers):
    with ThreadedPipeline(range(40), _slow_square, workers=workers, maxsize=4) as stream:
        got = list(stream)
    assert got == [(x, x * x) for x in range(40)]
    assert not any(t.is_alive() for t in stream.threads)


def test_worker_error_reaches_the_caller_and_stops_the_threads():
    def work(x):
        if x == 5:
            raise ValueError("bad frame 5")
        return x

    stream = ThreadedPipeline(range(100), work, workers=2)
    with pytest.raises(ValueError, match="bad frame 5"), stream:
        for _ in stream:
            pass
    assert not any(t.is_alive() for t in stream.threads)


def test_reader_error_reaches_the_caller():
    def frames():
        yield 1
        raise OSError("video truncated")

    with pytest.raises(OSError, match="video truncated"), ThreadedPipeline(frames(), str) as s:
        list(s)


def test_interrupt_in_the_consumer_shuts_down_with_bounded_reading():
    read = itertools.count()
    items = (next(read) for _ in itertools.count())  # an endless video
    stream = ThreadedPipeline(items, lambda x: x, maxsize=3)
    with pytest.raises(KeyboardInterrupt), stream:
        for i, _ in enumerate(stream):
            if i == 10:
                time.sleep(0.2)  # let the reader fill the queues
                raise KeyboardInterrupt
    assert not any(t.is_alive() for t in stream.threads)
    assert next(read) <= 11 + 3 + 3 + 3  # consumed + both queues + one in each thread
    assert threading.active_count() < 10


def test_bad_sizes_are_rejected():
    with pytest.raises(ValueError):
        ThreadedPipeline([], str, maxsize=0)


@pytest.mark.slow
def test_pipelined_and_sequential_runs_give_the_same_tables_and_video(tmp_path, monkeypatch):
    if not (offline_video().is_file() and CHECKPOINTS["yolov8n"].asset.is_file()):
        pytest.skip("offline assets absent")
    monkeypatch.setenv("TATWEER_CACHE", str(tmp_path / "cache"))
    runs = []
    for pipelined in (False, True):
        config = PipelineConfig(video=str(offline_video()), out=str(tmp_path / str(pipelined)),
                                backend="onnx", imgsz=320, rect=True, max_frames=24,
                                pipelined=pipelined)
        runs.append(run_pipeline(config, progress=False))
    sequential, pipelined = runs
    pd.testing.assert_frame_equal(sequential.tracks, pipelined.tracks)
    pd.testing.assert_frame_equal(sequential.events, pipelined.events)
    videos = [run.paths["annotated video"] for run in runs]
    assert [video_metadata(v).frames for v in videos] == [24, 24]
    for index in (0, 13, 23):
        a, b = (read_frame(v, index).astype(int) for v in videos)
        assert abs(a - b).mean() < 1.0, index  # the same drawing, encoded twice
    assert "detect+track+render" in pipelined.summary.stage_times
