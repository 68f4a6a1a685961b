"""Read-only questions about people."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from flask import current_app
from sqlalchemy import and_, func, select

from grid_app.auth.models import User, UserSession
from grid_app.database import utcnow
from grid_app.extensions import db


def active_people() -> list[User]:
    """Everyone who can be chosen as an owner, by name."""
    return list(
        db.session.scalars(select(User).where(User.active.is_(True)).order_by(User.display_name))
    )


def everyone() -> list[User]:
    """Every account, active or not, by name (for filtering history by person)."""
    return list(db.session.scalars(select(User).order_by(User.display_name)))


def active_by_email(addresses: list[str]) -> dict[str, User]:
    """The active people with these (lower-case) email addresses, by address."""
    return {
        u.email.lower(): u
        for u in db.session.scalars(
            select(User).where(func.lower(User.email).in_(addresses), User.active.is_(True))
        )
    }


def _live(now: datetime | None = None) -> Any:
    """Sessions that still let someone in: neither idle too long nor past their limit.

    Expired ones stay in the table until pruned, but nobody is signed in through them.
    """
    now = now or utcnow()
    config = current_app.config
    return and_(
        UserSession.last_seen_at >= now - timedelta(minutes=config["SESSION_IDLE_MINUTES"]),
        UserSession.created_at >= now - timedelta(hours=config["SESSION_MAX_HOURS"]),
    )


@dataclass(frozen=True)
class SessionRow:
    """One browser a person is signed in on, and whether it is the one asking."""

    session: UserSession
    current: bool


def sessions_of(user: User, current_hash: str | None) -> list[SessionRow]:
    """Where ``user`` is signed in, this browser first, then the most recently seen; one
    query however many there are."""
    found = db.session.scalars(
        select(UserSession)
        .where(UserSession.user_id == user.id, _live())
        .order_by(UserSession.last_seen_at.desc(), UserSession.id.desc())
    ).all()
    rows = [
        SessionRow(found_session, found_session.token_hash == current_hash)
        for found_session in found
    ]
    return sorted(rows, key=lambda row: not row.current)


@dataclass(frozen=True)
class SessionSummary:
    """How many browsers a person is signed in on, and when one of them was last used."""

    count: int
    last_seen: datetime | None


def session_summary(user: User) -> SessionSummary:
    """For an admin's page about ``user``: one query."""
    count, last_seen = db.session.execute(
        select(func.count(UserSession.id), func.max(UserSession.last_seen_at)).where(
            UserSession.user_id == user.id, _live()
        )
    ).one()
    return SessionSummary(int(count or 0), last_seen)
