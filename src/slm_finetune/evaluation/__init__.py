"""Tasks 2.4-2.6, evaluation: cached generation, metrics, the base vs fine-tuned comparison,
error analysis, the model pair and the model card.

May import ``training``, ``data`` and the shared top-level modules; nothing from ``bonus``.
"""
