"""docs/security.md keeps to its own rules: every requirement has a status, every test it
names exists, and every level 1 and 2 requirement of V6, V7 and V8 is there."""

from __future__ import annotations

import ast
import re
from functools import cache
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "docs" / "security.md"
STATUSES = {"met", "not applicable", "not yet"}
# The level 1 and level 2 requirements of ASVS 5.0.0 chapters V6, V7 and V8.
REQUIRED = {
    *(f"6.1.{n}" for n in range(1, 4)),
    *(f"6.2.{n}" for n in range(1, 13)),
    *(f"6.3.{n}" for n in range(1, 5)),
    *(f"6.4.{n}" for n in range(1, 5)),
    *(f"6.5.{n}" for n in range(1, 6)),
    *(f"6.6.{n}" for n in range(1, 4)),
    *(f"6.8.{n}" for n in range(1, 5)),
    *(f"7.1.{n}" for n in range(1, 4)),
    *(f"7.2.{n}" for n in range(1, 5)),
    "7.3.1",
    "7.3.2",
    *(f"7.4.{n}" for n in range(1, 6)),
    "7.5.1",
    "7.5.2",
    "7.6.1",
    "7.6.2",
    "8.1.1",
    "8.1.2",
    "8.2.1",
    "8.2.2",
    "8.2.3",
    "8.3.1",
    "8.4.1",
}
_ROW = re.compile(r"^\| (\d+\.\d+\.\d+) \| (\d) \| (.+?) \| (.+?) \| (.*) \|$", re.M)
_CITED = re.compile(r"`(tests/[\w/]+\.py)::(\w+)`")


def _rows() -> list[tuple[str, ...]]:
    return _ROW.findall(DOC.read_text(encoding="utf-8"))


@cache
def _test_names(path: str) -> frozenset[str]:
    """The test functions a test file defines (what pytest collects from it)."""
    tree = ast.parse((ROOT / path).read_text(encoding="utf-8"))
    return frozenset(
        node.name
        for node in ast.walk(tree)
        if isinstance(node, ast.FunctionDef) and node.name.startswith("test_")
    )


def test_every_requirement_of_levels_1_and_2_is_listed_once():
    numbers = [row[0] for row in _rows()]
    assert len(numbers) == len(set(numbers))
    assert set(numbers) == REQUIRED
    assert all(row[1] in {"1", "2"} for row in _rows())


def test_every_requirement_has_one_of_the_three_statuses():
    assert {row[0]: row[3] for row in _rows() if row[3] not in STATUSES} == {}


def test_every_met_requirement_names_a_test_and_every_other_says_why():
    for number, _level, _text, status, proof in _rows():
        if status == "met":
            assert _CITED.search(proof), number
        else:
            assert len(proof) > 10, number


def test_every_test_named_exists():
    cited = _CITED.findall(DOC.read_text(encoding="utf-8"))
    assert cited
    missing = [
        f"{path}::{name}"
        for path, name in cited
        if not (ROOT / path).is_file() or name not in _test_names(path)
    ]
    assert missing == []
