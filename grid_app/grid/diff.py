"""Word-level differences between two texts."""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass

# A word together with the space after it, so that the spaces between changed words do
# not show up as unchanged islands.
_TOKENS = re.compile(r"\s+|\S+\s*")


@dataclass(frozen=True)
class DiffPart:
    """A run of text that is unchanged (``op`` "equal"), inserted or deleted."""

    op: str
    text: str


def word_diff(old: str, new: str) -> list[DiffPart]:
    """Split ``old`` → ``new`` into equal, insert and delete runs, word by word."""
    a = _TOKENS.findall(old)
    b = _TOKENS.findall(new)
    parts: list[DiffPart] = []
    matcher = difflib.SequenceMatcher(a=a, b=b, autojunk=False)
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        if op == "equal":
            _append(parts, "equal", "".join(a[i1:i2]))
            continue
        if op in ("delete", "replace"):
            _append(parts, "delete", "".join(a[i1:i2]))
        if op in ("insert", "replace"):
            _append(parts, "insert", "".join(b[j1:j2]))
    return parts


def _append(parts: list[DiffPart], op: str, text: str) -> None:
    if parts and parts[-1].op == op:
        parts[-1] = DiffPart(op, parts[-1].text + text)
    else:
        parts.append(DiffPart(op, text))
