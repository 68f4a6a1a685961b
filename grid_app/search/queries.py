"""Finding words in the grid: current cell text, comments, gap flags (what is missing and
their notes) and, when asked, earlier versions of cells.

One function answers on both databases, through each one's own full-text engine (see
``schema``). A search is read in two steps: first, for each kind of result, the page's worth
of matches after the cursor, in order (relevance, or newest first), merged into one page;
then, for that page only, where each match is and an excerpt with the words marked.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from markupsafe import Markup, escape
from sqlalchemy import (
    ColumnElement,
    DateTime,
    Float,
    FromClause,
    Integer,
    Text,
    and_,
    column,
    false,
    func,
    literal,
    literal_column,
    or_,
    select,
    table,
)
from sqlalchemy.dialects.postgresql import TSQUERY

from grid_app.auth.models import Actor, User
from grid_app.discussion.models import Comment
from grid_app.extensions import db
from grid_app.gaps.models import GapFlag, GapFlagEvent
from grid_app.grid import structure
from grid_app.grid.models import Cell, CellRevision, Grid, GridColumn, ServiceArea
from grid_app.search import schema
from grid_app.search.syntax import Query

PAGE = 20
SUGGESTIONS = 6
# Private-use characters mark the matched words in an excerpt: they survive escaping, so
# the marks become <mark> only after everything else has been escaped.
_START, _STOP = "\ue000", "\ue001"
_MARKED = re.compile(f"{_START}([^{_START}{_STOP}]*){_STOP}")
_EXCERPT_WORDS = 24
# Markdown's emphasis and heading marks mean nothing in a one-line excerpt.
_MARKDOWN_MARKS = re.compile(r"[*_`#]+|^>\s*", re.MULTILINE)


class Kind(enum.StrEnum):
    """What a result is; their order breaks ties between results."""

    CELL = "cell"
    COMMENT = "comment"
    FLAG = "flag"
    # A note in a flag's timeline: found, and filtered, with the flags.
    FLAG_NOTE = "note"
    HISTORY = "history"

    @property
    def rank(self) -> int:
        """Its place in the order of kinds."""
        return list(Kind).index(self)


class Sort(enum.StrEnum):
    """How results are ordered."""

    RELEVANCE = "relevance"
    NEWEST = "newest"


@dataclass
class Filters:
    """What a search is narrowed to; None means any."""

    grid_id: int | None = None
    row_id: int | None = None
    column_id: int | None = None
    kind: Kind | None = None
    person_id: int | None = None
    since: datetime | None = None
    until: datetime | None = None  # exclusive
    history: bool = False

    @property
    def narrowed(self) -> bool:
        """True when anything but the words narrows the search."""
        return any(
            v is not None
            for v in (
                self.grid_id,
                self.row_id,
                self.column_id,
                self.kind,
                self.person_id,
                self.since,
                self.until,
            )
        )

    def kinds(self) -> list[Kind]:
        """The kinds of result this search looks for."""
        if self.kind is Kind.FLAG:
            return [Kind.FLAG, Kind.FLAG_NOTE]
        if self.kind is not None:
            return [self.kind]
        return [k for k in Kind if k is not Kind.HISTORY or self.history]


class BadCursor(ValueError):
    """A page link that is not one this app made."""


_CURSOR = re.compile(r"([rn])\.([-+0-9.e]+|\d{14}\.\d{6})\.([0-4])\.(\d{1,12})")
_STAMP = "%Y%m%d%H%M%S.%f"


@dataclass(frozen=True)
class Cursor:
    """The last result of a page: its sort key (score or time), kind and id."""

    sort: Sort
    key: float | datetime
    rank: int
    id: int

    def encode(self) -> str:
        """The cursor as it travels in a link."""
        key = self.key.strftime(_STAMP) if isinstance(self.key, datetime) else repr(self.key)
        return f"{self.sort.value[0]}.{key}.{self.rank}.{self.id}"

    @classmethod
    def decode(cls, raw: str, sort: Sort) -> Cursor:
        """Read a cursor from a link for a search sorted by ``sort``; BadCursor if it is not
        one."""
        match = _CURSOR.fullmatch(raw.strip())
        if match is None or match.group(1) != sort.value[0]:
            raise BadCursor(raw)
        try:
            key: float | datetime = (
                datetime.strptime(match.group(2), _STAMP)
                if sort is Sort.NEWEST
                else float(match.group(2))
            )
        except ValueError:
            raise BadCursor(raw) from None
        return cls(sort, key, int(match.group(3)), int(match.group(4)))


@dataclass
class Result:
    """One match: what and where it is, a marked excerpt and the address of its place."""

    kind: Kind
    id: int
    at: datetime | None
    grid: str = ""
    row: str = ""
    column: str = ""
    person: str | None = None
    excerpt: Markup = field(default_factory=Markup)
    address: dict[str, Any] = field(default_factory=dict)
    # The cell's row is archived (or its column): only admins are shown these.
    archived: bool = False
    detail: str = ""


@dataclass
class Page:
    """A page of results and the cursor of the next page, if there are more."""

    results: list[Result]
    next: Cursor | None


# --- The sources ---------------------------------------------------------------------


@dataclass(frozen=True)
class _Hit:
    kind: Kind
    id: int
    at: datetime
    score: float

    def key(self, sort: Sort) -> tuple[Any, ...]:
        if sort is Sort.NEWEST:
            return (-self.at.timestamp(), self.kind.rank, -self.id)
        return (self.score, self.kind.rank, self.id)


@dataclass(frozen=True)
class _Source:
    """A searched table as one kind of result: its index, its columns, and how its rows
    reach a cell."""

    index: schema.Source
    table: FromClause
    id: Any
    at: Any
    person: Any
    cell: Any
    grid: Any
    # Other tables its filters read, joined on these conditions.
    joins: tuple[tuple[FromClause, Any], ...] = ()
    where: tuple[Any, ...] = ()


def _source(kind: Kind) -> _Source:
    by_table = {s.table: s for s in schema.SOURCES}
    if kind is Kind.CELL:
        return _Source(
            by_table["cell"],
            Cell.__table__,
            Cell.id,
            Cell.updated_at,
            Cell.updated_by_id,
            Cell.id,
            Cell.grid_id,
        )
    if kind is Kind.COMMENT:
        # A deleted comment's words are gone, so it is never found: no need to ask.
        return _Source(
            by_table["comment"],
            Comment.__table__,
            Comment.id,
            Comment.created_at,
            Comment.author_id,
            Comment.cell_id,
            Comment.grid_id,
        )
    if kind is Kind.FLAG:
        return _Source(
            by_table["gap_flag"],
            GapFlag.__table__,
            GapFlag.id,
            GapFlag.created_at,
            GapFlag.raised_by_id,
            GapFlag.cell_id,
            GapFlag.grid_id,
        )
    if kind is Kind.FLAG_NOTE:
        return _Source(
            by_table["gap_flag_event"],
            GapFlagEvent.__table__,
            GapFlagEvent.id,
            GapFlagEvent.created_at,
            GapFlagEvent.actor_id,
            GapFlag.cell_id,
            GapFlagEvent.grid_id,
            joins=((GapFlag.__table__, GapFlag.id == GapFlagEvent.flag_id),),
            # As schema.SOURCES says: a flag's first step repeats what is missing.
            where=(GapFlagEvent.kind != "raised",),
        )
    return _Source(
        by_table["cell_revision"],
        CellRevision.__table__,
        CellRevision.id,
        CellRevision.created_at,
        CellRevision.author_id,
        CellRevision.cell_id,
        CellRevision.grid_id,
    )


class _Engine:
    """How one database is asked: the match condition and score for a source."""

    def __init__(self, query: Query) -> None:
        self.postgres = db.session.get_bind().dialect.name == "postgresql"
        self.query = query
        self._tsquery: str | None = None

    def tsquery(self) -> ColumnElement[Any]:
        """The query as a PostgreSQL ``tsquery`` constant. Worked out once, before the
        searches use it, so that the planner sees the words and can tell a rare one (read
        through the index) from a common one (read in order until a page is full)."""
        if self._tsquery is None:
            self._tsquery = db.session.scalar(select(self._composed().cast(Text)))
        return literal(self._tsquery).cast(TSQUERY)

    def _composed(self) -> ColumnElement[Any]:
        config: Any = literal_column(f"'{schema.CONFIG}'::regconfig")
        query = self.query
        whole = func.websearch_to_tsquery(config, query.websearch())
        if query.prefix is None:
            return whole
        last: Any = func.to_tsquery(config, query.prefix)
        if query.websearch(query.clauses[-1:]).strip():
            last = func.websearch_to_tsquery(config, query.websearch(query.clauses[-1:])).op("&&")(
                last
            )
        if len(query.clauses) == 1:
            return last
        head = func.websearch_to_tsquery(config, query.websearch(query.clauses[:-1]))
        return head.op("||")(last)

    def rowid(self, source: _Source) -> Any:
        """The id of a match, read from SQLite's index."""
        return literal_column(f"{source.index.index}.rowid")

    def matching(
        self, source: _Source, *, index_only: bool = False
    ) -> tuple[FromClause, ColumnElement[bool], Any]:
        """The FROM clause, match condition and score (lower is better) for ``source``;
        with ``index_only``, on SQLite, the index alone."""
        if self.postgres:
            vector: Any = literal_column(f"{source.index.table}.{schema.VECTOR}")
            tsquery = self.tsquery()
            # Double precision: a real would not equal the cursor's key read back from a link.
            score = (-func.ts_rank(vector, tsquery)).cast(Float)
            return source.table, vector.op("@@")(tsquery), score
        fts: Any = literal_column(source.index.index)
        index = table(source.index.index, column("rowid"))
        if index_only:
            return index, fts.op("MATCH")(self.query.fts5()), func.bm25(fts)
        joined = source.table.join(index, source.table.c.id == index.c.rowid)
        return joined, fts.op("MATCH")(self.query.fts5()), func.bm25(fts)

    def excerpts(self, source: _Source, ids: Sequence[int]) -> dict[int, str]:
        """Marked excerpts of the rows ``ids`` of ``source``, by id."""
        if not ids:
            return {}
        found_in, condition, _score = self.matching(source)
        column = source.table.c[source.index.column]
        if self.postgres:
            readable = func.translate(column, "<>", "\u2039\u203a")
            options = f"StartSel={_START}, StopSel={_STOP}, MaxWords={_EXCERPT_WORDS}, MinWords=12"
            config: Any = literal_column(f"'{schema.CONFIG}'::regconfig")
            excerpt: Any = func.ts_headline(config, readable, self.tsquery(), options)
        else:
            excerpt = func.snippet(
                literal_column(source.index.index), 0, _START, _STOP, "…", _EXCERPT_WORDS
            )
        found = db.session.execute(
            select(source.id, excerpt)
            .select_from(found_in)
            .where(condition, source.id.in_(ids), *source.where)
        )
        return {i: marked.replace("\u2039", "<").replace("\u203a", ">") for i, marked in found}


