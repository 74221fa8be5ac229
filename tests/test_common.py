"""Tests of the shared utilities (paths, user errors, atomic writes, CLI dispatch)."""

from __future__ import annotations

import argparse
import sys
import types

import pytest

from tatweer_common import paths
from tatweer_common.cli import dispatch
from tatweer_common.errors import UserError
from tatweer_common.io import atomic_path, write_text_atomic


def test_project_root_holds_pyproject():
    assert (paths.project_root() / "pyproject.toml").is_file()


def test_assets_and_cache_dirs_follow_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("TATWEER_ASSETS", str(tmp_path / "assets"))
    monkeypatch.setenv("TATWEER_CACHE", str(tmp_path / "cache"))
    assert paths.assets_dir() == tmp_path / "assets"
    made = paths.cache_dir("models", "x")
    assert made == tmp_path / "cache" / "models" / "x" and made.is_dir()


def test_write_text_atomic_replaces_whole_file(tmp_path):
    target = tmp_path / "sub" / "a.txt"
    write_text_atomic(target, "first")
    write_text_atomic(target, "second")
    assert target.read_text() == "second"
    assert [p.name for p in target.parent.iterdir()] == ["a.txt"]


def test_atomic_path_keeps_old_file_when_writer_fails(tmp_path):
    target = tmp_path / "a.txt"
    target.write_text("old")
    with pytest.raises(RuntimeError), atomic_path(target) as tmp:
        tmp.write_text("half")
        raise RuntimeError("interrupted")
    assert target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["a.txt"]


def _fake_command_module(behaviour):
    module = types.ModuleType("fake_cmd")

    def add_arguments(parser: argparse.ArgumentParser) -> None:
        parser.add_argument("--value", default="x")

    def main(args) -> int:
        return behaviour(args)

    module.add_arguments, module.main = add_arguments, main
    return module


def test_dispatch_prints_user_error_in_one_line(monkeypatch, capsys):
    def fail(args):
        raise UserError(f"data/in.jsonl:3: bad value {args.value!r}")

    monkeypatch.setitem(sys.modules, "fake_cmd", _fake_command_module(fail))
    code = dispatch("prog", "test", {"go": ("fake_cmd", "help")}, ["go", "--value", "y"])
    err = capsys.readouterr().err
    assert code == 2
    assert err.strip() == "error: data/in.jsonl:3: bad value 'y'"


def test_dispatch_returns_command_exit_code(monkeypatch):
    monkeypatch.setitem(sys.modules, "fake_cmd", _fake_command_module(lambda args: 0))
    assert dispatch("prog", "test", {"go": ("fake_cmd", "help")}, ["go"]) == 0


def test_atomic_write_leaves_a_world_readable_file(tmp_path):
    target = write_text_atomic(tmp_path / "report.html", "<html></html>")
    assert target.stat().st_mode & 0o777 == 0o644


def test_display_path_is_relative_inside_the_project_and_unchanged_outside(tmp_path,
                                                                           monkeypatch):
    # a project of its own: the real checkout may sit beside pytest's temporary folders
    root = tmp_path / "work" / "project"
    monkeypatch.setattr(paths, "project_root", lambda: root)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    inside = paths.project_root() / "outputs" / "run.json"
    assert paths.display_path(inside) == "outputs/run.json"
    beside = paths.project_root().parent / "shared" / "assets" / "clip.mp4"
    assert paths.display_path(beside) == "../shared/assets/clip.mp4"
    outside = tmp_path / "clip.mp4"
    assert paths.display_path(outside) == outside.as_posix()


def test_display_path_shortens_the_home_folder_and_stored_path_reads_it_back():
    from pathlib import Path

    import pytest

    cache = Path.home() / ".cache" / "tatweer" / "m.onnx"
    if cache.resolve().is_relative_to(paths.project_root().parent):
        pytest.skip("the home folder is beside the project: the relative form applies")
    assert paths.display_path(cache) == "~/.cache/tatweer/m.onnx"
    assert paths.stored_path("~/.cache/tatweer/m.onnx") == cache
    assert paths.stored_path("../shared/a.mp4") == paths.project_root() / "../shared/a.mp4"
    assert paths.stored_path("/data/x.mp4") == Path("/data/x.mp4")
