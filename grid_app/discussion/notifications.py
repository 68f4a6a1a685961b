"""Telling people what they need to know, under their bell and by email as they choose.

People hear of: being mentioned in a comment, replies in threads they take part in, changes,
comments and new gap flags on cells or service areas they watch, gap flags assigned to them,
and every status change of a gap flag they raised. Nobody is told of their own doing, and one
event tells each person once (a mention outranks a reply, which outranks a watch).

Emails carry where and who, never what was written: the words stay behind the sign-in.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import event, func, or_, select, update
from sqlalchemy.orm import Session, joinedload

from grid_app import signals
from grid_app.auth import queries as auth_queries
from grid_app.auth.models import OPERATOR, Actor, EmailFrequency, User
from grid_app.database import utcnow
from grid_app.discussion import mail
from grid_app.discussion.models import (
    Comment,
    Mention,
    Notification,
    NotificationKind,
    OutgoingMail,
    Watch,
)
from grid_app.errors import Forbidden, Invalid, NotFound
from grid_app.extensions import db
from grid_app.grid.models import Cell, CellRevision, RevisionKind, ServiceArea

K = NotificationKind

# "@someone@example.org": a mention names a person by their email address, which is unique.
MENTION = re.compile(r"(?<![\w@.])@([A-Za-z0-9._%+'-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+)")
MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!<>|~])")

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


# --- Mentions ---------------------------------------------------------------------------


def mentioned_people(body: str, refusal: str) -> list[User]:
    """The people ``body`` mentions; an address that is not someone here is Invalid,
    with ``refusal`` as its message."""
    addresses = list(dict.fromkeys(a.lower() for a in MENTION.findall(body)))
    if not addresses:
        return []
    found = auth_queries.active_by_email(addresses)
    unknown = [a for a in addresses if a not in found]
    if unknown:
        names = ", ".join(f"@{a}" for a in unknown)
        raise Invalid(
            refusal,
            {
                "body": f"No one here has the address {names}. Pick people from the "
                "suggestions as you type @, or remove the @."
            },
        )
    return [found[a] for a in addresses]


def show_mentions(body: str, people: Iterable[User]) -> str:
    """The Markdown to render: each "@address" shown as the person's name, in bold."""
    names = {p.email.lower(): p.display_name for p in people}

    def name(match: re.Match[str]) -> str:
        found = names.get(match.group(1).lower())
        if found is None:
            return match.group(0)
        return "**@" + MARKDOWN_SPECIAL.sub(r"\\\1", found) + "**"

    return MENTION.sub(name, body)


# --- Suggestions ------------------------------------------------------------------------

SUGGESTIONS = 8


def suggest_people(actor: User, typed: str) -> list[User]:
    """Active people whose name or address starts with (or has a word starting with)
    ``typed``, other than the actor. discussion.service.suggest_people checks who may ask."""
    typed = typed.strip().lower()[:60]
    if not typed:
        return []
    like = typed.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    name = func.lower(User.display_name)
    return list(
        db.session.scalars(
            select(User)
            .where(
                User.active.is_(True),
                User.id != actor.id,
                or_(
                    name.like(f"{like}%", escape="\\"),
                    name.like(f"% {like}%", escape="\\"),
                    func.lower(User.email).like(f"{like}%", escape="\\"),
                ),
            )
            .order_by(User.display_name, User.id)
            .limit(SUGGESTIONS)
        )
    )


# --- Watching ---------------------------------------------------------------------------


@dataclass(frozen=True)
class WatchState:
    """Whether a person watches a cell, and its whole service area."""

    cell: bool
    row: bool


def watch_state(user: User, cell: Cell) -> WatchState:
    """What ``user`` watches of ``cell``: the cell itself, its service area, both or neither."""
    found = db.session.execute(
        select(Watch.cell_id, Watch.row_id).where(
            Watch.user_id == user.id, or_(Watch.cell_id == cell.id, Watch.row_id == cell.row_id)
        )
    ).all()
    return WatchState(
        cell=any(c == cell.id for c, _ in found), row=any(r == cell.row_id for _, r in found)
    )


def set_watch(actor: User, cell: Cell, *, whole_row: bool, on: bool) -> WatchState:
    """Start or stop watching ``cell`` (or, with ``whole_row``, its service area)."""
    if not actor.active:
        raise Forbidden("Your account is not active.")
    target = Watch.row_id == cell.row_id if whole_row else Watch.cell_id == cell.id
    existing = db.session.scalar(select(Watch).where(Watch.user_id == actor.id, target))
    if on and existing is None:
        if whole_row:
            db.session.add(Watch(user_id=actor.id, row_id=cell.row_id, created_at=utcnow()))
        else:
            db.session.add(Watch(user_id=actor.id, cell_id=cell.id, created_at=utcnow()))
    elif not on and existing is not None:
        db.session.delete(existing)
    db.session.flush()
    return watch_state(actor, cell)


