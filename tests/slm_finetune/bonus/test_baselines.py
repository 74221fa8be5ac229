"""Prompting baselines: exact prompts, the few-shot rule, the results table, a tiny real run."""

import json

import pandas as pd
import pytest

from slm_finetune.bonus import baselines
from slm_finetune.bonus.baselines import ApproachRun
from slm_finetune.cli import COMMANDS
from slm_finetune.data.schema import Example
from slm_finetune.evaluation import metrics
from slm_finetune.evaluation.generate import Generation
from tatweer_common.cli import dispatch
from tatweer_common.errors import UserError

SYSTEM = (
    "You are a helpful expert assistant. Answer the following question accurately and concisely."
)
QUERY = Example("Why is my laptop slow?", "Windows 11", "Check Task Manager.")
SHOT = Example("How do I flush DNS?", "", "Run `ipconfig /flushdns`.")


def main(argv):
    return dispatch("slm_finetune", "", {"baselines": COMMANDS["baselines"]}, argv)


class ChatML:
    """A tokenizer stand-in that renders messages the way SmolLM2's chat template does."""

    def apply_chat_template(self, messages, tokenize, add_generation_prompt):
        assert tokenize is False and add_generation_prompt is True
        turns = "".join(f"<|im_start|>{m['role']}\n{m['content']}<|im_end|>\n" for m in messages)
        return turns + "<|im_start|>assistant\n"


def turn(role, text):
    return f"<|im_start|>{role}\n{text}<|im_end|>\n"


ASSISTANT = "<|im_start|>assistant\n"


def test_zero_shot_and_cot_prompts_are_chat_turns():
    question = "Why is my laptop slow?\n\nWindows 11"
    zero = baselines.zero_shot_prompt(ChatML(), QUERY)
    assert zero == turn("system", SYSTEM) + turn("user", question) + ASSISTANT
    cot = question.replace("slow?", "slow? Let's think step by step.")
    assert baselines.cot_prompt(ChatML(), QUERY) == (
        turn("system", SYSTEM) + turn("user", cot) + ASSISTANT)


def test_few_shot_prompt_gives_the_shots_as_earlier_turns():
    prompt = baselines.few_shot_prompt(ChatML(), QUERY, [SHOT, SHOT, SHOT])
    shot = turn("user", "How do I flush DNS?") + turn("assistant", "Run `ipconfig /flushdns`.")
    query = turn("user", "Why is my laptop slow?\n\nWindows 11")
    assert prompt == turn("system", SYSTEM) + shot * 3 + query + ASSISTANT
    ft = baselines.build_prompts("fine_tuned", ChatML(), [QUERY], [])
    template = ("### Instruction:\nWhy is my laptop slow?\n\n### Input:\nWindows 11\n\n"
                "### Response:\n")
    assert ft == [template]  # the fine-tuned model gets evaluate's training template
    chat = baselines.build_prompts("fine_tuned", ChatML(), [QUERY], [], "chat")
    assert chat == [turn("user", "Why is my laptop slow?\n\nWindows 11") + ASSISTANT]
    assert baselines.build_prompts("cot", ChatML(), [QUERY], []) == [
        baselines.cot_prompt(ChatML(), QUERY)]


def _ex(i, length, topic, source="seed", inp=""):
    return Example(f"question {i}", inp, "x" * length, topic, source)


def test_shots_are_hand_written_distinct_topics_closest_to_the_median():
    train = [
        _ex(0, 100, "git"),
        _ex(1, 101, "git"),
        _ex(2, 90, "dns_vpn"),
        _ex(3, 100, "docker", inp="log"),
        _ex(4, 100, "email", source="synthetic"),
        _ex(5, 130, "linux"),
        _ex(6, 300, "cloud"),
        _ex(7, 100, "email", source="synthetic"),
    ]  # fmt: skip  (median answer length: 100)
    shots = baselines.select_shots(train)
    assert [s.instruction for s in shots] == ["question 0", "question 2", "question 5"]
    unlabelled = [Example(f"q{i}", "", "y" * n) for i, n in enumerate((10, 50, 52, 49, 80))]
    assert [s.instruction for s in baselines.select_shots(unlabelled)] == ["q1", "q3", "q2"]
    with pytest.raises(UserError, match="only 2 examples fit"):
        baselines.select_shots(train[:3])


