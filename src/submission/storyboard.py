"""The demo's scenes, built from the saved outputs (every number is read, none is typed).

Title -> Challenge 1 pipeline -> annotated video -> the highest-risk event slowed down ->
technical challenge (TTC vs closest point of approach) -> CPU benchmark (when measured) ->
Challenge 2 training -> results table -> limitations -> end card.
"""

from __future__ import annotations

from pathlib import Path

from submission import artifacts, diagram, slides
from submission.facts import (
    BenchFacts,
    FineTuneFacts,
    NearMissFacts,
    finetune_facts,
    near_miss_facts,
)
from submission.scenes import Clip, Scene
from submission.slides import Canvas

REQUIRED = ("outputs/annotated_video.mp4", "outputs/run.json", "outputs/events.csv",
            "outputs/tracks.csv", "outputs/loss_curves.png", "outputs/train_summary.json",
            "outputs/evaluation_summary.json")
TITLE = "Tatweer AI/ML take-home"


def build(root: Path, canvas: Canvas) -> list[Scene]:
    """Every scene, or a UserError naming the first missing input and its command."""
    for path in REQUIRED:
        artifacts.require(root, path)
    nm, ft = near_miss_facts(root), finetune_facts(root)
    scenes = [title(canvas, nm, ft), pipeline(canvas, nm),
              *footage(root, nm), technical(root, canvas, nm)]
    if nm.bench:
        scenes.append(benchmark(canvas, nm.bench))
    scenes += [training(root, canvas, ft), results(canvas, ft), limitations(canvas, nm, ft),
               Scene("end", ["Thank you for watching."], still=slides.title_slide(
                   canvas, "Thank you", ["Code, notebooks, report and model card:",
                                         "see README.md in the repository"]), min_s=2.5)]
    return scenes


def _video_words(nm: NearMissFacts) -> str:
    name = Path(nm.video["path"]).stem.replace("_", " ")
    return f"the offline {name} clip, standing in for the spec's video" \
        if nm.offline_video else f"the {name} video"


def _detector_words(nm: NearMissFacts) -> str:
    name = nm.detector.split(" (")[0].replace("yolo", "YOLO")
    return f"{name}, standing in for YOLOv8n" if nm.offline_detector else name


def title(canvas: Canvas, nm: NearMissFacts, ft: FineTuneFacts) -> Scene:
    offline = nm.offline_video or nm.offline_detector or ft.offline_model
    footer = "CPU only; offline stand-ins for the internet sources" if offline else "CPU only"
    still = slides.title_slide(canvas, TITLE, [
        "Challenge 1: near-miss detection in traffic video",
        "Challenge 2: LoRA fine-tuning of SmolLM2-135M for IT support"], footer)
    return Scene("title", [
        "This demo walks through both challenges of the Tatweer take-home.",
        "Everything runs on a CPU" + (", with local stand-ins where the internet sources "
                                      "were unreachable." if offline else "."),
    ], still=still, min_s=4.0)


def pipeline(canvas: Canvas, nm: NearMissFacts) -> Scene:
    v, d, t, cfg = nm.video, nm.run["detection"], nm.run["tracking"], nm.run["config"]
    still = slides.text_slide(canvas, "Challenge 1: near-miss detection", [
        f"Input: {Path(v['path']).name} ({v['origin']}), {v['frames']} frames, "
        f"{v['fps']:.1f} fps, {v['width']}x{v['height']}",
        f"Detector: {nm.detector}, every {cfg['stride']} frames, "
        f"{d['avg_ms_per_frame']:.0f} ms per processed frame",
        f"Tracker: {t['tracker']}, {t['unique_ids']} IDs, up to {t['peak_active']} at once",
        f"Near miss: distance < {cfg['proximity_threshold']:.0f} px and TTC < "
        f"{cfg['ttc_threshold']:.1f} s, false-positive filters {'on' if cfg['filters'] else 'off'}"
        f": {len(nm.events)} events",
    ])
    return Scene("pipeline", [
        "Challenge one detects vehicles and pedestrians, tracks them, and flags pairs that "
        "are close and closing in.",
        f"Here it ran on {_video_words(nm)}, with {_detector_words(nm)}, at "
        f"{d['avg_ms_per_frame']:.0f} milliseconds a frame.",
    ], still=still)


