"""The hash chain that makes each cell's revisions tamper-evident."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from grid_app.extensions import db
from grid_app.grid.models import CellRevision

GENESIS = "0" * 64


def content_hash(text: str, owner_ids: Iterable[int]) -> str:
    """Hash of what a revision says: its text and its owners."""
    payload = json.dumps({"text": text, "owners": sorted(owner_ids)}, separators=(",", ":"))
    return hashlib.sha256(payload.encode()).hexdigest()


def chain_hash(
    previous: str,
    *,
    cell_id: int,
    number: int,
    kind: str,
    author_id: int | None,
    created_at: datetime,
    summary: str,
    content: str,
) -> str:
    """Hash linking a revision's fields to the chain hash of the revision before it."""
    payload = json.dumps(
        [previous, cell_id, number, kind, author_id, created_at.isoformat(), summary, content],
        separators=(",", ":"),
    )
    return hashlib.sha256(payload.encode()).hexdigest()


def seal(revision: CellRevision, previous: CellRevision | None) -> None:
    """Fill in a new revision's content hash and chain hash."""
    revision.content_hash = content_hash(revision.text, revision.owner_ids)
    revision.chain_hash = _expected_chain(revision, previous.chain_hash if previous else GENESIS)


@dataclass(frozen=True)
class BrokenLink:
    """The first revision of a chain whose stored hashes do not match its fields."""

    revision_id: int
    cell_id: int
    number: int
    reason: str


def verify_all(batch: int = 5000) -> tuple[int, BrokenLink | None]:
    """Check every cell's chain in order; return how many were checked and the first break."""
    checked = 0
    stmt = (
        select(CellRevision)
        .order_by(CellRevision.cell_id, CellRevision.number)
        .execution_options(yield_per=batch)
    )
    result = db.session.scalars(stmt)
    try:
        for revision, previous in _with_previous(result):
            checked += 1
            broken = _check(revision, previous)
            if broken:
                return checked, broken
    finally:
        result.close()
    return checked, None


def _with_previous(
    revisions: Iterable[CellRevision],
) -> Iterator[tuple[CellRevision, CellRevision | None]]:
    previous: CellRevision | None = None
    for revision in revisions:
        if previous is not None and previous.cell_id != revision.cell_id:
            previous = None
        yield revision, previous
        previous = revision


def _check(revision: CellRevision, previous: CellRevision | None) -> BrokenLink | None:
    expected_number = previous.number + 1 if previous else 1
    if revision.number != expected_number:
        reason = f"revision number {revision.number}, expected {expected_number}"
    elif content_hash(revision.text, revision.owner_ids) != revision.content_hash:
        reason = "content does not match its hash"
    elif _expected_chain(revision, previous.chain_hash if previous else GENESIS) != (
        revision.chain_hash
    ):
        reason = "chain hash does not match"
    else:
        return None
    return BrokenLink(revision.id, revision.cell_id, revision.number, reason)


def _expected_chain(revision: CellRevision, previous: str) -> str:
    return chain_hash(
        previous,
        cell_id=revision.cell_id,
        number=revision.number,
        kind=revision.kind,
        author_id=revision.author_id,
        created_at=revision.created_at,
        summary=revision.summary,
        content=revision.content_hash,
    )
