"""Raw-file loading and the Hub (Dolly-15k) loader, tested offline with a small fixture."""

import json
from pathlib import Path

import pytest

from slm_finetune.data import sources
from slm_finetune.data.sources import classify_topic, dolly_candidates, load_dolly, load_raw
from tatweer_common.errors import UserError

FIXTURE = Path(__file__).parent / "fixtures" / "dolly_sample.jsonl"
EXPECTED_DOLLY = [  # (row, topic) of the fixture rows that are QA and in the domain
    (0, "docker"), (2, "security_phishing"), (4, "networking_wifi"), (5, "performance"),
    (7, "python_packages"),
]  # fmt: skip


def dolly_records() -> list[dict]:
    return [json.loads(line) for line in FIXTURE.read_text(encoding="utf-8").splitlines()]


def write_raw(path: Path, records: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    return path


def record(instruction: str, topic: str = "git", source: str = "seed") -> dict:
    return {"instruction": instruction, "input": "", "output": "Do it.", "topic": topic,
            "source": source, "generator": "hand"}  # fmt: skip


def test_load_raw_reads_files_in_name_order_with_origins(tmp_path):
    write_raw(tmp_path / "b.jsonl", [record("B1?", source="synthetic")])
    write_raw(tmp_path / "a.jsonl", [record("A1?"), record("A2?", topic="docker")])
    (tmp_path / "notes.md").write_text("not a raw file")
    loaded = load_raw(tmp_path)
    assert [(c.origin, c.example.instruction, c.example.topic) for c in loaded] == [
        ("a.jsonl:1", "A1?", "git"), ("a.jsonl:2", "A2?", "docker"), ("b.jsonl:1", "B1?", "git"),
    ]  # fmt: skip
    assert loaded[2].example.source == "synthetic"


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        (record("X?", topic="gardening"), r"raw\.jsonl:2: unknown topic 'gardening'"),
        (record("X?", source=""), r"raw\.jsonl:2: missing or empty 'source'"),
    ],
)
def test_load_raw_rejects_bad_provenance_with_file_and_line(tmp_path, bad, message):
    write_raw(tmp_path / "raw.jsonl", [record("Ok?"), bad])
    with pytest.raises(UserError, match=message):
        load_raw(tmp_path)


def test_load_raw_without_files_is_a_user_error(tmp_path):
    with pytest.raises(UserError, match="no \\*.jsonl raw files"):
        load_raw(tmp_path)


@pytest.mark.parametrize(
    ("text", "topic"),
    [
        ("How do I push to GitHub?", "git"),
        ("My printer jams", "printers"),
        ("Set up a VPN on a router", "dns_vpn"),  # earlier topics win
        ("Who painted the Mona Lisa?", None),
        ("Is a gitter chat useful?", None),  # whole words only
    ],
)
def test_classify_topic(text, topic):
    assert classify_topic(text) == topic


def test_dolly_candidates_keep_domain_qa_rows_and_map_fields():
    taken = dolly_candidates(dolly_records(), limit=100)
    assert [(int(c.origin.split(":")[1]), c.example.topic) for c in taken] == EXPECTED_DOLLY
    router = taken[2].example
    assert router.input == "The router assigns addresses with DHCP."
    assert router.output.startswith("It says the router")
    assert {c.example.source for c in taken} == {"dolly"}
    assert len(dolly_candidates(dolly_records(), limit=2)) == 2


def test_load_dolly_with_a_loader_prints_one_line(capsys):
    taken = load_dolly(limit=3, loader=dolly_records)
    assert [c.example.topic for c in taken] == [t for _, t in EXPECTED_DOLLY[:3]]
    out = capsys.readouterr().out.strip().splitlines()
    assert len(out) == 1 and "3 domain examples" in out[0] and "CC BY-SA 3.0" in out[0]


def test_load_dolly_offline_skips_with_one_line(monkeypatch, capsys):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")

    def no_network(*args, **kwargs):
        raise AssertionError("must not touch the network when HF_HUB_OFFLINE=1")

    monkeypatch.setattr(sources.urllib.request, "urlopen", no_network)
    assert load_dolly() == []
    out = capsys.readouterr().out.strip().splitlines()
    assert len(out) == 1 and "skipped" in out[0] and "HF_HUB_OFFLINE" in out[0]


def test_load_dolly_unreachable_hub_skips(monkeypatch, capsys):
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    seen = {}

    def refuse(url, timeout):
        seen["timeout"] = timeout
        raise OSError("network unreachable")

    monkeypatch.setattr(sources.urllib.request, "urlopen", refuse)
    assert load_dolly(timeout=0.5) == []
    assert seen["timeout"] == 0.5
    assert "unreachable" in capsys.readouterr().out


def test_load_dolly_loader_failure_skips(capsys):
    def broken():
        raise ConnectionError("dataset download failed")

    assert load_dolly(loader=broken) == []
    assert "ConnectionError" in capsys.readouterr().out
