"""Sealing: anonymous contributions join the board in shuffled batches.

An anonymous contribution is first written to ``safe_space_waiting`` by its author's own
request, so that row's transaction id (PostgreSQL's ``xmin``) and place sit next to its
author's audited page views. Sealing rewrites every waiting contribution of a session into
``safe_space_contribution`` in one transaction that no participant's request causes (the
facilitator's action, the session's close, or the scheduled ``seal-contributions``
command), with fresh random keys, in the order of those keys, and deletes the waiting rows.
After that the sealed rows share one transaction id, their order is that of random keys,
and they carry no time.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, func, select

from grid_app.audit import service as audit
from grid_app.auth.models import User
from grid_app.database import utcnow
from grid_app.extensions import db
from grid_app.safe_space.models import (
    Contribution,
    SafeSpaceSession,
    WaitingContribution,
    new_key,
)
from grid_app.safe_space.service._common import require_facilitator, require_unpurged


def waiting_count(meeting: SafeSpaceSession) -> int:
    """How many anonymous contributions wait to be sealed into the session's board."""
    return (
        db.session.scalar(
            select(func.count())
            .select_from(WaitingContribution)
            .where(
                WaitingContribution.session_id == meeting.id,
                WaitingContribution.body.is_not(None),
            )
        )
        or 0
    )


def seal_meeting(actor: User, meeting: SafeSpaceSession) -> int:
    """The facilitator adds the waiting anonymous contributions to the board; how many."""
    require_facilitator(actor, meeting)
    require_unpurged(meeting)
    sealed = seal(meeting)
    if sealed:
        audit.record(
            actor, "safe_space.contributions_sealed", "safe_space_session", meeting.id, count=sealed
        )
    return sealed


def seal(meeting: SafeSpaceSession) -> int:
    """Rewrite the session's waiting contributions into the board, shuffled; how many.

    The caller decides when (see the module's docstring); nothing here is audited with a
    participant's name. Rows are locked first, so two sealers never copy one row twice.
    """
    waiting = list(
        db.session.scalars(
            select(WaitingContribution)
            .where(WaitingContribution.session_id == meeting.id)
            .with_for_update()
        )
    )
    if not waiting:
        return 0
    sealed = [
        Contribution(
            id=new_key(),
            session_id=meeting.id,
            anonymous=True,
            body=row.body,
            withdrawn=row.body is None,
            receipt_hash=row.receipt_hash,
        )
        for row in waiting
    ]
    db.session.execute(
        delete(WaitingContribution).where(WaitingContribution.id.in_([row.id for row in waiting])),
        execution_options={"synchronize_session": False},
    )
    for row in waiting:
        db.session.expunge(row)
    # Written in the order of their new random keys: the order on disk is no order at all.
    sealed.sort(key=lambda contribution: contribution.id)
    db.session.add_all(sealed)
    db.session.flush()
    return len(sealed)


@dataclass(frozen=True)
class SealItem:
    """One session the scheduled seal sealed, and how many contributions joined its board."""

    session_id: int
    title: str
    sealed: int


def seal_due(now: datetime | None = None, *, batch: int, after_minutes: int) -> list[SealItem]:
    """Seal every session whose waiting contributions are due: at least ``batch`` wait, the
    oldest has waited ``after_minutes``, or the session is no longer open."""
    now = now or utcnow()
    rows = db.session.execute(
        select(
            WaitingContribution.session_id,
            func.count(),
            func.min(WaitingContribution.waiting_since),
        ).group_by(WaitingContribution.session_id)
    ).all()
    items = []
    for session_id, count, oldest in sorted(rows, key=lambda row: row[0]):
        meeting = db.session.get_one(SafeSpaceSession, session_id)
        due = (
            count >= batch
            or oldest <= now - timedelta(minutes=after_minutes)
            or not meeting.is_open
        )
        if due:
            items.append(SealItem(meeting.id, meeting.title, seal(meeting)))
    return items
