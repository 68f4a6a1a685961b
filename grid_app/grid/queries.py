"""Read models of the grid; each loads what its page needs in a fixed number of queries."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from functools import cached_property
from typing import Any, NamedTuple, TypeVar

from flask import url_for
from sqlalchemy import Select, and_, bindparam, false, func, or_, select, union_all
from sqlalchemy.orm import joinedload, selectinload

from grid_app.auth.models import User
from grid_app.errors import NotFound
from grid_app.extensions import db
from grid_app.grid.models import (
    Cell,
    CellRevision,
    CellShape,
    ColumnKind,
    Grid,
    GridChange,
    GridColumn,
    RevisionKind,
    ServiceArea,
    cell_owner,
)

# --- Extension hook ------------------------------------------------------------------
# Other domains (gaps, discussion…) show a few words on each cell without the grid
# importing them: they register providers, which the grid calls once each per page.


class Badge(NamedTuple):
    """A few words another domain shows on a cell, with a link: "2 open gaps (1 high)".

    A named tuple, not a frozen dataclass: a grid page makes one for each of hundreds of
    cells with open threads or flags, and a tuple is quicker to make and to hash."""

    label: str
    href: str
    modifier: str = ""


# For a grid (or one of its cells): badges by cell id, from one query, so the page's query
# count stays fixed.
CellBadgeProvider = Callable[[Grid, int | None], dict[int, list[Badge]]]
# For one cell's own page: a link that is always shown, e.g. "Gap flags on this cell".
CellLinkProvider = Callable[[Cell], Badge]
CELL_BADGES: list[CellBadgeProvider] = []
CELL_LINKS: list[CellLinkProvider] = []


def register_cell_extension(badges: CellBadgeProvider, link: CellLinkProvider) -> None:
    """Add a domain's providers (once, however many apps are created)."""
    if badges not in CELL_BADGES:
        CELL_BADGES.append(badges)
    if link not in CELL_LINKS:
        CELL_LINKS.append(link)


def cell_address(endpoint: str) -> Callable[[int], str]:
    """The address of ``endpoint`` for any cell id, built once: a grid page links each of
    hundreds of cells, and url_for for each would cost more than all its queries."""
    marker = 987654321
    before, after = url_for(endpoint, cell_id=marker).split(str(marker))
    return lambda cell_id: f"{before}{int(cell_id)}{after}"


def badges_by_cell(grid: Grid, cell_id: int | None = None) -> dict[int, list[Badge]]:
    """The badges on the grid's cells (or on one of them) by cell id, a query per provider."""
    badges: dict[int, list[Badge]] = {}
    for provider in CELL_BADGES:
        for found_on, found in provider(grid, cell_id).items():
            badges.setdefault(found_on, []).extend(found)
    return badges


def badges_on(cell: Cell) -> list[Badge]:
    """The badges on one cell (its row and grid loaded, as by ``cell_by_id``)."""
    return badges_by_cell(cell.row.grid, cell.id).get(cell.id, [])


@dataclass(frozen=True)
class BadgedCell:
    """A cell with the badges other domains show on it."""

    cell: Cell
    badges: list[Badge]


def cell_links(cell: Cell) -> list[Badge]:
    """The links other domains add to a cell's own page."""
    return [provider(cell) for provider in CELL_LINKS]


@dataclass(frozen=True, slots=True)
class Person:
    """Who a grid page names: a cell's last editor or one of its owners."""

    id: int
    display_name: str


@dataclass(slots=True)
class GridCell(CellShape):
    """A cell as the grid page shows it, read as a plain row: no ORM object to build for
    each of hundreds of cells."""

    id: int
    row_id: int
    column_id: int
    version: int
    text: str
    html: str
    updated_at: datetime | None
    updated_by: Person | None
    owners: list[Person] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class AreaRow:
    """A service area as the grid page shows it, read as a plain row."""

    id: int
    name: str


@dataclass(frozen=True, slots=True)
class ColumnRow:
    """A column as the grid page shows it, read as a plain row."""

    id: int
    name: str
    holds_people: bool


