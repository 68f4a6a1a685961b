"""Safe-space sessions: who is invited, what they contribute, themes, consent and insights.

What participants write is special category personal data. Two rules shape these tables:
- An anonymous contribution holds nothing that leads back to its author: no user id, no
  time (the session's date is the only time), and a random key. It first waits, unseen,
  in its own table; it joins the board when it is sealed: rewritten, with the others
  waiting, in one shuffled batch by a transaction no participant causes. So once sealed,
  nothing the database keeps (row order, transaction id, time, a neighbouring audit event
  of its author) orders it against anything its author did. On SQLite both tables have no
  rowid (``WITHOUT ROWID``), whose numbers would say in what order rows were written.
- Raw text (contributions, theme notes) goes at purge; sessions, counts, consents and
  insights stay.
"""

from __future__ import annotations

import enum
import hashlib
import secrets
from datetime import datetime

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from grid_app.auth.models import User
from grid_app.database import Base, utcnow
from grid_app.grid.models import Cell


class SessionStatus(enum.StrEnum):
    """Open sessions take contributions; closed ones wait for their purge."""

    OPEN = "open"
    CLOSED = "closed"


def text_hash(text: str) -> str:
    """A fingerprint of an insight's wording: consent is given to these exact words."""
    return hashlib.sha256(text.encode()).hexdigest()


def new_key() -> str:
    """A random key for a contribution (no order, no time in it)."""
    return secrets.token_hex(16)


class GroundRulesTemplate(Base):
    """The default ground rules and signposting a new session starts from (one row)."""

    __tablename__ = "safe_space_template"

    id: Mapped[int] = mapped_column(primary_key=True)
    ground_rules: Mapped[str] = mapped_column(Text)
    signposting: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL"), default=None
    )


class SafeSpaceSession(Base):
    """A facilitated session with ground rules, invited participants and contributions."""

    __tablename__ = "safe_space_session"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    starts_at: Mapped[datetime]
    ground_rules: Mapped[str] = mapped_column(Text)
    # Raised whenever the ground rules change, so that everyone accepts the new wording.
    rules_version: Mapped[int] = mapped_column(default=1)
    signposting: Mapped[str] = mapped_column(Text)
    retention_days: Mapped[int] = mapped_column(default=90)
    facilitator_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL"), index=True
    )
    status: Mapped[str] = mapped_column(String(10), default=SessionStatus.OPEN.value)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    closed_at: Mapped[datetime | None] = mapped_column(default=None)
    purged_at: Mapped[datetime | None] = mapped_column(default=None)
    # How many contributions there were when the raw text was purged.
    purged_contribution_count: Mapped[int | None] = mapped_column(default=None)

    facilitator: Mapped[User | None] = relationship()
    participants: Mapped[list[SessionParticipant]] = relationship(
        back_populates="meeting", cascade="all, delete-orphan", order_by="SessionParticipant.id"
    )

    @property
    def is_open(self) -> bool:
        """True while participants can add, edit and withdraw contributions."""
        return self.status == SessionStatus.OPEN

    @property
    def is_purged(self) -> bool:
        """True once the raw contributions are gone."""
        return self.purged_at is not None


