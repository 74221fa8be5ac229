"""A tiny sub-command dispatcher shared by the two packages' command lines.

Each sub-command lives in its own module exposing ``add_arguments(parser)`` and
``main(args) -> int``. Every module is imported to build the parser, so command
modules keep heavy imports (torch, ultralytics, transformers) inside their functions.
"""

from __future__ import annotations

import argparse
import importlib

from tatweer_common.errors import cli_errors


def build_parser(prog: str, description: str, commands: dict[str, tuple[str, str]]):
    parser = argparse.ArgumentParser(prog=prog, description=description)
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name, (module_name, help_text) in commands.items():
        module = importlib.import_module(module_name)
        p = sub.add_parser(name, help=help_text, description=help_text)
        module.add_arguments(p)
        p.set_defaults(_module=module)
    return parser


def dispatch(prog: str, description: str, commands: dict[str, tuple[str, str]], argv=None) -> int:
    @cli_errors
    def _run() -> int:
        args = build_parser(prog, description, commands).parse_args(argv)
        return int(args._module.main(args) or 0)

    return _run()
