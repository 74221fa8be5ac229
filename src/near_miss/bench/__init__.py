"""Benchmark stage (spec Task 1.7): the threaded reader/inference loop, quality measures
(missed events, detection recall), the ``bench`` command and its figure.

The top of the import graph next to ``pipeline``: may import every other stage.
"""
