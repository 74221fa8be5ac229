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
