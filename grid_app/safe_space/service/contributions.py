"""Contributions, named or anonymous: adding, editing, withdrawing, moderating.

Nothing here writes an audit event, log line or notification that names the author of an
anonymous contribution, or says when it was written. An anonymous contribution waits,
unseen, until it is sealed into the board (see ``sealing``)."""

from __future__ import annotations

import hashlib
import secrets

from sqlalchemy import func, select

from grid_app.audit import service as audit
from grid_app.auth.models import User
from grid_app.errors import Forbidden, Invalid
from grid_app.extensions import db
from grid_app.safe_space.models import (
    Contribution,
    Insight,
    SafeSpaceSession,
    WaitingContribution,
)
from grid_app.safe_space.service._common import (
    CONTRIBUTION_MAX,
    RECEIPT_ALPHABET,
    SESSION_CONTRIBUTIONS_MAX,
    check_access,
    clean,
    require_facilitator,
    require_joined,
    require_open,
    require_unpurged,
    text_errors,
)
from grid_app.safe_space.service.insights import ask_review

# --- Contributions -----------------------------------------------------------------------


def add_contribution(
    actor: User, meeting: SafeSpaceSession, *, body: str, anonymous: bool | None
) -> tuple[Contribution | WaitingContribution, str | None]:
    """Add what a participant said. A named one is on the board at once; an anonymous one
    waits to be sealed and gets a receipt code (returned this once). ``anonymous`` None
    means the person has not chosen, which is refused: nobody is named by default."""
    require_joined(actor, meeting)
    require_open(meeting, "adding a contribution")
    body = _body(body, anonymous)
    _require_room(meeting)
    added: Contribution | WaitingContribution
    receipt = None
    if anonymous:
        receipt = _new_receipt()
        added = WaitingContribution(
            session_id=meeting.id, body=body, receipt_hash=_receipt_hash(receipt)
        )
    else:
        added = Contribution(session_id=meeting.id, anonymous=False, body=body, author_id=actor.id)
    db.session.add(added)
    db.session.flush()
    return added, receipt


def _require_room(meeting: SafeSpaceSession) -> None:
    """Refuse a contribution beyond the session's bound (a runaway script, not a person)."""
    held = (
        db.session.scalar(
            select(func.count())
            .select_from(Contribution)
            .where(Contribution.session_id == meeting.id)
        )
        or 0
    ) + (
        db.session.scalar(
            select(func.count())
            .select_from(WaitingContribution)
            .where(WaitingContribution.session_id == meeting.id)
        )
        or 0
    )
    if held >= SESSION_CONTRIBUTIONS_MAX:
        raise Invalid(
            "Your contribution was not saved.",
            {
                "body": f"This session already holds {SESSION_CONTRIBUTIONS_MAX:,} "
                "contributions, as many as one session can. Ask the facilitator to start "
                "another session."
            },
        )


def edit_contribution(actor: User, contribution: Contribution, body: str) -> None:
    """Change one's own named contribution while the session is open."""
    meeting = require_own_named(actor, contribution)
    require_open(meeting, "editing a contribution")
    body = _body(body)
    if body != contribution.body:
        contribution.body = body
        contribution.edited = True
    db.session.flush()


def withdraw_contribution(actor: User, contribution: Contribution) -> None:
    """Take back one's own named contribution while the session is open."""
    meeting = require_own_named(actor, contribution)
    require_open(meeting, "withdrawing a contribution here")
    _withdraw(contribution)


def withdraw_by_receipt(actor: User, meeting: SafeSpaceSession, code: str) -> None:
    """Take back an anonymous contribution with its receipt code (until the purge)."""
    check_access(actor, meeting)
    require_unpurged(meeting)
    cleaned = code.strip().upper().replace(" ", "")
    if not cleaned:
        raise Invalid("No contribution was withdrawn.", {"code": "Enter your receipt code."})
    receipt_hash = _receipt_hash(cleaned)
    waiting = db.session.scalar(
        select(WaitingContribution).where(
            WaitingContribution.session_id == meeting.id,
            WaitingContribution.receipt_hash == receipt_hash,
        )
    )
    if waiting is not None:
        if waiting.body is None:
            raise Invalid(
                "No contribution was withdrawn.",
                {"code": "That code has already been used: its contribution was withdrawn."},
            )
        # Never seen: its text goes now, and it is sealed as withdrawn with the others.
        waiting.body = None
        db.session.flush()
        return
    contribution = db.session.scalar(
        select(Contribution).where(
            Contribution.session_id == meeting.id,
            Contribution.receipt_hash == receipt_hash,
        )
    )
    if contribution is None:
        raise Invalid(
            "No contribution was withdrawn.",
            {"code": "That code does not match a contribution in this session. Check it."},
        )
    if contribution.withdrawn:
        raise Invalid(
            "No contribution was withdrawn.",
            {"code": "That code has already been used: its contribution was withdrawn."},
        )
    _withdraw(contribution)


def _withdraw(contribution: Contribution) -> None:
    contribution.withdrawn = True
    contribution.body = None
    theme_id = contribution.theme_id
    contribution.theme_id = None
    db.session.flush()
    if theme_id is not None:
        ask_review(select(Insight).where(Insight.theme_id == theme_id))


def require_own_named(actor: User, contribution: Contribution) -> SafeSpaceSession:
    """The contribution's session, if ``actor`` wrote it with their name and it stands."""
    meeting = db.session.get_one(SafeSpaceSession, contribution.session_id)
    check_access(actor, meeting)
    if contribution.anonymous or contribution.author_id != actor.id:
        raise Forbidden("You can change only your own named contributions.")
    if contribution.withdrawn:
        raise Invalid("This contribution has been withdrawn.")
    return meeting


def set_hidden(actor: User, contribution: Contribution, hidden: bool) -> None:
    """Hide a contribution from the other participants, or show it again (moderation)."""
    meeting = db.session.get_one(SafeSpaceSession, contribution.session_id)
    require_facilitator(actor, meeting)
    require_unpurged(meeting)
    if contribution.hidden != hidden:
        contribution.hidden = hidden
        audit.record(
            actor,
            "safe_space.contribution_hidden" if hidden else "safe_space.contribution_shown",
            "safe_space_session",
            meeting.id,
        )
    db.session.flush()


def _body(body: str, anonymous: bool | None = False) -> str:
    body = clean(body)
    errors = text_errors("body", body, CONTRIBUTION_MAX, "your contribution")
    if not body:
        errors = {"body": "Write something to contribute."}
    if anonymous is None:
        errors["anonymous"] = "Choose whether your name goes with your contribution."
    if errors:
        raise Invalid("Your contribution was not saved.", errors)
    return body


def _new_receipt() -> str:
    raw = "".join(secrets.choice(RECEIPT_ALPHABET) for _ in range(12))
    return "-".join(raw[i : i + 4] for i in range(0, 12, 4))


def _receipt_hash(code: str) -> str:
    return hashlib.sha256(code.replace("-", "").upper().encode()).hexdigest()