def footage(root: Path, nm: NearMissFacts) -> list[Scene]:
    """The whole annotated video (at most 25 s), then the highest-risk event at half speed."""
    video = root / "outputs/annotated_video.mp4"
    levels = ", ".join(f"{n} {k}" for k, n in nm.level_counts.items() if n)
    scenes = [Scene("footage", [
        "The annotated output: vehicles in blue, pedestrians in green.",
        "When a near miss fires, both turn red and the risk level shows on top.",
        f"{len(nm.events)} events were logged" + (f": {levels}." if levels else "."),
    ], clip=Clip(video, 0.0, min(nm.video["duration_s"], 25.0)))]
    top = nm.top_event()
    if top:
        start = max(0.0, top["timestamp_sec"] - 1.5)
        end = min(nm.video["duration_s"], top["timestamp_sec"] + 2.0)
        scenes.append(Scene("replay", [
            f"Slowed down, the highest-risk event: a {top['class_1']} and a {top['class_2']} "
            f"at {top['timestamp_sec']:.1f} seconds, {top['distance_px']:.0f} pixels apart.",
            f"The time to collision is {top['ttc_sec']:.2f} seconds, risk score "
            f"{top['risk_score']:.2f}, level {top['risk_level']}.",
        ], clip=Clip(video, start, end, speed=0.5)))
    return scenes


def technical(root: Path, canvas: Canvas, nm: NearMissFacts) -> Scene:
    """TTC along the line of centres vs the closest point of approach, on a real event."""
    sentences = [
        "One technical challenge: the time to collision.",
        "The spec divides distance by closing speed along the line of centres, as if both "
        "headed straight at each other.",
        "Road users crossing at an angle can close fast yet pass apart, so each event also "
        "records the closest point of approach.",
    ]
    event = diagram.pick_event(nm.events) if len(nm.events) else None
    geo = diagram.event_geometry(event, artifacts.load_csv(root, "outputs/tracks.csv")) \
        if event else None
    bullets = ["TTC = distance / closing speed (line of centres)",
               "CPA: when and how close, at constant velocity",
               "Both are saved per event in events.csv",
               "Circles: positions now; squares: at the closest approach"]
    if event is None or geo is None:
        return Scene("technical", sentences, still=slides.text_slide(
            canvas, "Technical challenge: TTC vs closest approach", bullets))
    sentences.append(
        f"Here TTC says {event['ttc_sec']:.2f} seconds, but the closest approach is "
        f"{event['cpa_distance']:.0f} pixels, at {event['cpa_time_sec']:.2f} seconds.")
    figure = diagram.ttc_cpa_figure(event, geo, (round(canvas.width * 0.55),
                                                 round(canvas.content[1] * 0.75)))
    return Scene("technical", sentences, still=slides.image_slide(
        canvas, "Technical challenge: TTC vs closest approach", figure, bullets))


def benchmark(canvas: Canvas, b: BenchFacts) -> Scene:
    bullets = [f"Default: {b.recommended}", f"{b.fps:.1f} fps with the annotated video",
               f"{b.missed_pct:.0f}% of labelled incidents missed, {b.recall_pct:.1f}% "
               "detection agreement", f"Rule: {b.why}"]
    if b.default_fps is not None:
        bullets.insert(1, f"Spec default (PyTorch 640, stride 2): {b.default_fps:.1f} fps")
    return Scene("benchmark", [
        f"On this CPU, the benchmark picks {b.recommended}: {b.fps:.1f} frames per "
        f"second with the annotated video, missing {b.missed_pct:.0f} percent of the "
        "labelled incidents, as the spec's configuration does.",
    ], still=slides.text_slide(canvas, "Real time on a CPU", bullets))


