"""Near-miss incident detection in traffic video on a CPU (Challenge 1).

Stages, one sub-package each, in pipeline order: ``ingest`` (video download, metadata,
frames), ``detection`` (YOLO models, ONNX Runtime, ``detect_objects``), ``tracking`` (centroid
and SORT trackers), ``nearmiss`` (``NearMissDetector``: geometry, kinematics, risk, filters,
synthetic scenarios), ``outputs`` (annotated video, plots, HTML report), ``bench`` (the CPU
benchmark); ``pipeline`` runs them end to end and ``cli`` dispatches the commands. Imports
only go down that list (``config`` and ``tatweer_common`` are below all of them).
"""