@dataclass
class GridView:
    """A grid with its live rows, columns and cells, ready to render.

    Its rows and columns are the ORM's (for exports and imports) or, on the grid page, plain
    rows (``AreaRow``, ``ColumnRow``): anything with an ``id`` and a ``name``."""

    grid: Grid
    rows: list[Any]
    columns: list[Any]
    cells: dict[tuple[int, int], Any] = field(default_factory=dict)
    badges: dict[int, list[Badge]] = field(default_factory=dict)

    def cell(self, row: Any, column: Any) -> Any:
        """The cell at ``row`` × ``column``."""
        return self.cells.get((row.id, column.id))

    def row_is_long(self, row: Any) -> bool:
        """True when a cell in ``row`` shows only its first lines, so the row can open whole."""
        return row.id in self.long_rows

    @cached_property
    def long_rows(self) -> set[int]:
        """The ids of the rows with a cell that shows only its first lines."""
        live = {column.id for column in self.columns}
        return {
            row_id
            for (row_id, column_id), cell in self.cells.items()
            if column_id in live and cell.is_long
        }


def default_grid() -> Grid:
    """The first grid created (the "Grid for Supporting People" in a new install)."""
    grid = db.session.scalar(select(Grid).order_by(Grid.id).limit(1))
    if grid is None:
        raise NotFound("There is no grid yet. Load the demo data or create one.")
    return grid


def all_grids() -> list[Grid]:
    """Every grid, oldest first."""
    return list(db.session.scalars(select(Grid).order_by(Grid.id)))


# The statements of the grid page, built once with bound parameters: on a grid of a few
# hundred cells, building a statement costs the ORM more than running it.
_GRID_BY_SLUG = select(Grid).where(Grid.slug == bindparam("slug"))
_LIVE_ROWS = (
    select(ServiceArea.id, ServiceArea.name)
    .where(ServiceArea.grid_id == bindparam("grid_id"), ServiceArea.archived_at.is_(None))
    .order_by(ServiceArea.position, ServiceArea.id)
)
_LIVE_COLUMNS = (
    select(GridColumn.id, GridColumn.name, GridColumn.kind)
    .where(GridColumn.grid_id == bindparam("grid_id"), GridColumn.archived_at.is_(None))
    .order_by(GridColumn.position, GridColumn.id)
)
_CELLS = (
    select(
        Cell.id,
        Cell.row_id,
        Cell.column_id,
        Cell.version,
        Cell.text,
        Cell.html,
        Cell.updated_at,
        User.id,
        User.display_name,
    )
    .outerjoin(User, User.id == Cell.updated_by_id)
    .where(Cell.grid_id == bindparam("grid_id"))
)
_OWNERS = (
    select(cell_owner.c.cell_id, User.id, User.display_name)
    .join(User, User.id == cell_owner.c.user_id)
    .join(Cell, Cell.id == cell_owner.c.cell_id)
    .where(Cell.grid_id == bindparam("grid_id"))
    .order_by(User.display_name)
)
# Every cell page, edit and save starts here.
_CELL_BY_ID = (
    select(Cell)
    .where(Cell.id == bindparam("cell_id"))
    .options(
        joinedload(Cell.row).joinedload(ServiceArea.grid),
        joinedload(Cell.column),
        joinedload(Cell.updated_by),
        selectinload(Cell.owners),
    )
)
_LAST_REVISION = select(func.max(CellRevision.id)).where(
    CellRevision.grid_id == bindparam("grid_id")
)


def grid_by_slug(slug: str) -> Grid:
    """The grid with this slug."""
    grid = db.session.scalar(_GRID_BY_SLUG, {"slug": slug})
    if grid is None:
        raise NotFound("There is no grid at this address.")
    return grid


def grid_view(grid: Grid) -> GridView:
    """Everything the grid page shows, in four queries (and one per badge provider)
    whatever the grid's size."""
    by_grid = {"grid_id": grid.id}
    rows = [AreaRow(*found) for found in db.session.execute(_LIVE_ROWS, by_grid)]
    people = ColumnKind.PEOPLE.value
    columns = [
        ColumnRow(column_id, name, kind == people)
        for column_id, name, kind in db.session.execute(_LIVE_COLUMNS, by_grid)
    ]
    cells = {
        found[0]: GridCell(*found[:7], Person(found[7], found[8]) if found[7] is not None else None)
        for found in db.session.execute(_CELLS, by_grid)
    }
    for cell_id, person_id, name in db.session.execute(_OWNERS, by_grid):
        cells[cell_id].owners.append(Person(person_id, name))
    view = GridView(grid, rows, columns)
    view.cells = {(c.row_id, c.column_id): c for c in cells.values()}
    found = badges_by_cell(grid)
    # Every cell has an entry, so the template looks badges up by subscript, cheaply.
    view.badges = {cell.id: found.get(cell.id, []) for cell in view.cells.values()}
    return view