def _joined(found_in: FromClause, source: _Source) -> FromClause:
    for other, on in source.joins:
        found_in = found_in.join(other, on)
    return found_in


# --- Searching -----------------------------------------------------------------------


def search(
    actor: Actor,
    query: Query,
    filters: Filters,
    sort: Sort = Sort.RELEVANCE,
    after: Cursor | None = None,
    size: int = PAGE,
) -> Page:
    """A page of what ``query`` finds that ``actor`` may see, in ``sort`` order, after the
    cursor ``after``."""
    if query.is_empty:
        return Page([], None)
    engine = _Engine(query)
    cells = _cell_scope(actor, filters)
    hits: list[_Hit] = []
    for kind in filters.kinds():
        hits += _stream(engine, kind, filters, cells, sort, after, size + 1)
    hits.sort(key=lambda h: h.key(sort))
    more = len(hits) > size
    hits = hits[:size]
    results = _describe(engine, hits)
    last = hits[-1] if hits else None
    next_cursor = (
        Cursor(sort, last.at if sort is Sort.NEWEST else last.score, last.kind.rank, last.id)
        if more and last is not None
        else None
    )
    return Page(results, next_cursor)


def suggest(actor: Actor, query: Query, size: int = SUGGESTIONS) -> list[Result]:
    """The newest few matches for what is being typed, in current text, comments and
    flags: found at once however common the word, where ranking every match would not be
    (the results page ranks them)."""
    return search(actor, query, Filters(), Sort.NEWEST, None, size).results


