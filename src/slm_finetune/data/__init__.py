"""Task 2.1, the dataset: sources, schema, normalisation, filters (PII, duplicates), splits,
statistics, tokenised features and the data card; ``curate`` runs it all.

Imports only the shared top-level modules (`slm_finetune.prompt`, `slm_finetune.templating`)
and `tatweer_common`: nothing from ``training``, ``evaluation`` or ``bonus``.
"""
