"""The keyed hash chain and heads that make each cell's history tamper-evident.

Each revision's chain hash is an HMAC, keyed with ``HISTORY_KEY``, over its fields and the
chain hash of the revision before it. Each cell's head (``CellHead``) is an HMAC over its
number of revisions, its newest chain hash and what the cell holds now. The key is never in
the database, so someone who can only write to the database cannot seal what they change.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, NamedTuple

from flask import current_app
from sqlalchemy import delete, exists, func, insert, select, update

from grid_app.extensions import db
from grid_app.grid.models import (
    Cell,
    CellHead,
    CellRevision,
    GridColumn,
    HistoryPermit,
    Redaction,
    RedactionStatus,
    ServiceArea,
    cell_owner,
)

GENESIS = "0" * 64


def content_hash(text: str, owner_ids: Iterable[int]) -> str:
    """Hash of what a revision says: its text and its owners."""
    payload = json.dumps({"text": text, "owners": sorted(owner_ids)}, separators=(",", ":"))
    return hashlib.sha256(payload.encode()).hexdigest()


EMPTY = content_hash("", [])


def history_key() -> bytes:
    """The key that seals the history (``HISTORY_KEY``; see config.py)."""
    return str(current_app.config["HISTORY_KEY"]).encode()


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
    key: bytes | None = None,
) -> str:
    """Keyed hash linking a revision's fields to the chain hash of the revision before it."""
    payload = json.dumps(
        [previous, cell_id, number, kind, author_id, created_at.isoformat(), summary, content],
        separators=(",", ":"),
    )
    return hmac.new(key or history_key(), payload.encode(), hashlib.sha256).hexdigest()


def head_mac(
    cell_id: int,
    revisions: int,
    newest: str,
    content: str,
    key: bytes | None = None,
    redacted: Sequence[int] = (),
) -> str:
    """Keyed hash over a cell's number of revisions, its newest chain hash (GENESIS when it
    has none), the content hash of what it holds now and, once any is redacted, the ids of
    its redacted revisions (so that a redaction cannot be removed without the key)."""
    fields: list[Any] = ["head", cell_id, revisions, newest, content]
    if redacted:
        fields.append(sorted(redacted))
    payload = json.dumps(fields, separators=(",", ":"))
    return hmac.new(key or history_key(), payload.encode(), hashlib.sha256).hexdigest()


def redaction_mac(
    revision_id: int,
    content: str,
    owner_ids: Iterable[int],
    notice: str,
    key: bytes | None = None,
) -> str:
    """Keyed hash sealing a redaction: the revision, its content hash and owners (which its
    notice no longer shows), and the notice that stands in for its words."""
    payload = json.dumps(
        ["redaction", revision_id, content, sorted(owner_ids), notice], separators=(",", ":")
    )
    return hmac.new(key or history_key(), payload.encode(), hashlib.sha256).hexdigest()


def redacted_ids(cell_id: int) -> list[int]:
    """The cell's revisions whose words an approved redaction replaced."""
    return sorted(
        i
        for i in db.session.scalars(
            select(Redaction.revision_id).where(
                Redaction.cell_id == cell_id,
                Redaction.status == RedactionStatus.APPROVED.value,
            )
        )
        if i is not None
    )


def rewrite_revision(revision_id: int, text: str, html: str | None) -> None:
    """Replace a revision's words: the one rewrite of history ever intended (a redaction,
    or an admin undoing one). Takes a permit for this transaction only (HistoryPermit)."""
    if db.session.get_bind().dialect.name == "postgresql":
        txid = int(db.session.scalar(select(func.txid_current())) or 0)
    else:
        txid = 0
    db.session.execute(insert(HistoryPermit).values(txid=txid))
    db.session.execute(
        update(CellRevision.__table__)  # type: ignore[arg-type]
        .where(CellRevision.__table__.c.id == revision_id)
        .values(text=text, html=html)
    )
    db.session.execute(delete(HistoryPermit).where(HistoryPermit.txid == txid))
    for obj in list(db.session.identity_map.values()):
        if isinstance(obj, CellRevision) and obj.id == revision_id:
            db.session.expire(obj)


def move_head(
    cell_id: int,
    newest: CellRevision,
    before: tuple[str, Sequence[int]],
    after: tuple[str, Sequence[int]],
) -> None:
    """Reseal a cell's head when what it holds or its redacted revisions change, from the
    (live content hash, redacted ids) it had to the ones it has. A head that did not match
    is left as it is, so the cell stays reported (as ``advance_head`` does)."""
    key = history_key()
    sealed = head_mac(cell_id, newest.number, newest.chain_hash, before[0], key, before[1])
    db.session.execute(
        update(CellHead)
        .where(CellHead.cell_id == cell_id, CellHead.mac == sealed)
        .values(mac=head_mac(cell_id, newest.number, newest.chain_hash, after[0], key, after[1]))
        .execution_options(synchronize_session=False)
    )


