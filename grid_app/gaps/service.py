"""Raising gap flags and moving them through their workflow.

Every change writes a GapFlagEvent (the flag's timeline) and an AuditEvent in the same
transaction. A change made from an older version of the flag is refused with EditConflict.
"""

from __future__ import annotations

import enum
from datetime import date
from typing import cast

from sqlalchemy import Table, select, update
from sqlalchemy.orm.exc import StaleDataError

from grid_app import signals
from grid_app.audit import service as audit
from grid_app.auth.models import Actor, Role, User
from grid_app.database import insert_unless_present, recount_tally, utcnow
from grid_app.errors import EditConflict, Forbidden, Invalid
from grid_app.extensions import db
from grid_app.gaps import queries
from grid_app.gaps.models import (
    OPEN_STATUSES,
    CellFlagTally,
    FlagDayTally,
    GapFlag,
    GapFlagEvent,
    GapSeverity,
    GapStatus,
)
from grid_app.grid import service as grid_service
from grid_app.grid.models import Cell

WHAT_MAX = 2_000
NOTE_MAX = 2_000


class Action(enum.StrEnum):
    """What a manager can do to a flag; the value is the last part of its address."""

    ACKNOWLEDGE = "acknowledge"
    ASSIGN = "assign"
    START = "start"
    RESOLVE = "resolve"
    WONT_FIX = "wont-fix"
    REOPEN = "reopen"


# Each step's name on the flag's triage form.
ACTION_LABELS = {
    Action.ACKNOWLEDGE.value: "Acknowledge",
    Action.ASSIGN.value: "Assign",
    Action.START.value: "Mark as in progress",
    Action.RESOLVE.value: "Resolve",
    Action.WONT_FIX.value: "Close as won’t fix",
    Action.REOPEN.value: "Reopen",
}

# What each step needs, said beside it on the flag's one triage form.
STEP_HINTS = {
    Action.ACKNOWLEDGE.value: "Say it has been seen. A note is optional.",
    Action.ASSIGN.value: "Choose the owner below; a due date and a note are optional.",
    Action.START.value: "Say work on it has started. A note is optional.",
    Action.RESOLVE.value: "Say in the note how the gap was resolved.",
    Action.WONT_FIX.value: "Give the reason in the note.",
    Action.REOPEN.value: "Open it again. A note is optional.",
}
NOTE_HINT = (
    "Needed to resolve (how it was resolved) or to close as won’t fix (why). "
    "Up to 2,000 characters."
)

S = GapStatus
# Every allowed move: (status now, action) → status after. Anything else is refused, so a
# won't-fix flag, say, must be reopened before anyone can call it resolved.
TRANSITIONS: dict[tuple[GapStatus, Action], GapStatus] = {
    (S.OPEN, Action.ACKNOWLEDGE): S.ACKNOWLEDGED,
    # Giving a flag an owner acknowledges it too; later it keeps its status.
    (S.OPEN, Action.ASSIGN): S.ACKNOWLEDGED,
    (S.ACKNOWLEDGED, Action.ASSIGN): S.ACKNOWLEDGED,
    (S.IN_PROGRESS, Action.ASSIGN): S.IN_PROGRESS,
    (S.OPEN, Action.START): S.IN_PROGRESS,
    (S.ACKNOWLEDGED, Action.START): S.IN_PROGRESS,
    (S.OPEN, Action.RESOLVE): S.RESOLVED,
    (S.ACKNOWLEDGED, Action.RESOLVE): S.RESOLVED,
    (S.IN_PROGRESS, Action.RESOLVE): S.RESOLVED,
    (S.OPEN, Action.WONT_FIX): S.WONT_FIX,
    (S.ACKNOWLEDGED, Action.WONT_FIX): S.WONT_FIX,
    (S.IN_PROGRESS, Action.WONT_FIX): S.WONT_FIX,
    (S.RESOLVED, Action.REOPEN): S.OPEN,
    (S.WONT_FIX, Action.REOPEN): S.OPEN,
}

