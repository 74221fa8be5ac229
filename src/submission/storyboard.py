"""The demo's scenes, built from the saved outputs (every number is read, none is typed).

Title -> Challenge 1 pipeline -> annotated video -> the highest-risk event slowed down ->
technical challenge (collision course and episodes) -> labelled evaluation (when measured) ->
CPU benchmark (when measured) -> Challenge 2 training -> results table -> limitations -> end
card. Only outputs made from the spec's video are shown as footage: the labelled incident clips
are third-party and enter the demo as their evaluation figures only.
"""

from __future__ import annotations

import inspect
from pathlib import Path

from submission import artifacts, diagram, slides
from submission.facts import (
    BenchFacts,
    FineTuneFacts,
    NearMissFacts,
    finetune_facts,
    gap_text,
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
    if nm.incidents:
        scenes.append(evaluation(canvas, nm.incidents))
    if nm.bench:
        scenes.append(benchmark(canvas, nm.bench))
    scenes += [training(root, canvas, ft), results(canvas, ft), limitations(canvas, nm, ft),
               Scene("end", ["Thank you for watching."], still=slides.title_slide(
                   canvas, "Thank you", ["Code, notebooks, report and model card:",
                                         "see README.md in the repository"]), min_s=2.5)]
    return scenes


def _video_words(nm: NearMissFacts) -> str:
    if nm.offline_is_spec_video:
        return "the spec's own video, from its offline copy"
    name = Path(nm.video["path"]).stem.replace("_", " ")
    return f"the offline {name} clip, standing in for the spec's video" \
        if nm.offline_video else f"the {name} video"


def _detector_words(nm: NearMissFacts) -> str:
    return nm.detector.split(" (")[0].replace("yolo", "YOLO")


def title(canvas: Canvas, nm: NearMissFacts, ft: FineTuneFacts) -> Scene:
    offline = nm.offline_video or ft.offline_model
    footer = "CPU only; offline stand-ins for the internet sources" if offline else "CPU only"
    still = slides.title_slide(canvas, TITLE, [
        "Challenge 1: near-miss detection in traffic video",
        "Challenge 2: LoRA fine-tuning of SmolLM2-135M for IT support"], footer)
    return Scene("title", [
        "This demo walks through both challenges of the Tatweer take-home.",
        "Everything runs on a CPU" + (", with local stand-ins where the internet sources "
                                      "were unreachable." if offline else "."),
    ], still=still, min_s=4.0)


def _engine_rule(cfg: dict) -> str:
    """The near-miss rule of the run, its thresholds read from the run's configuration."""
    from near_miss.nearmiss.detector import PET_THRESHOLD_S, NearMissDetector

    if cfg.get("distance_mode", "pixels") == "pixels":
        near = f"centres < {cfg['proximity_threshold']:.0f} px apart"
    else:
        ratio = inspect.signature(NearMissDetector).parameters["proximity_ratio"].default
        near = f"boxes within {ratio:g} of their size"
    return (f"Near miss: {near}, time to contact < {cfg['ttc_threshold']:.1f} s, on a collision "
            f"course (contact within {2 * cfg['ttc_threshold']:.0f} s or paths crossing "
            f"< {PET_THRESHOLD_S:.0f} s apart); one event per interaction")


def pipeline(canvas: Canvas, nm: NearMissFacts) -> Scene:
    v, d, t, cfg = nm.video, nm.run["detection"], nm.run["tracking"], nm.run["config"]
    still = slides.text_slide(canvas, "Challenge 1: near-miss detection", [
        f"Input: {Path(v['path']).name} ({v['origin']}), {v['frames']} frames, "
        f"{v['fps']:.1f} fps, {v['width']}x{v['height']}",
        f"Detector: {nm.detector}, every {cfg['stride']} frames, "
        f"{d['avg_ms_per_frame']:.0f} ms per processed frame",
        f"Tracker: {t['tracker']}, {t['unique_ids']} IDs, up to {t['peak_active']} at once",
        _engine_rule(cfg),
        f"False-positive filters {'on' if cfg['filters'] else 'off'}: {len(nm.events)} "
        f"event{'' if len(nm.events) == 1 else 's'}",
    ])
    return Scene("pipeline", [
        "Challenge one detects and tracks road users, and flags pairs on a collision course.",
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
            f"at {top['timestamp_sec']:.1f} seconds, {gap_text(top, 'pixels')}.",
            f"The time to collision is {top['ttc_sec']:.2f} seconds, risk score "
            f"{top['risk_score']:.2f}, level {top['risk_level']}.",
        ], clip=Clip(video, start, end, speed=0.5)))
    return scenes


