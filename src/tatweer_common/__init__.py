"""Small utilities shared by the two challenge packages (paths, user errors, atomic writes)."""
