"""Changing a grid's rows and columns: add, rename, move, archive, restore, and undo.

Every change is recorded as a GridChange and raises the grid's structure version; a change
made from an older version is refused with EditConflict, like a stale cell save.
"""

from __future__ import annotations

from typing import Any, Literal

from sqlalchemy import Select, select, update

from grid_app.auth.models import Actor, Role, User
from grid_app.database import utcnow
from grid_app.errors import EditConflict, Forbidden, Invalid, NotFound
from grid_app.extensions import db
from grid_app.grid import history
from grid_app.grid.models import (
    Cell,
    ChangeKind,
    ColumnKind,
    Grid,
    GridChange,
    GridColumn,
    ServiceArea,
)

Part = ServiceArea | GridColumn
NAME_MAX = {"row": 200, "column": 120}


def can_change_structure(actor: Actor) -> bool:
    """Only admins change rows and columns."""
    return actor.active and actor.has_role(Role.ADMIN)


def require_change_structure(actor: Actor) -> None:
    """Refuse (403) anyone but an admin."""
    if not can_change_structure(actor):
        raise Forbidden("Only an admin can change the grid's rows and columns.")


def add(
    actor: Actor,
    grid: Grid,
    *,
    expected_version: int,
    what: Literal["row", "column"],
    name: str,
    column_kind: ColumnKind = ColumnKind.TEXT,
) -> GridChange:
    """Add a service area or a column at the end, with an empty cell for each crossing.

    ``actor`` may be the ``OPERATOR`` at the command line (an import)."""
    _begin(actor, grid, expected_version)
    name = _valid_name(what, name)
    now = utcnow()
    part: Part
    others: Select[Any]
    if what == "row":
        part = ServiceArea(grid_id=grid.id, name=name, position=_next_position(ServiceArea, grid))
        others = select(GridColumn).where(GridColumn.grid_id == grid.id)
    else:
        part = GridColumn(
            grid_id=grid.id,
            name=name,
            kind=column_kind.value,
            position=_next_position(GridColumn, grid),
        )
        others = select(ServiceArea).where(ServiceArea.grid_id == grid.id)
    part.created_at = now
    db.session.add(part)
    db.session.flush()
    cells = []
    for other in db.session.scalars(others):
        row, column = (part, other) if what == "row" else (other, part)
        cells.append(Cell(grid_id=grid.id, row_id=row.id, column_id=column.id))
    db.session.add_all(cells)
    db.session.flush()
    history.seal_new_cells(cells)
    return _record(actor, grid, _kind(part, "added"), part, {}, {"name": name})


def rename(
    actor: User,
    grid: Grid,
    *,
    expected_version: int,
    part: Part,
    name: str,
    undoes: GridChange | None = None,
) -> GridChange:
    """Give a service area or column a new name."""
    _begin(actor, grid, expected_version, part)
    what = _what(part)
    name = _valid_name(what, name)
    if name == part.name:
        raise Invalid("The name is unchanged.", {"name": "Type the new name."})
    before = {"name": part.name}
    part.name = name
    return _record(actor, grid, _kind(part, "renamed"), part, before, {"name": name}, undoes)


def move(actor: User, grid: Grid, *, expected_version: int, part: Part, step: int) -> GridChange:
    """Move a live service area or column one place up (-1) or down (+1)."""
    _begin(actor, grid, expected_version, part)
    if part.archived_at is not None:
        raise Invalid("Restore it before moving it.")
    order = _live_order(part)
    index = order.index(part)
    target = index + step
    if step not in (-1, 1) or not 0 <= target < len(order):
        raise Invalid("It cannot move further that way.")
    before = [p.id for p in order]
    order[index], order[target] = order[target], order[index]
    _apply_order(order)
    after = {"order": [p.id for p in order]}
    return _record(actor, grid, _kind(part, "moved"), part, {"order": before}, after)


def set_archived(
    actor: User,
    grid: Grid,
    *,
    expected_version: int,
    part: Part,
    archived: bool,
    undoes: GridChange | None = None,
) -> GridChange:
    """Archive a service area or column (hidden from the grid, its cells and history kept),
    or restore an archived one with its cells as they were."""
    _begin(actor, grid, expected_version, part)
    if (part.archived_at is not None) == archived:
        raise Invalid("It is already archived." if archived else "It is not archived.")
    part.archived_at = utcnow() if archived else None
    verb = "archived" if archived else "restored"
    before, after = {"archived": not archived}, {"archived": archived}
    return _record(actor, grid, _kind(part, verb), part, before, after, undoes)


def undo(actor: User, grid: Grid, *, expected_version: int, change: GridChange) -> GridChange:
    """Undo a structural change by applying its inverse as a new change."""
    part: Part | None = change.row or change.column
    if part is None:
        raise Invalid("That change can no longer be undone.")
    version = expected_version
    kind = ChangeKind(change.kind)
    if kind in (ChangeKind.ROW_ARCHIVED, ChangeKind.COLUMN_ARCHIVED):
        return set_archived(
            actor, grid, expected_version=version, part=part, archived=False, undoes=change
        )
    if kind in (ChangeKind.ROW_RENAMED, ChangeKind.COLUMN_RENAMED):
        name = change.before["name"]
        return rename(actor, grid, expected_version=version, part=part, name=name, undoes=change)
    if kind in (ChangeKind.ROW_MOVED, ChangeKind.COLUMN_MOVED):
        return _reorder(actor, grid, version, part, change.before["order"], change)
    # Added or restored: undone by archiving.
    return set_archived(
        actor, grid, expected_version=version, part=part, archived=True, undoes=change
    )


