"""Changing grids and cells. Every cell change writes a revision in the same transaction."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from datetime import datetime

from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm.exc import StaleDataError

from grid_app import signals
from grid_app.auth.models import Actor, Role, User
from grid_app.database import utcnow
from grid_app.errors import EditConflict, Forbidden, Invalid
from grid_app.extensions import db
from grid_app.grid import history, markdown
from grid_app.grid.models import (
    AppliedSave,
    Cell,
    CellRevision,
    ColumnKind,
    Grid,
    GridColumn,
    RevisionKind,
    ServiceArea,
)

EDITOR_ROLES = (Role.CONTRIBUTOR, Role.MANAGER, Role.ADMIN)
SUMMARY_MAX = 200
_SLUG_JUNK = re.compile(r"[^a-z0-9]+")


def can_edit_cells(actor: Actor) -> bool:
    """Whether ``actor`` may change cells (people with no role can only read)."""
    return actor.active and actor.has_role(*EDITOR_ROLES)


def require_edit_cells(actor: Actor) -> None:
    """Refuse (403) someone who may only read the grid."""
    if not can_edit_cells(actor):
        raise Forbidden("You can read the grid but not change it.")


def slugify(name: str) -> str:
    """A URL-safe slug for a grid name."""
    return _SLUG_JUNK.sub("-", name.lower()).strip("-")[:80] or "grid"


def create_grid(
    actor: Actor,
    name: str,
    rows: Sequence[str],
    columns: Sequence[tuple[str, ColumnKind]],
    description: str = "",
) -> Grid:
    """Create a grid with its service areas, columns and one empty cell for each pair."""
    if not actor.has_role(Role.ADMIN):
        raise Forbidden("Only an admin can create a grid.")
    if not name.strip():
        raise Invalid("Name the grid.", {"name": "Enter a name for the grid."})
    grid = Grid(name=name.strip(), slug=slugify(name), description=description)
    db.session.add(grid)
    area_models = [ServiceArea(grid=grid, name=n, position=i) for i, n in enumerate(rows)]
    column_models = [
        GridColumn(grid=grid, name=n, kind=kind.value, position=i)
        for i, (n, kind) in enumerate(columns)
    ]
    db.session.add_all([*area_models, *column_models])
    cells = [
        Cell(grid=grid, row=area, column=column) for area in area_models for column in column_models
    ]
    db.session.add_all(cells)
    db.session.flush()
    history.seal_new_cells(cells)
    return grid


def save_cell(
    actor: Actor,
    cell: Cell,
    *,
    expected_version: int,
    text: str,
    owner_ids: Iterable[int] | None = None,
    summary: str = "",
    kind: RevisionKind = RevisionKind.EDIT,
    at: datetime | None = None,
    key: str | None = None,
) -> CellRevision | None:
    """Save a cell as ``actor`` from the version they started from.

    Returns the new revision, or None when nothing changed. Raises EditConflict when the
    cell has moved on since ``expected_version``, so nobody's work is overwritten.
    ``at`` backdates the change (demo data); it defaults to now. ``actor`` may be the
    ``OPERATOR`` at the command line (an import), like ``create_grid``'s.

    ``key`` is the key of the form the save came from (``SaveForm``). If ``actor`` already
    saved this text (and these owners) into this cell under it, this is that save sent
    again (its answer was lost): it returns the revision it made then and changes nothing.
    """
    require_edit_cells(actor)
    text = normalise_text(text)
    summary = " ".join(summary.split())
    owners = _validate(cell, text, owner_ids, summary)
    new_owner_ids = sorted(u.id for u in owners) if owners is not None else None

    applied = _applied_under(actor, cell, key)
    if applied is not None:
        earlier = db.session.get_one(CellRevision, applied.revision_id)
        same_owners = new_owner_ids is None or sorted(earlier.owner_ids) == new_owner_ids
        if applied.cell_id == cell.id and earlier.text == text and same_owners:
            return earlier

    if cell.version != expected_version:
        raise EditConflict("Someone else saved this cell while you were editing it.")
    if text == cell.text and (
        new_owner_ids is None or new_owner_ids == sorted(u.id for u in cell.owners)
    ):
        return None

    revision = _write(actor, cell, text, owners, kind=kind, summary=summary, at=at or utcnow())
    if key is not None and actor.id is not None and applied is None:
        db.session.add(
            AppliedSave(user_id=actor.id, key=key, cell_id=cell.id, revision_id=revision.id)
        )
        db.session.flush()
    return revision


def _applied_under(actor: Actor, cell: Cell, key: str | None) -> AppliedSave | None:
    """The save ``actor`` made under ``key``, if any.

    Takes the cell's row lock first (PostgreSQL; SQLite's writers already queue): a repeat
    sent while its first send is still being saved waits for it, and then finds its key
    instead of conflicting with it.
    """
    if key is None or actor.id is None:
        return None
    db.session.execute(select(Cell.id).where(Cell.id == cell.id).with_for_update())
    return db.session.get(AppliedSave, (actor.id, key))


def _write(
    actor: Actor,
    cell: Cell,
    text: str,
    owners: list[User] | None,
    *,
    kind: RevisionKind,
    summary: str,
    at: datetime,
) -> CellRevision:
    """Put ``text`` (and ``owners``, unless None) into the cell and write its revision."""
    cell.text = text
    cell.html = markdown.render(text)
    if owners is not None:
        cell.owners = owners
    cell.updated_at = at
    cell.updated_by_id = actor.id
    try:
        db.session.flush()
    except StaleDataError as exc:
        raise EditConflict("Someone else saved this cell while you were editing it.") from exc
    return _append_revision(actor, cell, kind=kind, summary=summary, at=at)


def _append_revision(
    actor: Actor, cell: Cell, *, kind: RevisionKind, summary: str, at: datetime
) -> CellRevision:
    """Write the cell's next revision, a snapshot of what it holds now, sealed onto its chain,
    and move the cell's head onto it (without raising ``Cell.version``).

    The caller must already hold the cell's row (an UPDATE or SELECT … FOR UPDATE in this
    transaction), so that two writers never both number their revision n + 1.
    """
    previous = latest_revision(cell)
    revision = CellRevision(
        cell_id=cell.id,
        grid_id=cell.grid_id,
        number=previous.number + 1 if previous else 1,
        kind=kind.value,
        text=cell.text,
        html=cell.html,
        owner_ids=sorted(u.id for u in cell.owners),
        summary=summary,
        author_id=actor.id,
        created_at=at,
    )
    history.seal(revision, previous)
    db.session.add(revision)
    db.session.flush()
    history.advance_head(revision, previous)
    signals.cell_changed.send(revision, actor=actor)
    return revision


def add_insight(actor: User, cell: Cell, *, text: str, summary: str) -> CellRevision:
    """Append an insight from a safe-space session to a text cell, as a revision of kind
    "insight". The caller has already checked that the people it draws on agreed.

    Facilitators may do this even without the contributor role: the insight is the one
    thing they bring to the grid. The text is added below what the cell holds, under the
    cell's row lock, so nobody's edit is overwritten.
    """
    if not (actor.active and actor.has_role(Role.FACILITATOR)):
        raise Forbidden("Only a facilitator can add an insight to the grid.")
    if cell.column.holds_people:
        raise Invalid(
            "The insight was not promoted.",
            {"cell": "That cell holds people; choose a cell in a text column."},
        )
    db.session.execute(select(Cell.id).where(Cell.id == cell.id).with_for_update())
    db.session.refresh(cell)
    combined = normalise_text(f"{cell.text}\n\n{text}" if cell.text.strip() else text)
    if len(combined) > current_app.config["CELL_TEXT_MAX"]:
        raise Invalid(
            "The insight was not promoted.",
            {"cell": "That cell is too full to take this insight; choose another."},
        )
    return _write(
        actor, cell, combined, None, kind=RevisionKind.INSIGHT, summary=summary, at=utcnow()
    )


def can_review_cells(actor: Actor) -> bool:
    """Whether ``actor`` may mark cells reviewed: managers and admins."""
    return actor.active and actor.has_role(Role.MANAGER, Role.ADMIN)


def review_cell(
    actor: User, cell: Cell, *, expected_version: int, at: datetime | None = None
) -> CellRevision:
    """Record that ``actor`` checked the cell and it still holds, without changing it.

    Writes a revision of kind "review" with the same text and owners, so the cell is no
    longer stale. The review does not raise ``Cell.version`` and leaves "last changed"
    alone: nobody editing the cell gets a conflict because a manager looked at it. It is
    still guarded: the cell's row is locked, and a review of a version that is no longer
    current is refused (the reviewer would be vouching for text they have not seen).
    """
    if not can_review_cells(actor):
        raise Forbidden("Only a manager or an admin can mark a cell reviewed.")
    # Locks the row until commit (PostgreSQL; SQLite's writers already queue), so a
    # concurrent save waits and then numbers its revision after this one.
    current = db.session.scalar(select(Cell.version).where(Cell.id == cell.id).with_for_update())
    if current != expected_version or cell.version != expected_version:
        raise EditConflict(
            "Someone changed this cell since you opened the page. Look at it again "
            "before marking it reviewed."
        )
    if cell.is_empty:
        raise Invalid("This cell is empty, so there is nothing to review. Add to it instead.")
    return _append_revision(
        actor, cell, kind=RevisionKind.REVIEW, summary="Marked reviewed", at=at or utcnow()
    )


def latest_revision(cell: Cell) -> CellRevision | None:
    """The newest revision of ``cell``, if it has any."""
    return db.session.scalar(
        select(CellRevision)
        .where(CellRevision.cell_id == cell.id)
        .order_by(CellRevision.number.desc())
        .limit(1)
    )


def normalise_text(text: str) -> str:
    """Unify line endings and trim trailing space so that a resave is not a change."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    return "\n".join(line.rstrip() for line in lines).strip("\n")


