"""`python -m slm_finetune evaluate`: table maths, CLI errors, a tiny end-to-end run."""

import json
import math

import pandas as pd
import pytest

from slm_finetune.cli import main
from slm_finetune.evaluation import evaluate
from slm_finetune.prompt import write_prompt_format
from tatweer_common.errors import UserError

ROWS = [
    ("How do I flush the DNS cache on Windows?", "",
     "Open Command Prompt as administrator and run `ipconfig /flushdns`."),
    ("Explain this git error.", "fatal: not a git repository",
     "The command ran outside a Git working tree. Change into the project folder first."),
    ("How do I check free disk space on Linux?", "",
     "Run `df -h` per filesystem and `du -sh *` inside a folder."),
]  # fmt: skip


def write_jsonl(path, rows=ROWS):
    lines = [json.dumps({"instruction": i, "input": x, "output": o}) for i, x, o in rows]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def per_example(prefix, nll, tokens, rouge, outputs):
    full_tokens = [2 * t for t in tokens]
    data = {f"{prefix}_response_nll": nll, f"{prefix}_response_tokens": tokens,
            f"{prefix}_full_nll": [2 * v for v in nll], f"{prefix}_full_tokens": full_tokens,
            f"{prefix}_rouge1": rouge, f"{prefix}_rouge2": rouge, f"{prefix}_rougeL": rouge,
            f"{prefix}_output": outputs, f"{prefix}_key_fact_recall": [1.0, 0.0]}  # fmt: skip
    return pd.DataFrame(data)


def test_results_table_is_token_weighted_and_perplexity_improves_downwards():
    refs = ["run ipconfig /flushdns now", "change into the project folder"]
    frame = pd.concat(
        [pd.DataFrame({"reference": refs}),
         per_example("base", [20.0, 40.0], [10, 10], [0.1, 0.3], ["hello", "world"]),
         per_example("base_spec", [30.0, 30.0], [10, 10], [0.0, 0.1], ["a", "b"]),
         per_example("ft", [10.0, 20.0], [5, 15], [0.3, 0.5], refs)], axis=1,
    )  # fmt: skip
    table = {row["metric"]: row for row in evaluate.results_table(frame)}
    ppl = table["Perplexity (response tokens)"]
    assert ppl["base"] == pytest.approx(math.exp(60 / 20))
    assert ppl["finetuned"] == pytest.approx(math.exp(30 / 20))
    assert ppl["improvement_pct"] == pytest.approx(
        (ppl["base"] - ppl["finetuned"]) / ppl["base"] * 100
    )
    assert ppl["improvement_pct"] > 0 and not ppl["higher_is_better"]
    rouge = table["ROUGE-L"]
    assert (rouge["base"], rouge["finetuned"]) == pytest.approx((0.2, 0.4))
    assert rouge["improvement_pct"] == pytest.approx(100.0)
    assert table["BLEU"]["finetuned"] == pytest.approx(1.0)
    assert table["Key-fact accuracy"]["base"] == pytest.approx(0.5)
    assert evaluate.key_fact_passes(frame, "ft") == 1
    assert (rouge["base_spec"], ppl["base_spec"]) == pytest.approx((0.05, math.exp(60 / 20)))
    assert set(evaluate.rouge_intervals(frame)) == {"base", "base_spec", "finetuned", "difference"}
    assert evaluate.improvement(0.0, 1.0, True) != evaluate.improvement(0.0, 1.0, True)  # NaN


def test_printed_table_has_the_spec_columns():
    summary = {"table": [{"metric": "ROUGE-L", "base": 0.2, "finetuned": 0.3,
                          "improvement_pct": 50.0, "higher_is_better": True}]}  # fmt: skip
    header, line = evaluate.format_table(summary).splitlines()
    spec = "Metric Base Model Fine-Tuned Model Improvement (%)"
    assert header.split() == f"{spec} {evaluate.SPEC_COLUMN}".split()
    assert line.split() == ["ROUGE-L", "0.2000", "0.3000", "+50.0", "n/a"]  # no spec column
    summary["table"][0]["base_spec"] = 0.1
    header, line = evaluate.format_table(summary).splitlines()
    assert header.endswith(evaluate.SPEC_COLUMN) and line.split()[-1] == "0.1000"


def test_review_file_applies_only_to_its_own_run(tmp_path, capsys):
    path = tmp_path / "review.json"
    assert evaluate.load_review(path, "abc") is None  # no file yet
    path.write_text(json.dumps({"run_id": "abc", "reviews": {"7": {"label": "incomplete"}}}))
    assert evaluate.load_review(path, "abc") == {7: "incomplete"}
    assert evaluate.load_review(path, "other") is None
    assert "reviews ignored" in capsys.readouterr().out
    path.write_text(json.dumps({"run_id": "abc", "reviews": {"7": {"label": "wrong"}}}))
    with pytest.raises(UserError, match="unknown review label"):
        evaluate.load_review(path, "abc")


def test_review_status_says_which_run_the_reviews_are_for(tmp_path):
    path = tmp_path / "review.json"
    assert "missing" in evaluate.review_status(path, "abc")["note"]
    path.write_text(json.dumps({"run_id": "abc", "reviews": {}}))
    same = evaluate.review_status(path, "abc")
    assert same["applies"] and same["note"] is None and same["written_for_run"] == "abc"
    other = evaluate.review_status(path, "xyz")
    assert not other["applies"]
    assert "for evaluation run abc, not this run xyz" in other["note"]


