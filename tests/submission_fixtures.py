"""A tiny complete submission tree (every artifact, a few bytes or frames each) for the tests."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
from PIL import Image

from submission import artifacts, results

VIDEO_FPS, VIDEO_FRAMES = 6.0, 12

RUN = {
    "video": {"path": "data/crosswalk_intersection.mp4", "origin": "offline", "frames": 12,
              "fps": VIDEO_FPS, "width": 64, "height": 48, "duration_s": 2.0,
              "note": "offline stand-in"},
    "detection": {"model": "yolov8n-openvino-bf16 (AGPL-3.0)",
                  "processed_frames": 6, "avg_ms_per_frame": 12.5,
                  "per_class": {"pedestrian": 7, "vehicle": 5}},
    "tracking": {"tracker": "centroid", "observations": 12, "unique_ids": 3,
                 "avg_track_length": 4.0, "avg_track_span": 5.0, "peak_active": 2,
                 "peak_frame": 4},
    "config": {"stride": 2, "proximity_threshold": 100.0, "ttc_threshold": 2.0, "filters": True},
    "run_time_s": 3.25,
}
EVENT_COLUMNS = ("frame_index,timestamp_sec,object_id_1,object_id_2,class_1,class_2,distance_px,"
                 "ttc_sec,risk_score,risk_level,units,speed_1,speed_2,heading_1,heading_2,"
                 "cpa_time_sec,cpa_distance")
EVENTS = [
    "4,0.667,0,1,pedestrian,vehicle,40.0,0.8,0.71,High,px,10.0,30.0,0.0,180.0,0.7,12.0",
    "8,1.333,0,2,pedestrian,pedestrian,60.0,1.5,0.33,Low,px,10.0,5.0,90.0,-90.0,1.2,25.0",
]
INCIDENTS = """clip,duration_s,events,false_alarms,label,start_s,end_s,found,level,detected_kind
a.mp4,10.0,1,0,collision,2.0,2.5,True,High,collision
b.mp4,8.0,0,0,near_miss,3.0,4.0,False,,
n.mp4,60.0,3,3,none,,,,,
crosswalk_intersection.mp4,2.0,1,0,near_miss,0.5,1.0,False,,
"""
ASK = {"command": "python -m slm_finetune ask --base --test-questions 2",
       "examples": [{"index": i, "question": f"Question {i}?", "input": "",
                     "base": "A base answer.", "finetuned": "A fine-tuned answer.\n1. Step."}
                    for i in range(2)]}
TRAIN = {
    "model_source": "SmolLM2-135M-Instruct de-quantized from Q4_1 GGUF",
    "model_source_kind": "gguf", "trainable_params": 4884480, "trainable_percent": 3.5039,
    "global_step": 40, "epochs_completed": 2.0, "early_stopping_fired": True,
    "train_wall_time_s": 600.0, "torch_threads": 2, "base_val_loss": 2.5, "best_val_loss": 1.25,
    "precision": "bf16",
    "best_step": 30, "config": {"lora_r": 16},
}
TABLE = [
    ("Perplexity (response tokens)", 12.0, 6.0, 50.0, False),
    ("ROUGE-L", 0.2, 0.3, 50.0, True),
    ("BLEU", 0.05, 0.1, 100.0, True),
    ("Key-fact accuracy", 0.1, None, None, True),
]
EVALUATION = {
    "n_examples": 3, "rougeL_ci95": {"difference": [0.01, 0.2]},
    "table": [{"metric": m, "base": b, "finetuned": f, "improvement_pct": i,
               "higher_is_better": h} for m, b, f, i, h in TABLE],
}
README = f"""# Demo project: Challenge 1 and Challenge 2

## Setup Instructions
make run

## How to Run
notebooks

## Results Summary
{results.START}
{results.END}

## Bonus Tasks Completed
none

## Known Issues & Limitations
none

