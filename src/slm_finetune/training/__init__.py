"""Tasks 2.2-2.3, training: base model loading, LoRA, the training config, the trainer run and
the loss curves.

May import ``data`` and the shared top-level modules; nothing from ``evaluation`` or ``bonus``.
"""
