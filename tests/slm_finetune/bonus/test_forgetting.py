"""Catastrophic-forgetting tests: scoring rules, WikiText selection, the run on a tiny subset."""

import json

import pytest

from slm_finetune.bonus import forgetting, wikitext
from slm_finetune.bonus.forgetting import PROBES, Probe, count_list_items, score
from slm_finetune.cli import COMMANDS
from tatweer_common.cli import dispatch
from tatweer_common.errors import UserError

WIKI = """
 = Robert Boulter =

 Robert Boulter is an English film , television and theatre actor . He had a guest @-@ starring role on the television series The Bill in 2000 . Short one .
 = = Career = =

 In 2006 , Boulter starred alongside Whishaw in the play Citizenship written by Mark Ravenhill . He appeared on a 2006 episode of the series , Doctors , which he did n't like .
 The station 's output rose to 1 @,@ 200 units ( about 3 @.@ 5 tonnes ) in its first full year of operation .
 He said " this is the start of something very large and "
"""  # noqa: E501 - real WikiText paragraphs are long lines


def main(argv):
    return dispatch("slm_finetune", "", {k: COMMANDS[k] for k in ("forgetting",)}, argv)


@pytest.mark.parametrize(
    ("probe", "passing", "failing"),
    [
        (Probe("q", "Capital of France?", "contains", "Paris"), "It is Paris.", "It is Parisian."),
        (Probe("q", "Gold?", "contains", "Au"), "Gold is Au (79).", "Gold is from Australia."),
        (Probe("q", "Sky?", "contains", "scatter|scattering"), "Rayleigh scattering.", "Light."),
        (Probe("i", "Hello in Spanish?", "translation", "hola"), "¡Hóla!", "Buenos días."),
        (Probe("i", "Caps", "exact_case", "BANANA"), "BANANA", "Banana"),
        (Probe("i", "List 3", "list_count", "3"), "- a\n- b\n- c", "- a\n- b"),
        (Probe("i", "List 3", "list_count", "3"), "Fruits: apple, pear and plum.", "Apples."),
        (Probe("i", "Haiku", "line_count", "3"), "a\n\nb\nc", "a b c"),
        (Probe("m", "What is 17 × 8?", "number", "136"), "17 × 8 = 136", "17 × 8 = 126, not 136"),
        (Probe("m", "Is A > C?", "yes_no", "yes"), "Yes, because no gap.", "No, yes it is."),
    ],
)
def test_every_rule_passes_and_fails(probe, passing, failing):
    assert score(probe, passing) == 1
    assert score(probe, failing) == 0


def test_list_items_are_counted_from_lines_or_an_inline_list():
    assert count_list_items("Here:\n1. cat\n2) dog\n* cow\n• eel") == 4
    assert count_list_items("Apple, banana, cherry and kiwi") == 4
    assert count_list_items("Just one sentence about fruit.") == 0


def test_the_probe_set_is_complete_and_scorable():
    per_category = {c: [p for p in PROBES if p.category == c] for c in forgetting.CATEGORIES}
    assert [len(v) for v in per_category.values()] == [5, 5, 5]
    assert {p.rule for p in PROBES} <= set(forgetting.RULES)
    for probe in PROBES:
        if probe.rule == "number":  # the answer must not be a number copied from the prompt
            assert float(probe.expected) not in forgetting.numbers(probe.prompt)
    assert [p.category for p in forgetting.select_probes(1)] == list(forgetting.CATEGORIES)


def test_probe_prompt_is_the_fine_tuning_template():
    probe = Probe("q", "What is 2 + 2?", "number", "4")
    assert forgetting.probe_prompt(probe) == "### Instruction:\nWhat is 2 + 2?\n\n### Response:\n"


def test_sentence_selection_follows_the_documented_rule():
    lines = WIKI.splitlines()
    found = wikitext.candidate_sentences(lines)
    assert found == [
        "Robert Boulter is an English film, television and theatre actor.",
        "He had a guest-starring role on the television series The Bill in 2000.",
        "In 2006, Boulter starred alongside Whishaw in the play Citizenship written by Mark "
        "Ravenhill.",
        "He appeared on a 2006 episode of the series, Doctors, which he didn't like.",
        "The station's output rose to 1,200 units (about 3.5 tonnes) in its first full year of "
        "operation.",
    ]  # no headings, no short or unfinished sentence, tokenisation undone
    first = wikitext.select_sentences(lines, 3, seed=1)
    assert first == wikitext.select_sentences(lines, 3, seed=1)
    assert set(first) <= set(found) and len(set(first)) == 3
    others = {tuple(wikitext.select_sentences(lines, 3, seed=s)) for s in range(8)}
    assert len(others) > 1  # the seed matters
    with pytest.raises(UserError, match="only 5 full sentences"):
        wikitext.select_sentences(lines, 6)


