"""Discussion: threaded comments on cells, with edit history and resolvable threads."""
