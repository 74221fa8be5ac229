"""Slides and frames drawn with Pillow: text, image and table slides, and the caption band.

A frame is ``height x width x 3`` RGB ``uint8``: the content area on top, then a band with the
current narration sentence (the captions, also the whole story when there is no voice).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont

BACKGROUND, BAND = (16, 28, 46), (5, 10, 18)
TEXT, ACCENT, MUTED = (240, 240, 240), (245, 166, 35), (160, 170, 185)


@dataclass(frozen=True)
class Canvas:
    """Frame geometry; every size scales with the height."""

    width: int = 1280
    height: int = 720

    @property
    def band(self) -> int:
        return round(self.height * 0.14) // 2 * 2

    @property
    def content(self) -> tuple[int, int]:
        return self.width, self.height - self.band

    def px(self, fraction: float) -> int:
        return max(6, round(self.height * fraction))


@functools.lru_cache(maxsize=32)
def font(size: int, bold: bool = False) -> ImageFont.FreeTypeFont:
    """DejaVu Sans (shipped with matplotlib, so available everywhere)."""
    from matplotlib import font_manager

    props = font_manager.FontProperties(family="DejaVu Sans", weight="bold" if bold else "normal")
    return ImageFont.truetype(font_manager.findfont(props), size)


def wrap(text: str, face: ImageFont.FreeTypeFont, width: int) -> list[str]:
    """Greedy word wrap to ``width`` pixels."""
    lines: list[str] = []
    for word in text.split():
        if lines and face.getlength(f"{lines[-1]} {word}") <= width:
            lines[-1] = f"{lines[-1]} {word}"
        else:
            lines.append(word)
    return lines


def _blank(size: tuple[int, int]) -> tuple[Image.Image, ImageDraw.ImageDraw]:
    image = Image.new("RGB", size, BACKGROUND)
    return image, ImageDraw.Draw(image)


def _title(draw: ImageDraw.ImageDraw, canvas: Canvas, title: str) -> int:
    """Draw the slide title; return the y where the body starts."""
    margin, face = canvas.px(0.05), font(canvas.px(0.055), bold=True)
    draw.text((margin, margin), title, fill=ACCENT, font=face)
    return margin + canvas.px(0.055) + canvas.px(0.04)


def _bullets(draw, canvas: Canvas, bullets: list[str], box: tuple[int, int, int], scale=0.036):
    """Bullets wrapped inside ``box = (x, y, width)``."""
    x, y, width = box
    face, step = font(canvas.px(scale)), round(canvas.px(scale) * 1.3)
    for bullet in bullets:
        for i, line in enumerate(wrap(bullet, face, width - canvas.px(0.04))):
            draw.text((x, y), "•" if i == 0 else " ", fill=ACCENT, font=face)
            draw.text((x + canvas.px(0.035), y), line, fill=TEXT, font=face)
            y += step
        y += step // 3


def title_slide(canvas: Canvas, title: str, lines: list[str], footer: str = "") -> np.ndarray:
    image, draw = _blank(canvas.content)
    w, h = canvas.content
    big, mid = font(canvas.px(0.07), bold=True), font(canvas.px(0.04))
    y = h // 4
    for line in wrap(title, big, w - 2 * canvas.px(0.06)):
        draw.text((w // 2, y), line, fill=ACCENT, font=big, anchor="mt")
        y += round(canvas.px(0.07) * 1.3)
    y += canvas.px(0.04)
    for line in lines:
        draw.text((w // 2, y), line, fill=TEXT, font=mid, anchor="mt")
        y += round(canvas.px(0.04) * 1.6)
    if footer:
        draw.text((w // 2, h - canvas.px(0.06)), footer, fill=MUTED,
                  font=font(canvas.px(0.03)), anchor="mb")
    return np.asarray(image)


def text_slide(canvas: Canvas, title: str, bullets: list[str]) -> np.ndarray:
    image, draw = _blank(canvas.content)
    y = _title(draw, canvas, title)
    margin = canvas.px(0.05)
    _bullets(draw, canvas, bullets, (margin, y, canvas.width - 2 * margin), scale=0.042)
    return np.asarray(image)


def fit(picture: Image.Image, box: tuple[int, int]) -> Image.Image:
    """``picture`` scaled to fit inside ``box`` (aspect ratio kept)."""
    scale = min(box[0] / picture.width, box[1] / picture.height)
    size = (max(1, round(picture.width * scale)), max(1, round(picture.height * scale)))
    return picture.resize(size, Image.Resampling.LANCZOS)


def image_slide(canvas: Canvas, title: str, picture: Path | np.ndarray,
                bullets: list[str]) -> np.ndarray:
    """Title, the picture on the left (60 % of the width) and bullets on the right."""
    image, draw = _blank(canvas.content)
    y = _title(draw, canvas, title)
    margin = canvas.px(0.05)
    pic = Image.open(picture).convert("RGB") if isinstance(picture, Path) else \
        Image.fromarray(picture)
    left = round(canvas.width * 0.6)
    pic = fit(pic, (left - 2 * margin, canvas.content[1] - y - margin))
    image.paste(pic, (margin, y))
    _bullets(draw, canvas, bullets, (left, y, canvas.width - left - margin), scale=0.032)
    return np.asarray(image)


def table_slide(canvas: Canvas, title: str, header: list[str], rows: list[list[str]],
                footnote: str = "", scale: float = 0.034) -> np.ndarray:
    """A table: first column left-aligned, the others right-aligned; ``scale``: text height
    as a share of the frame height."""
    image, draw = _blank(canvas.content)
    y = _title(draw, canvas, title)
    margin, size = canvas.px(0.05), canvas.px(scale)
    face, bold = font(size), font(size, bold=True)
    first = round((canvas.width - 2 * margin) * 0.36)
    col = (canvas.width - 2 * margin - first) // max(1, len(header) - 1)
    step = round(size * 1.55)
    for r, cells in enumerate([header, *rows]):
        if r % 2 == 1:
            draw.rectangle([margin, y - 4, canvas.width - margin, y + step - 6], fill=(26, 42, 66))
        for c, cell in enumerate(cells):
            x = margin if c == 0 else margin + first + col * c
            draw.text((x, y), cell, fill=ACCENT if r == 0 else TEXT, font=bold if r == 0 else face,
                      anchor="la" if c == 0 else "ra")
        y += step
    if footnote:
        small = font(canvas.px(0.026))
        for line in wrap(footnote, small, canvas.width - 2 * margin):
            y += round(canvas.px(0.026) * 1.4)
            draw.text((margin, y), line, fill=MUTED, font=small)
    return np.asarray(image)


def letterbox(frame: np.ndarray, canvas: Canvas) -> np.ndarray:
    """A video frame fitted into the content area on the slide background."""
    image, _ = _blank(canvas.content)
    pic = fit(Image.fromarray(frame), canvas.content)
    image.paste(pic, ((canvas.width - pic.width) // 2, (canvas.content[1] - pic.height) // 2))
    return np.asarray(image)


def with_caption(content: np.ndarray, canvas: Canvas, caption: str) -> np.ndarray:
    """The full frame: ``content`` above a band showing ``caption`` (at most 2 lines)."""
    band = Image.new("RGB", (canvas.width, canvas.band), BAND)
    draw = ImageDraw.Draw(band)
    size = canvas.px(0.03)
    face = font(size)
    lines = wrap(caption, face, canvas.width - 2 * canvas.px(0.04))
    if len(lines) > 2:
        size = canvas.px(0.024)
        face = font(size)
        lines = wrap(caption, face, canvas.width - 2 * canvas.px(0.04))[:3]
    top = (canvas.band - len(lines) * round(size * 1.3)) // 2
    for i, line in enumerate(lines):
        draw.text((canvas.width // 2, top + i * round(size * 1.3)), line, fill=TEXT, font=face,
                  anchor="mt")
    return np.vstack([content, np.asarray(band)])
