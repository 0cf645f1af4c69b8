"""Rendering recipes into block sources: one module per block kind, assembled in `notebook`."""