@dataclass(frozen=True)
class _CellScope:
    """Which cells a search may reach: only these (``within``), or all but these."""

    within: list[int] | None
    without: list[int]


def _cell_scope(actor: Actor, filters: Filters) -> _CellScope:
    """The cells in archived rows or columns are left out for all but admins, who see them
    on the structure page; a service area or column filter names the cells it leaves."""
    sees_archived = structure.can_change_structure(actor)
    if filters.row_id is None and filters.column_id is None and sees_archived:
        return _CellScope(None, [])
    archived = or_(ServiceArea.archived_at.is_not(None), GridColumn.archived_at.is_not(None))
    query = (
        select(Cell.id, archived)
        .join(ServiceArea, ServiceArea.id == Cell.row_id)
        .join(GridColumn, GridColumn.id == Cell.column_id)
    )
    if filters.grid_id is not None:
        query = query.where(Cell.grid_id == filters.grid_id)
    if filters.row_id is not None or filters.column_id is not None:
        if filters.row_id is not None:
            query = query.where(Cell.row_id == filters.row_id)
        if filters.column_id is not None:
            query = query.where(Cell.column_id == filters.column_id)
        within = [i for i, gone in db.session.execute(query) if sees_archived or not gone]
        return _CellScope(within, [])
    return _CellScope(
        None, list(db.session.scalars(query.with_only_columns(Cell.id).where(archived)))
    )


