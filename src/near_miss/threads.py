"""Producer-consumer threads (spec Task 1.7, "threading"): ``ThreadedPipeline``.

::

    reader thread --queue(maxsize)--> worker thread(s) --queue(maxsize)--> caller, in order
    (e.g. decode frames)              (e.g. run the detector)              (track + near-miss)

OpenCV releases the GIL while decoding and onnxruntime/torch while inferring, so decoding,
inference and the caller's tracking/near-miss loop overlap on different cores. Both queues
are bounded: at most ``maxsize`` frames wait in each, whatever the video's length.

Shutdown: an exception raised in any thread is re-raised in the caller; leaving the loop or
the ``with`` block early (``break``, an exception, Ctrl-C) sets a stop event, empties the
queues and joins the threads, so no thread is left blocked on a full queue.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

_DONE = object()  # end-of-stream marker
POLL_S = 0.05  # how often blocked threads look at the stop event
JOIN_TIMEOUT_S = 5.0


@dataclass
class _Failure:
    error: BaseException


class ThreadedPipeline:
    """Apply ``work`` to each of ``items`` in ``workers`` threads, fed by a reader thread.

    Iterating yields ``(item, work(item))`` in the order of ``items``. Use it as a context
    manager (or exhaust it) so that its threads are always stopped.
    """

    def __init__(self, items: Iterable[Any], work: Callable[[Any], Any], workers: int = 1,
                 maxsize: int = 8) -> None:
        if workers < 1 or maxsize < 1:
            raise ValueError(f"workers and maxsize must be >= 1, got {workers}, {maxsize}")
        self.items, self.work, self.workers = items, work, workers
        self.inbox: queue.Queue = queue.Queue(maxsize)
        self.outbox: queue.Queue = queue.Queue(maxsize)
        self.stop = threading.Event()
        self.threads = [threading.Thread(target=self._read, name="reader", daemon=True)]
        self.threads += [threading.Thread(target=self._infer, name=f"worker-{i}", daemon=True)
                         for i in range(workers)]
        self._started = False

    def __enter__(self) -> ThreadedPipeline:
        if not self._started:
            self._started = True
            for thread in self.threads:
                thread.start()
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    def _put(self, q: queue.Queue, message: Any) -> bool:
        while not self.stop.is_set():
            try:
                q.put(message, timeout=POLL_S)
                return True
            except queue.Full:
                continue
        return False

    def _get(self, q: queue.Queue) -> Any:
        while not self.stop.is_set():
            try:
                return q.get(timeout=POLL_S)
            except queue.Empty:
                continue
        return _DONE

    def _read(self) -> None:
        try:
            for seq, item in enumerate(self.items):
                if not self._put(self.inbox, (seq, item)):
                    return
        except BaseException as exc:  # handed over to the caller
            self._put(self.outbox, _Failure(exc))
        finally:
            for _ in range(self.workers):
                self._put(self.inbox, _DONE)

    def _infer(self) -> None:
        while (message := self._get(self.inbox)) is not _DONE:
            seq, item = message
            try:
                result = self.work(item)
            except BaseException as exc:  # handed over to the caller
                self._put(self.outbox, _Failure(exc))
                return
            if not self._put(self.outbox, (seq, item, result)):
                return
        self._put(self.outbox, _DONE)

    def __iter__(self) -> Iterator[tuple[Any, Any]]:
        self.__enter__()
        pending: dict[int, tuple[Any, Any]] = {}
        next_seq, finished = 0, 0
        try:
            while finished < self.workers:
                message = self._get(self.outbox)
                if message is _DONE:
                    finished += 1
                    continue
                if isinstance(message, _Failure):
                    raise message.error
                seq, item, result = message
                pending[seq] = (item, result)
                while next_seq in pending:  # several workers may finish out of order
                    yield pending.pop(next_seq)
                    next_seq += 1
        finally:
            self.close()

    def close(self) -> None:
        """Stop and join every thread (idempotent)."""
        self.stop.set()
        for q in (self.inbox, self.outbox):
            while True:
                try:
                    q.get_nowait()
                except queue.Empty:
                    break
        for thread in self.threads:
            if thread.is_alive() and thread is not threading.current_thread():
                thread.join(JOIN_TIMEOUT_S)
