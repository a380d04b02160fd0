"""Matching: the pure engine (engine/) and the product around it: problems, proposals, preferences."""
