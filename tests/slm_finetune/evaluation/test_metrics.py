"""Metrics: token-weighted perplexity, ROUGE, BLEU smoothing, key facts, bootstrap."""

import math

import pytest

from slm_finetune.evaluation import metrics
from slm_finetune.evaluation.metrics import SequenceNLL

REFERENCE = """The DNS cache holds stale entries. Open **Command Prompt** as administrator.

1. Run `ipconfig /flushdns` to clear it.
2. Check the result:
   ```powershell
   # comment lines are not facts
   Get-DnsClientCache | Select-Object -First 5
   ```
3. If the browser shows ERR_NAME_NOT_RESOLVED or error 0x80070005, open
   **Settings > Network & internet**.

Every Example, Entry and Effect here is plain English. Task Manager is not needed."""


def test_perplexity_is_token_weighted_over_the_whole_set():
    rows = [SequenceNLL(10.0, 10, 30.0, 20), SequenceNLL(30.0, 10, 50.0, 20)]
    assert metrics.corpus_perplexity(rows) == pytest.approx(math.exp(40 / 20))
    assert metrics.corpus_perplexity(rows, response=False) == pytest.approx(math.exp(80 / 40))
    uneven = [SequenceNLL(1.0, 1, 1.0, 1), SequenceNLL(300.0, 100, 300.0, 100)]
    per_example_mean = (math.exp(1.0) + math.exp(3.0)) / 2
    assert metrics.corpus_perplexity(uneven) == pytest.approx(math.exp(301 / 101))
    assert metrics.corpus_perplexity(uneven) != pytest.approx(per_example_mean)


def test_rouge_uses_stemming_and_reports_f1():
    same = metrics.rouge_scores(["the printers are offline"], ["the printers are offline"])[0]
    assert same == {"rouge1": 1.0, "rouge2": 1.0, "rougeL": 1.0}
    stemmed = metrics.rouge_scores(["restarting printers"], ["restart the printer"])[0]
    assert stemmed["rouge1"] == pytest.approx(0.8)  # 2 of 2 predicted, 2 of 3 reference words
    assert stemmed["rouge2"] == pytest.approx(0.0)


def test_corpus_bleu_is_one_for_copies_and_smoothed_otherwise():
    from nltk.translate.bleu_score import corpus_bleu

    refs = ["Run ipconfig /flushdns in an elevated prompt.", "Restart the print spooler."]
    assert metrics.corpus_bleu(refs, refs) == pytest.approx(1.0)
    hyps = ["Run ipconfig please.", "Reboot now."]  # no 3-gram or 4-gram matches at all
    smoothed = metrics.corpus_bleu(hyps, refs)
    with pytest.warns(UserWarning, match="0 counts"):  # unsmoothed: zero 4-grams give 0
        raw = corpus_bleu(
            [[metrics.bleu_tokens(r)] for r in refs], [metrics.bleu_tokens(h) for h in hyps]
        )
    assert raw == pytest.approx(0.0) and 0 < smoothed < 0.2
    assert metrics.sentence_bleu(refs[0], refs[0]) == pytest.approx(1.0)


def test_key_facts_follow_the_documented_rule():
    facts = metrics.extract_key_facts(REFERENCE)
    assert facts == [
        "get-dnsclientcache |",  # code-block line: first two words; the comment is skipped
        "ipconfig /flushdns",  # inline code: first two words
        "command prompt",  # bold UI names and paths, whole
        "settings > network & internet",
        "err_name_not_resolved",  # error codes
        "0x80070005",
        "task manager",  # named tools (the code block's language tag names one too)
        "powershell",
    ]
    assert not {"example", "entry", "effect", "every"} & set(facts)  # no errno look-alikes
    assert metrics.extract_key_facts("Restart it. Then restart it again.") == []


def test_key_fact_recall_ignores_case_and_markdown():
    facts = ["ipconfig /flushdns", "command prompt", "task manager", "0x80070005"]
    answer = "Open **Command  Prompt** and run `IPCONFIG /flushdns`."
    assert metrics.key_fact_recall(answer, facts) == pytest.approx(0.5)
    assert math.isnan(metrics.key_fact_recall(answer, []))


def test_bootstrap_interval_is_seeded_and_brackets_the_mean():
    values = [0.1, 0.2, 0.25, 0.3, 0.5, 0.45, 0.15, 0.35]
    low, high = metrics.bootstrap_ci(values)
    assert (low, high) == metrics.bootstrap_ci(values)  # same seed, same interval
    assert low < sum(values) / len(values) < high
    assert metrics.bootstrap_ci(values, seed=7) != (low, high)
    assert metrics.bootstrap_ci([0.3] * 5) == pytest.approx((0.3, 0.3))
    wide = metrics.bootstrap_ci(values)
    narrow = metrics.bootstrap_ci(values * 20)
    assert narrow[1] - narrow[0] < wide[1] - wide[0]


@pytest.mark.slow
def test_sequence_nll_matches_forward_loss_and_counts_tokens(monkeypatch):
    import torch

    from slm_finetune.data.features import encode_example
    from slm_finetune.training.model import load_base_model

    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    model, tokenizer, _ = load_base_model()
    example = {"instruction": "How do I check free disk space on Linux?", "input": "",
               "output": "Run `df -h` to see every filesystem."}  # fmt: skip
    result = metrics.sequence_nll(model, tokenizer, example)
    row = encode_example(example, tokenizer, 512, "response")
    n_answer = sum(label != -100 for label in row["labels"])
    assert result.response_tokens == n_answer > 0
    assert result.full_tokens == len(row["input_ids"]) - 1
    with torch.no_grad():
        ids = torch.tensor([row["input_ids"]])
        logits = model(input_ids=ids).logits[0, :-1]
        per_token = torch.nn.functional.cross_entropy(logits, ids[0, 1:], reduction="none")
    answer_mask = torch.tensor(row["labels"][1:]) != -100
    assert result.response_nll == pytest.approx(float(per_token[answer_mask].sum()), rel=1e-4)
    assert result.full_nll == pytest.approx(float(per_token.sum()), rel=1e-4)
    assert result.full_nll > result.response_nll
