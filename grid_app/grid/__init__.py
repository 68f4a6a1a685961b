"""Grids, their service areas (rows), columns, cells and cell revisions."""
