"""A terminal-style side-by-side of two models answering one question, typed out over time.

The demo's Challenge 2 footage: the command, the question, then the base model's answer (left)
and the fine-tuned model's (right) appearing at the same pace, as ``python -m slm_finetune ask
--base`` printed them (read from ``outputs/ask_examples.json``, never typed by hand).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageDraw

from submission.slides import ACCENT, MUTED, TEXT, Canvas, font, wrap

SCREEN = (12, 14, 18)
TYPE_S = 14.0  # both answers are fully shown after this long
HOLD_S = 3.0  # then stay on screen


@dataclass(frozen=True)
class Typing:
    """``command`` and ``question`` on top; ``answers`` (title, text) typed side by side."""

    command: str
    question: str
    answers: tuple[tuple[str, str], ...]

    @property
    def length_s(self) -> float:
        return TYPE_S + HOLD_S

    def contents(self, times: list[float], canvas: Canvas) -> Iterator[np.ndarray]:
        shown: dict[int, np.ndarray] = {}
        for t in times:
            share = min(1.0, t / TYPE_S)
            key = round(share * 200)  # at most 200 distinct frames
            if key not in shown:
                shown[key] = self.frame(canvas, key / 200)
            yield shown[key]

    def frame(self, canvas: Canvas, share: float) -> np.ndarray:
        """The screen with ``share`` (0-1) of every answer's characters shown."""
        image = Image.new("RGB", canvas.content, SCREEN)
        draw = ImageDraw.Draw(image)
        margin, size = canvas.px(0.03), canvas.px(0.022)
        mono, bold = font(size), font(size, bold=True)
        step = round(size * 1.35)
        y = margin
        for line in wrap(f"$ {self.command}", mono, canvas.width - 2 * margin):
            draw.text((margin, y), line, fill=MUTED, font=mono)
            y += step
        for line in wrap(f"Q: {self.question}", bold, canvas.width - 2 * margin):
            draw.text((margin, y), line, fill=TEXT, font=bold)
            y += step
        y += step // 2
        width = (canvas.width - 3 * margin) // max(1, len(self.answers))
        for k, (title, text) in enumerate(self.answers):
            x = margin + k * (width + margin)
            draw.text((x, y), title, fill=ACCENT, font=bold)
            visible = text[: round(len(text) * share)]
            rows = [row for para in visible.split("\n") for row in wrap(para, mono, width) or [""]]
            room = (canvas.content[1] - y - step - margin) // step
            for r, line in enumerate(rows[:room]):
                draw.text((x, y + step * (r + 1)), line, fill=TEXT, font=mono)
        return np.asarray(image)
