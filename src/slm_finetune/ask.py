"""`python -m slm_finetune ask "QUESTION" [--base] [--file FILE]`: answer IT-support questions.

Each question is formatted in the format the adapter was trained in (`slm_finetune.prompt`:
the template, or the chat template, as the adapter folder records) and answered greedily by
the fine-tuned model (base + the LoRA adapter merged in), the tokens printed as they are
generated; ``--base`` answers with the base model as well, prompted in its own chat template
as in ``evaluate`` (the fair comparison). ``--file`` reads one question per line,
``--test-questions N`` takes the first N of ``data/test.jsonl``; ``--save FILE`` writes the
questions and answers as JSON (the demo video shows them). Decoding is the evaluation's:
greedy, repetition penalty 1.1, the answer ends at EOS or, in the template, at the next
``### `` template header.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any, TextIO

from slm_finetune.evaluation.generate import RESPONSE_END, GenerationSettings, cut_answer
from slm_finetune.prompt import CHAT, generation_prompt
from slm_finetune.training.precision import add_precision_option, resolve
from tatweer_common.errors import UserError
from tatweer_common.io import write_text_atomic
from tatweer_common.paths import display_path, project_root

DEFAULT_ADAPTER = "outputs/lora_adapter"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("question", nargs="?", help="the question (or use --file)")
    parser.add_argument("--file", type=Path, help="text file with one question per line")
    parser.add_argument("--test-questions", type=int, metavar="N",
                        help="the first N questions of data/test.jsonl instead")
    parser.add_argument("--save", type=Path, metavar="FILE",
                        help="also write the questions and answers to this JSON file")
    parser.add_argument("--input", default="", help="context for every question (an error line)")
    parser.add_argument("--base", action="store_true", help="also answer with the base model")
    parser.add_argument("--adapter", help=f"LoRA adapter folder (default {DEFAULT_ADAPTER})")
    parser.add_argument("--max-new-tokens", type=int, default=200, help="answer length (200)")
    add_precision_option(parser)


def read_questions(question: str | None, file: Path | None) -> list[str]:
    """The questions to answer: the argument, or the non-empty lines of ``file``."""
    if (question is None) == (file is None):
        raise UserError("give one question, or --file with one question per line")
    if file is not None:
        if not file.is_file():
            raise UserError(f"{file}: file not found")
        questions = [line.strip() for line in file.read_text(encoding="utf-8").splitlines()]
        questions = [q for q in questions if q]
        if not questions:
            raise UserError(f"{file}: no question in it (one per line)")
        return questions
    if not question.strip():
        raise UserError("the question is empty")
    return [question.strip()]


def answer_streamer(tokenizer: Any, out: TextIO, at_header: bool = True) -> Any:
    """A `TextStreamer` that prints the answer only, never (``at_header``) the next template
    header."""
    from transformers import TextStreamer

    class AnswerStreamer(TextStreamer):
        def __init__(self) -> None:
            super().__init__(tokenizer, skip_prompt=True, skip_special_tokens=True)
            self.text, self.shown = "", 0

        def on_finalized_text(self, text: str, stream_end: bool = False) -> None:
            self.text += text
            ended = stream_end or (at_header and RESPONSE_END in self.text)
            visible = self.text.split(RESPONSE_END, 1)[0] if at_header else self.text
            visible = visible.rstrip() if ended else visible
            held = len(RESPONSE_END) if at_header else 0  # a header may be starting
            open_end = min(len(visible) - held, len(visible.rstrip()))  # and trailing blanks
            safe = len(visible) if ended else max(self.shown, open_end)
            out.write(visible[self.shown : safe])
            out.flush()
            self.shown = max(self.shown, safe)

    return AnswerStreamer()


def answer(
    model: Any, tokenizer: Any, question: str, context: str, settings, out: TextIO, fmt: str
) -> str:
    """Stream the greedy answer of ``model``, prompted in format ``fmt``, to ``out``; return it."""
    import torch

    example = {"instruction": question, "input": context}
    inputs = tokenizer(generation_prompt(tokenizer, example, fmt), return_tensors="pt")
    at_header = fmt != CHAT  # a chat answer ends only at the end-of-turn token
    stops = {"stop_strings": [RESPONSE_END], "tokenizer": tokenizer} if at_header else {}
    streamer = answer_streamer(tokenizer, out, at_header)
    with torch.inference_mode():
        model.generate(
            **inputs,
            max_new_tokens=settings.max_new_tokens,
            do_sample=False,
            repetition_penalty=settings.repetition_penalty,
            eos_token_id=tokenizer.eos_token_id,
            pad_token_id=tokenizer.pad_token_id,
            streamer=streamer,
            **stops,
        )
    return cut_answer(streamer.text, at_header)


def main(args: argparse.Namespace, out: TextIO | None = None) -> int:
    from slm_finetune.evaluation.evaluate import check_adapter
    from slm_finetune.evaluation.model_pair import MODEL_LABELS, iter_models

    out = out or sys.stdout  # looked up now, so a redirected stdout is used
    questions = chosen_questions(args)
    if args.max_new_tokens < 1:
        raise UserError(f"--max-new-tokens must be >= 1, got {args.max_new_tokens}")
    adapter = Path(args.adapter or project_root() / DEFAULT_ADAPTER)
    check_adapter(adapter)
    settings = GenerationSettings(max_new_tokens=args.max_new_tokens)
    which = ("ft", "base") if args.base else ("ft",)
    answers: dict[str, list[str]] = {}
    for loaded in iter_models(adapter, resolve(args.precision or "auto"), which):
        out.write(f"== {MODEL_LABELS[loaded.name]} ==\n")
        for q in questions:
            out.write(f"Q: {q['instruction']}\nA: ")
            answers.setdefault(loaded.name, []).append(answer(
                loaded.model, loaded.tokenizer, q["instruction"], q["input"], settings, out,
                loaded.prompt_format))
            out.write("\n\n")
    if args.save:
        save_answers(args.save, args, questions, answers)
        out.write(f"saved {display_path(args.save)}\n")
    return 0


def chosen_questions(args: argparse.Namespace) -> list[dict]:
    """``{"index", "instruction", "input"}`` per question: from the test split's first
    ``--test-questions`` examples (``index`` = their position), else the argument or file."""
    n = getattr(args, "test_questions", None)
    if n is None:
        return [{"index": None, "instruction": q, "input": args.input}
                for q in read_questions(args.question, args.file)]
    if args.question is not None or args.file is not None or n < 1:
        raise UserError("--test-questions N (N >= 1) replaces the question and --file")
    from slm_finetune.data.schema import read_jsonl

    examples = read_jsonl(project_root() / "data/test.jsonl")[:n]
    return [{"index": i, "instruction": ex.instruction, "input": ex.input}
            for i, ex in enumerate(examples)]


def save_answers(path: Path, args: argparse.Namespace, questions: list[dict],
                 answers: dict[str, list[str]]) -> None:
    """The questions and both models' answers as JSON, with the command that made them."""
    command = ["python", "-m", "slm_finetune", "ask"]
    command += (["--test-questions", str(args.test_questions)] if args.test_questions
                else ["..."])
    command += ["--base"] if args.base else []
    examples = [{"index": q["index"], "question": q["instruction"], "input": q["input"],
                 **{key: answers[name][k] for name, key in (("base", "base"), ("ft", "finetuned"))
                    if name in answers}} for k, q in enumerate(questions)]
    write_text_atomic(path, json.dumps({"command": " ".join(command), "examples": examples},
                                       indent=2, ensure_ascii=False) + "\n")
