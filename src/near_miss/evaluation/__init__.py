"""Evaluation stage: the pipeline scored against labelled clips (``python -m near_miss
evaluate``). At the top of the import graph with ``pipeline``: may import every stage.
"""
