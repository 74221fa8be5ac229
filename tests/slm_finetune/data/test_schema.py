"""The Example record and strict JSONL reading/writing."""

import json

import pytest

from slm_finetune.data.schema import TOPICS, Example, read_jsonl, read_jsonl_lines, write_jsonl
from tatweer_common.errors import UserError


def _write(path, lines):
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_topics_are_the_21_contract_ids():
    assert len(TOPICS) == len(set(TOPICS)) == 21
    assert {"networking_wifi", "m365_workspace", "python_packages"} <= set(TOPICS)


def test_round_trip_keeps_text_and_writes_exactly_the_spec_keys(tmp_path):
    examples = [
        Example("Why does `ls` fail?", "ls: cannot access 'x'", "Because — naïve café ✓.", "linux"),
        Example("Explain DNS.", "", "DNS maps names to addresses.", "dns_vpn", "seed"),
    ]
    path = write_jsonl(tmp_path / "out" / "split.jsonl", examples)
    lines = path.read_text(encoding="utf-8").splitlines()
    assert [list(json.loads(line)) for line in lines] == [["instruction", "input", "output"]] * 2
    assert "naïve café ✓" in lines[0]  # UTF-8, not \u escapes
    back = read_jsonl(path)
    assert [e.to_record() for e in back] == [e.to_record() for e in examples]
    assert back[0].topic == ""  # provenance is not part of the split files


def test_write_with_provenance_keys_and_read_back(tmp_path):
    examples = [Example("How?", "", "Like this.", "git", "seed")]
    keys = ("instruction", "input", "output", "topic", "source")
    path = write_jsonl(tmp_path / "raw.jsonl", examples, keys=keys)
    assert read_jsonl(path, require_topic=True) == examples


def test_blank_lines_are_skipped_and_line_numbers_kept(tmp_path):
    rec = json.dumps({"instruction": "a?", "input": "", "output": "b."})
    path = _write(tmp_path / "f.jsonl", [rec, "", "   ", rec])
    assert [n for n, _ in read_jsonl_lines(path)] == [1, 4]


@pytest.mark.parametrize(
    ("bad_line", "problem"),
    [
        ('{"instruction": "a?", "input": ""', "invalid JSON"),
        ('["not", "an", "object"]', "expected a JSON object"),
        ('{"instruction": "a?", "output": "b."}', "missing key(s) input"),
        ('{"instruction": "a?", "input": "", "output": 3}', "'output' must be a string"),
        ('{"instruction": "a?", "input": null, "output": "b."}', "'input' must be a string"),
        ('{"instruction": "a?", "input": "", "output": "b.", "topic": 1}', "'topic' must be"),
    ],
)
def test_malformed_lines_name_file_line_and_problem(tmp_path, bad_line, problem):
    good = json.dumps({"instruction": "a?", "input": "", "output": "b."})
    path = _write(tmp_path / "bad.jsonl", [good, bad_line])
    with pytest.raises(UserError) as info:
        read_jsonl(path)
    message = str(info.value)
    assert message.startswith(f"{path}:2: ")
    assert problem in message


def test_unknown_topic_is_rejected_only_when_required(tmp_path):
    rec = {"instruction": "a?", "input": "", "output": "b.", "topic": "cooking"}
    path = _write(tmp_path / "t.jsonl", [json.dumps(rec)])
    assert read_jsonl(path)[0].topic == "cooking"
    with pytest.raises(UserError, match=r"t\.jsonl:1: unknown topic 'cooking'"):
        read_jsonl(path, require_topic=True)


def test_missing_file_and_non_utf8_are_user_errors(tmp_path):
    with pytest.raises(UserError, match="file not found"):
        read_jsonl(tmp_path / "nope.jsonl")
    latin = tmp_path / "latin.jsonl"
    latin.write_bytes(b'{"instruction": "caf\xe9"}\n')
    with pytest.raises(UserError, match="not UTF-8"):
        read_jsonl(latin)
