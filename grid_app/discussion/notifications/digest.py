"""Daily and weekly digests of unread notifications, by email."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from grid_app import localtime
from grid_app.auth.models import EmailFrequency, User
from grid_app.database import utcnow
from grid_app.discussion import mail
from grid_app.discussion.models import (
    Notification,
    OutgoingMail,
)
from grid_app.discussion.notifications.service import SUBJECT_PREFIX, settings_footer
from grid_app.errors import Invalid
from grid_app.extensions import db

PERIODS = {"daily": EmailFrequency.DAILY, "weekly": EmailFrequency.WEEKLY}


def digest_key(period: str, person: User, now: datetime) -> str:
    """The key of one person's digest for the day or ISO week containing ``now``."""
    if period == "daily":
        stamp = now.date().isoformat()
    else:
        year, week, _ = now.isocalendar()
        stamp = f"{year}-W{week:02d}"
    return f"{period}:{stamp}:{person.id}"


def queue_digests(period: str, now: datetime | None = None) -> list[str]:
    """Queue a digest for each person who chose ``period``, of what they have not read.

    Safe to run twice: a person's digest for a day (or week) is keyed and never queued
    again, and each notification goes out by email once at most. Returns the addresses.
    """
    if period not in PERIODS:
        raise Invalid("The period must be daily or weekly.")
    now = now or utcnow()
    people = db.session.scalars(
        select(User).where(User.active.is_(True), User.email_frequency == PERIODS[period].value)
    ).all()
    if not people:
        return []
    keys = {p.id: digest_key(period, p, now) for p in people}
    done = set(
        db.session.scalars(
            select(OutgoingMail.digest_key).where(OutgoingMail.digest_key.in_(keys.values()))
        )
    )
    waiting = [p for p in people if keys[p.id] not in done]
    pending: dict[int, list[Notification]] = {p.id: [] for p in waiting}
    for note in db.session.scalars(
        select(Notification)
        .where(
            Notification.user_id.in_(pending),
            Notification.emailed_at.is_(None),
            Notification.created_at <= now,
        )
        .order_by(Notification.id)
    ):
        pending[note.user_id].append(note)
    sent = []
    for person in waiting:
        notes = pending[person.id]
        for note in notes:
            note.emailed_at = now
        unread = [n for n in notes if not n.is_read]
        if not unread:
            continue
        mail.queue(
            to=person.email,
            subject=f"{SUBJECT_PREFIX}{len(unread)} new notification"
            f"{'' if len(unread) == 1 else 's'} ({'today' if period == 'daily' else 'this week'})",
            body=_digest_body(person, unread, period),
            user_id=person.id,
            digest_key=keys[person.id],
        )
        sent.append(person.email)
    db.session.flush()
    return sent


def _digest_body(person: User, notes: list[Notification], period: str) -> str:
    lines = [f"Hello {person.display_name},", "", "Since your last digest:", ""]
    zone = localtime.zone_name()
    for note in notes:
        link = mail.absolute_url("discussion.open_notification", notification_id=note.id)
        at = localtime.to_local(note.created_at)
        lines.append(f"- {at:%-d %b %H:%M} {zone}: {note.message}.\n  {link}")
    lines += [
        "",
        f"All your notifications: {mail.absolute_url('discussion.notifications_page')}",
        "",
    ]
    lines.append(settings_footer("as a daily digest" if period == "daily" else "once a week"))
    return "\n".join(lines)
