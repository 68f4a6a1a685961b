"""What other domains announce (a cell changed, a gap flag moved, an insight needs a
look, a session invites people), turned into notifications. Imported when the package is,
so each receiver is connected exactly once."""

from __future__ import annotations

from typing import Any

from sqlalchemy import event, or_, select
from sqlalchemy.orm import Session, joinedload

from grid_app import localtime, signals
from grid_app.auth.models import OPERATOR, Actor, EmailFrequency, User
from grid_app.discussion import mail
from grid_app.discussion.models import (
    Watch,
)
from grid_app.discussion.notifications.service import (
    FLAG_WORDS,
    REVISION_WORDS,
    SUBJECT_PREFIX,
    Batch,
    K,
    place,
    who,
)
from grid_app.discussion.notifications.watching import watchers
from grid_app.extensions import db
from grid_app.grid.models import Cell, CellRevision, RevisionKind

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
    batch = Batch(actor, cell)
    verb = REVISION_WORDS.get(revision.kind, "changed")
    batch.add(watchers(cell), K.WATCHED, f"{who(actor)} {verb} {place(cell)}")
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
            batch = Batch(actor, first)
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
    batch = Batch(actor, cell, flag_id=flag.id)
    if step.kind == "raised":
        batch.add(
            watchers(cell),
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
    batch = Batch(OPERATOR, cell)
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
    local = localtime.to_local(session.starts_at)
    when = f"{local:%A %-d %B %Y at %H:%M} ({localtime.zone_name()})"
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
        # A deactivated person could not sign in to answer, and has left: tell them nothing.
        if person.active and person.email_frequency != EmailFrequency.NONE:
            mail.queue(
                to=person.email,
                subject=SUBJECT_PREFIX + subject,
                body=f"Hello {person.display_name},\n\n{text}\n",
                user_id=person.id,
            )
