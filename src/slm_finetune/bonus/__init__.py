"""Tasks 2.7-2.8, the bonus analyses: catastrophic forgetting (general prompts, WikiText
fluency) and the prompting baselines.

May import ``data``, ``training``, ``evaluation`` and the shared top-level modules.
"""
