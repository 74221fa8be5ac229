"""The dataset record (`Example`) and strict JSONL reading/writing.

Raw files carry provenance (``topic``, ``source`` and generator fields); the committed
splits keep exactly the spec's keys ``instruction``, ``input``, ``output``.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from tatweer_common.errors import UserError
from tatweer_common.io import write_text_atomic

TOPICS: tuple[str, ...] = (
    "windows", "macos", "linux", "networking_wifi", "dns_vpn", "email", "printers",
    "accounts_passwords", "security_phishing", "backups", "disks_storage", "performance",
    "browsers", "m365_workspace", "git", "python_packages", "databases", "docker", "cloud",
    "mobile", "hardware",
)  # fmt: skip
SPLIT_KEYS: tuple[str, ...] = ("instruction", "input", "output")


@dataclass(frozen=True)
class Example:
    """One instruction-response pair with its provenance (topic id, source name)."""

    instruction: str
    input: str
    output: str
    topic: str = ""
    source: str = ""

    def to_record(self) -> dict[str, str]:
        """The spec's record: exactly ``instruction``, ``input``, ``output``."""
        return {"instruction": self.instruction, "input": self.input, "output": self.output}


def _parse_line(line: str, where: str, require_topic: bool) -> Example:
    try:
        obj = json.loads(line)
    except json.JSONDecodeError as exc:
        raise UserError(f"{where}: invalid JSON ({exc.msg} at column {exc.colno})") from None
    if not isinstance(obj, dict):
        raise UserError(f"{where}: expected a JSON object, got {type(obj).__name__}")
    missing = [k for k in SPLIT_KEYS if k not in obj]
    if missing:
        raise UserError(f"{where}: missing key(s) {', '.join(missing)}")
    fields = {}
    for key in (*SPLIT_KEYS, "topic", "source"):
        value = obj.get(key, "")
        if not isinstance(value, str):
            raise UserError(f"{where}: key '{key}' must be a string, got {type(value).__name__}")
        fields[key] = value
    if require_topic and fields["topic"] not in TOPICS:
        raise UserError(f"{where}: unknown topic {fields['topic']!r} (see schema.TOPICS)")
    return Example(**fields)


def read_jsonl_lines(path: str | Path, require_topic: bool = False) -> list[tuple[int, Example]]:
    """Read ``path`` as (line number, Example) pairs; blank lines are skipped.

    Raises UserError ``"path:line: problem"`` for bad JSON, missing keys, non-string
    values or (with ``require_topic``) a topic id that is not in `TOPICS`.
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise UserError(f"{path}: file not found") from None
    except UnicodeDecodeError as exc:
        raise UserError(f"{path}: not UTF-8 text ({exc.reason})") from None
    rows = []
    for number, line in enumerate(text.splitlines(), start=1):
        if line.strip():
            rows.append((number, _parse_line(line, f"{path}:{number}", require_topic)))
    return rows


def read_jsonl(path: str | Path, require_topic: bool = False) -> list[Example]:
    """Read a JSONL file of examples (see `read_jsonl_lines` for the checks)."""
    return [example for _, example in read_jsonl_lines(path, require_topic)]


def write_jsonl(
    path: str | Path, examples: Iterable[Example], keys: tuple[str, ...] = SPLIT_KEYS
) -> Path:
    """Write one JSON object per line with ``keys`` in that order (atomic, UTF-8, ``\\n``)."""
    lines = []
    for example in examples:
        record = {key: getattr(example, key) for key in keys}
        lines.append(json.dumps(record, ensure_ascii=False) + "\n")
    return write_text_atomic(path, "".join(lines))
