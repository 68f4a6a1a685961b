"""The manager's dashboard: coverage heatmap, headline figures, lists, charts and report."""
