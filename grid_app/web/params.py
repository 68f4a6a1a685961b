"""Reading numbers from the query string with a clear 400 when they are not numbers."""

from __future__ import annotations

from flask import abort, request


def int_arg(name: str, default: int | None = None, minimum: int | None = None) -> int | None:
    """The query parameter ``name`` as a whole number (``default`` when absent or empty)."""
    raw = request.args.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        abort(400, f"“{name}” must be a whole number.")
    if minimum is not None and value < minimum:
        abort(400, f"“{name}” must be {minimum} or more.")
    return value