def cell_by_id(cell_id: int) -> Cell:
    """A cell with its row, column, grid, owners and last editor loaded."""
    cell = db.session.scalar(_CELL_BY_ID, {"cell_id": cell_id})
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


# --- History -------------------------------------------------------------------------

HISTORY_PAGE = 25


@dataclass
class HistoryPage:
    """One page of a cell's revisions, newest first."""

    revisions: list[CellRevision]
    older: int | None  # ``before`` for the next, older page
    newer: int | None  # ``before`` for the previous, newer page


def cell_history(cell: Cell, before: int | None = None, size: int = HISTORY_PAGE) -> HistoryPage:
    """Revisions of ``cell`` numbered below ``before`` (all when None), newest first."""
    query = (
        select(CellRevision)
        .where(CellRevision.cell_id == cell.id)
        .options(joinedload(CellRevision.author))
        .order_by(CellRevision.number.desc())
        .limit(size + 1)
    )
    if before is not None:
        query = query.where(CellRevision.number < before)
    revisions = list(db.session.scalars(query))
    older = revisions[size - 1].number if len(revisions) > size else None
    # Past the newest revision, a page simply starts at the newest.
    newer = before + size if before is not None else None
    return HistoryPage(revisions[:size], older, newer)


def revision_by_id(revision_id: int) -> CellRevision:
    """A revision with its author and its cell's row, column and grid."""
    revision = db.session.scalar(
        select(CellRevision)
        .where(CellRevision.id == revision_id)
        .options(
            joinedload(CellRevision.author),
            joinedload(CellRevision.cell).joinedload(Cell.row).joinedload(ServiceArea.grid),
            joinedload(CellRevision.cell).joinedload(Cell.column),
        )
    )
    if revision is None:
        raise NotFound("There is no such revision.")
    return revision


def previous_revision(revision: CellRevision) -> CellRevision | None:
    """The revision of the same cell just before ``revision``."""
    return db.session.scalar(
        select(CellRevision)
        .where(
            CellRevision.cell_id == revision.cell_id,
            CellRevision.number == revision.number - 1,
        )
        .options(joinedload(CellRevision.author))
    )


def people_by_id(ids: Iterable[int]) -> dict[int, User]:
    """People by id (for naming the owners a revision recorded)."""
    wanted = set(ids)
    if not wanted:
        return {}
    return {u.id: u for u in db.session.scalars(select(User).where(User.id.in_(wanted)))}


# --- The grid as it stood ----------------------------------------------------------


@dataclass
class PastGrid:
    """The grid at a past moment: each cell's latest revision at or before ``at``."""

    grid: Grid
    at: datetime
    rows: list[ServiceArea]
    columns: list[GridColumn]
    revisions: dict[tuple[int, int], CellRevision]
    earlier: datetime | None  # the change before ``at``, to step back to
    later: datetime | None  # the first change after ``at``, to step forward to

    def revision(self, row: ServiceArea, column: GridColumn) -> CellRevision | None:
        """What the cell at ``row`` × ``column`` said at the time."""
        return self.revisions.get((row.id, column.id))


