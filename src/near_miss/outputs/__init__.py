"""Output stage (spec Task 1.5, the manual review of Task 1.6): annotated video, dashboard
plots, HTML report, the ``info`` overview and the review frames.

May import ``detection``, ``tracking``, ``nearmiss`` and ``near_miss.config``; nothing in the
other stages imports it except ``pipeline`` and ``bench``.
"""