class SessionParticipant(Base):
    """A person invited to a session, and whether they accepted its ground rules."""

    __tablename__ = "safe_space_participant"
    __table_args__ = (UniqueConstraint("session_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("safe_space_session.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(
        ForeignKey("user_account.id", ondelete="CASCADE"), index=True
    )
    invited_at: Mapped[datetime] = mapped_column(default=utcnow)
    rules_accepted_version: Mapped[int | None] = mapped_column(default=None)
    rules_accepted_at: Mapped[datetime | None] = mapped_column(default=None)

    meeting: Mapped[SafeSpaceSession] = relationship(back_populates="participants")
    user: Mapped[User] = relationship()


class Theme(Base):
    """A facilitator's grouping of contributions: a short name and working notes."""

    __tablename__ = "safe_space_theme"

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(
        ForeignKey("safe_space_session.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(120))
    notes: Mapped[str] = mapped_column(Text, default="")
    # Kept at purge, when the contributions themselves go.
    purged_contribution_count: Mapped[int | None] = mapped_column(default=None)


class WaitingContribution(Base):
    """An anonymous contribution not yet sealed: seen by nobody, withdrawable by receipt."""

    __tablename__ = "safe_space_waiting"
    __table_args__ = ({"sqlite_with_rowid": False},)

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_key)
    session_id: Mapped[int] = mapped_column(
        ForeignKey("safe_space_session.id", ondelete="CASCADE"), index=True
    )
    # None once withdrawn: it is sealed as a withdrawn contribution, so its receipt code
    # stays used and the withdrawal touches no row but this one.
    body: Mapped[str | None] = mapped_column(Text)
    receipt_hash: Mapped[str] = mapped_column(String(64), unique=True)
    # Only so that the scheduled seal knows when the set time has passed; the row and its
    # time are deleted when it is sealed.
    waiting_since: Mapped[datetime] = mapped_column(default=utcnow)


class Contribution(Base):
    """What a participant said: named (with its author) or anonymous (with no link at all)."""

    __tablename__ = "safe_space_contribution"
    __table_args__ = ({"sqlite_with_rowid": False},)

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_key)
    session_id: Mapped[int] = mapped_column(
        ForeignKey("safe_space_session.id", ondelete="CASCADE"), index=True
    )
    anonymous: Mapped[bool]
    # Only for a named contribution; always None for an anonymous one.
    author_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL"), default=None, index=True
    )
    # None once withdrawn.
    body: Mapped[str | None] = mapped_column(Text)
    theme_id: Mapped[int | None] = mapped_column(
        ForeignKey("safe_space_theme.id", ondelete="SET NULL"), default=None, index=True
    )
    hidden: Mapped[bool] = mapped_column(default=False)
    edited: Mapped[bool] = mapped_column(default=False)
    # A withdrawn anonymous contribution keeps its receipt's hash, so the code cannot be
    # used again; the text is gone.
    withdrawn: Mapped[bool] = mapped_column(default=False)
    receipt_hash: Mapped[str | None] = mapped_column(String(64), unique=True, default=None)

    author: Mapped[User | None] = relationship()
    theme: Mapped[Theme | None] = relationship()


class Insight(Base):
    """An anonymised summary drafted from a theme, which may be promoted into a cell."""

    __tablename__ = "safe_space_insight"

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(
        ForeignKey("safe_space_session.id", ondelete="CASCADE"), index=True
    )
    theme_id: Mapped[int | None] = mapped_column(
        ForeignKey("safe_space_theme.id", ondelete="SET NULL"), default=None
    )
    text: Mapped[str] = mapped_column(Text)
    drafted_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # The group's agreement for anonymous contributions, recorded by the facilitator, for
    # the wording whose hash it holds.
    group_consent_at: Mapped[datetime | None] = mapped_column(default=None)
    group_consent_note: Mapped[str] = mapped_column(String(500), default="")
    group_consent_hash: Mapped[str | None] = mapped_column(String(64), default=None)
    promoted_at: Mapped[datetime | None] = mapped_column(default=None)
    cell_id: Mapped[int | None] = mapped_column(
        ForeignKey("cell.id", ondelete="SET NULL"), default=None
    )
    revision_id: Mapped[int | None] = mapped_column(
        ForeignKey("cell_revision.id", ondelete="SET NULL"), default=None
    )
    # Set when consent is withdrawn after promotion: the facilitator should look again.
    needs_review: Mapped[bool] = mapped_column(default=False)

    theme: Mapped[Theme | None] = relationship()
    cell: Mapped[Cell | None] = relationship()

    @property
    def is_promoted(self) -> bool:
        """True once the insight is in the grid."""
        return self.promoted_at is not None

    @property
    def group_agreed(self) -> bool:
        """True when the group's agreement covers the current wording."""
        return self.group_consent_hash == text_hash(self.text)


class Consent(Base):
    """A named contributor's answer to an insight drawn from a theme they contributed to."""

    __tablename__ = "safe_space_consent"
    __table_args__ = (UniqueConstraint("insight_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    insight_id: Mapped[int] = mapped_column(ForeignKey("safe_space_insight.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"))
    agreed: Mapped[bool]
    text_hash: Mapped[str] = mapped_column(String(64))
    decided_at: Mapped[datetime] = mapped_column(default=utcnow)

    user: Mapped[User] = relationship()