def grid_as_of(grid: Grid, at: datetime) -> PastGrid:
    """The grid as it stood at ``at``, found per cell through an index, never by replay."""
    rows = _parts_at(ServiceArea, grid, at)
    columns = _parts_at(GridColumn, grid, at)
    # For each cell, one index seek on (cell_id, created_at) finds its revision at ``at``.
    latest = (
        select(CellRevision.id)
        .where(CellRevision.cell_id == Cell.id, CellRevision.created_at <= at)
        .order_by(CellRevision.created_at.desc(), CellRevision.number.desc())
        .limit(1)
        .correlate(Cell)
        .scalar_subquery()
    )
    found = db.session.execute(
        select(Cell.row_id, Cell.column_id, CellRevision)
        .join(CellRevision, CellRevision.id == latest)
        .where(Cell.grid_id == grid.id)
        .options(joinedload(CellRevision.author))
    ).all()
    # Stepping back goes to the change before the last one this view includes.
    shown = (
        select(func.max(CellRevision.created_at))
        .where(CellRevision.grid_id == grid.id, CellRevision.created_at <= at)
        .scalar_subquery()
    )
    earlier = db.session.scalar(
        select(func.max(CellRevision.created_at)).where(
            CellRevision.grid_id == grid.id, CellRevision.created_at < shown
        )
    )
    later = db.session.scalar(
        select(func.min(CellRevision.created_at)).where(
            CellRevision.grid_id == grid.id, CellRevision.created_at > at
        )
    )
    return PastGrid(
        grid,
        at,
        rows,
        columns,
        {(row_id, column_id): revision for row_id, column_id, revision in found},
        _whole_second_after(earlier),
        _whole_second_after(later),
    )


Part = TypeVar("Part", ServiceArea, GridColumn)


def _parts_at(model: type[Part], grid: Grid, at: datetime) -> list[Part]:
    """The rows (or columns) of ``grid`` that existed and were not archived at ``at``."""
    return list(
        db.session.scalars(
            select(model)
            .where(
                model.grid_id == grid.id,
                model.created_at <= at,
                or_(model.archived_at.is_(None), model.archived_at > at),
            )
            .order_by(model.position, model.id)
        )
    )


def _whole_second_after(moment: datetime | None) -> datetime | None:
    """The first whole second at or after ``moment``: addresses carry whole seconds, and the
    grid at that second includes the change made at ``moment``."""
    if moment is None or not moment.microsecond:
        return moment
    return moment.replace(microsecond=0) + timedelta(seconds=1)


# --- Live updates ------------------------------------------------------------------


@dataclass(frozen=True)
class Cursor:
    """Where a browser's view of the grid is up to: last revision id, structure version."""

    revision_id: int
    structure_version: int


def cursor(grid: Grid) -> Cursor:
    """The grid's current cursor: one index lookup (grid_id, id) and a column of the grid."""
    last = db.session.scalar(_LAST_REVISION, {"grid_id": grid.id})
    return Cursor(last or 0, grid.structure_version)


def cursor_by_slug(slug: str) -> Cursor:
    """The cursor of the grid at ``slug`` in one statement: the poll that finds nothing new
    costs a single round trip after sign-in."""
    last = (
        select(func.max(CellRevision.id))
        .where(CellRevision.grid_id == Grid.id)
        .correlate(Grid)
        .scalar_subquery()
    )
    found = db.session.execute(
        select(last, Grid.structure_version).where(Grid.slug == slug)
    ).first()
    if found is None:
        raise NotFound("There is no grid at this address.")
    return Cursor(found[0] or 0, found[1])


def cells_changed_since(
    grid: Grid, after: int, not_by: int | None, limit: int = 100
) -> list[BadgedCell]:
    """Cells with revisions newer than ``after`` written by someone other than ``not_by``,
    with their badges."""
    changed = (
        select(CellRevision.cell_id)
        .where(
            CellRevision.grid_id == grid.id,
            CellRevision.id > after,
            # A review changes nothing on the cell, so there is nothing to swap in.
            CellRevision.kind != RevisionKind.REVIEW.value,
        )
        .distinct()
        .limit(limit)
    )
    if not_by is not None:
        changed = changed.where(
            or_(CellRevision.author_id.is_(None), CellRevision.author_id != not_by)
        )
    cells = list(
        db.session.scalars(
            select(Cell)
            .where(Cell.id.in_(changed))
            .options(
                joinedload(Cell.updated_by),
                joinedload(Cell.row),
                joinedload(Cell.column),
                selectinload(Cell.owners),
            )
        ).unique()
    )
    if not cells:
        return []
    badges = badges_by_cell(grid)
    return [BadgedCell(cell, badges.get(cell.id, [])) for cell in cells]


# --- Activity feed -----------------------------------------------------------------

FEED_PAGE = 50


