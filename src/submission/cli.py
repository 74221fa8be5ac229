"""Command line: ``python -m submission COMMAND ...`` (``--help`` lists the commands)."""

from __future__ import annotations

from tatweer_common.cli import dispatch

# command -> (module with add_arguments/main, one-line help)
COMMANDS = {
    "check": ("submission.check", "print the tree and verify the submission checklist"),
    "demo": ("submission.demo", "build demo_video.mp4 (<= 3 min) from the saved outputs"),
    "notebooks": ("submission.notebooks", "refresh the bootstrap cells and execute the notebooks "
                  "in place (make notebooks)"),
    "results": ("submission.results", "regenerate the README's Results Summary from the outputs"),
}


def main(argv: list[str] | None = None) -> int:
    return dispatch("submission", __doc__, COMMANDS, argv)
