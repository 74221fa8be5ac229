"""The split and the whole `curate` command: determinism, counts, outputs, CLI errors."""

import csv
import json
import random
from collections import Counter
from pathlib import Path

import pytest

from slm_finetune.cli import main as cli_main
from slm_finetune.data.curate import curate
from slm_finetune.data.schema import TOPICS, Example, read_jsonl
from slm_finetune.data.sources import Candidate, dolly_candidates
from slm_finetune.data.split import split_candidates
from tatweer_common.errors import UserError
from tatweer_common.paths import project_root

VOCAB = [f"{a}{b}" for a in ("print", "route", "mail", "cache", "proxy", "token") for b in "xyzw"]
VOCAB += ["kernel", "driver", "browser", "cookie", "folder", "profile", "monitor", "battery"]
OUTPUT_FILES = ("train.jsonl", "val.jsonl", "test.jsonl", "manifest.csv", "DATA_CARD.md")
ROOT = project_root()


def raw_record(i: int, topic: str, rng: random.Random) -> dict:
    words = rng.sample(VOCAB, 4)
    output = " ".join(f"term{k}" for k in rng.sample(range(999), 24)) + "."
    instruction = f"Why does the {' '.join(words)} fail ({i})?"
    return {"instruction": instruction, "input": "", "output": output, "topic": topic,
            "source": "synthetic", "generator": "test"}  # fmt: skip


def make_raw_dir(path: Path, per_topic: int = 10, topics=TOPICS[:5]) -> Path:
    rng = random.Random(7)
    records = [raw_record(i, t, rng) for t in topics for i in range(per_topic)]
    records.append(dict(records[0]))  # an exact duplicate
    records.append(records[1] | {"output": records[1]["output"] + " Then open the"})
    records.append(records[2] | {"instruction": "Fix it.", "output": "Mail me: bob@corp.io. " * 8})
    path.mkdir(parents=True, exist_ok=True)
    text = "".join(json.dumps(r) + "\n" for r in records)
    (path / "synthetic_x.jsonl").write_text(text, encoding="utf-8")
    return path


def candidates(n_per_topic: int, topics=TOPICS[:5]) -> list[Candidate]:
    return [
        Candidate(Example(f"Question {t} {i}?", "", "Answer.", t, "seed"), f"f:{t}:{i}")
        for t in topics
        for i in range(n_per_topic)
    ]


# --- split -----------------------------------------------------------------------------


def test_split_is_80_10_10_and_stratified_by_topic():
    splits = split_candidates(candidates(20), seed=42)
    assert {k: len(v) for k, v in splits.items()} == {"train": 80, "val": 10, "test": 10}
    for name, expected in (("train", 16), ("val", 2), ("test", 2)):
        per_topic = Counter(c.example.topic for c in splits[name])
        assert set(per_topic.values()) == {expected}, (name, per_topic)


def test_split_is_seeded_and_independent_of_input_order():
    items = candidates(13)
    first = split_candidates(items, seed=1)
    shuffled = list(items)
    random.Random(99).shuffle(shuffled)
    assert split_candidates(shuffled, seed=1) == first
    assert split_candidates(items, seed=2) != first
    every = [c for name in first for c in first[name]]
    assert sorted(every, key=lambda c: c.origin) == sorted(items, key=lambda c: c.origin)


def test_split_keeps_each_group_in_one_split():
    items = candidates(20)
    groups = [i - i % 4 for i in range(len(items))]  # groups of 4 consecutive items
    for seed in range(5):
        splits = split_candidates(items, seed=seed, groups=groups)
        where = {c.origin: name for name, cands in splits.items() for c in cands}
        for start in range(0, len(items), 4):
            assert len({where[c.origin] for c in items[start : start + 4]}) == 1
        sizes = {k: len(v) for k, v in splits.items()}
        assert sizes["train"] == 80 and sizes["val"] + sizes["test"] == 20


def test_split_rejects_bad_ratios():
    with pytest.raises(ValueError, match="summing to 1"):
        split_candidates(candidates(2), ratios=(0.8, 0.1, 0.2))


# --- curate ----------------------------------------------------------------------------


def test_curate_outputs_are_byte_identical_on_rerun(tmp_path):
    raw = make_raw_dir(tmp_path / "raw")
    first = curate(raw, tmp_path / "a", seed=3)
    curate(raw, tmp_path / "b", seed=3)
    for name in OUTPUT_FILES:
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes(), name
    assert first.stats.total == 50
    assert first.stats.removed == {"instruction_form": 0, "output_length": 0, "cut_off": 1,
                                   "pii": 1, "exact_duplicate": 1, "near_duplicate": 0}  # fmt: skip


