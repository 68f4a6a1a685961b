"""Accounts linked to the identity provider, and how people may sign in."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from grid_app.auth.models import User
from grid_app.database import Base, utcnow


class SsoIdentity(Base):
    """A person at the identity provider (its issuer and subject id) linked to an account.

    Matched on every later sign-in by these two alone: an email address can be given to
    someone else at the provider, a subject id is never reused.
    """

    __tablename__ = "sso_identity"
    __table_args__ = (UniqueConstraint("issuer", "subject"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(
        ForeignKey("user_account.id", ondelete="CASCADE"), index=True
    )
    issuer: Mapped[str] = mapped_column(String(255))
    subject: Mapped[str] = mapped_column(String(255))
    linked_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_used_at: Mapped[datetime] = mapped_column(default=utcnow)

    user: Mapped[User] = relationship()


class SignInPolicy(Base):
    """How people may sign in, set by an admin (one row at most).

    With ``passwords_off`` (and single sign-on configured), only the break-glass admin may
    still use a password: for when the provider is down or misconfigured.
    """

    __tablename__ = "sign_in_policy"

    id: Mapped[int] = mapped_column(primary_key=True)
    passwords_off: Mapped[bool] = mapped_column(default=False)
    break_glass_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL")
    )
    changed_at: Mapped[datetime] = mapped_column(default=utcnow)
    changed_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL")
    )

    break_glass: Mapped[User | None] = relationship(foreign_keys=[break_glass_id])
