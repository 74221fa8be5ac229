from slm_finetune.data.schema import Example
from slm_finetune.prompt import RESPONSE_HEADER, SMOLLM2_EOS, format_prompt


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
