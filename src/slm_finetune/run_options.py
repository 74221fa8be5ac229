"""Command-line options shared by the commands that run both models.

``evaluate``, ``forgetting`` and ``baselines`` each take a LoRA adapter, an output folder and
a generation cache, and override their preset (and its decoding settings) with the options
that were given.
"""

from __future__ import annotations

import argparse
import dataclasses
from typing import Any, TypeVar

Config = TypeVar("Config")


def add_model_options(parser: argparse.ArgumentParser, default: Any) -> None:
    """``--adapter``, ``--output-dir`` and ``--cache``, showing ``default``'s values."""
    parser.add_argument("--adapter", help=f"LoRA adapter folder (default {default.adapter})")
    parser.add_argument("--output-dir", help=f"where results go (default {default.output_dir})")
    parser.add_argument("--cache", help=f"generation cache (default {default.cache_file})")


def given(config: Config, **options: Any) -> Config:
    """``config`` with the fields of the options that were given (not None) replaced."""
    return dataclasses.replace(config, **{k: v for k, v in options.items() if v is not None})


def given_settings(config: Config, **options: Any) -> Config:
    """``config`` with the decoding settings given (not None, not 0) replaced in ``.settings``."""
    chosen = {k: v for k, v in options.items() if v}
    return dataclasses.replace(config, settings=dataclasses.replace(config.settings, **chosen))