def _reorder(
    actor: User,
    grid: Grid,
    expected_version: int,
    part: Part,
    wanted: list[int],
    undoes: GridChange,
) -> GridChange:
    _begin(actor, grid, expected_version, part)
    order = _live_order(part)
    rank = {part_id: index for index, part_id in enumerate(wanted)}
    before = [p.id for p in order]
    # Parts added since keep their place after the ones the old order knew.
    order.sort(key=lambda p: (rank.get(p.id, len(rank)), p.position))
    _apply_order(order)
    after = {"order": [p.id for p in order]}
    return _record(actor, grid, _kind(part, "moved"), part, {"order": before}, after)


def _begin(actor: Actor, grid: Grid, expected_version: int, part: Part | None = None) -> None:
    require_change_structure(actor)
    if part is not None and part.grid_id != grid.id:
        raise Invalid("That is not part of this grid.")
    # One conditional UPDATE both checks and claims the version, so of two admins changing
    # the structure at once exactly one succeeds.
    claimed = db.session.execute(
        update(Grid)
        .where(Grid.id == grid.id, Grid.structure_version == expected_version)
        .values(structure_version=Grid.structure_version + 1)
        .execution_options(synchronize_session=False)
    )
    if getattr(claimed, "rowcount", 0) != 1:
        raise EditConflict("Someone else changed the grid's rows or columns meanwhile.")
    db.session.refresh(grid, ["structure_version"])


def _record(
    actor: Actor,
    grid: Grid,
    kind: ChangeKind,
    part: Part,
    before: dict[str, Any],
    after: dict[str, Any],
    undoes: GridChange | None = None,
) -> GridChange:
    change = GridChange(
        grid_id=grid.id,
        kind=kind.value,
        row_id=part.id if isinstance(part, ServiceArea) else None,
        column_id=part.id if isinstance(part, GridColumn) else None,
        before=before,
        after=after,
        author_id=actor.id,
        created_at=utcnow(),
        undoes_id=undoes.id if undoes else None,
    )
    db.session.add(change)
    db.session.flush()
    return change


def _what(part: Part) -> Literal["row", "column"]:
    return "row" if isinstance(part, ServiceArea) else "column"


def _kind(part: Part, verb: str) -> ChangeKind:
    return ChangeKind(f"{_what(part)}.{verb}")


def _valid_name(what: Literal["row", "column"], name: str) -> str:
    name = " ".join(name.split())
    limit = NAME_MAX[what]
    label = "service area" if what == "row" else "column"
    if not name:
        raise Invalid(f"Name the {label}.", {"name": f"Enter a name for the {label}."})
    if len(name) > limit:
        raise Invalid("That name is too long.", {"name": f"Use {limit} characters or fewer."})
    return name


def _next_position(model: type[ServiceArea] | type[GridColumn], grid: Grid) -> int:
    positions = db.session.scalars(select(model.position).where(model.grid_id == grid.id))
    return max(positions, default=-1) + 1


def _live_order(part: Part) -> list[Part]:
    model = type(part)
    return list(
        db.session.scalars(
            select(model)
            .where(model.grid_id == part.grid_id, model.archived_at.is_(None))
            .order_by(model.position, model.id)
        )
    )


def _apply_order(order: list[Part]) -> None:
    # Archived parts keep their old positions; live ones take their new order.
    for index, part in enumerate(order):
        part.position = index


ACTIONS = ("add-row", "add-column", "rename", "move-up", "move-down", "archive", "restore")


def apply(
    actor: User,
    grid: Grid,
    *,
    expected_version: int,
    action: str,
    target: str = "",
    name: str = "",
    column_kind: str = ColumnKind.TEXT.value,
) -> GridChange:
    """Carry out one structural action named as the structure page's forms name it.

    ``target`` is "row:ID" or "column:ID" for actions on an existing part.
    """
    if action == "add-row":
        return add(actor, grid, expected_version=expected_version, what="row", name=name)
    if action == "add-column":
        try:
            kind = ColumnKind(column_kind)
        except ValueError as error:
            raise Invalid(
                "Choose what the column holds.", {"kind": "Choose text or people."}
            ) from error
        return add(
            actor,
            grid,
            expected_version=expected_version,
            what="column",
            name=name,
            column_kind=kind,
        )
    if action not in ACTIONS:
        raise Invalid("That action is not known.")
    part = _find(grid, target)
    if action == "rename":
        return rename(actor, grid, expected_version=expected_version, part=part, name=name)
    if action in ("move-up", "move-down"):
        step = -1 if action == "move-up" else 1
        return move(actor, grid, expected_version=expected_version, part=part, step=step)
    return set_archived(
        actor, grid, expected_version=expected_version, part=part, archived=action == "archive"
    )


def _find(grid: Grid, target: str) -> Part:
    what, _, raw_id = target.partition(":")
    part: Part | None = None
    if raw_id.isdigit() and what == "row":
        part = db.session.get(ServiceArea, int(raw_id))
    elif raw_id.isdigit() and what == "column":
        part = db.session.get(GridColumn, int(raw_id))
    if part is None or part.grid_id != grid.id:
        raise NotFound("There is no such service area or column in this grid.")
    return part
