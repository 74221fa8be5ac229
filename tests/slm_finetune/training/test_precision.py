import pytest
import torch

from slm_finetune.training import precision as prec


def write_cpuinfo(tmp_path, flags: str):
    path = tmp_path / "cpuinfo"
    path.write_text(f"processor\t: 0\nmodel name\t: Test CPU\nflags\t\t: fpu sse2 {flags}\n")
    return path


def test_cpu_flags_are_read_from_cpuinfo(tmp_path):
    assert prec.cpu_bf16_flags(write_cpuinfo(tmp_path, "avx512f amx_bf16")) == ["amx_bf16"]
    assert prec.cpu_bf16_flags(write_cpuinfo(tmp_path, "avx512f avx2")) == []
    assert prec.cpu_bf16_flags(tmp_path / "missing") == []


@pytest.mark.parametrize(
    ("flags", "kernels", "expected"),
    [(["avx512_bf16"], True, "bf16"), ([], True, "fp32"), (["amx_bf16"], False, "fp32")],
)
def test_auto_needs_native_bf16_and_the_kernels(monkeypatch, flags, kernels, expected):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    monkeypatch.setattr(prec, "cpu_bf16_flags", lambda: flags)
    monkeypatch.setattr(prec, "torch_cpu_bf16", lambda: kernels)
    chosen = prec.resolve("auto")
    assert chosen.name == expected
    assert ("CPU lists" in chosen.reason) == (expected == "bf16")


def test_a_gpu_gets_the_specs_fp16_and_overrides_win(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    assert prec.resolve().name == "fp16"
    assert prec.resolve("fp32") == prec.Precision("fp32", "--precision fp32")
    with pytest.raises(ValueError, match="must be one of"):
        prec.resolve("fp8")


def test_inference_casts_the_model_only_for_bf16():
    model = torch.nn.Linear(4, 4)
    for name in ("fp32", "fp16"):  # inference stays on the CPU: fp16 leaves it float32
        assert prec.Precision(name, "").for_inference(model).weight.dtype == torch.float32
    assert prec.Precision("bf16", "").for_inference(model).weight.dtype == torch.bfloat16
    assert prec.Precision("bf16", "").model_suffix() == " [bf16]"
    assert prec.Precision("fp32", "").model_suffix() == ""
