"""Read models of the manager's dashboard: coverage, headline figures, lists and charts.

Each loads what its part of the page needs in a fixed number of queries, whatever the size
of the grid's history: per-cell facts come from index seeks, never from replaying history.

Definitions (also in the README):

- A cell is **empty** when it has no text and names nobody; otherwise it is filled.
- A filled cell is **stale** when its newest revision of a kind that shows someone looked at
  it (edit, restore, import, insight or review) is older than the grid's review period.
- A cell is **flagged** when it has at least one open gap flag (open, acknowledged or in
  progress). Flagged wins over empty, stale and filled; stale wins over filled.
- A service area's **owner** is what its owner cell says (the first live column that holds
  people): the people named there, or a contact. A service area whose owner cell is empty
  has **no owner**, and every text cell in it is a **cell without an owner**.
"""

from __future__ import annotations

import enum
from bisect import bisect_right
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import (
    and_,
    bindparam,
    case,
    exists,
    func,
    literal,
    or_,
    select,
    union_all,
)
from sqlalchemy import text as sql_text
from sqlalchemy.orm import aliased, joinedload

from grid_app.auth.models import User
from grid_app.database import utcnow
from grid_app.extensions import db
from grid_app.gaps.models import (
    OPEN_STATUSES,
    OPEN_WHERE,
    CellFlagTally,
    FlagDayTally,
    GapFlag,
    GapSeverity,
)
from grid_app.grid.models import (
    EMPTIED,
    Cell,
    CellRevision,
    ColumnKind,
    Grid,
    GridColumn,
    RevisionKind,
    ServiceArea,
    cell_owner,
)
from grid_app.grid.queries import grid_structure

OPEN_VALUES = [s.value for s in OPEN_STATUSES]
SEVERITIES = [GapSeverity.HIGH.value, GapSeverity.MEDIUM.value, GapSeverity.LOW.value]
# Revisions that show someone looked at the cell; a kind added later does not reset "stale"
# until it is listed here.
REVIEWED_KINDS = [
    RevisionKind.EDIT.value,
    RevisionKind.RESTORE.value,
    RevisionKind.IMPORT.value,
    RevisionKind.INSIGHT.value,
    RevisionKind.REVIEW.value,
]
WEEKS = 26
LIST_LIMIT = 100
NO_OWNER = "none"


class CellState(enum.StrEnum):
    """A cell's coverage, as the heatmap shows it."""

    EMPTY = "empty"
    FILLED = "filled"
    STALE = "stale"
    FLAGGED = "flagged"


STATE_WORDS = {
    CellState.EMPTY: "Empty",
    CellState.FILLED: "Filled",
    CellState.STALE: "Stale",
    CellState.FLAGGED: "Flagged",
}


@dataclass
class CellStatus:
    """One live cell's coverage facts."""

    id: int
    version: int
    row: ServiceArea
    column: GridColumn
    empty: bool
    last_reviewed: datetime | None
    stale: bool
    flags: dict[str, int] = field(default_factory=dict)  # open flags by severity
    row_owned: bool = True

    @property
    def state(self) -> CellState:
        """Flagged, then empty, then stale, then filled."""
        if self.flags:
            return CellState.FLAGGED
        if self.empty:
            return CellState.EMPTY
        return CellState.STALE if self.stale else CellState.FILLED

    @property
    def open_flags(self) -> int:
        """How many open flags the cell has."""
        return sum(self.flags.values())


@dataclass
class Headline:
    """The dashboard's headline figures."""

    cells: int
    filled: int
    unowned_areas: int
    unowned_cells: int
    stale: int
    empty: int
    open_flags: dict[str, int]
    overdue: int

    @property
    def filled_percent(self) -> int:
        """Share of cells filled, as a whole percentage (0 for a grid with no cells)."""
        return round(100 * self.filled / self.cells) if self.cells else 0

    @property
    def open_total(self) -> int:
        """All open flags."""
        return sum(self.open_flags.values())


@dataclass
class Coverage:
    """The live grid's cells with their states, and who owns each service area."""

    grid: Grid
    now: datetime
    stale_before: datetime
    rows: list[ServiceArea]
    columns: list[GridColumn]
    owner_column: GridColumn | None
    cells: dict[tuple[int, int], CellStatus]
    row_owner_ids: dict[int, set[int]]
    unowned_rows: list[ServiceArea]
    headline: Headline

    def cell(self, row: ServiceArea, column: GridColumn) -> CellStatus | None:
        """The cell at ``row`` × ``column``."""
        return self.cells.get((row.id, column.id))