def stop_watching(actor: User, watch_id: int) -> str:
    """Stop one of the actor's watches; returns what it was, in words."""
    found = db.session.get(Watch, watch_id)
    if found is None or found.user_id != actor.id:
        raise NotFound("You are not watching that.")
    if found.row is not None:
        thing = found.row.name
    else:
        cell = db.session.get_one(Cell, found.cell_id)
        thing = f"{cell.column.name} for {cell.row.name}"
    db.session.delete(found)
    db.session.flush()
    return thing


def watches(user: User) -> list[Watch]:
    """Everything ``user`` watches, service areas first, each with what it needs to show."""
    found = db.session.scalars(
        select(Watch)
        .where(Watch.user_id == user.id)
        .options(
            joinedload(Watch.cell).joinedload(Cell.row),
            joinedload(Watch.cell).joinedload(Cell.column),
            joinedload(Watch.row),
        )
        .order_by(Watch.created_at, Watch.id)
    )
    return sorted(found, key=lambda w: w.cell_id is not None)


def _watchers(cell: Cell) -> set[int]:
    return set(
        db.session.scalars(
            select(Watch.user_id).where(or_(Watch.cell_id == cell.id, Watch.row_id == cell.row_id))
        )
    )


# --- Telling people ---------------------------------------------------------------------


def place(cell: Cell) -> str:
    """Where a cell is, in words: "Social work × Evidence"."""
    return f"{cell.row.name} × {cell.column.name}"


class _Batch:
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
    batch = _Batch(actor, cell, comment_id=comment.id)
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
        batch.add(
            _watchers(cell), K.WATCHED, f"{actor.display_name} replied in a thread on {where}"
        )
    else:
        batch.add(_watchers(cell), K.WATCHED, f"{actor.display_name} commented on {where}")
    return batch.send()


def comment_edited(actor: User, comment: Comment, mentioned: list[User]) -> list[Notification]:
    """Tell only the people an edit newly mentions."""
    already = set(
        db.session.scalars(select(Mention.user_id).where(Mention.comment_id == comment.id))
    )
    new = [p for p in mentioned if p.id not in already]
    _record_mentions(comment, new)
    batch = _Batch(actor, comment.cell, comment_id=comment.id)
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
IMPORTED = "grid_app.imported_cells"


@signals.cell_changed.connect
def _cell_changed(revision: CellRevision, *, actor: Actor, **_: Any) -> None:
    """Tell the people watching a cell, or its service area, that it changed."""
    if revision.kind == RevisionKind.IMPORT.value:
        # An import changes many cells at once: each watcher hears of it once, at commit.
        pending = db.session.info.setdefault(IMPORTED, {})
        pending.setdefault(actor.id, (actor, []))[1].append(revision.cell_id)
        return
    cell = db.session.get_one(Cell, revision.cell_id)
    batch = _Batch(actor, cell)
    verb = REVISION_WORDS.get(revision.kind, "changed")
    batch.add(_watchers(cell), K.WATCHED, f"{who(actor)} {verb} {place(cell)}")
    batch.send()


@event.listens_for(Session, "before_commit")
def _tell_of_imports(session: Session) -> None:
    """One notification per watcher per import, naming how many watched cells it changed."""
    pending = session.info.pop(IMPORTED, None)
    for actor, cell_ids in (pending or {}).values():
        cells = {
            c.id: c
            for c in session.scalars(
                select(Cell)
                .where(Cell.id.in_(cell_ids))
                .options(joinedload(Cell.row), joinedload(Cell.column))
            )
        }
        watched: dict[int, list[Cell]] = {}
        for user_id, cell_id, row_id in session.execute(
            select(Watch.user_id, Watch.cell_id, Watch.row_id).where(
                or_(
                    Watch.cell_id.in_(cells),
                    Watch.row_id.in_({c.row_id for c in cells.values()}),
                )
            )
        ):
            hits = [c for c in cells.values() if c.id == cell_id or c.row_id == row_id]
            seen = watched.setdefault(user_id, [])
            seen.extend(c for c in hits if c not in seen)
        for user_id, hits in watched.items():
            hits.sort(key=lambda c: c.id)
            first = hits[0]
            if len(hits) == 1:
                text = f"{who(actor)} imported new text into {place(first)}"
            else:
                text = (
                    f"{who(actor)} imported changes to {len(hits)} cells you watch, "
                    f"{place(first)} among them"
                )
            batch = _Batch(actor, first)
            batch.add([user_id], K.WATCHED, text)
            batch.send()


@event.listens_for(Session, "after_rollback")
def _forget_imports(session: Session) -> None:
    session.info.pop(IMPORTED, None)


@signals.gap_flag_changed.connect
def _gap_flag_changed(step: Any, *, actor: User, **_: Any) -> None:
    """Tell a flag's new owner, its raiser of each change, and watchers of a new flag."""
    flag = step.flag
    cell = flag.cell
    where = place(cell)
    batch = _Batch(actor, cell, flag_id=flag.id)
    if step.kind == "raised":
        batch.add(
            _watchers(cell),
            K.WATCHED,
            f"{actor.display_name} flagged a {flag.severity} gap on {where}",
        )
    else:
        if step.kind == "assigned":
            due = f", due {flag.due_date:%-d %B %Y}" if flag.due_date else ""
            batch.add(
                [flag.owner_id],
                K.FLAG_ASSIGNED,
                f"{actor.display_name} assigned you a gap on {where}{due}",
            )
        verb = FLAG_WORDS.get(step.kind, "changed")
        batch.add(
            [flag.raised_by_id],
            K.FLAG_STATUS,
            f"{actor.display_name} {verb} the gap you flagged on {where}",
        )
    batch.send()