def test_offline_fallback_reads_the_assets_file(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("TATWEER_ASSETS", str(tmp_path))
    (tmp_path / "text").mkdir()
    (tmp_path / "text" / "wikitext_test_raw.txt").write_text(WIKI, encoding="utf-8")
    lines, source = wikitext.load_lines()
    assert lines == WIKI.splitlines() and "CC BY-SA 3.0" in source
    printed = capsys.readouterr().out.strip().splitlines()
    assert len(printed) == 1 and "HF_HUB_OFFLINE is set" in printed[0]
    with pytest.raises(UserError, match="WikiText test file not found"):
        wikitext.load_lines(tmp_path / "missing.txt")


def test_degradation_is_positive_when_the_fine_tuned_model_is_worse():
    assert forgetting.degradation(0.8, 0.6, True) == pytest.approx(25.0)
    assert forgetting.degradation(20.0, 25.0, False) == pytest.approx(25.0)
    assert forgetting.degradation(20.0, 15.0, False) == pytest.approx(-25.0)
    assert forgetting.degradation(0.0, 0.4, True) is None
    assert str(forgetting.degradation(0.5, 0.5, True)) == "0.0"


def test_cli_rejects_a_bad_sentence_count(capsys):
    assert main(["forgetting", "--sentences", "0"]) == 2
    assert "--sentences must be >= 1" in capsys.readouterr().err


@pytest.mark.slow
def test_tiny_run_writes_the_table_and_reuses_the_cache(tmp_path, monkeypatch, capsys):
    from slm_finetune.evaluation.evaluate import smoke_adapter

    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("TATWEER_SMOKE", "1")  # one prompt per category, 16 new tokens
    wiki = tmp_path / "wiki.txt"
    wiki.write_text(WIKI, encoding="utf-8")
    adapter = smoke_adapter(tmp_path / "adapter")  # untrained: answers equal the base model's
    args = ["forgetting", "--adapter", str(adapter), "--output-dir", str(tmp_path / "out"),
            "--cache", str(tmp_path / "cache.jsonl"), "--wikitext-file", str(wiki),
            "--sentences", "2", "--max-new-tokens", "6"]  # fmt: skip
    assert main(args) == 0
    printed = capsys.readouterr().out
    assert "Test Category" in printed and "Degradation %" in printed
    summary = json.loads((tmp_path / "out" / "forgetting_results.json").read_text())
    table = {row["Test Category"]: row for row in summary["table"]}
    assert list(table) == [*forgetting.CATEGORIES, "All 3 prompts", forgetting.FLUENCY]
    fluency = table[forgetting.FLUENCY]
    assert fluency["Fine-Tuned Score"] == pytest.approx(fluency["Base Model Score"], rel=1e-4)
    assert 1 < fluency["Base Model Score"] < 1e4
    templates = summary["prompt_templates"]  # same weights, each in its own prompt format
    assert templates["base"].startswith("<|im_start|>")
    assert "{prompt}<|im_end|>" in templates["base"]
    assert templates["ft"] == "### Instruction:\n{prompt}\n\n### Response:\n"
    for probe in summary["probes"]:
        assert probe["base_score"] == score(Probe(**{k: probe[k] for k in (
            "category", "prompt", "rule", "expected")}), probe["base_answer"])  # fmt: skip
    assert summary["fluency"]["n_sentences"] == 2 and "offline file" in summary["fluency"]["source"]
    assert summary["generations_from_cache"] == {"base": 0, "ft": 0}
    assert summary["precision"]["name"] in ("fp32", "bf16") and summary["precision"]["reason"]
    assert main(args) == 0  # the second run answers from the cache
    again = json.loads((tmp_path / "out" / "forgetting_results.json").read_text())
    assert again["generations_from_cache"] == {"base": 3, "ft": 3}


def test_smoke_preset_and_options(monkeypatch):
    import argparse

    parser = argparse.ArgumentParser()
    forgetting.add_arguments(parser)
    monkeypatch.setenv("TATWEER_SMOKE", "1")
    config = forgetting.config_from_args(parser.parse_args(["--sentences", "7"]))
    assert (config.n_sentences, config.probes_per_category) == (7, 1)
    assert config.settings.max_new_tokens == 16 and config.output_dir == "outputs/smoke/bonus"
    monkeypatch.delenv("TATWEER_SMOKE")
    config = forgetting.config_from_args(parser.parse_args(["--max-new-tokens", "64"]))
    assert (config.n_sentences, config.probes_per_category, config.output_dir) == (
        100,
        0,
        "outputs",
    )
    assert config.settings.max_new_tokens == 64 and config.adapter == "outputs/lora_adapter"


def test_the_base_model_gets_the_probe_in_its_chat_template():
    class Chat:
        def apply_chat_template(self, messages, tokenize, add_generation_prompt):
            return repr((messages, tokenize, add_generation_prompt))

    probe = forgetting.Probe(forgetting.MATH, "What is 2 + 2?", "number", "4")
    user = [{"role": "user", "content": "What is 2 + 2?"}]
    assert forgetting.probe_prompt(probe, Chat(), "chat") == repr((user, False, True))
    assert forgetting.probe_prompt(probe, Chat(), "template").startswith("### Instruction:\n")
