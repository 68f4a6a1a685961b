"""Exports of a grid and its gaps, and the sharing-practice categories of service areas.

Only managers and admins export: a download carries the whole grid out of the app.
Each export writes an audit event; an ``actor`` of None is the operator at the command line.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import joinedload, selectinload

from grid_app import localtime
from grid_app.audit import service as audit
from grid_app.auth.models import Actor, Role
from grid_app.database import utcnow
from grid_app.errors import Forbidden, Invalid
from grid_app.exchange import spreadsheets
from grid_app.exchange.models import ServiceAreaCategory, SharingCategory
from grid_app.extensions import db
from grid_app.gaps.models import OPEN_STATUSES, SEVERITY_LABELS, STATUS_LABELS, GapFlag
from grid_app.grid import markdown, queries
from grid_app.grid.models import Cell, Grid, ServiceArea

EXCHANGE_ROLES = (Role.MANAGER, Role.ADMIN)
# The workbook's History sheet holds the newest changes only, so that it stays small and
# quick to build however long the history grows; the history CSV holds every change.
HISTORY_SHEET_MAX = 5_000
OPEN_GAPS_HEADER = [
    "Service area",
    "Column",
    "What is missing",
    "Severity",
    "Status",
    "Owner",
    "Due date",
    "Raised by",
]


def open_gaps_header() -> list[str]:
    """The open-gaps columns; the last names the zone its times are in."""
    return [*OPEN_GAPS_HEADER, f"Raised at ({localtime.zone_name()})"]


def can_exchange(actor: Actor) -> bool:
    """Whether ``actor`` may export or import (managers and admins)."""
    return actor.active and actor.has_role(*EXCHANGE_ROLES)


def require_exchange(actor: Actor) -> None:
    """Raise Forbidden unless ``actor`` may export or import (the operator always may)."""
    if not can_exchange(actor):
        raise Forbidden("Only a manager or an admin can export or import the grid.")


def filename(grid: Grid, what: str, extension: str) -> str:
    """A download's name: the grid's slug, what it holds and today's date."""
    return f"{grid.slug}-{what}-{utcnow().date().isoformat()}.{extension}"


# --- The grid ------------------------------------------------------------------------


@dataclass
class GridTable:
    """The live grid as rows of text: service areas × columns, owners as names."""

    header: list[str]
    rows: list[list[str]]


def live_view(grid: Grid) -> queries.GridView:
    """The grid's live rows, columns and cells with owners and last editors, in five queries.

    Unlike the grid page's read model it adds no badges, which need a request to link to.
    """
    rows, columns = queries.grid_structure(grid, live_only=True)
    view = queries.GridView(grid, rows, columns)
    cells = db.session.scalars(
        select(Cell)
        .where(Cell.grid_id == grid.id)
        .options(selectinload(Cell.owners), selectinload(Cell.updated_by))
    )
    view.cells = {(c.row_id, c.column_id): c for c in cells}
    return view


def grid_table(grid: Grid, *, plain: bool = False) -> GridTable:
    """The grid's live service areas and columns as text; owner cells name people.

    ``plain`` turns cells' Markdown into plain text (no stars or "- " bullets), for a
    workbook people read; a CSV keeps the Markdown as it was typed.
    """
    view = live_view(grid)
    rows = []
    for row in view.rows:
        values = [row.name]
        for column in view.columns:
            cell = view.cell(row, column)
            values.append(cell_text(cell, plain=plain) if cell is not None else "")
        rows.append(values)
    return GridTable(["Service area", *(c.name for c in view.columns)], rows)


OWNER_SEPARATOR = "; "


def cell_text(cell: Cell, *, plain: bool = False) -> str:
    """What a cell says as text: owners by name, then any contact written in the cell."""
    if not cell.column.holds_people:
        return markdown.plain(cell.text) if plain else cell.text
    names = [person.display_name for person in cell.owners]
    if cell.text.strip():
        names.append(cell.text.strip())
    return OWNER_SEPARATOR.join(names)


def grid_csv(actor: Actor, grid: Grid) -> Iterator[str]:
    """The live grid as CSV lines."""
    require_exchange(actor)
    table = grid_table(grid)
    _audit(actor, grid, "grid", "csv")
    return iter(list(spreadsheets.csv_body(table.header, table.rows)))


def grid_xlsx(actor: Actor, grid: Grid) -> bytes:
    """A workbook: the grid, its open gaps, and its newest changes."""
    require_exchange(actor)
    table = grid_table(grid, plain=True)
    typed = grid_table(grid)
    widths = {0: 28, **{i: _width(table.rows, i) for i in range(1, len(table.header))}}
    sheets = [
        spreadsheets.Sheet("Grid", table.header, table.rows, widths),
        _gaps_sheet(grid),
        spreadsheets.Sheet(
            "History",
            queries.HISTORY_CSV_HEADER,
            queries.history_rows(grid, newest=HISTORY_SHEET_MAX),
            widths={1: 24, 2: 16, 5: 20, 6: 18, 7: 24, 8: 50, 9: 20, 10: 18, 11: 18},
            note=f"The newest {HISTORY_SHEET_MAX:,} changes, oldest first. "
            "Download the history CSV for every change.",
        ),
        spreadsheets.Sheet(spreadsheets.AS_TYPED, typed.header, typed.rows, hidden=True),
    ]
    _audit(actor, grid, "grid", "xlsx")
    return spreadsheets.workbook(sheets, exported_at=utcnow())


