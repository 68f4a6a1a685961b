"""Append-only log of sensitive actions."""