# In the order of SEVERITIES.
_OPEN_BY_CELL = select(
    CellFlagTally.cell_id,
    CellFlagTally.open_high,
    CellFlagTally.open_medium,
    CellFlagTally.open_low,
).where(CellFlagTally.grid_id == bindparam("grid_id"), CellFlagTally.open_flags > 0)


def coverage(grid: Grid, now: datetime | None = None) -> Coverage:
    """Every live cell's state, owners and the headline figures, in six queries."""
    now = now or utcnow()
    stale_before = now - timedelta(days=grid.review_period_days)
    rows, columns = grid_structure(grid, live_only=True)
    owner_column = next((c for c in columns if c.kind == ColumnKind.PEOPLE.value), None)
    rows_by_id = {r.id: r for r in rows}
    columns_by_id = {c.id: c for c in columns}

    names_someone = exists().where(cell_owner.c.cell_id == Cell.id)
    # One backward index seek on (cell_id, created_at) per cell; almost every revision is of
    # a reviewed kind, so the seek stops at once.
    reviewed = (
        select(CellRevision.created_at)
        .where(CellRevision.cell_id == Cell.id, CellRevision.kind.in_(REVIEWED_KINDS))
        .order_by(CellRevision.created_at.desc())
        .limit(1)
        .correlate(Cell)
        .scalar_subquery()
    )
    found = db.session.execute(
        select(
            Cell.id,
            Cell.row_id,
            Cell.column_id,
            Cell.version,
            or_(Cell.text != "", names_someone),
            reviewed,
        ).where(Cell.grid_id == grid.id)
    ).all()

    owner_ids: dict[int, set[int]] = defaultdict(set)
    owned: set[int] = set()
    if owner_column is not None:
        for row_id, text, user_id in db.session.execute(
            select(Cell.row_id, Cell.text, cell_owner.c.user_id)
            .outerjoin(cell_owner, cell_owner.c.cell_id == Cell.id)
            .where(Cell.column_id == owner_column.id)
        ):
            if user_id is not None:
                owner_ids[row_id].add(user_id)
            if user_id is not None or text.strip():
                owned.add(row_id)

    # Each cell's open flags by severity, from the cells' tallies: a row per flagged cell,
    # however many flags it has.
    flags_by_cell: dict[int, dict[str, int]] = {}
    open_by_severity = dict.fromkeys(SEVERITIES, 0)
    for cell_id, *counts in db.session.execute(_OPEN_BY_CELL, {"grid_id": grid.id}):
        flags_by_cell[cell_id] = {s: n for s, n in zip(SEVERITIES, counts, strict=True) if n}
        for severity, n in zip(SEVERITIES, counts, strict=True):
            open_by_severity[severity] += n
    overdue = (
        db.session.scalar(
            select(func.count())
            .select_from(GapFlag)
            # Written as the partial index of open flags is, so that both databases read it.
            .where(GapFlag.grid_id == grid.id, OPEN_FLAG, GapFlag.due_date < now.date())
        )
        or 0
    )

    cells: dict[tuple[int, int], CellStatus] = {}
    for cell_id, row_id, column_id, version, filled, last_reviewed in found:
        if row_id not in rows_by_id or column_id not in columns_by_id:
            continue
        empty = not filled
        cells[(row_id, column_id)] = CellStatus(
            id=cell_id,
            version=version,
            row=rows_by_id[row_id],
            column=columns_by_id[column_id],
            empty=empty,
            last_reviewed=last_reviewed,
            stale=not empty and (last_reviewed is None or last_reviewed < stale_before),
            flags=flags_by_cell.get(cell_id, {}),
            row_owned=row_id in owned,
        )
    unowned_rows = [r for r in rows if r.id not in owned]
    unowned_ids = {r.id for r in unowned_rows}
    statuses = cells.values()
    headline = Headline(
        cells=len(cells),
        filled=sum(1 for c in statuses if not c.empty),
        unowned_areas=len(unowned_rows),
        unowned_cells=sum(
            1 for c in statuses if c.row.id in unowned_ids and c.column.kind == ColumnKind.TEXT
        ),
        stale=sum(1 for c in statuses if c.stale),
        empty=sum(1 for c in statuses if c.empty),
        open_flags=open_by_severity,
        overdue=overdue,
    )
    return Coverage(
        grid,
        now,
        stale_before,
        rows,
        columns,
        owner_column,
        cells,
        dict(owner_ids),
        unowned_rows,
        headline,
    )