def _stream(
    engine: _Engine,
    kind: Kind,
    filters: Filters,
    cells: _CellScope,
    sort: Sort,
    after: Cursor | None,
    limit: int,
) -> list[_Hit]:
    """Up to ``limit`` matches of one kind, in order, after the cursor."""
    source = _source(kind)
    conditions: list[Any] = []
    if filters.grid_id is not None:
        conditions.append(source.grid == filters.grid_id)
    if filters.person_id is not None:
        conditions.append(source.person == filters.person_id)
    if filters.since is not None:
        conditions.append(source.at >= filters.since)
    if filters.until is not None:
        conditions.append(source.at < filters.until)
    if cells.within is not None:
        conditions.append(source.cell.in_(cells.within) if cells.within else false())
    elif cells.without:
        conditions.append(source.cell.not_in(cells.without))
    # Ranked by relevance with nothing to filter on, SQLite answers from its index alone,
    # without reading a row of the table for each of perhaps tens of thousands of matches.
    index_only = not conditions and sort is Sort.RELEVANCE and not engine.postgres
    found_in, condition, score = engine.matching(source, index_only=index_only)
    ident = engine.rowid(source) if index_only else source.id
    if source.joins and not index_only:
        found_in = _joined(found_in, source)
    # A cell never saved has no time; it sorts as the oldest.
    at: Any = (
        literal(_NEVER, DateTime)
        if index_only
        else func.coalesce(source.at, literal(_NEVER, DateTime))
    )
    if not index_only:
        conditions += source.where
    query = select(ident, at, score).select_from(found_in).where(condition, *conditions)
    # Comments, flags, notes and revisions are written once, at the time they record, so
    # their ids rise with time: newest first is by id, read in id order until a page is
    # full (on SQLite, from the full-text index itself). Cells change, so they go by time.
    # So do revisions on PostgreSQL: there, reading a million of them in id order for a
    # word found in none costs more than finding every match through the GIN index and
    # picking out the newest.
    by_time = kind is Kind.CELL or (engine.postgres and kind is Kind.HISTORY)
    if sort is Sort.NEWEST:
        if by_time:
            query = query.order_by(at.desc(), ident.desc())
        else:
            query = query.order_by((ident if engine.postgres else engine.rowid(source)).desc())
    else:
        query = query.order_by(score, ident)
    if after is not None:
        query = query.where(_after(after, kind, at, score, ident, by_time))
    return [
        _Hit(kind, row_id, when, float(row_score))
        for row_id, when, row_score in db.session.execute(query.limit(limit))
    ]


_NEVER = datetime(1970, 1, 1)


def _after(
    cursor: Cursor, kind: Kind, at: Any, score: Any, ident: Any, by_time: bool
) -> ColumnElement[bool]:
    """Rows of ``kind`` that come after ``cursor`` in its order."""
    if cursor.sort is Sort.NEWEST:
        later, same_or_later = at < cursor.key, at <= cursor.key
        if kind.rank == cursor.rank and not by_time:
            return ident < cursor.id
        tie = ident < cursor.id
    else:
        later, same_or_later = score > cursor.key, score >= cursor.key
        tie = ident > cursor.id
    if kind.rank < cursor.rank:
        return later
    if kind.rank > cursor.rank:
        return same_or_later
    key_equal = at == cursor.key if cursor.sort is Sort.NEWEST else score == cursor.key
    return or_(later, and_(key_equal, tie))


