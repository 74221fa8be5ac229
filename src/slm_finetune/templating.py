"""The one jinja2 environment for the package's markdown templates (data card, model card)."""

from __future__ import annotations

import jinja2


def template_env() -> jinja2.Environment:
    """Strict (undefined names fail), no HTML escaping, block whitespace trimmed."""
    return jinja2.Environment(
        loader=jinja2.PackageLoader("slm_finetune", "templates"),
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        undefined=jinja2.StrictUndefined,
        autoescape=False,
    )