# --- Lists ---------------------------------------------------------------------------


class FlagSort(enum.StrEnum):
    """How the open flags list is ordered."""

    SEVERITY = "severity"
    AGE = "age"
    OWNER = "owner"
    DUE = "due"


@dataclass(frozen=True)
class ListFilters:
    """What the dashboard's lists are narrowed to; None or "" means any.

    ``owner`` is a person's id, NO_OWNER for "nobody", or None for anyone. For cells the
    owner is the service area's owner; for flags it is the person the flag is assigned to.
    ``severity`` narrows cells to those with an open flag of that severity.
    """

    row_id: int | None = None
    column_id: int | None = None
    owner: int | str | None = None
    severity: str = ""
    sort: FlagSort = FlagSort.SEVERITY


@dataclass
class Shown:
    """Some of a list: the first ``LIST_LIMIT`` items and how many there are in all."""

    items: list[Any]
    total: int


@dataclass
class Lists:
    """The dashboard's lists after filtering."""

    empty: Shown
    stale: Shown
    unowned: Shown
    flags: Shown


def _cell_matches(view: Coverage, status: CellStatus, filters: ListFilters) -> bool:
    if filters.row_id is not None and status.row.id != filters.row_id:
        return False
    if filters.column_id is not None and status.column.id != filters.column_id:
        return False
    if filters.owner == NO_OWNER and status.row_owned:
        return False
    if isinstance(filters.owner, int) and filters.owner not in view.row_owner_ids.get(
        status.row.id, set()
    ):
        return False
    return not filters.severity or filters.severity in status.flags


def _shown(items: list[Any]) -> Shown:
    return Shown(items[:LIST_LIMIT], len(items))


def lists(view: Coverage, filters: ListFilters) -> Lists:
    """Empty cells, stale cells (oldest review first), service areas with no owner, and
    open flags in the chosen order, each narrowed by ``filters``; two queries."""
    matching = [c for c in view.cells.values() if _cell_matches(view, c, filters)]
    order = {(r.id): i for i, r in enumerate(view.rows)}
    column_order = {(c.id): i for i, c in enumerate(view.columns)}
    matching.sort(key=lambda c: (order[c.row.id], column_order[c.column.id]))
    stale = sorted((c for c in matching if c.stale), key=lambda c: c.last_reviewed or datetime.min)
    unowned_rows = {c.row.id for c in matching if not c.row_owned}
    if filters.column_id is None and filters.severity == "":
        # A service area with no owner still shows when nothing in it matches otherwise.
        unowned_rows |= {
            r.id
            for r in view.unowned_rows
            if filters.row_id in (None, r.id) and filters.owner in (None, NO_OWNER)
        }
    return Lists(
        empty=_shown([c for c in matching if c.empty]),
        stale=_shown(stale),
        unowned=_shown([r for r in view.unowned_rows if r.id in unowned_rows]),
        flags=open_flags(view.grid, filters),
    )


OPEN_FLAG = sql_text(f"gap_flag.{OPEN_WHERE}")

_SEVERITY_ORDER = case(
    {GapSeverity.HIGH.value: 0, GapSeverity.MEDIUM.value: 1, GapSeverity.LOW.value: 2},
    value=GapFlag.severity,
)


