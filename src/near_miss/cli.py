"""Command line: ``python -m near_miss COMMAND ...`` (``--help`` lists the commands)."""

from __future__ import annotations

from tatweer_common.cli import dispatch

# command -> (module with add_arguments/main, one-line help)
COMMANDS = {
    "info": (
        "near_miss.outputs.overview",
        "video metadata, detection summary and tracking statistics",
    ),
    "run": ("near_miss.pipeline", "full pipeline: annotated video, plots, events and HTML report"),
    "scenarios": (
        "near_miss.nearmiss.scenarios",
        "precision/recall of near-miss logic on scripted scenes",
    ),
    "evaluate": (
        "near_miss.evaluation.evaluate",
        "incidents found and false alarms per minute on labelled clips",
    ),
    "bench": (
        "near_miss.bench.benchmark",
        "CPU speed vs missed events of each optimization (Task 1.7)",
    ),
}


def main(argv: list[str] | None = None) -> int:
    return dispatch("near_miss", __doc__, COMMANDS, argv)
