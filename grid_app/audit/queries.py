"""Reading the audit log: filtered pages newest first, and every matching event for CSV.

Each page costs a fixed number of statements whatever its size: the events, then one lookup
per kind of thing they name (people, cells, gap flags, grids, insights). Safe-space sessions
are named by number only, and no event's details are read beyond the keys its action allows
(grid_app/audit/actions.py), so nothing a participant wrote can reach the log.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, and_, or_, select

from grid_app.audit import actions
from grid_app.audit.actions import Said, Subject
from grid_app.audit.models import AuditEvent
from grid_app.auth.models import User
from grid_app.extensions import db
from grid_app.gaps.models import GapFlag
from grid_app.grid.models import Cell, Grid, GridColumn, ServiceArea
from grid_app.safe_space.models import Insight

PAGE_SIZE = 50
# The CSV is read and written this many events at a time, so a long log streams.
CSV_BATCH = 500
CSV_HEADER = [
    "When (UTC)",
    "Who",
    "What happened",
    "Action",
    "Subject",
    "Subject type",
    "Subject id",
    "Details",
]

_CURSOR = re.compile(r"(\d{20})-(\d{1,18})")
_STAMP = "%Y%m%d%H%M%S%f"


class BadCursor(ValueError):
    """A page link whose cursor was not made by this page."""


@dataclass(frozen=True)
class Cursor:
    """Where a page starts or ends: an event's time and id (ties broken by id)."""

    created_at: datetime
    id: int

    def encode(self) -> str:
        """The cursor as it travels in a link."""
        return f"{self.created_at.strftime(_STAMP)}-{self.id}"

    @classmethod
    def decode(cls, raw: str) -> Cursor:
        """Read a cursor from a link; BadCursor if it is not one."""
        match = _CURSOR.fullmatch(raw.strip())
        if match is None:
            raise BadCursor(raw)
        try:
            return cls(datetime.strptime(match.group(1), _STAMP), int(match.group(2)))
        except ValueError:
            raise BadCursor(raw) from None


@dataclass(frozen=True)
class AuditFilters:
    """What the log is narrowed to; ``until`` is exclusive (the day after the "to" date)."""

    person_id: int | None = None
    action: str = ""
    since: datetime | None = None
    until: datetime | None = None


@dataclass(frozen=True)
class Entry:
    """One event as the log shows it."""

    id: int
    created_at: datetime
    action: str
    action_label: str
    who: str
    actor_id: int | None
    sentence: str
    subject: Subject | None
    details: dict[str, Any]


@dataclass(frozen=True)
class AuditPage:
    """One page of the log, and the cursors of the pages either side (None at an end)."""

    entries: list[Entry]
    older: str | None
    newer: str | None


def _filtered(filters: AuditFilters) -> Select[Any]:
    query = select(AuditEvent)
    if filters.person_id is not None:
        query = query.where(
            or_(
                AuditEvent.actor_id == filters.person_id,
                and_(
                    AuditEvent.target_type == "user",
                    AuditEvent.target_id == str(filters.person_id),
                ),
            )
        )
    if filters.action:
        query = query.where(AuditEvent.action == filters.action)
    if filters.since is not None:
        query = query.where(AuditEvent.created_at >= filters.since)
    if filters.until is not None:
        query = query.where(AuditEvent.created_at < filters.until)
    return query


def _older_than(cursor: Cursor) -> Any:
    return or_(
        AuditEvent.created_at < cursor.created_at,
        and_(AuditEvent.created_at == cursor.created_at, AuditEvent.id < cursor.id),
    )


def _newer_than(cursor: Cursor) -> Any:
    return or_(
        AuditEvent.created_at > cursor.created_at,
        and_(AuditEvent.created_at == cursor.created_at, AuditEvent.id > cursor.id),
    )


def _newest_first(query: Select[Any]) -> Select[Any]:
    return query.order_by(AuditEvent.created_at.desc(), AuditEvent.id.desc())


def page(
    filters: AuditFilters,
    *,
    before: Cursor | None = None,
    after: Cursor | None = None,
    size: int = PAGE_SIZE,
) -> AuditPage:
    """A page of matching events, newest first: the newest, those just older than
    ``before``, or those just newer than ``after``."""
    query = _filtered(filters)
    if after is not None:
        rows: list[AuditEvent] = list(
            db.session.scalars(
                query.where(_newer_than(after))
                .order_by(AuditEvent.created_at, AuditEvent.id)
                .limit(size + 1)
            )
        )
        has_newer, has_older = len(rows) > size, True
        events = rows[:size][::-1]
    else:
        if before is not None:
            query = query.where(_older_than(before))
        rows = list(db.session.scalars(_newest_first(query).limit(size + 1)))
        has_older, has_newer = len(rows) > size, before is not None
        events = rows[:size]
    if not events:
        return AuditPage([], None, None)
    return AuditPage(
        describe(events),
        Cursor(events[-1].created_at, events[-1].id).encode() if has_older else None,
        Cursor(events[0].created_at, events[0].id).encode() if has_newer else None,
    )


def csv_rows(filters: AuditFilters) -> Iterator[list[Any]]:
    """Every matching event as a CSV row, newest first, read a batch at a time."""
    query = _newest_first(_filtered(filters))
    last: Cursor | None = None
    while True:
        batch_query = query if last is None else query.where(_older_than(last))
        events: list[AuditEvent] = list(db.session.scalars(batch_query.limit(CSV_BATCH)))
        if not events:
            return
        for entry in describe(events):
            subject = entry.subject
            yield [
                entry.created_at.isoformat(sep=" ", timespec="seconds"),
                entry.who,
                f"{entry.who} {entry.sentence}",
                entry.action,
                subject.label if subject else "",
                subject.kind if subject else "",
                subject.id if subject else "",
                "; ".join(f"{key}={value}" for key, value in entry.details.items()),
            ]
        last = Cursor(events[-1].created_at, events[-1].id)