def open_flags(grid: Grid, filters: ListFilters) -> Shown:
    """The grid's open flags matching ``filters``, in the chosen order, in two queries."""
    query = select(GapFlag).where(GapFlag.grid_id == grid.id, OPEN_FLAG)
    if filters.row_id is not None or filters.column_id is not None:
        query = query.join(Cell, Cell.id == GapFlag.cell_id)
        if filters.row_id is not None:
            query = query.where(Cell.row_id == filters.row_id)
        if filters.column_id is not None:
            query = query.where(Cell.column_id == filters.column_id)
    if filters.owner == NO_OWNER:
        query = query.where(GapFlag.owner_id.is_(None))
    elif isinstance(filters.owner, int):
        query = query.where(GapFlag.owner_id == filters.owner)
    if filters.severity:
        query = query.where(GapFlag.severity == filters.severity)
    total = db.session.scalar(select(func.count()).select_from(query.subquery())) or 0

    oldest = (GapFlag.created_at, GapFlag.id)
    if filters.sort is FlagSort.AGE:
        order: tuple[Any, ...] = oldest
    elif filters.sort is FlagSort.OWNER:
        owner = select(User.display_name).where(User.id == GapFlag.owner_id).scalar_subquery()
        order = (case((GapFlag.owner_id.is_(None), 1), else_=0), owner, _SEVERITY_ORDER, *oldest)
    elif filters.sort is FlagSort.DUE:
        order = (case((GapFlag.due_date.is_(None), 1), else_=0), GapFlag.due_date, *oldest)
    else:
        order = (_SEVERITY_ORDER, *oldest)
        # The oldest of each severity, each read in order from the index of open flags by
        # severity and age, then put in order: not every open flag sorted.
        firsts = [
            select(
                query.with_only_columns(GapFlag.id)
                .where(GapFlag.severity == severity)
                .order_by(*oldest)
                .limit(LIST_LIMIT)
                .subquery()
            )
            for severity in SEVERITIES
        ]
        query = query.where(GapFlag.id.in_(union_all(*firsts)))
    flags = db.session.scalars(
        query.options(
            joinedload(GapFlag.cell).joinedload(Cell.row),
            joinedload(GapFlag.cell).joinedload(Cell.column),
            joinedload(GapFlag.owner),
        )
        .order_by(*order)
        .limit(LIST_LIMIT)
    ).all()
    return Shown(list(flags), total)


# --- Charts over time ----------------------------------------------------------------


@dataclass
class Week:
    """One week's figures: coverage and open flags at the end of the week."""

    ends: datetime  # the first moment after the week
    cells: int
    filled: int
    open_flags: dict[str, int]

    @property
    def last_day(self) -> date:
        """The week's last day, which labels it."""
        return (self.ends - timedelta(days=1)).date()

    @property
    def filled_percent(self) -> int:
        """Share of cells filled at the week's end."""
        return round(100 * self.filled / self.cells) if self.cells else 0

    @property
    def open_total(self) -> int:
        """Open flags at the week's end."""
        return sum(self.open_flags.values())


def week_ends(now: datetime, weeks: int = WEEKS) -> list[datetime]:
    """The ends of the last ``weeks`` weeks, oldest first; the last week ends tonight."""
    tonight = datetime.combine(now.date() + timedelta(days=1), time())
    return [tonight - timedelta(weeks=weeks - 1 - k) for k in range(weeks)]


