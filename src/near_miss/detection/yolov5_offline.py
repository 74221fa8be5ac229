"""Load the official COCO YOLOv5n checkpoint without any code of the yolov5 repository.

The checkpoint (``yolov5n.pt``, AGPL-3.0, Ultralytics) is a pickle of objects whose classes
live in yolov5's ``models.common`` and ``models.yolo``. While unpickling, those names are
mapped to classes with the same attribute layout: ``ultralytics.nn.modules`` provides
``Conv``, ``C3``, ``Bottleneck``, ``SPPF`` and ``Concat``; the anchor-based ``Detect`` head and
the model's forward pass (each layer reads the outputs named by its ``.f`` from-index) are the
two small classes below. Any other global in the pickle is refused.
"""

from __future__ import annotations

import functools
import pickle
import types
from pathlib import Path

import torch
from torch import nn

from tatweer_common.errors import UserError


@functools.lru_cache(maxsize=16)
def _cell_grid(ny: int, nx: int, dtype: torch.dtype) -> torch.Tensor:
    """``(1, 1, ny, nx, 2)`` tensor of each cell's (x, y) index."""
    ys, xs = torch.meshgrid(
        torch.arange(ny, dtype=dtype), torch.arange(nx, dtype=dtype), indexing="ij"
    )
    return torch.stack((xs, ys), -1).view(1, 1, ny, nx, 2)


class AnchorDetect(nn.Module):
    """YOLOv5's anchor-based detection head, inference only.

    Unpickled state used: ``m`` (one 1x1 conv per level), ``anchors`` (buffer ``(nl, na, 2)`` in
    stride units), ``stride``, ``nl``, ``na``, ``no`` (= 5 + number of classes).
    """

    def forward(self, features: list[torch.Tensor]) -> torch.Tensor:
        """Decoded boxes ``(batch, n, 5 + nc)``: cx, cy, w, h (pixels), objectness, classes."""
        out = []
        for level, conv in enumerate(self.m):
            p = conv(features[level])
            bs, _, ny, nx = p.shape
            p = p.view(bs, self.na, self.no, ny, nx).permute(0, 1, 3, 4, 2).sigmoid()
            stride = float(self.stride[level])
            grid = _cell_grid(ny, nx, p.dtype)
            anchor_wh = (self.anchors[level] * stride).view(1, self.na, 1, 1, 2).to(p.dtype)
            xy = (p[..., :2] * 2 - 0.5 + grid) * stride
            wh = (p[..., 2:4] * 2) ** 2 * anchor_wh
            out.append(torch.cat((xy, wh, p[..., 4:]), -1).view(bs, -1, self.no))
        return torch.cat(out, 1)


class YOLOv5Model(nn.Module):
    """The YOLOv5 ``Model``: a ``Sequential`` of layers, each with ``.f`` (inputs) and ``.i``."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        outputs: list[torch.Tensor | None] = []
        for layer in self.model:
            if layer.f != -1:
                x = (
                    outputs[layer.f]
                    if isinstance(layer.f, int)
                    else [x if j == -1 else outputs[j] for j in layer.f]
                )
            x = layer(x)
            outputs.append(x if layer.i in self.save else None)
        return x


def _class_map() -> dict[tuple[str, str], type]:
    from ultralytics.nn.modules import C3, SPPF, Bottleneck, Concat, Conv

    common = {"Conv": Conv, "C3": C3, "Bottleneck": Bottleneck, "SPPF": SPPF, "Concat": Concat}
    mapping = {("models.common", name): cls for name, cls in common.items()}
    mapping[("models.yolo", "Model")] = YOLOv5Model
    mapping[("models.yolo", "Detect")] = AnchorDetect
    return mapping


_ALLOWED_MODULES = ("torch", "collections", "__builtin__", "builtins", "numpy")


class _MappingUnpickler(pickle.Unpickler):
    mapping: dict[tuple[str, str], type] = {}

    def find_class(self, module: str, name: str):
        if (module, name) in self.mapping:
            return self.mapping[(module, name)]
        if module.split(".")[0] in _ALLOWED_MODULES:
            return super().find_class(module, name)
        raise pickle.UnpicklingError(f"unexpected class {module}.{name} in the checkpoint")


def load_yolov5_checkpoint(path: str | Path) -> YOLOv5Model:
    """The float32, eval-mode YOLOv5 model stored in ``path`` (ema weights when present)."""
    path = Path(path)
    if not path.is_file():
        raise UserError(f"{path}: YOLOv5 checkpoint not found")
    unpickler = type("Unpickler", (_MappingUnpickler,), {"mapping": _class_map()})
    shim = types.SimpleNamespace(Unpickler=unpickler, load=pickle.load, __name__="pickle")
    try:
        ckpt = torch.load(path, map_location="cpu", weights_only=False, pickle_module=shim)
    except (pickle.UnpicklingError, RuntimeError, EOFError, AttributeError) as exc:
        raise UserError(f"{path}: not a readable YOLOv5 checkpoint ({exc})") from exc
    model = (ckpt.get("ema") or ckpt.get("model")) if isinstance(ckpt, dict) else None
    if not isinstance(model, YOLOv5Model):
        raise UserError(f"{path}: no YOLOv5 model inside the checkpoint")
    head = model.model[-1]
    for stale in ("grid", "anchor_grid"):  # cached for the training size; rebuilt per input
        head.__dict__.pop(stale, None)
    return model.float().eval()


def class_names(model: YOLOv5Model) -> list[str]:
    """COCO class names, index = class id."""
    names = model.names
    return [names[i] for i in range(len(names))] if isinstance(names, dict) else list(names)