def seal(revision: CellRevision, previous: CellRevision | None) -> None:
    """Fill in a new revision's content hash and chain hash."""
    revision.content_hash = content_hash(revision.text, revision.owner_ids)
    revision.chain_hash = _expected_chain(
        revision, previous.chain_hash if previous else GENESIS, history_key()
    )


def seal_new_cells(cells: Iterable[Cell]) -> None:
    """Write the head of each new, empty (and flushed) cell: no revisions yet."""
    key = history_key()
    rows = [
        {"cell_id": c.id, "revisions": 0, "mac": head_mac(c.id, 0, GENESIS, EMPTY, key)}
        for c in cells
    ]
    if rows:
        db.session.execute(insert(CellHead), rows)


def advance_head(revision: CellRevision, previous: CellRevision | None) -> None:
    """Move the cell's head onto its new ``revision`` (already written), from the head the
    previous state had.

    A head that does not match that previous state (tampered with, or missing) is left as it
    is, so the cell stays reported by verify-history instead of being sealed afresh by the
    next person to edit it. The caller holds the cell's row, as for ``_append_revision``.
    """
    key = history_key()
    cell_id = revision.cell_id
    redacted = redacted_ids(cell_id) if previous else []
    # A redacted newest revision left the cell holding its notice, not its words.
    held = (
        content_hash(previous.text, previous.owner_ids)
        if previous and previous.id in redacted
        else previous.content_hash
        if previous
        else EMPTY
    )
    before = (
        head_mac(cell_id, previous.number, previous.chain_hash, held, key, redacted)
        if previous
        else head_mac(cell_id, 0, GENESIS, EMPTY, key)
    )
    after = head_mac(
        cell_id, revision.number, revision.chain_hash, revision.content_hash, key, redacted
    )
    db.session.execute(
        update(CellHead)
        .where(CellHead.cell_id == cell_id, CellHead.mac == before)
        .values(revisions=revision.number, mac=after)
        .execution_options(synchronize_session=False)
    )


@dataclass(frozen=True)
class BrokenCell:
    """A cell whose history does not verify, and the first reason found."""

    cell_id: int
    place: str
    reason: str
    revision_id: int | None = None
    number: int | None = None

    def __str__(self) -> str:
        where = f"cell {self.cell_id} ({self.place})"
        if self.revision_id is not None:
            where += f", revision {self.revision_id} (number {self.number})"
        return f"{where}: {self.reason}"


class Verification(NamedTuple):
    """What ``verify_all`` found: revisions checked, the first broken cell (None when all
    is well, second so that ``verify_all()[1] is None`` reads as before), cells checked,
    and every broken cell."""

    revisions: int
    first_broken: BrokenCell | None
    cells: int
    broken: list[BrokenCell]
    # A permit left in ``history_permit`` (see HistoryPermit) lets SQLite rewrites through.
    permit_left: bool