@dataclass(frozen=True)
class FeedFilters:
    """What the activity feed is narrowed to; None means any.

    ``before`` and ``after`` are a page's edge, which ``feed`` sets for each source: entries
    older (or newer) than a time, those at that very time kept or left by their id.
    """

    person_id: int | None = None
    row_id: int | None = None
    column_id: int | None = None
    since: datetime | None = None
    until: datetime | None = None
    before: tuple[datetime, int] | None = None
    after: tuple[datetime, int] | None = None


@dataclass(frozen=True)
class FeedEntry:
    """One change in the feed: a cell revision, a structural change, or an entry another
    domain adds (``item``, shown by its own ``template``). ``id`` is its row's id in its own
    table; ``feed`` sets ``rank``, its source's place, so that every entry has its own
    place in the feed's order."""

    at: datetime
    id: int = 0
    revision: CellRevision | None = None
    change: GridChange | None = None
    item: Any = None
    template: str | None = None
    rank: int = 0

    @property
    def key(self) -> tuple[datetime, int, int]:
        """Where the entry stands in the feed (the feed shows the greatest first)."""
        return (self.at, self.rank, self.id)


class BadCursor(ValueError):
    """A page link whose cursor was not made by the feed."""


_FEED_CURSOR = re.compile(r"(\d{20})-(\d{1,3})-(\d{1,18})")
_STAMP = "%Y%m%d%H%M%S%f"
# Above any row id (the largest whole number an id column holds on PostgreSQL): at a page's
# edge, a source ranked before the edge's entry keeps all of its entries at that time, one
# ranked after it none.
_ALL_IDS = 2**31 - 1


@dataclass(frozen=True)
class FeedCursor:
    """The entry a page of the feed ends or starts at: its time, its source's rank and its
    id, so that a page costs the same however far back it is."""

    at: datetime
    rank: int
    id: int

    def encode(self) -> str:
        """The cursor as it travels in a link."""
        return f"{self.at.strftime(_STAMP)}-{self.rank}-{self.id}"

    @classmethod
    def decode(cls, raw: str) -> FeedCursor:
        """Read a cursor from a link; BadCursor if it is not one."""
        match = _FEED_CURSOR.fullmatch(raw.strip())
        if match is None:
            raise BadCursor(raw)
        try:
            at = datetime.strptime(match.group(1), _STAMP)
        except ValueError:
            raise BadCursor(raw) from None
        return cls(at, int(match.group(2)), int(match.group(3)))

    @classmethod
    def of(cls, entry: FeedEntry) -> FeedCursor:
        """The cursor at ``entry``."""
        return cls(entry.at, entry.rank, entry.id)

    def older_for(self, rank: int) -> tuple[datetime, int]:
        """The ``before`` edge for the source of ``rank``."""
        below = self.id if rank == self.rank else _ALL_IDS if rank < self.rank else 0
        return (self.at, below)

    def newer_for(self, rank: int) -> tuple[datetime, int]:
        """The ``after`` edge for the source of ``rank``."""
        above = self.id if rank == self.rank else -1 if rank > self.rank else _ALL_IDS
        return (self.at, above)


# Other domains add their own changes to the feed (gap flags…) without the grid importing
# them: each source returns the newest ``wanted`` entries of a grid that match the filters.
FeedSource = Callable[[Grid, FeedFilters, int], list[FeedEntry]]
FEED_SOURCES: list[FeedSource] = []


Q = TypeVar("Q", bound=Select[Any])


def narrow_feed(query: Q, filters: FeedFilters, *, at: Any, person: Any, id: Any) -> Q:
    """``query`` narrowed to the filters' person (column ``person``), dates (``at``) and
    page edge (``at``, then ``id``), in the order the page reads: newest first, or oldest
    first for the page after a newer edge."""
    if filters.person_id is not None:
        query = query.where(person == filters.person_id)
    if filters.since is not None:
        query = query.where(at >= filters.since)
    if filters.until is not None:
        query = query.where(at < filters.until)
    if filters.before is not None:
        moment, below = filters.before
        query = query.where(or_(at < moment, and_(at == moment, id < below)))
    if filters.after is not None:
        moment, above = filters.after
        query = query.where(or_(at > moment, and_(at == moment, id > above)))
    return query.order_by(*feed_order(filters, at, id))