@signals.insight_needs_review.connect
def _insight_needs_review(_insight: Any, *, cell: Cell, recipient_id: int | None, **_: Any) -> None:
    """Ask the facilitator to look again at an insight they promoted.

    Names nobody: the withdrawal may have been an anonymous contributor's.
    """
    batch = _Batch(OPERATOR, cell)
    batch.add(
        [recipient_id],
        K.INSIGHT_REVIEW,
        f"Consent or a contribution behind the insight you promoted into {place(cell)} "
        "was withdrawn: review it",
    )
    batch.send()


@signals.session_request.connect
def _session_request(
    session: Any, *, actor: User, people: list[User], insight_id: int | None, **_: Any
) -> None:
    """Email people invited to a safe-space session, or asked to agree to an insight, unless
    they asked for no email. Who and when, and a link; never the title or any wording."""
    when = f"{session.starts_at:%A %-d %B %Y at %H:%M}"
    if insight_id is None:
        subject = f"{actor.display_name} invited you to a safe-space session"
        link = mail.absolute_url("safe_space.show", session_id=session.id)
        text = (
            f"{actor.display_name} invited you to a safe-space session on {when}.\n\n"
            f"Read its ground rules and join it: {link}\n\n"
            "Only the facilitator and the people invited can see what is said there."
        )
    else:
        subject = f"{actor.display_name} asks whether you agree to an insight"
        link = mail.absolute_url("safe_space.insight", session_id=session.id, insight_id=insight_id)
        text = (
            f"{actor.display_name} has worded an insight from what you said, with your name, "
            f"in the safe-space session on {when}. It goes into the grid only if you agree.\n\n"
            f"Read it and answer: {link}"
        )
    for person in people:
        if person.email_frequency != EmailFrequency.NONE:
            mail.queue(
                to=person.email,
                subject=SUBJECT_PREFIX + subject,
                body=f"Hello {person.display_name},\n\n{text}\n",
                user_id=person.id,
            )


# --- Email ------------------------------------------------------------------------------

SUBJECT_PREFIX = "[Supporting People Grid] "


def _email_now(person: User, note: Notification) -> None:
    link = mail.absolute_url("discussion.open_notification", notification_id=note.id)
    mail.queue(
        to=person.email,
        subject=SUBJECT_PREFIX + note.message,
        body=(
            f"Hello {person.display_name},\n\n{note.message}.\n\nOpen it: {link}\n\n"
            + _settings_footer("each time something happens")
        ),
        user_id=person.id,
    )
    note.emailed_at = utcnow()


def _settings_footer(how: str) -> str:
    profile = mail.absolute_url("auth.profile")
    return (
        f"You get these emails {how}. To change that, or to stop them, "
        f"go to your profile: {profile}\n"
    )


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
    for note in notes:
        link = mail.absolute_url("discussion.open_notification", notification_id=note.id)
        lines.append(f"- {note.created_at:%-d %b %H:%M} UTC: {note.message}.\n  {link}")
    lines += [
        "",
        f"All your notifications: {mail.absolute_url('discussion.notifications_page')}",
        "",
    ]
    lines.append(_settings_footer("as a daily digest" if period == "daily" else "once a week"))
    return "\n".join(lines)


# --- Reading ----------------------------------------------------------------------------


def notification_for(actor: User, notification_id: int) -> Notification:
    """One of the actor's own notifications; anyone else's is not found."""
    note = db.session.get(Notification, notification_id)
    if note is None or note.user_id != actor.id:
        raise NotFound("There is no such notification.")
    return note


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


def unread_count(user_id: int) -> int:
    """How many notifications the person has not read (the number on the bell)."""
    return int(
        db.session.scalar(
            select(func.count(Notification.id)).where(
                Notification.user_id == user_id, Notification.read_at.is_(None)
            )
        )
        or 0
    )


PAGE = 25


@dataclass
class NotificationPage:
    """A page of someone's notifications, newest first, and where the next page starts."""

    items: list[Notification]
    next_before: int | None


def page(user: User, before: int | None = None, size: int = PAGE) -> NotificationPage:
    """The person's notifications, newest first, with each one's cell place loaded."""
    query = (
        select(Notification)
        .where(Notification.user_id == user.id)
        .options(
            joinedload(Notification.cell).joinedload(Cell.row).load_only(ServiceArea.name),
            joinedload(Notification.cell).joinedload(Cell.column),
        )
        .order_by(Notification.id.desc())
        .limit(size + 1)
    )
    if before is not None:
        query = query.where(Notification.id < before)
    items = list(db.session.scalars(query))
    more = len(items) > size
    items = items[:size]
    return NotificationPage(items, items[-1].id if more else None)