def verify_all(batch: int = 5000) -> Verification:
    """Check every cell: its chain (numbers 1..n, content hashes, keyed chain hashes), that
    it holds what its newest revision says (nothing, without one), and its head.

    Cells and revisions are streamed side by side in cell order, so memory does not grow
    with the history; only the owner lists of cells are held.
    """
    key = history_key()
    owners: dict[int, list[int]] = {}
    for cell_id, user_id in db.session.execute(select(cell_owner.c.cell_id, cell_owner.c.user_id)):
        owners.setdefault(cell_id, []).append(user_id)
    # Approved redactions are few: held whole, by revision.
    redactions: dict[int, tuple[str, str]] = {}
    for revision_id, notice, mac in db.session.execute(
        select(Redaction.revision_id, Redaction.notice, Redaction.mac).where(
            Redaction.status == RedactionStatus.APPROVED.value,
            Redaction.revision_id.is_not(None),
        )
    ):
        if revision_id is not None:
            redactions[revision_id] = (notice, mac)
    cells = db.session.execute(
        select(
            Cell.id,
            Cell.text,
            ServiceArea.name,
            GridColumn.name,
            CellHead.revisions,
            CellHead.mac,
        )
        .join(ServiceArea, ServiceArea.id == Cell.row_id)
        .join(GridColumn, GridColumn.id == Cell.column_id)
        .outerjoin(CellHead, CellHead.cell_id == Cell.id)
        .order_by(Cell.id)
        .execution_options(yield_per=batch)
    )
    revisions = db.session.execute(
        select(
            CellRevision.id,
            CellRevision.cell_id,
            CellRevision.number,
            CellRevision.kind,
            CellRevision.text,
            CellRevision.owner_ids,
            CellRevision.summary,
            CellRevision.author_id,
            CellRevision.created_at,
            CellRevision.content_hash,
            CellRevision.chain_hash,
        )
        .order_by(CellRevision.cell_id, CellRevision.number)
        .execution_options(yield_per=batch)
    )
    checked = cell_count = 0
    broken: list[BrokenCell] = []
    try:
        pending = _Pending(revisions)
        for cell_id, text, row_name, column_name, head_revisions, mac in cells:
            cell_count += 1
            found = _check_cell(
                cell_id,
                f"{row_name} × {column_name}",
                content_hash(text, owners.get(cell_id, [])),
                pending.take(cell_id),
                head_revisions,
                mac,
                key,
                redactions,
            )
            checked += found.revisions
            if found.broken:
                broken.append(found.broken)
    finally:
        cells.close()
        revisions.close()
    permit_left = bool(db.session.scalar(select(exists().select_from(HistoryPermit))))
    return Verification(checked, broken[0] if broken else None, cell_count, broken, permit_left)


class _Pending:
    """The revision stream, handed out one cell at a time."""

    def __init__(self, rows: Iterable[Any]) -> None:
        self._rows = iter(rows)
        self._next = next(self._rows, None)

    def take(self, cell_id: int) -> Iterator[Any]:
        while self._next is not None and self._next.cell_id <= cell_id:
            row, self._next = self._next, next(self._rows, None)
            if row.cell_id == cell_id:
                yield row


class _Found(NamedTuple):
    revisions: int
    broken: BrokenCell | None


def _check_cell(
    cell_id: int,
    place: str,
    live: str,
    chain: Iterator[Any],
    head_revisions: int | None,
    mac: str | None,
    key: bytes,
    redactions: dict[int, tuple[str, str]],
) -> _Found:
    count = 0
    newest = GENESIS
    newest_content = EMPTY
    redacted: list[int] = []
    broken: BrokenCell | None = None
    for revision in chain:
        count += 1
        if broken:
            continue  # read on to the next cell; one break per cell is reported
        redaction = redactions.get(revision.id)
        reason = _check(revision, count, newest, key, redaction)
        if reason:
            broken = BrokenCell(cell_id, place, reason, revision.id, revision.number)
        newest, newest_content = revision.chain_hash, revision.content_hash
        if redaction:
            redacted.append(revision.id)
            # The cell holds the notice while its newest revision is redacted.
            newest_content = content_hash(revision.text, revision.owner_ids)
    if broken:
        return _Found(count, broken)
    reason = None
    if count == 0 and live != EMPTY:
        reason = "it holds text or owners but has no revision"
    elif live != newest_content:
        reason = f"what it holds differs from its newest revision (number {count})"
    elif mac is None:
        reason = "it has no head"
    elif mac != head_mac(cell_id, count, newest, live, key, redacted):
        reason = (
            f"its head records {head_revisions} revisions but {count} were found"
            if head_revisions != count
            else "its head does not match its newest revision"
        )
    return _Found(count, BrokenCell(cell_id, place, reason) if reason else None)


def _check(
    revision: Any,
    expected_number: int,
    previous: str,
    key: bytes,
    redaction: tuple[str, str] | None = None,
) -> str | None:
    if revision.number != expected_number:
        return f"revision number {revision.number}, expected {expected_number}"
    if redaction:
        notice, sealed = redaction
        expected = redaction_mac(
            revision.id, revision.content_hash, revision.owner_ids, notice, key
        )
        if sealed != expected:
            return "its redaction is not sealed"
        if revision.text != notice:
            return "its redacted text was changed"
    elif content_hash(revision.text, revision.owner_ids) != revision.content_hash:
        return "content does not match its hash"
    if _expected_chain(revision, previous, key) != revision.chain_hash:
        return "chain hash does not match"
    return None


def _expected_chain(revision: Any, previous: str, key: bytes) -> str:
    return chain_hash(
        previous,
        cell_id=revision.cell_id,
        number=revision.number,
        kind=revision.kind,
        author_id=revision.author_id,
        created_at=revision.created_at,
        summary=revision.summary,
        content=revision.content_hash,
        key=key,
    )
