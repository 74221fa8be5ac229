"""Normalisation, PII detection, cut-off detection, de-duplication and the filter pipeline."""

import pytest

from slm_finetune.data.dedupe import (
    exact_duplicates,
    jaccard,
    near_duplicates,
    similar_groups,
    token_set,
)
from slm_finetune.data.filters import FILTER_STEPS, is_cut_off, run_filters, word_count
from slm_finetune.data.normalize import fix_instruction, normalize_block_text
from slm_finetune.data.pii import find_pii
from slm_finetune.data.schema import Example
from slm_finetune.data.sources import Candidate

BODY = "Restart the service, then check the log for the first error and fix that line first."


def output_of(n_words: int) -> str:
    words = (BODY.rstrip(".") + " ") * (n_words // 16 + 1)
    return " ".join(words.split()[: n_words - 1] + ["done."])


def cand(instruction: str, output: str = BODY + " " + BODY, origin: str = "x") -> Candidate:
    return Candidate(Example(instruction, "", output, "linux", "seed"), origin)


# --- normalisation ---------------------------------------------------------------------


def test_whitespace_collapses_outside_code_blocks_but_not_inside():
    text = (
        "  Cause:   the   cache.\t \r\n\n\n\n1. Run:\n   ```\n   if x:\n       print(  1 )  \n"
        "   ```\n2.  Done.  "
    )
    assert normalize_block_text(text) == (
        "Cause: the cache.\n\n1. Run:\n   ```\n   if x:\n       print(  1 )\n   ```\n2. Done."
    )


def test_tabs_inside_code_blocks_are_kept():
    text = "Makefile:\n```\nall:\n\tgcc  -o app app.c\n\n\n\nclean:\n```\nThen\trun  `make`."
    assert normalize_block_text(text) == (
        "Makefile:\n```\nall:\n\tgcc  -o app app.c\n\n\n\nclean:\n```\nThen run `make`."
    )


def test_whitespace_keeps_list_indentation():
    assert normalize_block_text("1. Step\n   - sub  item") == "1. Step\n   - sub item"


@pytest.mark.parametrize(
    ("raw", "expected", "status"),
    [
        ("How do I  flush DNS?", "How do I flush DNS?", "ok"),
        ("Explain the 3-2-1 rule.", "Explain the 3-2-1 rule.", "ok"),
        ("Please list the steps.", "Please list the steps.", "ok"),
        ("Back up a Mac to an external disk.", "Back up a Mac to an external disk.", "ok"),
        ("pip says no module found?", "pip says no module found?", "ok"),
        ("How do I flush DNS.", "How do I flush DNS?", "fixed"),
        ("Why won't Outlook start", "Why won't Outlook start?", "fixed"),
        ("Why is it slow? It has 4 GB RAM.", "It has 4 GB RAM. Why is it slow?", "fixed"),
        ("What now? error 0x1", "error 0x1. What now?", "fixed"),
        ("My printer is offline.", "My printer is offline.", "invalid"),
        ("", "", "invalid"),
    ],
)
def test_instruction_form(raw, expected, status):
    assert fix_instruction(raw) == (expected, status)


# --- per-example filters ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("output", "cut"),
    [
        ("Run `ipconfig /flushdns`.", False),
        ("It works (see Settings > Privacy).", False),
        ('He said "restart it!"', False),
        ("Run this:\n```\nsudo reboot\n```", False),
        ("Then open the settings and", True),
        ("Run `ipconfig /flushdns`", True),
        ("Run the following:", True),
        ("Run this:\n```\nsudo reboot\n", True),
        ("Done.\n```\ncode\n```\nAnd then\n```\nmore", True),
        ("", True),
    ],
)
def test_cut_off(output, cut):
    assert is_cut_off(output) is cut


@pytest.mark.parametrize(
    ("text", "kinds"),
    [
        ("Mail jane.doe@gmail.com for help.", ["email"]),
        ("Use user@example.com or admin@mail.example.org or a@host.test.", []),
        ("Clone git@github.com:org/repo.git now.", []),
        ("Call +1 415-555-0132 or (020) 7946-0958.", ["phone", "phone"]),
        ("Call 415.555.0132 today.", ["phone"]),
        ("Ping 52.14.7.9 and 8.8.8.8.", ["ipv4"]),
        ("Use 192.168.1.10, 10.0.0.1, 172.16.4.4, 127.0.0.1, 192.0.2.15, 203.0.113.9.", []),
        ("Mask 255.255.255.0, gateway 169.254.1.1, DNS 1.1.1.1 and 9.9.9.9.", []),
        ("Windows build 10.0.19045.3803 and version 3.12.1.", []),
        ("Key AKIAABCDEFGHIJKLMNOP leaked.", ["secret"]),  # pragma: allowlist secret
        ("Token ghp_" + "a1B2" * 9 + " found.", ["secret"]),  # pragma: allowlist secret
        ("Set api_key = 'sk9f8d7s6a5d4f3g2h1j0k'.", ["secret"]),  # pragma: allowlist secret
        ("Set api_key = '<your-api-key>' and token=<token>.", []),
        ("-----BEGIN OPENSSH PRIVATE KEY-----", ["secret"]),  # pragma: allowlist secret
        ("Port 8080, 2024-05-01, 1,000,000 rows, 3 - 4 - 5.", []),
    ],
)
def test_pii_detection(text, kinds):
    assert sorted(kind for kind, _ in find_pii(text)) == sorted(kinds)


