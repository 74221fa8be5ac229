"""LoRA fine-tuning of a small language model for IT-support Q&A (Challenge 2).

Stages: ``curate`` (dataset building and filtering), ``train`` (LoRA fine-tuning),
then evaluation, error analysis, the model card and the bonus analyses.
"""