def _int(value: object) -> int | None:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and value.isdigit() and len(value) < 19:
        return int(value)
    return None


def describe(events: Sequence[AuditEvent]) -> list[Entry]:
    """The events in words, with everything they name loaded in one statement per kind."""
    shown = [actions.shown_details(e.action, e.details or {}) for e in events]
    targets: dict[str, set[int]] = {}
    for event in events:
        target = _int(event.target_id)
        if target is not None:
            targets.setdefault(event.target_type, set()).add(target)
    user_ids = {e.actor_id for e in events if e.actor_id is not None} | targets.get("user", set())
    cell_ids = set(targets.get("cell", set()))
    for details in shown:
        for key in ("owner_id", "person"):
            if (value := _int(details.get(key))) is not None:
                user_ids.add(value)
        if (cell := _int(details.get("cell_id"))) is not None:
            cell_ids.add(cell)

    names = _names(user_ids)
    cells = _cells(cell_ids)
    flags = _flags(targets.get("gap_flag", set()))
    grids = _grids(targets.get("grid", set()))
    insights = _insights(targets.get("safe_space_insight", set()))

    entries = []
    for event, details in zip(events, shown, strict=True):
        subject = _subject(event, details, names, cells, flags, grids, insights)
        said = Said(event.action, event.actor_id, subject, details, names, cells)
        entries.append(
            Entry(
                id=event.id,
                created_at=event.created_at,
                action=event.action,
                action_label=actions.label(event.action),
                who=actions.actor_name(event.action, event.actor_id, names),
                actor_id=event.actor_id,
                sentence=actions.describe(said),
                subject=subject,
                details=details,
            )
        )
    return entries


def _names(ids: set[int]) -> dict[int, str]:
    if not ids:
        return {}
    rows = db.session.execute(select(User.id, User.display_name).where(User.id.in_(ids)))
    return {row[0]: row[1] for row in rows}


def _cell_label(area: str, column: str) -> str:
    return f"{column} for {area}"


def _cells(ids: set[int]) -> dict[int, str]:
    if not ids:
        return {}
    rows = db.session.execute(
        select(Cell.id, ServiceArea.name, GridColumn.name)
        .join(ServiceArea, ServiceArea.id == Cell.row_id)
        .join(GridColumn, GridColumn.id == Cell.column_id)
        .where(Cell.id.in_(ids))
    )
    return {cell_id: _cell_label(area, column) for cell_id, area, column in rows}


def _flags(ids: set[int]) -> dict[int, str]:
    if not ids:
        return {}
    rows = db.session.execute(
        select(GapFlag.id, ServiceArea.name, GridColumn.name)
        .join(Cell, Cell.id == GapFlag.cell_id)
        .join(ServiceArea, ServiceArea.id == Cell.row_id)
        .join(GridColumn, GridColumn.id == Cell.column_id)
        .where(GapFlag.id.in_(ids))
    )
    return {
        flag_id: f"gap flag {flag_id} on {_cell_label(area, column)}"
        for flag_id, area, column in rows
    }


def _grids(ids: set[int]) -> dict[int, tuple[str, str]]:
    if not ids:
        return {}
    rows = db.session.execute(select(Grid.id, Grid.name, Grid.slug).where(Grid.id.in_(ids)))
    return {grid_id: (name, slug) for grid_id, name, slug in rows}


def _insights(ids: set[int]) -> dict[int, int]:
    # The insight's session only: never its text, which came from what people said.
    if not ids:
        return {}
    rows = db.session.execute(select(Insight.id, Insight.session_id).where(Insight.id.in_(ids)))
    return {row[0]: row[1] for row in rows}


def _subject(
    event: AuditEvent,
    details: dict[str, Any],
    names: dict[int, str],
    cells: dict[int, str],
    flags: dict[int, str],
    grids: dict[int, tuple[str, str]],
    insights: dict[int, int],
) -> Subject | None:
    kind, raw = event.target_type, event.target_id
    number = _int(raw)
    if kind == "safe_space_template":
        return Subject(kind, raw, "the session template")
    if not kind or number is None:
        return None
    if kind == "user":
        name = names.get(number)
        return Subject(kind, raw, name or f"person {number} (gone)", found=name is not None)
    if kind == "cell":
        label = cells.get(number)
        return Subject(kind, raw, label or f"cell {number} (gone)", found=label is not None)
    if kind == "gap_flag":
        label = flags.get(number)
        return Subject(kind, raw, label or f"gap flag {number} (gone)", found=label is not None)
    if kind == "grid":
        grid = grids.get(number)
        if grid is None:
            return Subject(kind, raw, f"grid {number} (gone)", found=False)
        return Subject(kind, raw, grid[0], ref=grid[1])
    if kind == "comment":
        cell = _int(details.get("cell_id"))
        return Subject(kind, raw, f"comment {number}", found=cell is not None, ref=str(cell or ""))
    if kind == "safe_space_session":
        return Subject(kind, raw, f"session {number}", session_id=number)
    if kind == "safe_space_insight":
        session_id = insights.get(number)
        if session_id is None:
            return Subject(kind, raw, f"insight {number} (gone)", found=False)
        label = f"insight {number} of session {session_id}"
        return Subject(kind, raw, label, session_id=session_id)
    return Subject(kind, raw, f"{kind.replace('_', ' ')} {number}", found=False)
