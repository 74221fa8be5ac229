"""LoRA fine-tuning of a small language model for IT-support Q&A (Challenge 2).

Stages, each a sub-package that imports only the stages before it:
``data`` (dataset building and filtering) -> ``training`` (LoRA fine-tuning) ->
``evaluation`` (metrics, error analysis, model card) -> ``bonus`` (forgetting, baselines).
Shared top-level modules: `prompt` (the prompt template), `templating` (jinja2) and
`run_options` (command-line options) import no stage; `cli` and `figures` sit above them all.
"""
