"""Read models of the grid; each loads what its page needs in a fixed number of queries."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import joinedload, selectinload

from grid_app.errors import NotFound
from grid_app.extensions import db
from grid_app.grid.models import Cell, ColumnKind, Grid, GridColumn, ServiceArea


@dataclass
class GridView:
    """A grid with its live rows, columns and cells, ready to render."""

    grid: Grid
    rows: list[ServiceArea]
    columns: list[GridColumn]
    cells: dict[tuple[int, int], Cell] = field(default_factory=dict)

    def cell(self, row: ServiceArea, column: GridColumn) -> Cell | None:
        """The cell at ``row`` × ``column``."""
        return self.cells.get((row.id, column.id))


def default_grid() -> Grid:
    """The first grid created (the "Grid for Supporting People" in a new install)."""
    grid = db.session.scalar(select(Grid).order_by(Grid.id).limit(1))
    if grid is None:
        raise NotFound("There is no grid yet. Load the demo data or create one.")
    return grid


def grid_by_slug(slug: str) -> Grid:
    """The grid with this slug."""
    grid = db.session.scalar(select(Grid).where(Grid.slug == slug))
    if grid is None:
        raise NotFound("There is no grid at this address.")
    return grid


def grid_view(grid: Grid) -> GridView:
    """Everything the grid page shows, in four queries whatever the grid's size."""
    rows = list(
        db.session.scalars(
            select(ServiceArea)
            .where(ServiceArea.grid_id == grid.id, ServiceArea.archived_at.is_(None))
            .order_by(ServiceArea.position, ServiceArea.id)
        )
    )
    columns = list(
        db.session.scalars(
            select(GridColumn)
            .where(GridColumn.grid_id == grid.id, GridColumn.archived_at.is_(None))
            .order_by(GridColumn.position, GridColumn.id)
        )
    )
    cells = db.session.scalars(
        select(Cell)
        .where(Cell.grid_id == grid.id)
        .options(joinedload(Cell.updated_by), selectinload(Cell.owners))
    ).unique()
    view = GridView(grid, rows, columns)
    view.cells = {(c.row_id, c.column_id): c for c in cells}
    return view


def cell_by_id(cell_id: int) -> Cell:
    """A cell with its row, column, grid, owners and last editor loaded."""
    cell = db.session.scalar(
        select(Cell)
        .where(Cell.id == cell_id)
        .options(
            joinedload(Cell.row).joinedload(ServiceArea.grid),
            joinedload(Cell.column),
            joinedload(Cell.updated_by),
            selectinload(Cell.owners),
        )
    )
    if cell is None:
        raise NotFound("There is no such cell.")
    return cell


def row_owners(row: ServiceArea) -> list[str]:
    """Who owns a service area: the people (and any contact) in its owner column."""
    owner_cell = db.session.scalar(
        select(Cell)
        .join(GridColumn)
        .where(
            Cell.row_id == row.id,
            GridColumn.kind == ColumnKind.PEOPLE.value,
            GridColumn.archived_at.is_(None),
        )
        .options(selectinload(Cell.owners))
        .order_by(GridColumn.position)
        .limit(1)
    )
    if owner_cell is None:
        return []
    names = [person.display_name for person in owner_cell.owners]
    if owner_cell.text.strip():
        names.append(owner_cell.text.strip())
    return names