def technical(root: Path, canvas: Canvas, nm: NearMissFacts) -> Scene:
    """The collision course and the episode, on the run's own event."""
    from near_miss.nearmiss.detector import PET_THRESHOLD_S

    sentences = [
        "The technical challenge: telling a near miss from ordinary traffic.",
        "Time to collision alone also flags cars that merely pass.",
        "So a pair counts only on a collision course, and each interaction is one episode, "
        "logged once at its worst moment.",
    ]
    bullets = ["Box time to contact: when the two boxes first touch at constant velocity",
               f"Collision course: contact soon, or paths crossing < {PET_THRESHOLD_S:.0f} s "
               "apart (PET)",
               "Episode: opens when the pair qualifies, logged once at its peak",
               "Circles: positions now; squares: at the closest approach"]
    event = diagram.pick_event(nm.events) if len(nm.events) else None
    geo = diagram.event_geometry(event, artifacts.load_csv(root, "outputs/tracks.csv")) \
        if event else None
    title_text = "Technical challenge: collision course and episodes"
    if event is None or geo is None:
        return Scene("technical", sentences, still=slides.text_slide(canvas, title_text,
                                                                     bullets[:3]))
    if "start_sec" in event:
        sentences.append(
            f"Here the episode ran from {event['start_sec']:.1f} to {event['end_sec']:.1f} "
            f"seconds, its shortest time to contact {event['min_ttc_sec']:.2f} seconds.")
    figure = diagram.ttc_cpa_figure(event, geo, (round(canvas.width * 0.55),
                                                 round(canvas.content[1] * 0.75)))
    return Scene("technical", sentences, still=slides.image_slide(canvas, title_text, figure,
                                                                  bullets))


def evaluation(canvas: Canvas, t: dict) -> Scene:
    """The labelled real clips: incidents found and false alarms (figures, no footage)."""
    rows = [["Incidents found", f"{t['found']} of {t['incidents']}"],
            ["... of them High", str(t["found_high"])],
            ["Collisions found High", f"{t['collisions_high']} of {t['collisions']}"],
            ["False alarms, normal traffic",
             f"{t['normal_false_alarms']} in {t['normal_minutes']:.1f} min "
             f"({t['false_alarms_per_min']:.2f}/min)"]]
    still = slides.table_slide(
        canvas, "Labelled real clips", ["Measure", "Default configuration"], rows,
        footnote="Fixed-camera CCTV clips with labelled incidents, and clips of normal traffic; "
                 "source: outputs/incident_eval.csv (python -m near_miss evaluate)")
    return Scene("evaluation", [
        f"On labelled real footage, {t['incidents']} incidents, {t['collisions']} of them "
        f"collisions, the defaults find {t['found']}, {t['found_high']} of them at High risk.",
        f"On {t['normal_minutes']:.1f} minutes of normal traffic they raise "
        f"{t['normal_false_alarms']} false alarms, {t['false_alarms_per_min']:.1f} a minute.",
    ], still=still)


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
    video_stand_in = ("the spec video's offline copy for YouTube" if nm.offline_is_spec_video
                      else "an offline clip for the YouTube video")
    stand_ins = [text for used, text in (
        (nm.offline_video, video_stand_in),
        (ft.offline_model, "a de-quantised 4-bit copy of SmolLM2")) if used]
    units = str(nm.events["units"].iloc[0]) if len(nm.events) else "px"
    inc = nm.incidents
    bullets = [f"Offline stand-ins: {'; '.join(stand_ins)}" if stand_ins else
               "All real sources were used",
               "Distances relative to object size; no ground-plane calibration" if units ==
               "size" else f"Distances in {'pixels: no calibration' if units == 'px' else units}",
               f"Labelled clips: {inc['incidents'] - inc['found']} of {inc['incidents']} "
               "incidents missed" if inc else "No labelled evaluation in outputs/",
               "A 135M model still makes factual errors: read MODEL_CARD.md"]
    sentences = []
    if stand_ins:
        sentences.append(f"Limitations: offline stand-ins, {', '.join(stand_ins)}.")
    sentences.append("Without a ground-plane calibration, perspective still makes far cars "
                     "look close." if units != "m" else "Distances come from one calibration.")
    if inc:
        sentences.append(f"{inc['incidents'] - inc['found']} of {inc['incidents']} labelled "
                         "incidents are still missed.")
    sentences.append("And a model this small still invents facts.")
    return Scene("limitations", sentences, still=slides.text_slide(canvas, "Limitations", bullets))