def _validate(
    cell: Cell, text: str, owner_ids: Iterable[int] | None, summary: str
) -> list[User] | None:
    errors: dict[str, str] = {}
    limit = current_app.config["CELL_TEXT_MAX"]
    if len(text) > limit:
        errors["text"] = (
            f"This is {len(text):,} characters long; a cell can hold up to {limit:,}. "
            "Shorten it, or link to a longer document."
        )
    if len(summary) > SUMMARY_MAX:
        errors["summary"] = f"Keep the summary to {SUMMARY_MAX} characters or fewer."
    owners: list[User] | None = None
    if owner_ids is not None:
        if cell.column.kind != ColumnKind.PEOPLE:
            errors["owners"] = "Only the owner column holds people."
        else:
            wanted = set(owner_ids)
            owners = (
                list(
                    db.session.scalars(
                        select(User).where(User.id.in_(wanted), User.active.is_(True))
                    )
                )
                if wanted
                else []
            )
            if len(owners) != len(wanted):
                errors["owners"] = "Choose people from the list; one of them is not available."
    if errors:
        raise Invalid("The cell was not saved. Check the highlighted fields.", errors)
    return owners


def restore_revision(
    actor: User, revision: CellRevision, *, expected_version: int, key: str | None = None
) -> CellRevision | None:
    """Make an old revision current again, as a new revision of kind "restore".

    ``key`` is the restore form's, as for ``save_cell``: a repeat of a restore already made
    returns the revision it made then.
    """
    cell = revision.cell
    return save_cell(
        actor,
        cell,
        expected_version=expected_version,
        text=revision.text,
        owner_ids=list(revision.owner_ids) if cell.column.holds_people else None,
        summary=f"Restored revision {revision.number}",
        kind=RevisionKind.RESTORE,
        key=key,
    )