## Time Spent
1 h
"""
BENCHMARK = """optimization,backend,imgsz,rect,stride,pipelined,tracker,fps,\
detection_agreement_%,found,false_alarms_per_min,missed_events_%
"PyTorch 640x640, stride 2, sequential",torch,640,False,2,False,centroid,9.5,100.0,a@1,2.0,50.0
"ONNX Runtime 640x640, stride 2, pipelined",onnx,640,False,2,True,centroid,24.0,100.0,a@1,2.0,50.0
"ONNX Runtime 320 rect, stride 2, pipelined",onnx,320,True,2,True,centroid,42.0,40.0,,3.0,100.0
"""
EXAMPLE = {"instruction": "q", "input": "", "output": "a"}
NOTEBOOK = {"cells": [{"cell_type": "code", "source": ["import os\n", "print(1)"],
                       "outputs": [], "execution_count": None, "metadata": {}}],
            "metadata": {}, "nbformat": 4, "nbformat_minor": 5}


def write_video(path: Path, frames: int = VIDEO_FRAMES, size=(64, 48)) -> Path:
    import imageio_ffmpeg

    path.parent.mkdir(parents=True, exist_ok=True)
    writer = imageio_ffmpeg.write_frames(str(path), size, fps=VIDEO_FPS, macro_block_size=16,
                                         ffmpeg_log_level="error")
    writer.send(None)
    for i in range(frames):
        writer.send(np.full((size[1], size[0], 3), i * 20, dtype=np.uint8))
    writer.close()
    return path


def _write(root: Path, rel: str, content: str | dict) -> None:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(content if isinstance(content, str) else json.dumps(content))


FORGETTING = {"table": [
    {"Test Category": "All 15 prompts", "Base Model Score": 0.4, "Fine-Tuned Score": 0.6},
    {"Test Category": "Language Fluency (WikiText perplexity)", "Base Model Score": 70.0,
     "Fine-Tuned Score": 77.0},
]}


def tracks_csv() -> str:
    rows = ["frame_index,object_id,class,cx,cy"]
    for f in range(0, VIDEO_FRAMES, 2):
        rows += [f"{f},0,pedestrian,{10 + f},20", f"{f},1,vehicle,{50 - f},22",
                 f"{f},2,pedestrian,{12 + f},40"]
    return "\n".join(rows) + "\n"


def make_tree(root: Path, requirements: str = "numpy==1.0\n") -> Path:
    """Every file of ``artifacts.SOURCE_FILES + artifacts.OUTPUTS`` except demo_video.mp4."""
    for rel in artifacts.NOTEBOOKS:
        _write(root, rel, NOTEBOOK)
    _write(root, "README.md", README)
    _write(root, "requirements.txt", requirements)
    for split, n in (("train", 4), ("val", 2), ("test", 3)):
        _write(root, f"data/{split}.jsonl", (json.dumps(EXAMPLE) + "\n") * n)
    _write(root, "outputs/run.json", RUN)
    _write(root, "outputs/events.csv", "\n".join([EVENT_COLUMNS, *EVENTS]) + "\n")
    _write(root, "outputs/tracks.csv", tracks_csv())
    _write(root, "outputs/train_summary.json", TRAIN)
    _write(root, "outputs/evaluation_summary.json", EVALUATION)
    _write(root, "outputs/benchmark.csv", BENCHMARK)
    _write(root, "outputs/incident_eval.csv", INCIDENTS)
    _write(root, "outputs/ask_examples.json", ASK)
    _write(root, "outputs/baseline_results.csv", "approach,label,rougeL,bleu\n"
           "zero_shot,Zero-shot (base),0.15,0.02\nfine_tuned,Fine-tuned (LoRA),0.3,0.1\n")
    _write(root, "outputs/forgetting_results.json", FORGETTING)
    for artifact in artifacts.OUTPUTS:
        path = root / artifact.path
        if artifact.is_dir:
            _write(root, artifact.path + "adapter_config.json", "{}")
        elif path.suffix == ".png":
            path.parent.mkdir(parents=True, exist_ok=True)
            Image.new("RGB", (40, 30), (200, 50, 50)).save(path)
        elif path.suffix == ".mp4" and path.name != "demo_video.mp4":
            write_video(path)
        elif not path.exists() and path.name != "demo_video.mp4":
            _write(root, artifact.path, "x\n")
    return root