def feed_order(filters: FeedFilters, at: Any, id: Any) -> tuple[Any, ...]:
    """The order a source reads its entries in for a page: newest first, or oldest first
    for the page after a newer edge."""
    return (at, id) if filters.after is not None else (at.desc(), id.desc())


def feed_cells(grid: Grid, filters: FeedFilters) -> Select[Any] | None:
    """The ids of the grid's cells in the filters' service area and column, or None when
    the feed is not narrowed to either."""
    if filters.row_id is None and filters.column_id is None:
        return None
    cells = select(Cell.id).where(Cell.grid_id == grid.id)
    if filters.row_id is not None:
        cells = cells.where(Cell.row_id == filters.row_id)
    if filters.column_id is not None:
        cells = cells.where(Cell.column_id == filters.column_id)
    return cells


def register_feed_source(source: FeedSource) -> None:
    """Add a domain's entries to the activity feed (once, however many apps are created)."""
    if source not in FEED_SOURCES:
        FEED_SOURCES.append(source)


@dataclass
class FeedPage:
    """A page of the feed, newest first, and the cursors of the pages either side (None at
    an end)."""

    entries: list[FeedEntry]
    older: str | None
    newer: str | None


def _revision_entries(grid: Grid, filters: FeedFilters, wanted: int) -> list[FeedEntry]:
    revisions = narrow_feed(
        select(CellRevision).where(CellRevision.grid_id == grid.id),
        filters,
        at=CellRevision.created_at,
        person=CellRevision.author_id,
        id=CellRevision.id,
    )
    cells = feed_cells(grid, filters)
    if cells is not None:
        order = feed_order(filters, CellRevision.created_at, CellRevision.id)
        revisions = _newest_per_cell(
            revisions, list(db.session.scalars(cells)), wanted, order
        ).order_by(*order)
    found = db.session.scalars(
        revisions.options(
            joinedload(CellRevision.author),
            joinedload(CellRevision.cell).joinedload(Cell.row),
            joinedload(CellRevision.cell).joinedload(Cell.column),
        ).limit(wanted)
    )
    return [FeedEntry(r.created_at, r.id, revision=r) for r in found]


def _change_entries(grid: Grid, filters: FeedFilters, wanted: int) -> list[FeedEntry]:
    changes = narrow_feed(
        select(GridChange).where(GridChange.grid_id == grid.id),
        filters,
        at=GridChange.created_at,
        person=GridChange.author_id,
        id=GridChange.id,
    )
    if filters.row_id is not None:
        changes = changes.where(GridChange.row_id == filters.row_id)
    if filters.column_id is not None:
        changes = changes.where(GridChange.column_id == filters.column_id)
    found = db.session.scalars(
        changes.options(
            joinedload(GridChange.author),
            joinedload(GridChange.row),
            joinedload(GridChange.column),
        ).limit(wanted)
    )
    return [FeedEntry(c.created_at, c.id, change=c) for c in found]


def feed(
    grid: Grid,
    filters: FeedFilters,
    *,
    before: FeedCursor | None = None,
    after: FeedCursor | None = None,
    size: int = FEED_PAGE,
) -> FeedPage:
    """Cell revisions, structural changes and other domains' entries of ``grid``, merged
    newest first: the newest, those just older than ``before``, or those just newer than
    ``after``.

    Each source is read through its (grid_id, created_at) index from the page's edge for
    just one page, so every page costs the same however long the history is and however
    far back the page is.
    """
    found: list[FeedEntry] = []
    for rank, source in enumerate([_revision_entries, _change_entries, *FEED_SOURCES]):
        bounded = filters
        if before is not None:
            bounded = replace(filters, before=before.older_for(rank))
        elif after is not None:
            bounded = replace(filters, after=after.newer_for(rank))
        found += [replace(entry, rank=rank) for entry in source(grid, bounded, size + 1)]
    if after is not None:
        rows = sorted(found, key=lambda entry: entry.key)[: size + 1]
        has_newer, has_older = len(rows) > size, True
        entries = rows[:size][::-1]
    else:
        rows = sorted(found, key=lambda entry: entry.key, reverse=True)
        has_older, has_newer = len(rows) > size, before is not None
        entries = rows[:size]
    if not entries:
        return FeedPage([], None, None)
    return FeedPage(
        entries,
        FeedCursor.of(entries[-1]).encode() if has_older else None,
        FeedCursor.of(entries[0]).encode() if has_newer else None,
    )


