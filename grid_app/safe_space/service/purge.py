"""Retention: raw contributions are deleted once a closed session's period has passed."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, func, select

from grid_app.audit import service as audit
from grid_app.auth.models import OPERATOR
from grid_app.database import utcnow
from grid_app.extensions import db
from grid_app.safe_space.models import (
    Contribution,
    SafeSpaceSession,
    Theme,
    WaitingContribution,
)

# --- Retention ---------------------------------------------------------------------------


@dataclass(frozen=True)
class PurgeItem:
    """A session whose raw text is (or would be) purged."""

    session_id: int
    title: str
    closed_at: datetime
    contributions: int


def purge_due(now: datetime | None = None, *, dry_run: bool = False) -> list[PurgeItem]:
    """Delete raw contributions and theme notes of sessions past their retention period.

    Keeps the session, its themes' names and counts, consents and insights. With
    ``dry_run`` nothing changes and the list says what would go.
    """
    now = now or utcnow()
    due = [
        s
        for s in db.session.scalars(
            select(SafeSpaceSession)
            .where(SafeSpaceSession.closed_at.is_not(None), SafeSpaceSession.purged_at.is_(None))
            .order_by(SafeSpaceSession.closed_at)
        )
        if s.closed_at is not None and s.closed_at + timedelta(days=s.retention_days) <= now
    ]
    items = []
    for meeting in due:
        counts = dict(
            db.session.execute(
                select(Contribution.theme_id, func.count())
                .where(Contribution.session_id == meeting.id, Contribution.withdrawn.is_(False))
                .group_by(Contribution.theme_id)
            ).all()
        )
        total = sum(counts.values())
        assert meeting.closed_at is not None
        items.append(PurgeItem(meeting.id, meeting.title, meeting.closed_at, total))
        if dry_run:
            continue
        for theme in db.session.scalars(select(Theme).where(Theme.session_id == meeting.id)):
            theme.purged_contribution_count = counts.get(theme.id, 0)
            theme.notes = ""
        for model in (Contribution, WaitingContribution):
            db.session.execute(delete(model).where(model.session_id == meeting.id))
        meeting.purged_at = now
        meeting.purged_contribution_count = total
        audit.record(
            OPERATOR,
            "safe_space.session_purged",
            "safe_space_session",
            meeting.id,
            contributions=total,
        )
    db.session.flush()
    return items
