"""Spoken narration with Debian's ``espeak-ng`` (optional) and the timeline of the sentences.

Each sentence is synthesised on its own so that its caption is shown exactly while it is
spoken. Without ``espeak-ng`` the durations are estimated from the word count (captions
only, no audio track).
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
import wave
from dataclasses import dataclass
from pathlib import Path

import numpy as np

RATE = 22050  # espeak-ng's output sample rate
WORDS_PER_S = 3.0  # reading pace of the silent captions
GAP_S, LEAD_S, TAIL_S = 0.35, 0.4, 0.6


class Voice:
    """``espeak-ng`` at a fixed voice and speed; deterministic output."""

    def __init__(self, exe: str, voice: str = "en-us", wpm: int = 170) -> None:
        self.exe, self.voice, self.wpm = exe, voice, wpm

    @classmethod
    def find(cls) -> Voice | None:
        exe = shutil.which("espeak-ng")
        return cls(exe) if exe else None

    def say(self, text: str) -> np.ndarray:
        """Mono int16 samples at ``RATE``."""
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "line.wav"
            subprocess.run([self.exe, "-v", self.voice, "-s", str(self.wpm), "-w", str(path),
                            text], check=True, capture_output=True)
            return read_wav(path)


def read_wav(path: Path) -> np.ndarray:
    with wave.open(str(path)) as w:
        if (w.getnchannels(), w.getsampwidth(), w.getframerate()) != (1, 2, RATE):
            raise ValueError(f"{path}: expected mono 16-bit {RATE} Hz audio")
        return np.frombuffer(w.readframes(w.getnframes()), dtype=np.int16)


def write_wav(path: Path, samples: np.ndarray) -> Path:
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(RATE)
        w.writeframes(samples.astype(np.int16).tobytes())
    return path


@dataclass(frozen=True)
class Line:
    """One narration sentence: start (s, from the scene's start), duration and audio."""

    text: str
    start: float
    duration: float
    audio: np.ndarray | None


def estimate_seconds(text: str) -> float:
    return max(1.8, len(text.split()) / WORDS_PER_S)


def time_lines(sentences: list[str], voice: Voice | None) -> tuple[list[Line], float]:
    """The scene's lines, one after the other, and the time the last one ends (+ tail)."""
    lines, t = [], LEAD_S
    for text in sentences:
        audio = voice.say(text) if voice else None
        duration = len(audio) / RATE if audio is not None else estimate_seconds(text)
        lines.append(Line(text, t, duration, audio))
        t += duration + GAP_S
    return lines, t - GAP_S + TAIL_S


def caption_at(lines: list[Line], t: float) -> str:
    """The sentence on screen at ``t``: the latest one that has started (else the first)."""
    current = lines[0].text if lines else ""
    for line in lines:
        if line.start <= t:
            current = line.text
    return current


def mix(tracks: list[tuple[float, list[Line]]], total_s: float) -> np.ndarray:
    """One int16 track of ``total_s`` seconds: each scene's lines at (scene start + start)."""
    out = np.zeros(int(round(total_s * RATE)) + 1, dtype=np.int16)
    for offset, lines in tracks:
        for line in lines:
            if line.audio is None:
                continue
            at = int(round((offset + line.start) * RATE))
            piece = line.audio[: max(0, len(out) - at)]
            out[at: at + len(piece)] = piece
    return out
