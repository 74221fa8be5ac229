"""`python -m slm_finetune ask`: questions in, streamed answers out, clear errors."""

import io
from types import SimpleNamespace

import pytest

from slm_finetune import ask
from slm_finetune.ask import answer_streamer, read_questions
from slm_finetune.cli import main
from slm_finetune.evaluation import model_pair
from slm_finetune.prompt import write_prompt_format
from tatweer_common.errors import UserError


def test_questions_come_from_the_argument_or_the_file(tmp_path):
    assert read_questions("  Flush DNS?  ", None) == ["Flush DNS?"]
    file = tmp_path / "q.txt"
    file.write_text("How do I list files?\n\n  Reset my password?\n")
    assert read_questions(None, file) == ["How do I list files?", "Reset my password?"]
    for question, path, problem in (
        ("   ", None, "the question is empty"),
        (None, None, "give one question"),
        ("Q?", file, "give one question"),
        (None, tmp_path / "missing.txt", "file not found"),
    ):
        with pytest.raises(UserError, match=problem):
            read_questions(question, path)
    file.write_text("\n  \n")
    with pytest.raises(UserError, match="no question in it"):
        read_questions(None, file)


def test_the_stream_stops_before_the_next_template_header():
    out = io.StringIO()
    streamer = answer_streamer(None, out)
    for chunk, end in (("Run `ls -la` ", False), ("in the folder.\n##", False),
                       ("# Instruction:\nMore", False), ("", True)):  # fmt: skip
        streamer.on_finalized_text(chunk, end)
    assert out.getvalue() == "Run `ls -la` in the folder."


def test_a_chat_answer_is_not_cut_at_a_template_header():
    out = io.StringIO()
    streamer = answer_streamer(None, out, at_header=False)
    for chunk, end in (("Steps:\n### ", False), ("Linux\nRun `df -h`. ", False), ("", True)):
        streamer.on_finalized_text(chunk, end)
    assert out.getvalue() == "Steps:\n### Linux\nRun `df -h`."


def test_both_models_are_prompted_in_the_format_the_adapter_records(tmp_path, monkeypatch):
    # the real model_pair.iter_models, with the weights' loading stubbed out
    import peft

    from slm_finetune.training import model as base_model

    for name in ("adapter_config.json", "adapter_model.safetensors"):
        (tmp_path / name).write_text("")
    weights = SimpleNamespace(merge_and_unload=lambda: weights, eval=lambda: None)
    monkeypatch.setattr(base_model, "load_base_model",
                        lambda: (weights, None, SimpleNamespace(description="base")))
    monkeypatch.setattr(peft.PeftModel, "from_pretrained", lambda model, path: weights)
    formats = []
    monkeypatch.setattr(ask, "answer", lambda *args: formats.append(args[-1]) or "")
    args = ["ask", "How do I list files?", "--base", "--adapter", str(tmp_path),
            "--precision", "fp32"]
    assert main(args) == 0
    # no record: an adapter trained in the template; the base model always in its chat format
    assert formats == ["template", "chat"]
    write_prompt_format(tmp_path, "chat")
    assert main(args) == 0
    assert formats[2:] == ["chat", "chat"]


def test_test_questions_are_answered_by_both_models_and_saved(tmp_path, monkeypatch):
    import json

    for name in ("adapter_config.json", "adapter_model.safetensors"):
        (tmp_path / name).write_text("")
    monkeypatch.setattr(model_pair, "iter_models", lambda adapter, precision, which: (
        SimpleNamespace(name=n, model=n, tokenizer=None, prompt_format="template")
        for n in which))
    monkeypatch.setattr(ask, "answer", lambda model, tok, question, *rest: f"{model}: {question}")
    saved = tmp_path / "answers.json"
    args = ["ask", "--test-questions", "2", "--base", "--adapter", str(tmp_path), "--save",
            str(saved)]
    assert main(args) == 0
    data = json.loads(saved.read_text())
    first = json.loads((ask.project_root() / "data/test.jsonl").read_text().splitlines()[0])
    assert data["command"] == "python -m slm_finetune ask --test-questions 2 --base"
    assert [e["index"] for e in data["examples"]] == [0, 1]
    assert data["examples"][0]["question"] == first["instruction"]
    assert data["examples"][0]["base"] == f"base: {first['instruction']}"
    assert data["examples"][0]["finetuned"] == f"ft: {first['instruction']}"
    assert main(["ask", "Q?", "--test-questions", "2", "--adapter", str(tmp_path)]) == 2


def test_a_missing_adapter_or_an_empty_question_is_one_clear_line(tmp_path, capsys):
    assert main(["ask", "How do I list files?", "--adapter", str(tmp_path)]) == 2
    assert "no adapter_config.json (train first" in capsys.readouterr().err
    assert main(["ask", "", "--adapter", str(tmp_path)]) == 2
    assert "the question is empty" in capsys.readouterr().err


@pytest.mark.slow
def test_both_models_answer_every_question_of_the_file(tmp_path, monkeypatch, capsys):
    from slm_finetune.evaluation.evaluate import smoke_adapter

    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    adapter = smoke_adapter(tmp_path / "adapter")  # untrained: the same answers as the base
    write_prompt_format(adapter, "chat")  # prompted as the base model is
    file = tmp_path / "q.txt"
    file.write_text("How do I check free disk space on Linux?\nHow do I flush DNS on Windows?\n")
    args = ["ask", "--file", str(file), "--base", "--adapter", str(adapter)]
    assert main([*args, "--max-new-tokens", "8"]) == 0
    printed = capsys.readouterr().out
    tuned, base = printed.split("== Fine-Tuned Model ==")[1].split("== Base Model ==")
    answers = [part.split("\n\n")[0] for part in tuned.split("A: ")[1:]]
    assert len(answers) == 2 and all(a.strip() for a in answers)
    assert [part.split("\n\n")[0] for part in base.split("A: ")[1:]] == answers
