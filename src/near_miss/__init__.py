"""Near-miss incident detection in traffic video on a CPU (Challenge 1).

Pipeline stages, one module each: ``ingest`` (video download/metadata/frames),
``detection`` (YOLO detector and ``detect_objects``), ``tracking`` (centroid and SORT
trackers), ``nearmiss`` (``NearMissDetector``, risk scoring and filters), ``render``,
``plots`` and ``report`` (artifacts), ``pipeline`` (one command end to end).
"""
