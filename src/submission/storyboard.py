"""The demo's scenes, built from the saved outputs (every number is read, none is typed).

Title -> the annotated video (narrated with what the run did) -> the highest-risk event and
each labelled incident the run missed, slowed down -> technical challenge (collision course
and episodes) -> labelled evaluation, per incident (when measured) -> CPU benchmark (when
measured) -> Challenge 2 training -> results table -> the two models answering -> limitations
-> end card. Only outputs made from the spec's video are shown as footage: the labelled
incident clips are third-party and enter the demo as their evaluation figures only."""

from __future__ import annotations

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
from submission.terminal import Typing

REQUIRED = ("outputs/annotated_video.mp4", "outputs/run.json", "outputs/events.csv",
            "outputs/tracks.csv", "outputs/loss_curves.png", "outputs/train_summary.json",
            "outputs/evaluation_summary.json")
TITLE = "Tatweer AI/ML take-home"
ASK_EXAMPLES = "outputs/ask_examples.json"  # python -m slm_finetune ask --base --save ...


def build(root: Path, canvas: Canvas) -> list[Scene]:
    """Every scene, or a UserError naming the first missing input and its command."""
    for path in REQUIRED:
        artifacts.require(root, path)
    nm, ft = near_miss_facts(root), finetune_facts(root)
    scenes = [title(canvas, nm, ft), *footage(root, nm), technical(root, canvas, nm)]
    if nm.incidents:
        scenes.append(evaluation(canvas, nm))
    if nm.bench:
        scenes.append(benchmark(canvas, nm.bench))
    scenes += [training(root, canvas, ft), results(canvas, ft), *answers(root, ft),
               limitations(canvas, nm, ft),
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
    """The network's name as spoken: "YOLOv8n" for "yolov8n-openvino-bf16"."""
    return nm.detector.split(" (")[0].split("-")[0].replace("yolo", "YOLO")


def title(canvas: Canvas, nm: NearMissFacts, ft: FineTuneFacts) -> Scene:
    offline = nm.offline_video or ft.offline_model
    footer = "CPU only; offline stand-ins for the internet sources" if offline else "CPU only"
    still = slides.title_slide(canvas, TITLE, [
        "Challenge 1: near-miss detection in traffic video",
        "Challenge 2: LoRA fine-tuning of SmolLM2-135M for IT support"], footer)
    return Scene("title", ["Both challenges of the Tatweer take-home, running on a CPU."],
                 still=still, min_s=4.0)


def pipeline_sentences(nm: NearMissFacts) -> list[str]:
    """What the run did, spoken over its annotated video."""
    d, cfg = nm.run["detection"], nm.run["config"]
    return [
        "Challenge one detects and tracks road users, and flags pairs on a collision course.",
        f"Here it ran on {_video_words(nm)}, with {_detector_words(nm)} on "
        f"{_every(cfg['stride'])}, at {d['avg_ms_per_frame']:.0f} milliseconds a frame.",
    ]


def _every(stride: int) -> str:
    """"every frame", "every second frame", "every third frame", "every 4th frame"."""
    return "every " + {1: "", 2: "second ", 3: "third "}.get(stride, f"{stride}th ") + "frame"


def footage(root: Path, nm: NearMissFacts) -> list[Scene]:
    """The whole annotated video (at most 25 s), then the highest-risk event at half speed,
    and each labelled incident window of the video the run did not flag, at half speed."""
    video = root / "outputs/annotated_video.mp4"
    levels = ", ".join(f"{n} {k}" for k, n in nm.level_counts.items() if n)
    count = f"{len(nm.events)} event{'' if len(nm.events) == 1 else 's'}"
    scenes = [Scene("footage", [
        *pipeline_sentences(nm),
        "In the output, vehicles are blue and pedestrians green.",
        "When a near miss fires, both turn red and the risk level shows on top.",
        f"On this video the run logged {count}" + (f": {levels}." if levels else "."),
    ], clip=Clip(video, 0.0, min(nm.video["duration_s"], 25.0)))]
    top = nm.top_event()
    if top:
        start = max(0.0, top["timestamp_sec"] - 1.5)
        end = min(nm.video["duration_s"], top["timestamp_sec"] + 2.0)
        scenes.append(Scene("replay", [
            f"Slowed down, the highest-risk event: {_pair_words(top)} "
            f"at {top['timestamp_sec']:.1f} seconds, {gap_text(top, 'pixels')}.",
            f"The time to collision is {top['ttc_sec']:.2f} seconds, risk score "
            f"{top['risk_score']:.2f}, level {top['risk_level']}.",
        ], clip=Clip(video, start, end, speed=0.5)))
    for window in (w for w in nm.labelled_windows() if not w["found"]):
        start = max(0.0, window["start_s"] - 1.5)
        end = min(nm.video["duration_s"], window["end_s"] + 1.0)
        kind = str(window["label"]).replace("_", " ")
        scenes.append(Scene("labelled", [
            f"Slowed down, the labelled {kind}, from {window['start_s']:.1f} to "
            f"{window['end_s']:.1f} seconds.",
            f"With {_detector_words(nm)} the engine raises no event here; notebook 04 shows why, "
            "frame by frame.",
        ], clip=Clip(video, start, end, speed=0.5)))
    return scenes


def _pair_words(event: dict) -> str:
    """"two vehicles", or "a vehicle and a pedestrian"."""
    a, b = event["class_1"], event["class_2"]
    return f"two {a}s" if a == b else f"a {a} and a {b}"


def technical(root: Path, canvas: Canvas, nm: NearMissFacts) -> Scene:
    """The collision course and the episode, on the run's own event."""
    from near_miss.nearmiss.detector import PET_THRESHOLD_S

    sentences = [
        "The technical challenge: time to collision alone also flags cars that merely pass.",
        "So a pair counts only on a collision course, and each interaction is one episode.",
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


def evaluation(canvas: Canvas, nm: NearMissFacts) -> Scene:
    """The labelled real clips, incident by incident, and the false alarms (figures only)."""
    t = nm.incidents
    windows = nm.table[nm.table["label"].isin(["collision", "near_miss"])]
    rows = [[Path(str(w["clip"])).stem.replace("_", " ")[:44], str(w["label"]).replace("_", " "),
             f"found, {w['level']}" if w["found"] else "missed"]
            for w in windows.to_dict("records")]
    still = slides.table_slide(
        canvas, "Labelled real clips", ["Incident clip", "Labelled", "Default configuration"],
        rows, scale=0.024,
        footnote=f"Normal traffic: {t['normal_false_alarms']} false alarms in "
                 f"{t['normal_minutes']:.1f} min ({t['false_alarms_per_min']:.2f}/min). "
                 "Source: outputs/incident_eval.csv (python -m near_miss evaluate)")
    return Scene("evaluation", [
        f"Of {t['incidents']} labelled real incidents the defaults find {t['found']}, "
        f"{t['found_high']} at High risk, with {t['false_alarms_per_min']:.1f} false alarms a "
        "minute of normal traffic.",
    ], still=still)


def benchmark(canvas: Canvas, b: BenchFacts) -> Scene:
    bullets = [f"Default: {b.recommended}", f"{b.fps:.1f} fps with the annotated video",
               f"{b.missed_pct:.0f}% of labelled incidents missed, {b.recall_pct:.1f}% "
               "detection agreement", f"Rule: {b.why}"]
    if b.default_fps is not None:
        bullets.insert(1, f"Spec default (PyTorch 640, stride 2): {b.default_fps:.1f} fps")
    return Scene("benchmark", [
        f"The benchmark's pick runs at {b.fps:.0f} frames per second on this CPU, with the "
        "annotated video.",
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
        f"Challenge two fine-tunes SmolLM2 with LoRA on {n['train']} IT-support examples; the "
        f"validation loss fell from {t['base_val_loss']:.2f} to {t['best_val_loss']:.2f}.",
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
    rouge = ft.row("ROUGE-L")
    sentences = [f"On {e['n_examples']} test questions, ROUGE-L went from "
                 f"{_fmt(rouge and rouge['base'], 3)} for the base model in its own chat format "
                 f"to {_fmt(rouge and rouge['finetuned'], 3)}."]
    return Scene("results", sentences, still=still)


def answers(root: Path, ft: FineTuneFacts) -> list[Scene]:
    """Both models answering test questions, as ``ask --base`` printed them (when saved)."""
    if not (root / ASK_EXAMPLES).is_file():
        return []
    saved = artifacts.load_json(root, ASK_EXAMPLES)
    facts = ft.evaluation.get("key_facts", {})
    passed, total = facts.get("passed", {}), facts.get("examples_with_facts")
    scenes = []
    for k, ex in enumerate(saved["examples"][:2]):
        which = "a question" if ex.get("index") is None else f"test question {ex['index'] + 1}"
        sentences = ([f"Both models answer {which}, as the ask command printed it: the base "
                      "model on the left, in its own chat format, the fine-tuned one on the "
                      "right."] if k == 0 else [f"Then {which}."])
        if k == 1 and total:
            sentences.append(f"Over the test set, {passed.get('ft')} of {total} fine-tuned "
                             f"answers hold at least half of the reference's key facts, "
                             f"{passed.get('base')} of the base model's.")
        typing = Typing(saved["command"], ex["question"],
                        (("Base model (chat template)", ex["base"]),
                         ("Fine-tuned (LoRA)", ex["finetuned"])))
        scenes.append(Scene(f"answers_{k + 1}", sentences, clip=typing))
    return scenes


def limitations(canvas: Canvas, nm: NearMissFacts, ft: FineTuneFacts) -> Scene:
    video_stand_in = ("the spec video's offline copy for YouTube" if nm.offline_is_spec_video
                      else "an offline clip for the YouTube video")
    stand_ins = [text for used, text in (
        (nm.offline_video, video_stand_in),
        (ft.offline_model, "a de-quantised 4-bit copy of SmolLM2")) if used]
    relative = nm.run["config"].get("distance_mode") == "relative"
    inc = nm.incidents
    bullets = [f"Offline stand-ins: {'; '.join(stand_ins)}" if stand_ins else
               "All real sources were used",
               "Distances relative to object size; no ground-plane calibration" if relative
               else "Distances in pixels; no ground-plane calibration",
               f"Labelled clips: {inc['incidents'] - inc['found']} of {inc['incidents']} "
               "incidents missed" if inc else "No labelled evaluation in outputs/",
               "A 135M model still makes factual errors: read MODEL_CARD.md"]
    missed = (f"{inc['incidents'] - inc['found']} of {inc['incidents']} labelled incidents "
              "are missed, " if inc else "")
    sentences = [f"Limitations: {missed}perspective makes far cars look close, and a model "
                 "this small invents facts."]
    return Scene("limitations", sentences, still=slides.text_slide(canvas, "Limitations", bullets))
