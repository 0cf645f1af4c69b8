"""Candidate notebooks: named block cells, a papermill parameters cell, scripts and diffs."""