def test_provenance_comes_from_the_manifest_train_rows(tmp_path):
    manifest = tmp_path / "manifest.csv"
    manifest.write_text(
        "split,line,topic,source,origin,similar_group,reason,instruction_sha1\n"
        "test,1,git,seed,a,,,x\ntrain,2,docker,seed,b,,,y\n",
        encoding="utf-8",
    )
    train = [Example("a", "", "b"), Example("c", "", "d")]
    tagged = baselines.with_provenance(train, manifest)
    assert (tagged[0].topic, tagged[1].topic, tagged[1].source) == ("", "docker", "seed")
    assert baselines.with_provenance(train, tmp_path / "none.csv") == train


def _run(key, answers, tokens, seconds=0.5):
    gens = [Generation(a, a, n, n < 10) for a, n in zip(answers, (5, 12), strict=True)]
    return ApproachRun(key, ["p"] * 2, tokens, gens, 0, seconds, 3.0)


def test_results_frame_scores_costs_and_wins(tmp_path):
    tests = [Example("q1", "", "restart the router"), Example("q2", "", "clear the dns cache")]
    runs = {
        "zero_shot": _run("zero_shot", ["restart the router now", "reboot"], [40, 44]),
        "few_shot": _run("few_shot", ["restart it", "clear the dns cache"], [600, 610]),
        "cot": _run("cot", ["think", "step"], [50, 54]),
        "fine_tuned": _run("fine_tuned", ["restart the router", "flush dns"], [20, 24]),
    }
    frame = baselines.results_frame(tests, runs)
    assert frame["approach"].tolist() == list(baselines.APPROACHES)
    refs = [t.output for t in tests]
    few = frame.set_index("approach").loc["few_shot"]
    expected = [
        r["rougeL"] for r in metrics.rouge_scores(["restart it", "clear the dns cache"], refs)
    ]
    assert few["rougeL"] == pytest.approx(sum(expected) / 2)
    assert few["bleu"] == pytest.approx(
        metrics.corpus_bleu(["restart it", "clear the dns cache"], refs)
    )
    assert few["prompt_tokens_mean"] == 605 and few["rougeL_wins_vs_ft"] == 1
    assert frame.set_index("approach").loc["fine_tuned", "rougeL_wins_vs_ft"] == 0
    assert few["new_tokens_mean"] == 8.5 and few["finished_share"] == 0.5
    path = baselines.plot_comparison(frame, tmp_path / "chart.png")
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "Few-shot, 3 examples (base)" in baselines.format_results(frame)


def test_cli_rejects_negative_counts(capsys):
    assert main(["baselines", "--limit", "-1"]) == 2
    assert "--limit must be >= 0" in capsys.readouterr().err
    assert main(["baselines", "--timing-examples", "-2"]) == 2
    assert "--timing-examples must be >= 0" in capsys.readouterr().err


