"""Submission assembly: the checklist, the demo video and the README's results section."""