def weekly(
    grid: Grid,
    now: datetime | None = None,
    weeks: int = WEEKS,
    open_now: dict[str, int] | None = None,
) -> list[Week]:
    """Share of cells filled and open flags by severity at the end of each of the last
    ``weeks`` weeks, computed from the history in five queries (four when ``open_now``, the
    open flags by severity now, is already known, as it is from ``coverage``).

    Coverage: a cell counts at a week's end if its service area and column existed then
    (and were not archived). It was filled if it had a revision by then and its latest one
    was not an "emptying" revision (no text, nobody named). So two indexed queries suffice:
    each cell's first revision (one seek per cell), and the few emptying revisions (a
    partial index) with the time of the revision after each; the weeks are then counted
    from those spells, never by replaying history.

    Open flags: each step in a flag's timeline that moves it into an open status counts +1,
    each that closes it counts -1, and the flag steps' service keeps the net count of each
    day and severity. The flags open at a week's end are those open now less the net count
    since then (reopened flags included): one query of at most a row per day and severity
    of these weeks, however many steps they saw, and one count.
    """
    ends = week_ends(now or utcnow(), weeks)
    # Rows and columns, archived ones too, for which existed at each week's end.
    parts: dict[str, dict[int, tuple[datetime, datetime | None]]] = {"row": {}, "column": {}}
    for kind, part_id, created, archived in db.session.execute(
        union_all(
            select(
                literal("row"), ServiceArea.id, ServiceArea.created_at, ServiceArea.archived_at
            ).where(ServiceArea.grid_id == grid.id),
            select(
                literal("column"), GridColumn.id, GridColumn.created_at, GridColumn.archived_at
            ).where(GridColumn.grid_id == grid.id),
        )
    ):
        parts[kind][part_id] = (created, archived)
    # Each cell's first revision: one index seek on (cell_id, created_at). Before it the
    # cell was empty; after it, it was filled except while an emptying revision was latest.
    first = (
        select(CellRevision.created_at)
        .where(CellRevision.cell_id == Cell.id)
        .order_by(CellRevision.created_at, CellRevision.id)
        .limit(1)
        .correlate(Cell)
        .scalar_subquery()
    )
    cells = db.session.execute(
        select(Cell.id, Cell.row_id, Cell.column_id, first).where(Cell.grid_id == grid.id)
    ).all()
    # The revisions that emptied a cell (few, and in a partial index), each with the time of
    # the revision after it: the cell was empty from one to the other.
    later = aliased(CellRevision, name="later")
    following = (
        select(later.created_at)
        .where(
            later.cell_id == CellRevision.cell_id,
            or_(
                later.created_at > CellRevision.created_at,
                and_(later.created_at == CellRevision.created_at, later.id > CellRevision.id),
            ),
        )
        .order_by(later.created_at, later.id)
        .limit(1)
        .correlate(CellRevision)
        .scalar_subquery()
    )
    empty_spells: dict[int, list[tuple[datetime, datetime | None]]] = defaultdict(list)
    for cell_id, began, ended in db.session.execute(
        select(CellRevision.cell_id, CellRevision.created_at, following).where(
            CellRevision.grid_id == grid.id, sql_text(EMPTIED)
        )
    ):
        empty_spells[cell_id].append((began, ended))

    # Each part's weeks, and then each cell's, as runs of week numbers found by halving
    # the week ends: a cell costs a few comparisons, not one for each of the 26 weeks.
    count = len(ends)

    def after(moment: datetime) -> int:
        """The first week that ends after ``moment``."""
        return bisect_right(ends, moment)

    spans = {
        kind: {
            # Existed at a week's end if created before it and not archived by then.
            part_id: (after(created), count - 1 if archived is None else after(archived) - 1)
            for part_id, (created, archived) in found.items()
        }
        for kind, found in parts.items()
    }
    # Differences: +1 in the week a run of weeks starts, -1 in the week after it ends.
    live_runs = [0] * (count + 1)
    filled_runs = [0] * (count + 1)
    for cell_id, row_id, column_id, began in cells:
        row, column = spans["row"].get(row_id), spans["column"].get(column_id)
        if row is None or column is None:
            continue
        since, until = max(row[0], column[0]), min(row[1], column[1])
        if since > until:
            continue
        live_runs[since] += 1
        live_runs[until + 1] -= 1
        if began is None:
            continue
        begins = max(since, after(began))
        spells = empty_spells.get(cell_id)
        if not spells:
            if begins <= until:
                filled_runs[begins] += 1
                filled_runs[until + 1] -= 1
            continue
        # A cell emptied now and then (rare): its weeks one by one.
        emptied: set[int] = set()
        for start, stop in spells:
            emptied.update(range(after(start), count if stop is None else after(stop)))
        for k in range(begins, until + 1):
            if k not in emptied:
                filled_runs[k] += 1
                filled_runs[k + 1] -= 1
    by_week: dict[int, tuple[int, int]] = {}
    live = filled = 0
    for k in range(count):
        live += live_runs[k]
        filled += filled_runs[k]
        by_week[k] = (live, filled)

    if open_now is None:
        open_now = dict.fromkeys(SEVERITIES, 0)
        for severity, count in db.session.execute(
            select(GapFlag.severity, func.count(GapFlag.id))
            .where(GapFlag.grid_id == grid.id, GapFlag.status.in_(OPEN_VALUES))
            .group_by(GapFlag.severity)
        ):
            open_now[severity] = count
    # Open at a week's end = open now, less the net openings since: read from the tally of
    # each day's net openings by severity, at most one row per day and severity.
    first_days = [end.date() for end in ends]
    deltas: dict[str, list[int]] = {s: [0] * len(ends) for s in SEVERITIES}
    for severity, day, net in db.session.execute(
        select(FlagDayTally.severity, FlagDayTally.day, FlagDayTally.net).where(
            FlagDayTally.grid_id == grid.id, FlagDayTally.day >= first_days[0]
        )
    ):
        # The week whose end is the last one at or before the day's start.
        deltas[severity][bisect_right(first_days, day) - 1] += net
    open_at: dict[str, list[int]] = {}
    for severity in SEVERITIES:
        # Flags open at the end of week k: open now, less the net openings at or after it.
        counts = [0] * len(ends)
        net_since = 0
        for k in range(len(ends) - 1, -1, -1):
            net_since += deltas[severity][k]
            counts[k] = open_now[severity] - net_since
        open_at[severity] = counts

    return [
        Week(
            ends=end,
            cells=by_week.get(k, (0, 0))[0],
            filled=by_week.get(k, (0, 0))[1],
            open_flags={s: open_at[s][k] for s in SEVERITIES},
        )
        for k, end in enumerate(ends)
    ]
