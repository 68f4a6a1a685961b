"""Safe-space sessions: contributions, themes, consent and insights."""