# --- Describing a page ---------------------------------------------------------------


def _describe(engine: _Engine, hits: list[_Hit]) -> list[Result]:
    """Where each hit is, who and when, and its marked excerpt: a few queries per page."""
    by_kind: dict[Kind, list[int]] = {}
    for hit in hits:
        by_kind.setdefault(hit.kind, []).append(hit.id)
    described: dict[tuple[Kind, int], Result] = {}
    for kind, ids in by_kind.items():
        for result in _places(kind, ids):
            described[(kind, result.id)] = result
        excerpts = engine.excerpts(_source(kind), ids)
        for ident, marked in excerpts.items():
            if (kind, ident) in described:
                described[(kind, ident)].excerpt = mark(marked)
    return [described[(h.kind, h.id)] for h in hits if (h.kind, h.id) in described]


def _places(kind: Kind, ids: list[int]) -> Iterable[Result]:
    source = _source(kind)
    ident, at, person, cell_of = source.id, source.at, source.person, source.cell
    own_table = _joined(source.table, source)
    extra: Any = {
        Kind.CELL: literal(""),
        Kind.COMMENT: func.coalesce(Comment.parent_id, 0).cast(Integer),
        Kind.FLAG: GapFlag.severity + literal(" ") + GapFlag.status,
        Kind.FLAG_NOTE: GapFlagEvent.flag_id,
        Kind.HISTORY: CellRevision.number,
    }[kind]
    query = (
        select(
            ident,
            at,
            User.display_name,
            Grid.slug,
            Grid.name,
            ServiceArea.id,
            ServiceArea.name,
            GridColumn.name,
            or_(ServiceArea.archived_at.is_not(None), GridColumn.archived_at.is_not(None)),
            cell_of,
            extra,
        )
        .select_from(own_table)
        .outerjoin(User, User.id == person)
    )
    if kind is not Kind.CELL:
        query = query.join(Cell, Cell.id == cell_of)
    query = (
        query.join(ServiceArea, ServiceArea.id == Cell.row_id)
        .join(GridColumn, GridColumn.id == Cell.column_id)
        .join(Grid, Grid.id == Cell.grid_id)
        .where(ident.in_(ids))
    )
    for row in db.session.execute(query):
        (found, when, who, slug, grid, row_id, row_name, column, archived, cell_id, more) = row
        yield Result(
            kind,
            found,
            when,
            grid=grid,
            row=row_name,
            column=column,
            person=who,
            archived=bool(archived),
            address=_address(kind, found, cell_id, slug, row_id, bool(archived), str(more)),
            detail="" if more is None else str(more),
        )


def _address(
    kind: Kind, ident: int, cell_id: int, slug: str, row_id: int, archived: bool, detail: str
) -> dict[str, Any]:
    """Where a result's link goes, as ``url_for`` arguments."""
    if kind is Kind.CELL:
        if archived:
            return {"endpoint": "grid.cell", "cell_id": cell_id}
        # The grid with the cell's row opened in full, scrolled to the cell.
        return {
            "endpoint": "grid.show",
            "slug": slug,
            "open": row_id,
            "_anchor": f"cell-{cell_id}",
        }
    if kind is Kind.COMMENT:
        return {
            "endpoint": "discussion.cell_comments",
            "cell_id": cell_id,
            "_anchor": f"comment-{ident}",
        }
    if kind is Kind.FLAG:
        return {"endpoint": "gaps.flag", "flag_id": ident}
    if kind is Kind.FLAG_NOTE:
        return {"endpoint": "gaps.flag", "flag_id": int(detail), "_anchor": f"step-{ident}"}
    return {"endpoint": "grid.compare", "to": ident}


def mark(marked: str) -> Markup:
    """An excerpt as safe HTML: every character escaped, then the engine's marks around the
    matched words turned into <mark>; any mark left unpaired is dropped."""
    plain = _MARKDOWN_MARKS.sub("", marked)
    plain = " ".join(plain.split())
    escaped = str(escape(plain))
    html = _MARKED.sub(r"<mark>\1</mark>", escaped)
    return Markup(html.replace(_START, "").replace(_STOP, ""))
