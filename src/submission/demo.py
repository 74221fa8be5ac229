"""`python -m submission demo`: ``demo_video.mp4`` (at most 3 minutes) from the saved outputs.

Title card, the near-miss system on the annotated video, one technical challenge (TTC vs
closest point of approach) on a real event, the CPU benchmark when measured, the fine-tuning
results (loss curves, results table) and the limitations. Narrated with ``espeak-ng`` when it
is installed (``apt-get install espeak-ng``), otherwise silent with the same captions.
H.264 yuv420p (+ AAC) through the ffmpeg binary bundled by ``imageio-ffmpeg``; offline.
"""

from __future__ import annotations

import argparse
import re
import tempfile
import time
from pathlib import Path

from submission import encode, narration, scenes, storyboard
from submission.slides import Canvas
from tatweer_common.errors import UserError
from tatweer_common.paths import project_root


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--root", type=Path, help="project root holding outputs/ "
                        "(default: this checkout)")
    parser.add_argument("--output", type=Path,
                        help="video file (default: <root>/demo_video.mp4)")
    parser.add_argument("--size", default="1280x720", help="frame size WxH (default 1280x720)")
    parser.add_argument("--fps", type=float, default=15.0, help="frame rate (default 15)")
    parser.add_argument("--no-voice", action="store_true",
                        help="captions only, even when espeak-ng is installed")


def parse_size(text: str) -> Canvas:
    match = re.fullmatch(r"(\d+)x(\d+)", text)
    if not match or int(match.group(1)) < 160 or int(match.group(2)) < 90:
        raise UserError(f"--size must be WIDTHxHEIGHT of at least 160x90, got {text!r}")
    width, height = (int(g) // 2 * 2 for g in match.groups())  # yuv420p needs even sizes
    return Canvas(width, height)


def main(args: argparse.Namespace) -> int:
    if not 1 <= args.fps <= 60:
        raise UserError(f"--fps must be between 1 and 60, got {args.fps}")
    canvas, root = parse_size(args.size), (args.root or project_root()).resolve()
    output = args.output or root / "demo_video.mp4"
    start = time.perf_counter()
    voice = None if args.no_voice else narration.Voice.find()
    if voice is None and not args.no_voice:
        print("espeak-ng not found (apt-get install espeak-ng): silent video with captions")
    info = build_demo(root, output, canvas, args.fps, voice)
    print(f"{output}: {info.duration_s:.1f} s, {info.width}x{info.height}, {info.codec}/"
          f"{info.pix_fmt}, audio {info.audio_codec or 'none'}; "
          f"built in {time.perf_counter() - start:.1f} s")
    return 0


def build_demo(root: Path, output: Path, canvas: Canvas, fps: float,
               voice: narration.Voice | None) -> encode.VideoInfo:
    """Plan the scenes, check the 3-minute limit, encode; return the probed result."""
    plan = storyboard.build(root, canvas)
    for scene in plan:
        scene.time(voice, fps)
    total = sum(s.duration for s in plan)
    if total > encode.MAX_DEMO_S:
        raise UserError(f"the demo would last {total:.0f} s, more than {encode.MAX_DEMO_S:.0f} s")
    for scene in plan:
        print(f"  {scene.name:<12} {scene.duration:5.1f} s")
    with tempfile.TemporaryDirectory() as tmp:
        audio = narration.write_wav(Path(tmp) / "narration.wav", scenes.soundtrack(plan)) \
            if voice else None
        encode.write_video(output, scenes.all_frames(plan, canvas, fps),
                           (canvas.width, canvas.height), fps, audio)
    return encode.probe(output)
