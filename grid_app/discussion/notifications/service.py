"""Telling people: one notification per person per event, the most specific reason
winning, and an email straight away for those who want one; marking notifications read.

Nobody is told of their own doing. Emails carry where and who, never what was written:
the words stay behind the sign-in."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import or_, select, update

from grid_app.auth.models import Actor, EmailFrequency, User
from grid_app.database import utcnow
from grid_app.discussion import mail
from grid_app.discussion.models import (
    Comment,
    Mention,
    Notification,
    NotificationKind,
)
from grid_app.discussion.notifications.watching import watchers
from grid_app.errors import NotFound
from grid_app.extensions import db
from grid_app.grid.models import Cell

K = NotificationKind


REVISION_WORDS = {
    "edit": "changed",
    "restore": "restored an earlier version of",
    "import": "imported new text into",
    "insight": "added an insight to",
    "review": "marked as reviewed",
}
FLAG_WORDS = {
    "acknowledged": "acknowledged",
    "assigned": "assigned an owner to",
    "started": "started work on",
    "resolved": "resolved",
    "wont_fix": "closed as won’t fix",
    "reopened": "reopened",
}


# --- Telling people ---------------------------------------------------------------------


def place(cell: Cell) -> str:
    """Where a cell is, in words: "Social work × Evidence"."""
    return f"{cell.row.name} × {cell.column.name}"


class Batch:
    """The notifications one event causes: one per person, the most specific reason wins."""

    def __init__(self, actor: Actor, cell: Cell, **links: int | None) -> None:
        self.actor_id = actor.id
        self.cell = cell
        self.links = links
        self.messages: dict[int, tuple[NotificationKind, str]] = {}

    def add(self, user_ids: Iterable[int | None], kind: NotificationKind, text: str) -> None:
        for user_id in user_ids:
            if user_id is not None and user_id != self.actor_id and user_id not in self.messages:
                self.messages[user_id] = (kind, text)

    def send(self) -> list[Notification]:
        if not self.messages:
            return []
        people = db.session.scalars(
            select(User).where(User.id.in_(self.messages), User.active.is_(True))
        ).all()
        now = utcnow()
        made = []
        for person in people:
            kind, text = self.messages[person.id]
            note = Notification(
                user_id=person.id,
                kind=kind.value,
                message=text[:400],
                cell_id=self.cell.id,
                actor_id=self.actor_id,
                created_at=now,
                **self.links,
            )
            db.session.add(note)
            made.append((person, note))
        db.session.flush()
        for person, note in made:
            if person.email_frequency == EmailFrequency.IMMEDIATE:
                _email_now(person, note)
        return [note for _, note in made]


def comment_added(actor: User, comment: Comment, mentioned: list[User]) -> list[Notification]:
    """Tell the people named, the thread's other voices and the cell's watchers."""
    cell = comment.cell
    where = place(cell)
    _record_mentions(comment, mentioned)
    batch = Batch(actor, cell, comment_id=comment.id)
    batch.add(
        (p.id for p in mentioned),
        K.MENTION,
        f"{actor.display_name} mentioned you in a comment on {where}",
    )
    if comment.parent_id is not None:
        thread_author, others = _thread_voices(comment.parent_id)
        batch.add(
            [thread_author], K.REPLY, f"{actor.display_name} replied to your comment on {where}"
        )
        batch.add(others, K.REPLY, f"{actor.display_name} replied in a thread on {where}")
        batch.add(watchers(cell), K.WATCHED, f"{actor.display_name} replied in a thread on {where}")
    else:
        batch.add(watchers(cell), K.WATCHED, f"{actor.display_name} commented on {where}")
    return batch.send()


def comment_edited(actor: User, comment: Comment, mentioned: list[User]) -> list[Notification]:
    """Tell only the people an edit newly mentions."""
    already = set(
        db.session.scalars(select(Mention.user_id).where(Mention.comment_id == comment.id))
    )
    new = [p for p in mentioned if p.id not in already]
    _record_mentions(comment, new)
    batch = Batch(actor, comment.cell, comment_id=comment.id)
    batch.add(
        (p.id for p in new),
        K.MENTION,
        f"{actor.display_name} mentioned you in a comment on {place(comment.cell)}",
    )
    return batch.send()


def _record_mentions(comment: Comment, people: list[User]) -> None:
    db.session.add_all(Mention(comment_id=comment.id, user_id=p.id) for p in people)


def _thread_voices(thread_id: int) -> tuple[int | None, set[int]]:
    """The thread's author, and everyone else who replied in it."""
    rows = db.session.execute(
        select(Comment.id, Comment.author_id).where(
            or_(Comment.id == thread_id, Comment.parent_id == thread_id)
        )
    ).all()
    author = next((a for c, a in rows if c == thread_id), None)
    return author, {a for c, a in rows if c != thread_id and a is not None}


def who(actor: Actor) -> str:
    """How a notification names the person who acted; nobody for the command line."""
    return actor.display_name


# Cells an import changed in this transaction, by who imported them: (actor, cell ids).

# --- Email ------------------------------------------------------------------------------

SUBJECT_PREFIX = "[Supporting People Grid] "


def _email_now(person: User, note: Notification) -> None:
    link = mail.absolute_url("discussion.open_notification", notification_id=note.id)
    mail.queue(
        to=person.email,
        subject=SUBJECT_PREFIX + note.message,
        body=(
            f"Hello {person.display_name},\n\n{note.message}.\n\nOpen it: {link}\n\n"
            + settings_footer("each time something happens")
        ),
        user_id=person.id,
    )
    note.emailed_at = utcnow()


def settings_footer(how: str) -> str:
    profile = mail.absolute_url("auth.profile")
    return (
        f"You get these emails {how}. To change that, or to stop them, "
        f"go to your profile: {profile}\n"
    )


def mark_read(actor: User, note: Notification) -> Notification:
    """Mark one of the actor's notifications read."""
    if note.user_id != actor.id:
        raise NotFound("There is no such notification.")
    if note.read_at is None:
        note.read_at = utcnow()
        db.session.flush()
    return note


def mark_all_read(actor: User) -> int:
    """Mark all the actor's notifications read; returns how many were unread."""
    result = db.session.execute(
        update(Notification)
        .where(Notification.user_id == actor.id, Notification.read_at.is_(None))
        .values(read_at=utcnow())
    )
    return int(getattr(result, "rowcount", 0))