# The timeline's word for each action.
EVENT_KIND = {
    Action.ACKNOWLEDGE: "acknowledged",
    Action.ASSIGN: "assigned",
    Action.START: "started",
    Action.RESOLVE: "resolved",
    Action.WONT_FIX: "wont_fix",
    Action.REOPEN: "reopened",
}

# What doing an action makes of a flag, for messages.
ACTION_DONE = {
    Action.ACKNOWLEDGE: "acknowledged",
    Action.ASSIGN: "assigned",
    Action.START: "started",
    Action.RESOLVE: "resolved",
    Action.WONT_FIX: "closed as won’t fix",
    Action.REOPEN: "reopened",
}

# Closing a flag needs words saying why; the message names what to write.
NOTE_REQUIRED = {
    Action.RESOLVE: "Say how the gap was resolved.",
    Action.WONT_FIX: "Give the reason this gap will not be fixed.",
}

STATUS_WORDS = {
    S.OPEN: "open",
    S.ACKNOWLEDGED: "acknowledged",
    S.IN_PROGRESS: "in progress",
    S.RESOLVED: "resolved",
    S.WONT_FIX: "won’t fix",
}


def can_raise(actor: Actor) -> bool:
    """Anyone who can edit cells can flag a gap in one."""
    return grid_service.can_edit_cells(actor)


def can_manage(actor: Actor) -> bool:
    """Managers and admins triage, assign and close gap flags."""
    return actor.active and actor.has_role(Role.MANAGER, Role.ADMIN)


def require_manage(actor: Actor) -> None:
    """Refuse (403) anyone but a manager or an admin."""
    if not can_manage(actor):
        raise Forbidden("Only a manager can triage, assign or close a gap flag.")


def allowed_actions(flag: GapFlag) -> list[Action]:
    """The actions the flag's status allows, in the order a manager would take them."""
    return [a for a in Action if (GapStatus(flag.status), a) in TRANSITIONS]


def raise_flag(actor: User, cell: Cell, *, what_is_missing: str, severity: str) -> GapFlag:
    """Flag a gap in ``cell``: what is missing and how much it matters."""
    if not can_raise(actor):
        raise Forbidden("You can read the grid but not flag gaps in it.")
    what = grid_service.normalise_text(what_is_missing).strip()
    errors: dict[str, str] = {}
    if not what:
        errors["what_is_missing"] = "Describe what is missing."
    elif len(what) > WHAT_MAX:
        errors["what_is_missing"] = (
            f"This is {len(what):,} characters long; keep it to {WHAT_MAX:,} or fewer "
            "and link to a longer document if you need to."
        )
    if severity not in set(GapSeverity):
        errors["severity"] = "Choose how serious the gap is: low, medium or high."
    if errors:
        raise Invalid("The gap was not flagged. Check the highlighted fields.", errors)
    now = utcnow()
    flag = GapFlag(
        grid_id=cell.grid_id,
        cell_id=cell.id,
        what_is_missing=what,
        severity=severity,
        status=S.OPEN.value,
        raised_by_id=actor.id,
        created_at=now,
    )
    db.session.add(flag)
    db.session.flush()
    raised = GapFlagEvent(
        flag_id=flag.id,
        grid_id=flag.grid_id,
        actor_id=actor.id,
        created_at=now,
        kind="raised",
        to_status=S.OPEN.value,
        note=what,
    )
    db.session.add(raised)
    audit.record(actor, "gap_flag.raised", "gap_flag", flag.id, cell_id=cell.id, severity=severity)
    db.session.flush()
    retally(flag)
    tally_step(raised, severity)
    signals.gap_flag_changed.send(raised, actor=actor)
    return flag


