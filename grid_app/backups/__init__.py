"""Backups that restore: a consistent copy of the live database and a manifest to check it by."""
