"""The stage sub-packages import only the stages before them (data -> training -> evaluation
-> bonus); the shared top-level modules import no stage."""

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "src" / "slm_finetune"
STAGES = ("data", "training", "evaluation", "bonus")
SHARED = ("prompt", "templating", "run_options")


def imported_stages(path: Path) -> set[str]:
    """Stages named by the ``slm_finetune.*`` imports of one module (any nesting level)."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        names = []
        if isinstance(node, ast.ImportFrom) and node.module:
            names = [node.module] + [f"{node.module}.{a.name}" for a in node.names]
        elif isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        for name in names:
            parts = name.split(".")
            if parts[0] == "slm_finetune" and len(parts) > 1 and parts[1] in STAGES:
                found.add(parts[1])
    return found


@pytest.mark.parametrize("stage", STAGES)
def test_a_stage_imports_only_earlier_stages(stage):
    allowed = set(STAGES[: STAGES.index(stage) + 1])
    modules = sorted((PACKAGE / stage).glob("*.py"))
    assert modules
    for module in modules:
        extra = imported_stages(module) - allowed
        assert not extra, f"{module.name} ({stage}) imports later stage(s) {sorted(extra)}"


def test_shared_modules_import_no_stage():
    for name in SHARED:
        assert imported_stages(PACKAGE / f"{name}.py") == set(), name


def test_the_checker_sees_a_late_import(tmp_path):
    module = tmp_path / "m.py"
    module.write_text("def f():\n    from slm_finetune.bonus import baselines\n")
    assert imported_stages(module) == {"bonus"}
