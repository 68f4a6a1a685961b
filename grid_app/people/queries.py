"""Read-only questions an admin asks about people: the list, and what one person holds."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Subquery, exists, func, or_, select
from sqlalchemy.orm import joinedload, selectinload

from grid_app.audit.models import AuditEvent
from grid_app.auth.models import Invitation, Role, User, UserRole, UserSession
from grid_app.errors import NotFound
from grid_app.extensions import db
from grid_app.gaps.models import OPEN_STATUSES, GapFlag
from grid_app.grid.models import Cell, ColumnKind, Grid, GridColumn, ServiceArea, cell_owner

PAGE_SIZE = 25
# Status filter values; "" is everyone.
ACTIVE = "active"
INVITED = "invited"
DEACTIVATED = "deactivated"


@dataclass(frozen=True)
class PeopleFilters:
    """What the list is narrowed to: words in a name or address, a role, a status."""

    search: str = ""
    role: Role | None = None
    status: str = ""


@dataclass(frozen=True)
class PersonRow:
    """One line of the list: the person (roles loaded) and when they last signed in."""

    user: User
    last_sign_in: datetime | None


@dataclass(frozen=True)
class PeoplePage:
    """One page of the list."""

    rows: list[PersonRow]
    page: int
    has_more: bool


def _last_sign_ins() -> Subquery:
    # The audit log keeps every sign-in, whereas session rows are pruned once they expire.
    return (
        select(AuditEvent.actor_id, func.max(AuditEvent.created_at).label("at"))
        .where(AuditEvent.action == "auth.signed_in")
        .group_by(AuditEvent.actor_id)
        .subquery()
    )


def people_page(filters: PeopleFilters, page: int = 1, size: int = PAGE_SIZE) -> PeoplePage:
    """People by name, a page at a time, in two queries however many there are."""
    signed_in = _last_sign_ins()
    query = (
        select(User, signed_in.c.at)
        .outerjoin(signed_in, signed_in.c.actor_id == User.id)
        .options(selectinload(User.role_links), selectinload(User.invitation))
        .order_by(func.lower(User.display_name), User.id)
    )
    if filters.search:
        # Typed % and _ are matched as themselves, not as wildcards.
        escaped = (
            filters.search.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        )
        pattern = f"%{escaped}%"
        query = query.where(
            or_(
                func.lower(User.display_name).like(pattern, escape="\\"),
                func.lower(User.email).like(pattern, escape="\\"),
            )
        )
    if filters.role is not None:
        query = query.where(
            exists().where(UserRole.user_id == User.id, UserRole.role == filters.role.value)
        )
    waiting = exists().where(
        Invitation.user_id == User.id,
        Invitation.accepted_at.is_(None),
        Invitation.cancelled_at.is_(None),
    )
    if filters.status == ACTIVE:
        query = query.where(User.active.is_(True))
    elif filters.status == INVITED:
        query = query.where(User.active.is_(False), waiting)
    elif filters.status == DEACTIVATED:
        query = query.where(User.active.is_(False), ~waiting)
    found = db.session.execute(query.offset((page - 1) * size).limit(size + 1)).all()
    rows = [PersonRow(user, at) for user, at in found[:size]]
    return PeoplePage(rows, page, len(found) > size)


def person(user_id: int) -> User:
    """One person, with their roles; NotFound if there is nobody with this id."""
    user = db.session.scalar(
        select(User)
        .where(User.id == user_id)
        .options(
            selectinload(User.role_links),
            selectinload(User.invitation).joinedload(Invitation.invited_by),
        )
    )
    if user is None:
        raise NotFound("There is nobody here with this id.")
    return user


def last_sign_in(user: User) -> datetime | None:
    """When ``user`` last signed in, if ever."""
    return db.session.scalar(
        select(func.max(AuditEvent.created_at)).where(
            AuditEvent.action == "auth.signed_in", AuditEvent.actor_id == user.id
        )
    )


@dataclass(frozen=True)
class OwnedArea:
    """A service area whose owner cell names the person."""

    grid: Grid
    area: ServiceArea
    cell: Cell


def owned_areas(user: User) -> list[OwnedArea]:
    """The live service areas the person is named as an owner of, by grid and position."""
    found = db.session.scalars(
        select(Cell)
        .join(cell_owner, cell_owner.c.cell_id == Cell.id)
        .join(ServiceArea, ServiceArea.id == Cell.row_id)
        .join(GridColumn, GridColumn.id == Cell.column_id)
        .join(Grid, Grid.id == Cell.grid_id)
        .where(
            cell_owner.c.user_id == user.id,
            GridColumn.kind == ColumnKind.PEOPLE.value,
            GridColumn.archived_at.is_(None),
            ServiceArea.archived_at.is_(None),
        )
        .options(joinedload(Cell.row), joinedload(Cell.grid))
        .order_by(Grid.name, ServiceArea.position, GridColumn.position)
    ).all()
    return [OwnedArea(cell.grid, cell.row, cell) for cell in found]


def open_flags(user: User) -> list[GapFlag]:
    """The gap flags assigned to the person that still need work, oldest first."""
    return list(
        db.session.scalars(
            select(GapFlag)
            .where(
                GapFlag.owner_id == user.id,
                GapFlag.status.in_([s.value for s in OPEN_STATUSES]),
            )
            .options(joinedload(GapFlag.cell).joinedload(Cell.row))
            .options(joinedload(GapFlag.cell).joinedload(Cell.column))
            .order_by(GapFlag.created_at, GapFlag.id)
        ).all()
    )


def session_count() -> int:
    """How many sign-in sessions there are, everyone's, this one included."""
    return int(db.session.scalar(select(func.count(UserSession.id))) or 0)
