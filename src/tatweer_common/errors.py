"""User-facing errors: one clear line, no traceback."""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable
from typing import TypeVar

F = TypeVar("F", bound=Callable[..., int])


class UserError(Exception):
    """A problem with the user's input (path, file content, option), not a bug.

    The message must name the thing at fault (file, line, option) and the problem.
    """


def cli_errors(func: F) -> F:
    """Decorate a CLI ``main``: print ``error: <message>`` for UserError and exit 2."""

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        try:
            return func(*args, **kwargs)
        except UserError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2
        except KeyboardInterrupt:
            print("interrupted", file=sys.stderr)
            return 130

    return wrapper  # type: ignore[return-value]
