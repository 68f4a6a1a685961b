"""Redaction: correcting what was wrongly written in a revision or a comment."""