def change(
    actor: User,
    flag: GapFlag,
    action: Action,
    *,
    expected_version: int,
    note: str = "",
    owner_id: int | None = None,
    due_date: date | None = None,
    today: date | None = None,
) -> GapFlagEvent:
    """Acknowledge, assign, start, resolve, close as won't fix or reopen ``flag``.

    ``owner_id`` and ``due_date`` are read only when assigning; ``today`` (for tests)
    defaults to today's date in UTC.
    """
    require_manage(actor)
    if flag.version != expected_version:
        raise EditConflict("Someone else changed this gap flag while you were looking at it.")
    before = GapStatus(flag.status)
    after = TRANSITIONS.get((before, action))
    if after is None:
        hint = " Reopen it first." if (before, Action.REOPEN) in TRANSITIONS else ""
        raise Invalid(
            f"A gap flag that is {STATUS_WORDS[before]} cannot be {ACTION_DONE[action]}.{hint}"
        )
    note = grid_service.normalise_text(note).strip()
    owner = _validate(action, note, owner_id, due_date, today or utcnow().date())

    now = utcnow()
    flag.status = after.value
    if owner is not None:
        flag.owner_id = owner.id
        flag.due_date = due_date
    if after in (S.RESOLVED, S.WONT_FIX):
        flag.closed_at = now
    elif action is Action.REOPEN:
        flag.closed_at = None
    try:
        db.session.flush()
    except StaleDataError as exc:
        raise EditConflict(
            "Someone else changed this gap flag while you were looking at it."
        ) from exc
    step = GapFlagEvent(
        flag_id=flag.id,
        grid_id=flag.grid_id,
        actor_id=actor.id,
        created_at=now,
        kind=EVENT_KIND[action],
        from_status=before.value,
        to_status=after.value,
        note=note,
        owner_id=flag.owner_id,
        due_date=flag.due_date,
    )
    db.session.add(step)
    audit.record(
        actor,
        f"gap_flag.{EVENT_KIND[action]}",
        "gap_flag",
        flag.id,
        from_status=before.value,
        to_status=after.value,
        owner_id=flag.owner_id,
        due_date=flag.due_date.isoformat() if flag.due_date else None,
    )
    db.session.flush()
    retally(flag)
    tally_step(step, flag.severity)
    signals.gap_flag_changed.send(step, actor=actor)
    return step


def retally(flag: GapFlag) -> None:
    """Recount the open flags of the flag's cell (what the grid page shows)."""

    recount_tally(
        db.session,
        CellFlagTally,
        flag.cell_id,
        flag.grid_id,
        lambda: queries.count_open(flag.cell_id),
    )


OPEN_VALUES = frozenset(s.value for s in OPEN_STATUSES)


def tally_step(step: GapFlagEvent, severity: str) -> None:
    """Count ``step`` in its grid's open flags of ``severity`` on its day, if it moved its
    flag into an open status or out of one (what the dashboard's weekly chart reads).

    The row is added if missing, then changed by an UPDATE that adds to it, so two steps on
    one day in two transactions queue on the row and neither is lost.
    """
    was_open = step.from_status in OPEN_VALUES
    if was_open == (step.to_status in OPEN_VALUES):
        return
    table = cast(Table, FlagDayTally.__table__)
    key = {"grid_id": step.grid_id, "day": step.created_at.date(), "severity": severity}
    insert_unless_present(db.session, table, key)
    db.session.execute(
        update(table)
        .where(*(table.c[name] == value for name, value in key.items()))
        .values(net=table.c.net + (-1 if was_open else 1))
    )


def _validate(
    action: Action, note: str, owner_id: int | None, due_date: date | None, today: date
) -> User | None:
    """Check an action's fields; return the new owner when assigning."""
    errors: dict[str, str] = {}
    if len(note) > NOTE_MAX:
        errors["note"] = f"This is {len(note):,} characters long; keep it to {NOTE_MAX:,} or fewer."
    elif not note and action in NOTE_REQUIRED:
        errors["note"] = NOTE_REQUIRED[action]
    owner: User | None = None
    if action is Action.ASSIGN:
        if owner_id is None:
            errors["owner"] = "Choose who owns this gap."
        else:
            owner = db.session.scalar(
                select(User).where(User.id == owner_id, User.active.is_(True))
            )
            if owner is None:
                errors["owner"] = "Choose a person from the list; that one is not available."
        if due_date is not None and due_date < today:
            errors["due_date"] = "The due date is in the past. Choose today or a later date."
    if errors:
        raise Invalid("Nothing was changed. Check the highlighted fields.", errors)
    return owner
