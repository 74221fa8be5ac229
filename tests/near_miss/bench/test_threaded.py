"""Producer-consumer pipeline: order, bounded memory, errors and early shutdown."""

from __future__ import annotations

import itertools
import threading
import time

import pandas as pd
import pytest

from near_miss.bench.threaded import analyse_video
from near_miss.detection import load_detector, yolov5_weights
from near_miss.ingest import offline_video
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
def test_threaded_and_sequential_runs_agree(tmp_path, monkeypatch):
    if not (offline_video().is_file() and yolov5_weights().is_file()):
        pytest.skip("offline assets absent")
    monkeypatch.setenv("TATWEER_CACHE", str(tmp_path))
    detector = load_detector("yolov5n", imgsz=320, rect=True, backend="onnx")
    runs = [analyse_video(offline_video(), detector, stride=2, max_frames=16, threaded=t)
            for t in (False, True)]
    for run in runs:
        assert (run.frames, run.processed) == (16, 8)
        assert run.fps > 0 and run.detect_ms > 0
        assert run.tracks["frame_index"].is_monotonic_increasing
        assert set(run.tracks["frame_index"]) <= set(range(0, 16, 2))
    pd.testing.assert_frame_equal(runs[0].tracks, runs[1].tracks)
    pd.testing.assert_frame_equal(runs[0].detections, runs[1].detections)
    assert len(runs[0].detections) > 0