def _width(rows: list[list[str]], index: int) -> float:
    """Wide enough for the typical cell, up to the maximum; long text wraps."""
    longest = max((len(row[index]) for row in rows), default=0)
    return min(spreadsheets.WIDTH_MAX, max(18, longest / 4))


# --- Gaps ----------------------------------------------------------------------------


def open_gap_rows(grid: Grid) -> list[list[Any]]:
    """Each open gap flag of ``grid``, most severe first, as a row of open_gaps_header()."""
    severity_order = {"high": 0, "medium": 1, "low": 2}
    flags = db.session.scalars(
        select(GapFlag)
        .where(GapFlag.grid_id == grid.id, GapFlag.status.in_([s.value for s in OPEN_STATUSES]))
        .options(
            joinedload(GapFlag.cell).joinedload(Cell.row),
            joinedload(GapFlag.cell).joinedload(Cell.column),
            joinedload(GapFlag.owner),
            joinedload(GapFlag.raised_by),
        )
        .order_by(GapFlag.created_at, GapFlag.id)
    ).all()
    ordered = sorted(flags, key=lambda f: severity_order.get(f.severity, 3))
    return [
        [
            flag.cell.row.name,
            flag.cell.column.name,
            flag.what_is_missing,
            SEVERITY_LABELS.get(flag.severity, flag.severity),
            STATUS_LABELS.get(flag.status, flag.status),
            flag.owner.display_name if flag.owner else "",
            flag.due_date.isoformat() if flag.due_date else "",
            flag.raised_by.display_name if flag.raised_by else "",
            localtime.to_local(flag.created_at).isoformat(sep=" ", timespec="minutes"),
        ]
        for flag in ordered
    ]


def _gaps_sheet(grid: Grid) -> spreadsheets.Sheet:
    widths = {0: 24, 1: 16, 2: 50, 3: 10, 4: 14, 5: 20, 6: 12, 7: 20, 8: 20}
    return spreadsheets.Sheet("Open gaps", open_gaps_header(), open_gap_rows(grid), widths)


def gaps_csv(actor: Actor, grid: Grid) -> Iterator[str]:
    """The grid's open gaps as CSV lines."""
    require_exchange(actor)
    rows = open_gap_rows(grid)
    _audit(actor, grid, "gaps", "csv")
    return iter(list(spreadsheets.csv_body(open_gaps_header(), rows)))


def gaps_xlsx(actor: Actor, grid: Grid) -> bytes:
    """The grid's open gaps as a one-sheet workbook."""
    require_exchange(actor)
    sheet = _gaps_sheet(grid)
    _audit(actor, grid, "gaps", "xlsx")
    return spreadsheets.workbook([sheet])


def _audit(actor: Actor, grid: Grid, what: str, fmt: str) -> None:
    audit.record(actor, "grid.exported", "grid", grid.id, what=what, format=fmt)


# --- Sharing-practice categories --------------------------------------------------------


def row_categories(grid: Grid) -> dict[int, set[str]]:
    """The categories each live service area of ``grid`` is tagged with, by row id."""
    found: dict[int, set[str]] = {}
    for row_id, category in db.session.execute(
        select(ServiceAreaCategory.row_id, ServiceAreaCategory.category)
        .join(ServiceArea, ServiceArea.id == ServiceAreaCategory.row_id)
        .where(ServiceArea.grid_id == grid.id)
    ):
        found.setdefault(row_id, set()).add(category)
    return found


def set_categories(
    actor: Actor, grid: Grid, chosen: Mapping[int, Iterable[str]]
) -> dict[int, set[str]]:
    """Tag the grid's live service areas with sharing categories, replacing their tags.

    ``chosen`` maps each row id to its categories; rows left out lose their tags.
    Returns what changed, by row id, and records it in the audit log.
    """
    require_exchange(actor)
    known = {c.value for c in SharingCategory}
    rows = {r.id: r for r in live_view(grid).rows}
    wanted: dict[int, set[str]] = {row_id: set() for row_id in rows}
    for row_id, categories in chosen.items():
        if row_id not in rows:
            raise Invalid("That service area is not in this grid.")
        values = set(categories)
        if not values <= known:
            raise Invalid("Choose categories from the list.")
        wanted[row_id] = values
    before = row_categories(grid)
    changed = {
        row_id: values for row_id, values in wanted.items() if values != before.get(row_id, set())
    }
    if changed:
        db.session.execute(
            delete(ServiceAreaCategory).where(ServiceAreaCategory.row_id.in_(list(changed)))
        )
        db.session.add_all(
            ServiceAreaCategory(row_id=row_id, category=category)
            for row_id, values in changed.items()
            for category in sorted(values)
        )
        audit.record(
            actor,
            "grid.categories_set",
            "grid",
            grid.id,
            rows={
                rows[row_id].name: {
                    "before": sorted(before.get(row_id, set())),
                    "after": sorted(values),
                }
                for row_id, values in changed.items()
            },
        )
        db.session.flush()
    return changed