@pytest.mark.slow
def test_tiny_run_with_the_smoke_adapter_shares_evaluates_cache(tmp_path, monkeypatch, capsys):
    from slm_finetune.evaluation.evaluate import smoke_adapter

    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    adapter = smoke_adapter(tmp_path / "adapter")
    test_file = tmp_path / "test.jsonl"
    rows = [{"instruction": "How do I check free disk space on Linux?", "input": "",
             "output": "Run `df -h`."},
            {"instruction": "Explain this git error.", "input": "fatal: not a git repository",
             "output": "You are outside a repository."}]  # fmt: skip
    test_file.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    cache, out = tmp_path / "cache.jsonl", tmp_path / "out"
    common = ["--adapter", str(adapter), "--test-file", str(test_file), "--cache", str(cache),
              "--max-new-tokens", "6", "--output-dir", str(out)]  # fmt: skip
    evaluate = {"evaluate": COMMANDS["evaluate"]}
    assert dispatch("slm_finetune", "", evaluate, ["evaluate", *common, "--limit", "1"]) == 0
    assert main(["baselines", *common, "--timing-examples", "1"]) == 0
    assert "Chain-of-thought (base)" in capsys.readouterr().out
    frame = pd.read_csv(out / "baseline_results.csv").set_index("approach")
    assert frame.index.tolist() == list(baselines.APPROACHES)
    assert frame.loc["fine_tuned", "from_cache"] == 1  # evaluate answered example 1 already
    assert frame.loc[["zero_shot", "few_shot", "cot"], "from_cache"].tolist() == [0, 0, 0]
    tokens = frame["prompt_tokens_mean"]
    assert tokens["few_shot"] > tokens["cot"] > tokens["zero_shot"] > tokens["fine_tuned"]
    assert (frame["seconds_per_example"] > 0).all() and (frame["n_examples"] == 2).all()
    outputs = pd.read_csv(out / "baseline_outputs.csv", keep_default_na=False)
    assert len(outputs) == 2 and "few_shot_answer" in outputs.columns
    assert (out / "baseline_comparison.png").is_file()
    assert main(["baselines", *common, "--timing-examples", "0"]) == 0
    again = pd.read_csv(out / "baseline_results.csv")
    assert (again["from_cache"] == 2).all() and again["seconds_per_example"].isna().all()
    assert len(set(frame["precision"])) == 1 and frame["precision"].iloc[0] in ("fp32", "bf16")
    other = "bf16" if frame["precision"].iloc[0] == "fp32" else "fp32"
    assert main(["baselines", *common, "--timing-examples", "0", "--precision", other]) == 0
    switched = pd.read_csv(out / "baseline_results.csv")  # the other precision's answers
    assert (switched["from_cache"] == 0).all() and (switched["precision"] == other).all()


def test_smoke_preset_and_options(monkeypatch):
    import argparse

    parser = argparse.ArgumentParser()
    baselines.add_arguments(parser)
    monkeypatch.setenv("TATWEER_SMOKE", "1")
    config = baselines.config_from_args(parser.parse_args([]))
    assert (config.limit, config.timing_examples, config.settings.max_new_tokens) == (2, 2, 16)
    monkeypatch.delenv("TATWEER_SMOKE")
    config = baselines.config_from_args(parser.parse_args(["--timing-examples", "0"]))
    assert (config.limit, config.timing_examples, config.settings.max_new_tokens) == (0, 0, 200)
    assert config.settings.batch_size == 16
    config = baselines.config_from_args(parser.parse_args(["--batch-size", "4"]))
    assert (config.settings.batch_size, config.settings.max_new_tokens) == (4, 200)
    assert config.cache_file == "outputs/generation_cache.jsonl"  # shared with evaluate


def test_the_analysis_follows_the_numbers():
    import pandas as pd

    from slm_finetune.bonus.baselines import analysis

    cols = ["approach", "label", "n_examples", "rougeL", "bleu", "prompt_tokens_mean",
            "new_tokens_mean", "finished_share", "seconds_per_example", "rougeL_wins_vs_ft"]
    rows = [("zero_shot", "Zero", 10, 0.20, 0.05, 50, 100, 0.9, 1.0, 2),
            ("few_shot", "Few", 10, 0.25, 0.09, 500, 150, 0.5, 3.0, 6),
            ("cot", "CoT", 10, 0.15, 0.06, 60, 200, 0.4, 1.2, 1),
            ("fine_tuned", "FT", 10, 0.22, 0.08, 40, 120, 0.8, 1.5, 0)]
    lines = analysis(pd.DataFrame(rows, columns=cols))
    assert lines[0] == "prompting matches or beats fine-tuning on at least one metric: Few"
    assert "Few: better than the fine-tuned model on 6 of 10" in lines[2]
    assert "12.5x the fine-tuned prompt" in lines[2] and "50% of its answers" in lines[2]
    assert lines[4].endswith("better on BLEU only; its answers are 2.0x as long")
    assert lines[5] == ("few-shot costs 2.0x the fine-tuned model's time per answer "
                        "(+0.0500 ROUGE-L over zero-shot)")