# SQLite allows 500 terms in one compound SELECT.
_UNION_MAX = 400


def _newest_per_cell(
    revisions: Select[Any], cell_ids: list[int], wanted: int, order: tuple[Any, ...]
) -> Select[Any]:
    """Narrow ``revisions`` (read in ``order``) to some cells, reading each cell's first
    ``wanted`` in that order through its (cell_id, created_at) index and keeping the first
    of those; a plain IN would make the database sort every revision of those cells."""
    if not cell_ids:
        return revisions.where(false()).order_by(None)
    if len(cell_ids) > _UNION_MAX:
        return revisions.where(CellRevision.cell_id.in_(cell_ids)).order_by(None)
    newest = [
        select(
            revisions.with_only_columns(CellRevision.id)
            .where(CellRevision.cell_id == cell_id)
            .order_by(None)
            .order_by(*order)
            .limit(wanted)
            .subquery()
        )
        for cell_id in cell_ids
    ]
    return select(CellRevision).where(CellRevision.id.in_(union_all(*newest)))


def grid_structure(
    grid: Grid, live_only: bool = False
) -> tuple[list[ServiceArea], list[GridColumn]]:
    """The rows and columns of ``grid`` in order: every one, or with ``live_only`` those
    not archived."""
    row_query = select(ServiceArea).where(ServiceArea.grid_id == grid.id)
    column_query = select(GridColumn).where(GridColumn.grid_id == grid.id)
    if live_only:
        row_query = row_query.where(ServiceArea.archived_at.is_(None))
        column_query = column_query.where(GridColumn.archived_at.is_(None))
    rows = db.session.scalars(row_query.order_by(ServiceArea.position, ServiceArea.id))
    columns = db.session.scalars(column_query.order_by(GridColumn.position, GridColumn.id))
    return list(rows), list(columns)


def grid_change(grid: Grid, change_id: int) -> GridChange:
    """A structural change of ``grid``."""
    change = db.session.scalar(
        select(GridChange).where(GridChange.id == change_id, GridChange.grid_id == grid.id)
    )
    if change is None:
        raise NotFound("There is no such change to this grid.")
    return change


HISTORY_CSV_HEADER = [
    "revision id",
    "service area",
    "column",
    "number",
    "kind",
    "time (UTC)",
    "author",
    "summary",
    "text",
    "owners",
    "content hash",
    "chain hash",
]


def history_rows(
    grid: Grid, cell: Cell | None = None, newest: int | None = None
) -> Iterator[list[Any]]:
    """Every revision of a grid (or one cell) as CSV rows, oldest first, streamed.

    With ``newest``, only that many of the latest revisions (found through the grid's
    (grid_id, created_at) index, so the cost does not grow with the history)."""
    names: dict[int, str] = dict(db.session.execute(select(User.id, User.display_name)).all())
    query = (
        select(CellRevision, ServiceArea.name, GridColumn.name)
        .join(Cell, Cell.id == CellRevision.cell_id)
        .join(ServiceArea, ServiceArea.id == Cell.row_id)
        .join(GridColumn, GridColumn.id == Cell.column_id)
        .where(CellRevision.grid_id == grid.id)
        .order_by(CellRevision.created_at, CellRevision.id)
        .execution_options(yield_per=2000)
    )
    if cell is not None:
        query = query.where(CellRevision.cell_id == cell.id)
    if newest is not None:
        latest = (
            select(CellRevision.id)
            .where(CellRevision.grid_id == grid.id)
            .order_by(CellRevision.created_at.desc(), CellRevision.id.desc())
            .limit(newest)
        )
        query = query.where(CellRevision.id.in_(latest.scalar_subquery()))
    result = db.session.execute(query)
    try:
        for revision, area, column in result:
            yield [
                revision.id,
                area,
                column,
                revision.number,
                revision.kind,
                revision.created_at.isoformat(timespec="seconds"),
                names.get(revision.author_id, "") if revision.author_id else "",
                revision.summary,
                revision.text,
                "; ".join(names.get(i, f"#{i}") for i in revision.owner_ids),
                revision.content_hash,
                revision.chain_hash,
            ]
    finally:
        result.close()