def test_curate_writes_spec_records_manifest_and_card(tmp_path):
    raw = make_raw_dir(tmp_path / "raw")
    out = curate(raw, tmp_path / "out")
    splits = {n: read_jsonl(tmp_path / "out" / f"{n}.jsonl") for n in ("train", "val", "test")}
    assert {n: len(v) for n, v in splits.items()} == {"train": 40, "val": 5, "test": 5}
    first_line = (tmp_path / "out" / "train.jsonl").read_text(encoding="utf-8").splitlines()[0]
    assert list(json.loads(first_line)) == ["instruction", "input", "output"]
    with open(tmp_path / "out" / "manifest.csv", newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == 53  # every raw example, kept or removed
    assert Counter(r["split"] for r in rows) == {"train": 40, "val": 5, "test": 5, "removed": 3}
    reasons = sorted(r["reason"].split(":")[0] for r in rows if r["split"] == "removed")
    assert reasons == ["cut_off", "exact_duplicate", "pii"]
    card = (tmp_path / "out" / "DATA_CARD.md").read_text(encoding="utf-8")
    val = out.stats.splits[1]
    assert f"| val | 5 | 0 | {val.avg_instruction_words:.1f} | {val.avg_output_words:.1f} |" in card
    assert "| **total** | 53 raw examples -> 50 kept | 3 |" in card
    assert "not used in this run" in card


def test_curate_with_hub_candidates_reports_them(tmp_path):
    raw = make_raw_dir(tmp_path / "raw")
    fixture = Path(__file__).parent / "fixtures" / "dolly_sample.jsonl"
    records = [json.loads(x) for x in fixture.read_text(encoding="utf-8").splitlines()]
    out = curate(raw, tmp_path / "out", hub=dolly_candidates(records, limit=100))
    assert out.stats.sources["dolly"]["raw"] == 5
    assert 0 < out.stats.sources["dolly"]["kept"] <= 5
    assert "was included in this run" in (tmp_path / "out" / "DATA_CARD.md").read_text()


def test_bad_threshold_is_a_user_error(tmp_path):
    with pytest.raises(UserError, match="near-dup-threshold"):
        curate(make_raw_dir(tmp_path / "raw"), tmp_path / "out", near_threshold=1.5)


# --- the command line ------------------------------------------------------------------


def test_cli_prints_statistics(tmp_path, capsys):
    raw = make_raw_dir(tmp_path / "raw")
    assert cli_main(["curate", "--raw-dir", str(raw), "--out-dir", str(tmp_path / "o")]) == 0
    out = capsys.readouterr().out
    assert "removed per filter" in out and "cut_off=1" in out and "unique word tokens" in out
    assert (tmp_path / "o" / "DATA_CARD.md").is_file()


def test_cli_with_hub_offline_skips_it(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    raw = make_raw_dir(tmp_path / "raw")
    args = ["curate", "--with-hub", "--raw-dir", str(raw), "--out-dir", str(tmp_path / "o")]
    assert cli_main(args) == 0
    assert "skipped" in capsys.readouterr().out
    assert "nothing was taken" in (tmp_path / "o" / "DATA_CARD.md").read_text()


def test_cli_malformed_raw_file_names_file_and_line(tmp_path, capsys):
    raw = make_raw_dir(tmp_path / "raw")
    good = json.dumps(raw_record(0, "git", random.Random(0)))
    (raw / "z_bad.jsonl").write_text(f"{good}\n\n{{not json\n", encoding="utf-8")
    assert cli_main(["curate", "--raw-dir", str(raw), "--out-dir", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and "z_bad.jsonl:3: invalid JSON" in err
    assert not (tmp_path / "o").exists()


def test_committed_splits_are_reproduced_byte_for_byte(tmp_path):
    curate(ROOT / "data" / "raw", tmp_path)
    for name in OUTPUT_FILES:
        committed = ROOT / "data" / name
        assert committed.is_file(), f"{committed} missing: run `python -m slm_finetune curate`"
        assert (tmp_path / name).read_bytes() == committed.read_bytes(), (
            f"data/{name} is stale: run `python -m slm_finetune curate`"
        )
