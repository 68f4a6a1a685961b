"""CSV downloads that a spreadsheet cannot be tricked into running."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator
from typing import Any

# A cell starting with one of these is read as a formula by spreadsheet programs.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def safe(value: Any) -> str:
    """The value as text, with a leading apostrophe if a spreadsheet would run it."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(_FORMULA_START) else text


def lines(header: list[str], rows: Iterable[Iterable[Any]]) -> Iterator[str]:
    """Encode a header and rows as CSV, one line at a time, so large files stream."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(header)
    yield buffer.getvalue()
    for row in rows:
        buffer.seek(0)
        buffer.truncate()
        writer.writerow([safe(value) for value in row])
        yield buffer.getvalue()


def unguard(text: str) -> str:
    """Undo ``safe``: drop the apostrophe it put before a formula character."""
    return text[1:] if text.startswith("'") and text[1:].startswith(_FORMULA_START) else text
