"""Read-only questions about people."""

from __future__ import annotations

from sqlalchemy import func, select

from grid_app.auth.models import User
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
