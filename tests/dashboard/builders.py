"""Helpers for building a grid's history with known dates."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from grid_app.auth.models import User
from grid_app.extensions import db
from grid_app.gaps import service as gaps_service
from grid_app.gaps.models import GapFlag, GapFlagEvent
from grid_app.grid import service as grid_service
from grid_app.grid.models import Cell, GridColumn, ServiceArea
from tests.conftest import GridRef, Person


def person(who: Person) -> User:
    return db.session.get_one(User, who.id)


def cell(grid: GridRef, where: tuple[str, str]) -> Cell:
    return db.session.get_one(Cell, grid.cells[where])


def backdate_grid(grid: GridRef, days: int = 400) -> None:
    """Make the grid's rows and columns exist since ``days`` ago (charts count them then)."""
    long_ago = datetime.now() - timedelta(days=days)
    for model in (ServiceArea, GridColumn):
        for part in db.session.scalars(db.select(model).where(model.grid_id == grid.id)):
            part.created_at = long_ago


def write(
    who: Person,
    grid: GridRef,
    where: tuple[str, str],
    text: str = "",
    *,
    at: datetime,
    owners: list[int] | None = None,
) -> None:
    """Save a cell through the service, as if at ``at``."""
    found = cell(grid, where)
    grid_service.save_cell(
        person(who), found, expected_version=found.version, text=text, owner_ids=owners, at=at
    )


def flag(
    grid: GridRef,
    where: tuple[str, str],
    severity: str,
    steps: list[tuple[datetime, str | None, str]],
    *,
    due: date | None = None,
    owner: int | None = None,
) -> GapFlag:
    """A flag whose timeline is ``steps``: (time, from status, to status), first one raising it."""
    raised_at, _, _ = steps[0]
    last = steps[-1][2]
    found = GapFlag(
        grid_id=grid.id,
        cell_id=grid.cells[where],
        what_is_missing=f"{severity} gap in {where[1]} for {where[0]}",
        severity=severity,
        status=last,
        created_at=raised_at,
        closed_at=steps[-1][0] if last in ("resolved", "wont_fix") else None,
        due_date=due,
        owner_id=owner,
    )
    db.session.add(found)
    db.session.flush()
    for at, before, after in steps:
        step = GapFlagEvent(
            flag_id=found.id,
            grid_id=grid.id,
            created_at=at,
            kind="raised" if before is None else "step",
            from_status=before,
            to_status=after,
        )
        db.session.add(step)
        # Counted for the weekly chart as the service counts each step it writes.
        gaps_service.tally_step(step, severity)
    db.session.flush()
    gaps_service.retally(found)
    return found