def test_word_count():
    assert word_count(output_of(20)) == 20
    assert word_count("  a\n b\tc ") == 3


# --- de-duplication --------------------------------------------------------------------


def test_exact_duplicates_ignore_case_and_whitespace():
    assert exact_duplicates(["How?", "how?  ", "Why?", "HOW?"]) == [None, 0, None, 0]


def test_jaccard_and_near_duplicates():
    a = "How do I clear the DNS cache on Windows 11?"
    b = "How do I flush the DNS cache on Windows 11?"
    c = "How do I reset the print spooler?"
    assert jaccard(token_set(a), token_set(b)) == pytest.approx(9 / 11)
    found = near_duplicates([a, c, b], threshold=0.8)
    assert [(n.index, n.of, n.score) for n in found] == [(2, 0, 0.818)]
    assert near_duplicates([a, c, b], threshold=0.82) == []


def test_similar_groups_are_transitive_and_named_by_first_member():
    texts = ["a b c d e", "x y z w v", "a b c d f", "a b c f g", "q r s t u"]
    groups, pairs = similar_groups(texts, threshold=0.6)
    assert groups == [0, 1, 0, 0, 4]  # 3 is similar to 2 (0.67), not to 0 (0.43)
    assert [(p.index, p.of) for p in pairs] == [(2, 0), (3, 2)]


# --- the pipeline ----------------------------------------------------------------------


def test_pipeline_counts_each_step_and_keeps_first_copy():
    candidates = [
        cand("How do I clear the DNS cache on Windows 11?", origin="keep1"),
        cand("My screen is black.", origin="form"),
        cand("Why is it short?", output=output_of(19), origin="short"),
        cand("Why is it long?", output=output_of(501), origin="long"),
        cand("Why is it cut?", output=f"{BODY} {BODY} Then open the", origin="cut"),
        cand("Why email?", output=f"{BODY} {BODY} Write to jane@gmail.com.", origin="pii"),
        cand("how do i clear the dns cache on windows 11?", origin="exact"),
        cand("How do I flush the DNS cache on Windows 11?", origin="near"),
        cand("Explain   the print  spooler.", output=output_of(500), origin="keep2"),
    ]
    result = run_filters(candidates, near_threshold=0.8)
    assert [c.origin for c in result.kept] == ["keep1", "keep2"]
    assert result.removed_counts() == dict.fromkeys(FILTER_STEPS, 1) | {"output_length": 2}
    steps = {r.candidate.origin: r.step for r in result.rejected}
    assert steps == {
        "form": "instruction_form",
        "short": "output_length",
        "long": "output_length",
        "cut": "cut_off",
        "pii": "pii",
        "exact": "exact_duplicate",
        "near": "near_duplicate",
    }
    assert result.kept[1].example.instruction == "Explain the print spooler."
    assert [(a.origin, b.origin) for a, b, _ in result.near_duplicates] == [("keep1", "near")]
    assert "jane@gmail.com" not in next(r.detail for r in result.rejected if r.step == "pii")


def test_pipeline_groups_similar_examples_without_removing_them():
    shared = f"{BODY} Then reboot the machine and test the connection again."
    candidates = [
        cand("Why is the VPN slow?", output=shared, origin="vpn1"),
        cand("Why does my printer jam?", origin="printer"),
        cand("Explain why the VPN crawls.", output=shared, origin="vpn2"),
    ]
    result = run_filters(candidates, similar_threshold=0.6)
    assert [c.origin for c in result.kept] == ["vpn1", "printer", "vpn2"]
    assert result.groups == [0, 1, 0]
    assert [(a.origin, b.origin) for a, b, _ in result.similar_pairs] == [("vpn1", "vpn2")]


def test_near_duplicates_can_be_reported_without_removal():
    candidates = [cand("How do I clear the DNS cache?"), cand("How do I flush the DNS cache?")]
    result = run_filters(candidates, near_threshold=0.7, remove_near=False)
    assert len(result.kept) == 2 and len(result.near_duplicates) == 1
    assert result.removed_counts()["near_duplicate"] == 0
