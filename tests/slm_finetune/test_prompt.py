import pytest

from slm_finetune.data.schema import Example
from slm_finetune.prompt import (
    CHAT,
    FORMAT_FILE,
    RESPONSE_HEADER,
    SMOLLM2_EOS,
    TEMPLATE,
    chat_prompt,
    format_prompt,
    generation_prompt,
    read_prompt_format,
    write_prompt_format,
)
from tatweer_common.errors import UserError


def test_template_with_input_matches_the_spec_layout():
    example = {"instruction": "Fix this error.", "input": "E: lock held", "output": "Wait."}
    expected = (
        "### Instruction:\nFix this error.\n\n"
        "### Input:\nE: lock held\n\n"
        "### Response:\nWait.<EOS>"
    )
    assert format_prompt(example, eos_token="<EOS>") == expected


def test_empty_input_block_is_omitted():
    example = Example(instruction="Flush DNS on Windows?", input="  ", output="ipconfig /flushdns")
    text = format_prompt(example)
    assert "### Input" not in text
    assert text == (
        "### Instruction:\nFlush DNS on Windows?\n\n"
        f"### Response:\nipconfig /flushdns{SMOLLM2_EOS}"
    )


def test_generation_prompt_is_a_prefix_ending_at_the_response_header():
    example = Example(instruction="a", input="b", output="c")
    prompt = format_prompt(example, with_response=False)
    assert prompt.endswith(RESPONSE_HEADER)
    assert format_prompt(example).startswith(prompt)
    assert SMOLLM2_EOS not in prompt


def test_dict_and_example_give_the_same_string():
    record = {"instruction": "x", "input": "", "output": "y"}
    assert format_prompt(record) == format_prompt(Example(**record))


class Messages:
    """Returns the messages it is given, to check what `chat_prompt` sends."""

    def apply_chat_template(self, messages, tokenize, add_generation_prompt):
        assert tokenize is False and add_generation_prompt is True
        return messages


def test_chat_prompt_sends_system_shots_and_the_question_as_turns():
    shot = Example(instruction="Flush DNS?", input="", output="Run `ipconfig /flushdns`.")
    query = {"instruction": "Why is it slow?", "input": "Windows 11"}
    assert chat_prompt(Messages(), query) == [
        {"role": "user", "content": "Why is it slow?\n\nWindows 11"}]
    assert chat_prompt(Messages(), query, "Be brief.", [shot]) == [
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": "Flush DNS?"},
        {"role": "assistant", "content": "Run `ipconfig /flushdns`."},
        {"role": "user", "content": "Why is it slow?\n\nWindows 11"},
    ]
    assert generation_prompt(Messages(), query, CHAT) == chat_prompt(Messages(), query)
    assert generation_prompt(None, query, TEMPLATE) == format_prompt(query, with_response=False)


def test_the_adapter_format_record_round_trips_and_defaults_to_the_template(tmp_path):
    assert read_prompt_format(tmp_path) == TEMPLATE  # an adapter saved before the record
    for fmt in (CHAT, TEMPLATE):
        assert write_prompt_format(tmp_path, fmt) == tmp_path / FORMAT_FILE
        assert read_prompt_format(tmp_path) == fmt
    (tmp_path / FORMAT_FILE).write_text('{"prompt_format": "alpaca"}')
    with pytest.raises(UserError, match="'prompt_format' must be one of template, chat"):
        read_prompt_format(tmp_path)
