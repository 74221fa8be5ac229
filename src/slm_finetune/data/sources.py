"""Loading the dataset sources: the committed raw JSONL files and, optionally, the Hub.

Raw files (``data/raw/*.jsonl``, read in name order) are the offline, reproducible
sources. `load_dolly` adds domain-filtered examples from ``databricks/databricks-dolly-15k``
when the Hub is reachable; offline it prints one line and returns nothing.
"""

from __future__ import annotations

import os
import re
import urllib.request
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from slm_finetune.data.schema import Example, read_jsonl_lines
from tatweer_common.errors import UserError

HUB_API = "https://huggingface.co/api"
DOLLY_ID = "databricks/databricks-dolly-15k"
DOLLY_URL = f"https://huggingface.co/datasets/{DOLLY_ID}"
DOLLY_LICENSE = "CC BY-SA 3.0"
DOLLY_CATEGORIES = frozenset({"open_qa", "closed_qa", "general_qa"})

# Topic keywords for Hub records (case-insensitive, first match wins, checked in order).
TOPIC_KEYWORDS: dict[str, str] = {
    "docker": r"\bdocker\b|\bkubernetes\b",
    "git": r"\bgit\b|\bgithub\b",
    "python_packages": r"\bpython\b|\bpip\b",
    "databases": r"\bsql\b|\bdatabases?\b|\bpostgres\w*|\bmysql\b",
    "dns_vpn": r"\bdns\b|\bvpn\b",
    "networking_wifi": r"\bwi-?fi\b|\brouter\b|\bethernet\b|\btcp/ip\b",
    "security_phishing": r"\bphishing\b|\bmalware\b|\bransomware\b|\bantivirus\b|\bfirewall\b",
    "accounts_passwords": r"\bpasswords?\b|\btwo-factor\b|\b2fa\b|\bmulti-factor\b",
    "email": r"\bemail client\b|\boutlook\b|\bsmtp\b|\bimap\b",
    "printers": r"\bprinters?\b",
    "backups": r"\bbackups?\b",
    "disks_storage": r"\bhard (?:drive|disk)s?\b|\bssds?\b|\bhdd\b|\braid\b",
    "browsers": r"\bweb browsers?\b|\bchrome\b|\bfirefox\b|\bcookies\b",
    "m365_workspace": r"\bmicrosoft (?:office|365|word|excel|teams)\b|\bgoogle (?:docs|drive)\b",
    "cloud": r"\bcloud computing\b|\baws\b|\bazure\b|\bgoogle cloud\b",
    "mobile": r"\biphone\b|\bandroid\b|\bipad\b|\bsmartphones?\b",
    "windows": r"\bwindows (?:10|11|7|xp|update|server)\b|\bpowershell\b",
    "macos": r"\bmac ?os\b|\bos x\b|\bmacbook\b",
    "linux": r"\blinux\b|\bubuntu\b|\bdebian\b",
    "performance": r"\b(?:computer|laptop|pc) (?:is )?(?:so )?slow\b|\bcpu usage\b",
    "hardware": r"\bmotherboard\b|\bgraphics card\b|\bgpu\b|\bcpu\b|\blaptop\b",
}
_TOPIC_PATTERNS = {t: re.compile(p, re.IGNORECASE) for t, p in TOPIC_KEYWORDS.items()}


@dataclass(frozen=True)
class Candidate:
    """An example before filtering, with where it came from (``file:line`` or ``hub:row``)."""

    example: Example
    origin: str


def raw_files(raw_dir: str | Path) -> list[Path]:
    """The raw JSONL files of ``raw_dir`` in name order (UserError when there are none)."""
    raw_dir = Path(raw_dir)
    files = sorted(raw_dir.glob("*.jsonl"))
    if not files:
        raise UserError(f"{raw_dir}: no *.jsonl raw files found")
    return files


def load_raw(raw_dir: str | Path) -> list[Candidate]:
    """All raw examples; each must have a known topic and a non-empty source."""
    candidates = []
    for path in raw_files(raw_dir):
        for line, example in read_jsonl_lines(path, require_topic=True):
            if not example.source:
                raise UserError(f"{path}:{line}: missing or empty 'source'")
            candidates.append(Candidate(example, f"{path.name}:{line}"))
    return candidates


def classify_topic(text: str) -> str | None:
    """The first topic whose keywords occur in ``text``, or None (outside the domain)."""
    return next((t for t, pattern in _TOPIC_PATTERNS.items() if pattern.search(text)), None)


def dolly_candidates(records: Iterable[dict], limit: int) -> list[Candidate]:
    """Domain examples among Dolly records (QA categories, an IT keyword in the instruction)."""
    taken: list[Candidate] = []
    for row, record in enumerate(records):
        if len(taken) >= limit:
            break
        if record.get("category") not in DOLLY_CATEGORIES:
            continue
        topic = classify_topic(str(record.get("instruction", "")))
        if topic is None:
            continue
        example = Example(
            instruction=str(record["instruction"]),
            input=str(record.get("context") or ""),
            output=str(record.get("response", "")),
            topic=topic,
            source="dolly",
        )
        taken.append(Candidate(example, f"dolly:{row}"))
    return taken


def _hub_reachable(timeout: float) -> str | None:
    """None when the Hub answers within ``timeout`` seconds, else the reason it does not."""
    if os.environ.get("HF_HUB_OFFLINE") == "1":
        return "HF_HUB_OFFLINE=1"
    try:
        with urllib.request.urlopen(
            f"https://huggingface.co/api/datasets/{DOLLY_ID}", timeout=timeout
        ):
            return None
    except OSError as exc:
        return type(exc).__name__


def load_dolly(
    limit: int = 100, timeout: float = 10.0, loader: Callable[[], Iterable[dict]] | None = None
) -> list[Candidate]:
    """Up to ``limit`` domain examples from Dolly-15k; [] (with one printed line) offline."""
    if loader is None:
        reason = _hub_reachable(timeout)
        if reason is not None:
            print(f"hub: {DOLLY_ID} skipped (Hub unreachable: {reason}); using raw files only")
            return []

        def loader() -> Iterable[dict]:
            from datasets import load_dataset

            return load_dataset(DOLLY_ID, split="train")

    try:
        records = loader()
    except Exception as exc:  # noqa: BLE001 - any Hub/datasets failure means "skip the source"
        print(f"hub: {DOLLY_ID} skipped ({type(exc).__name__}: {exc}); using raw files only")
        return []
    taken = dolly_candidates(records, limit)
    print(f"hub: {DOLLY_ID} ({DOLLY_LICENSE}): {len(taken)} domain examples taken")
    return taken
