"""The coherence rules of the reloaded-checkpoint check."""

from __future__ import annotations

from slm_finetune.evaluation.coherence import coherence_problems, verdict

QUESTION = "How do I clear the DNS cache on Windows?"


def test_a_real_answer_is_coherent():
    answer = ("Open Command Prompt as administrator and run `ipconfig /flushdns`; Windows then "
              "clears the DNS resolver cache and prints a confirmation.")
    assert verdict(QUESTION, answer) == "coherent"


def test_loops_short_answers_off_topic_text_and_symbols_fail():
    loop = "Restart the router. " * 12
    assert any("repeat" in p for p in coherence_problems(QUESTION, loop))
    assert coherence_problems(QUESTION, "Yes.")[0] == "only 1 words (< 8)"
    off = "Bananas grow on tall plants in warm tropical regions of the world every year."
    assert "no content word of the question" in coherence_problems(QUESTION, off)
    soup = "DNS cache windows ### {{{ }}} ;;; ::: ((( ))) $$$ %%% ^^^ &&& *** @@@ ### !!!"
    assert verdict(QUESTION, soup).startswith("NOT coherent:") and "letters" in verdict(
        QUESTION, soup)


CUPS = "How do I check and manage printers from the Linux command line with CUPS?"


def test_an_answer_cut_mid_path_or_mid_word_is_incomplete_not_coherent():
    mid_path = ("CUPS is a print service that runs on Linux.\n\n1. List all printers with "
                "`lpstat -p`.\n2. Check which ones are active: `curl -Sf /var/run/cuzzle")
    assert coherence_problems(CUPS, mid_path) == []  # fluent and on topic, yet cut off
    assert verdict(CUPS, mid_path).startswith("incomplete: ends inside an open code span")
    mid_word = ("CUPS is a print service that runs on Linux. List the printers and check "
                "whether the machine has no built")
    assert verdict(CUPS, mid_word) == (
        "incomplete: ends mid-sentence ('...the machine has no built')")
    block = "Check the CUPS printers on the command line:\n```bash\nlpstat -p\nlpstat"
    assert verdict(CUPS, block) == "incomplete: ends inside an open code block"


def test_a_finished_answer_with_closed_code_is_coherent():
    answer = ("List the CUPS printers from the command line:\n```bash\nlpstat -p\n```\nThen "
              "check the queue with `lpstat -o`")
    assert verdict(CUPS, answer) == "coherent"
    assert verdict(CUPS, answer + ".") == "coherent"