def training(root: Path, canvas: Canvas, ft: FineTuneFacts) -> Scene:
    t, n = ft.train, ft.split_sizes
    source = "offline Q4_1 GGUF, de-quantised" if ft.offline_model else t["model_source"]
    still = slides.image_slide(canvas, "Challenge 2: LoRA fine-tuning", root /
                               "outputs/loss_curves.png", [
        f"Data: {n['train']} / {n['val']} / {n['test']} train / val / test examples",
        f"Base: SmolLM2-135M-Instruct ({source})",
        f"LoRA r={t['config']['lora_r']}: {t['trainable_percent']:.2f}% of the weights trained",
        f"{t['global_step']} steps, {t['train_wall_time_s'] / 60:.0f} min on "
        f"{t['torch_threads']} CPU threads",
        f"Val loss {t['base_val_loss']:.3f} (base) -> {t['best_val_loss']:.3f}",
    ])
    sentences = [
        f"Challenge two fine-tunes SmolLM2, 135 million parameters, with LoRA on "
        f"{n['train']} IT-support examples, training {t['trainable_percent']:.1f} percent of "
        "its weights.",
        f"The validation loss fell from {t['base_val_loss']:.2f} to {t['best_val_loss']:.2f}.",
    ]
    if ft.offline_model:
        sentences.insert(1, "Offline, the base model is a de-quantised four-bit copy.")
    return Scene("training", sentences, still=still)


def _fmt(value: float | None, digits: int) -> str:
    return "n/a" if value is None else f"{value:.{digits}f}"


def results(canvas: Canvas, ft: FineTuneFacts) -> Scene:
    e = ft.evaluation
    rows = [[r["metric"], _fmt(r["base"], 3), _fmt(r["finetuned"], 3),
             "n/a" if r["improvement_pct"] is None else f"{r['improvement_pct']:+.1f}%"]
            for r in e["table"]]
    still = slides.table_slide(
        canvas, f"Results on {e['n_examples']} test examples",
        ["Metric", "Base Model", "Fine-Tuned Model", "Improvement"], rows,
        footnote="Greedy decoding; perplexity: lower is better; improvement = relative change "
                 "in the better direction. Source: outputs/evaluation_summary.json")
    rouge, ppl = ft.row("ROUGE-L"), ft.row("Perplexity (response")
    sentences = [f"On {e['n_examples']} held-out test questions, ROUGE-L went from "
                 f"{_fmt(rouge and rouge['base'], 3)} to {_fmt(rouge and rouge['finetuned'], 3)}."]
    if ppl:
        sentences.append(f"The perplexity of the answers went from {_fmt(ppl['base'], 1)} to "
                         f"{_fmt(ppl['finetuned'], 1)}.")
    return Scene("results", sentences, still=still)


def limitations(canvas: Canvas, nm: NearMissFacts, ft: FineTuneFacts) -> Scene:
    stand_ins = [text for used, text in (
        (nm.offline_video, "the crosswalk clip for the YouTube video"),
        (nm.offline_detector, "YOLOv5n for YOLOv8n"),
        (ft.offline_model, "a de-quantised 4-bit copy of SmolLM2")) if used]
    units = str(nm.events["units"].iloc[0]) if len(nm.events) else "px"
    bullets = [f"Offline stand-ins: {'; '.join(stand_ins)}" if stand_ins else
               "All real sources were used",
               f"Distances in {'pixels: no ground-plane calibration' if units == 'px' else units}",
               f"One {nm.video['duration_s']:.0f} s clip: event counts are anecdotal",
               "A 135M model still makes factual errors: read MODEL_CARD.md"]
    sentences = ["Limitations."]
    if stand_ins:
        sentences.append(f"These numbers come from offline stand-ins: {', '.join(stand_ins)}.")
    if units == "px":
        sentences.append("Distances are in pixels, so thresholds depend on the camera.")
    sentences += [f"One {nm.video['duration_s']:.0f} second clip makes event counts anecdotal.",
                  "And a model this small still makes factual errors."]
    return Scene("limitations", sentences, still=slides.text_slide(canvas, "Limitations", bullets))
