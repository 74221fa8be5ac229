"""Formatting: whitespace normalisation that keeps code blocks intact, instruction form.

Outside fenced code blocks, runs of spaces/tabs inside a line collapse to one space (the
leading indentation that nests list items and their code fences is kept), trailing spaces
go and 3+ newlines become one blank line. Inside ```` ``` ```` blocks only trailing spaces
are removed, so indentation, tabs (Makefiles) and alignment survive.
"""

from __future__ import annotations

import re
from dataclasses import replace

from slm_finetune.data.schema import Example

_FENCE = re.compile(r"^\s*```")
_INNER_SPACES = re.compile(r"(?<=\S)[ \t]{2,}")

_IMPERATIVE_TEXT = """
add allow analyse analyze apply archive assess audit automate back block boot build calculate
cancel capture change check choose clean clear clone close collect combine compare compress
configure connect convert copy create debug decrypt define delete deploy describe design detect
determine diagnose disable display document download draft edit enable encrypt enforce erase
estimate explain export extend extract find fix flush force format free generate get give grant
guide help hide identify import increase install investigate join keep kill launch limit link
list load locate lock log make manage map merge migrate mirror monitor mount move name open
optimise optimize outline pair partition patch pin plan prepare prevent print protect provide
recommend recover recreate redirect reduce refresh register reinstall release reload remove
rename renew repair replace request reset resolve restart restore restrict retrieve revert
review revoke rewrite roll rotate run save scan schedule search secure send set share show
shrink sign sort specify speed split spot start stop store submit suggest summarise summarize
switch sync take tell test trace track transfer troubleshoot turn unblock undo uninstall unlock
unmount update upgrade upload use validate verify view walk wipe write
"""
_QUESTION_TEXT = """
what how why when where which who whom whose is are am was were do does did can could should
would will shall may might must has have had isn't aren't doesn't don't can't won't
"""
IMPERATIVE_VERBS = frozenset(_IMPERATIVE_TEXT.split())
QUESTION_WORDS = frozenset(_QUESTION_TEXT.split())


def normalize_block_text(text: str) -> str:
    """Normalise whitespace of multi-line text without touching code-block layout."""
    out: list[str] = []
    in_code = False
    for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n"):
        line = line.rstrip()
        if _FENCE.match(line):
            in_code = not in_code
        elif not in_code:
            if not line and out and not out[-1]:
                continue  # one blank line at most between paragraphs
            line = _INNER_SPACES.sub(" ", line.replace("\t", " "))
        out.append(line)
    return "\n".join(out).strip()


def normalize_line(text: str) -> str:
    """Collapse all whitespace (newlines included) to single spaces and strip."""
    return " ".join(text.split())


def fix_instruction(text: str) -> tuple[str, str]:
    """Return (instruction, status) with status ``ok``, ``fixed`` or ``invalid``.

    Valid as is: ends with "?" or starts with an imperative verb (optionally after
    "Please"). Fixed: a question followed by context ("Why X? It says Y.") is reordered to
    end with the question ("It says Y. Why X?"); a sentence starting with a question word
    gets its missing "?". Anything else is invalid. Whitespace is collapsed in every case.
    """
    text = normalize_line(text)
    words = re.findall(r"[a-z']+", text.lower())
    first = words[1] if words[:1] == ["please"] and len(words) > 1 else (words or [""])[0]
    if text.endswith("?") or first in IMPERATIVE_VERBS:
        return text, "ok"
    if "? " in text:
        question, context = text.rsplit("? ", 1)
        context = context if context[-1] in ".!" else context + "."
        return f"{context} {question}?", "fixed"
    if first in QUESTION_WORDS:
        return text.rstrip(".!:; ") + "?", "fixed"
    return text, "invalid"


def normalize_example(example: Example) -> tuple[Example, str]:
    """Normalise all three fields; return the new example and the instruction status."""
    instruction, status = fix_instruction(example.instruction)
    return (
        replace(
            example,
            instruction=instruction,
            input=normalize_block_text(example.input),
            output=normalize_block_text(example.output),
        ),
        status,
    )
