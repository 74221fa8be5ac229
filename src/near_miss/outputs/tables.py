"""The columns of the tracks table (``tracks.csv``), shared by the pipeline and the renderers.

``class`` is the ID's majority class (the spec's rule), ``detected_class`` the class detected
in that frame (empty for a predicted box), from which the video draws the current class.
"""

TRACK_COLUMNS = [
    "frame_index", "object_id", "class", "coco_class", "detected_class",
    "x1", "y1", "x2", "y2", "cx", "cy", "confidence",
]
