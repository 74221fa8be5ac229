"""The spec's directory structure, adapted to both challenges, printed with each file's state."""

from __future__ import annotations

from pathlib import Path

from submission.artifacts import Artifact

ORDER = ("README.md", "requirements.txt", "notebooks", "data", "outputs", "MODEL_CARD.md",
         "demo_video.mp4")
Node = dict[str, "Node | Artifact"]


def build(artifacts: list[Artifact]) -> Node:
    """Nested dict: folder name -> sub-tree, file name -> its artifact."""
    tree: Node = {}
    for artifact in artifacts:
        *folders, name = artifact.path.rstrip("/").split("/")
        node = tree
        for folder in folders:
            node = node.setdefault(folder, {})  # type: ignore[assignment]
        node[name + ("/" if artifact.is_dir else "")] = artifact
    return tree


def _key(name: str) -> tuple[int, str]:
    top = name.rstrip("/")
    return (ORDER.index(top) if top in ORDER else len(ORDER), name)


def render(node: Node, root: Path, prefix: str = "") -> list[str]:
    """Lines of the tree under ``node`` with "ok" or "MISSING (command)" after each file."""
    lines = []
    names = sorted(node, key=_key)
    for i, name in enumerate(names):
        last = i == len(names) - 1
        branch, child_prefix = ("└── ", "    ") if last else ("├── ", "│   ")
        child = node[name]
        if isinstance(child, Artifact):
            state = "ok" if child.exists(root) else f"MISSING  <- {child.command}"
            label = f"{prefix}{branch}{name}"
            lines.append(f"{label:<52} {state}")
        else:
            lines.append(f"{prefix}{branch}{name}/")
            lines += render(child, root, prefix + child_prefix)
    return lines


def tree_text(artifacts: list[Artifact], root: Path) -> str:
    return "\n".join([f"{root.name}/", *render(build(artifacts), root)])