def test_cli_reports_bad_input_in_one_line(tmp_path, capsys):
    test_file = write_jsonl(tmp_path / "test.jsonl")
    code = main(["evaluate", "--test-file", str(test_file), "--adapter", str(tmp_path / "none")])
    assert code == 2 and "no adapter_config.json" in capsys.readouterr().err
    test_file.write_text(test_file.read_text() + '{"instruction": "x"}\n')
    assert main(["evaluate", "--test-file", str(test_file)]) == 2
    assert f"{test_file}:4: missing key(s) input, output" in capsys.readouterr().err
    assert main(["evaluate", "--limit", "-1"]) == 2
    assert "--limit must be >= 0" in capsys.readouterr().err


def test_smoke_mode_defaults_to_a_tiny_run(monkeypatch):
    import argparse

    parser = argparse.ArgumentParser()
    evaluate.add_arguments(parser)
    monkeypatch.setenv("TATWEER_SMOKE", "1")
    config = evaluate.config_from_args(parser.parse_args([]))
    assert (config.limit, config.settings.max_new_tokens) == (3, 16)
    assert config.output_dir == "outputs/smoke/evaluation"
    monkeypatch.delenv("TATWEER_SMOKE")
    config = evaluate.config_from_args(parser.parse_args(["--limit", "5"]))
    assert (config.limit, config.settings.max_new_tokens, config.output_dir) == (5, 200, "outputs")


@pytest.mark.slow
def test_end_to_end_with_an_identity_adapter(tmp_path, monkeypatch, capsys):
    """An untrained adapter (B = 0) must score exactly like the base model."""
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    adapter = evaluate.smoke_adapter(tmp_path / "adapter")
    out = tmp_path / "out"
    test_file = write_jsonl(tmp_path / "t.jsonl")
    args = ["evaluate", "--adapter", str(adapter), "--test-file", str(test_file),
            "--limit", "2", "--max-new-tokens", "8", "--output-dir", str(out),
            "--cache", str(tmp_path / "cache.jsonl"), "--threads", "1"]  # fmt: skip
    assert main(args) == 0
    printed = capsys.readouterr().out
    assert "Improvement (%)" in printed and "ROUGE-L 95% CI" in printed
    summary = json.loads((out / "evaluation_summary.json").read_text())
    results = pd.read_csv(out / "evaluation_results.csv")
    assert summary["n_examples"] == len(results) == 2
    assert summary["precision"]["name"] in ("fp32", "bf16") and summary["precision"]["reason"]
    assert results["example_id"].tolist() == [1, 2]
    # same weights: in the same (spec) template the answers are the fine-tuned model's
    assert (results["base_spec_output"] == results["ft_output"]).all()
    for row in summary["table"]:
        assert row["finetuned"] == pytest.approx(row["base_spec"], rel=1e-4, nan_ok=True)
    assert summary["prompt_formats"] == {"base": "chat", "base_spec": "template", "ft": "template"}
    ppl = summary["table"][0]["base"]
    total = results["base_response_nll"].sum() / results["base_response_tokens"].sum()
    assert ppl == pytest.approx(math.exp(total))
    assert set(summary["rougeL_ci95"]) == {"base", "base_spec", "finetuned", "difference"}
    assert summary["generations_from_cache"] == {"base": 0, "base_spec": 0, "ft": 0}
    analysis = json.loads((out / "error_analysis.json").read_text())
    assert analysis["run_id"] == summary["run_id"] and (out / "error_analysis.png").is_file()

    assert main(args) == 0  # the re-run generates nothing
    again = json.loads((out / "evaluation_summary.json").read_text())
    assert again["generations_from_cache"] == {"base": 2, "base_spec": 2, "ft": 2}
    assert again["run_id"] == summary["run_id"] and again["table"] == summary["table"]

    low = analysis["examples"][0]["example_id"]
    review = tmp_path / "review.json"
    review.write_text(json.dumps({"run_id": summary["run_id"],
                                  "reviews": {str(low): {"label": "hallucination"}}}))  # fmt: skip
    config = evaluate.EvalConfig(output_dir=str(out), review_file=str(review))
    refreshed = evaluate.refresh_error_analysis(config)
    assert refreshed["reviewed_tally"]["hallucination"] == 1

    write_prompt_format(adapter, "chat")  # the adapter now says it was trained in chat format
    args[args.index("--output-dir") + 1] = str(tmp_path / "chat")
    assert main(args) == 0
    chat = json.loads((tmp_path / "chat" / "evaluation_summary.json").read_text())
    assert chat["prompt_formats"] == {"base": "chat", "base_spec": "template", "ft": "chat"}
    assert chat["generations_from_cache"] == {"base": 2, "base_spec": 2, "ft": 0}
    results = pd.read_csv(tmp_path / "chat" / "evaluation_results.csv")
    assert (results["base_output"] == results["ft_output"]).all()  # same weights, same prompt


def test_agreement_flags_each_value_beyond_the_tolerance():
    def run(ppl, rouge):
        rows = [("Perplexity", ppl), ("ROUGE-L", rouge)]
        return {"table": [{"metric": m, "base": v[0], "finetuned": v[1]} for m, v in rows]}

    frame = evaluate.agreement(run((20.0, 10.0), (0.1, 0.2)), run((20.2, 10.0), (0.1, 0.21)))
    assert frame["difference_pct"].round(6).tolist() == [1.0, 0.0, 0.0, 5.0]
    assert frame["within"].tolist() == [True, True, True, False]
    assert not evaluate.agreement(run((20.0, 10.0), (0.0, 0.2)), run((20.0, 10.0), (0.1, 0.2)))[
        "within"
    ][2]  # no relative difference from a zero: never counted as agreeing
