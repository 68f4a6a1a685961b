"""Erasing a person (UK GDPR Art. 17): their name and address go, their history stays.

The account's row is kept, under a placeholder ("Former colleague 12"), because the grid's
history names its authors and owners by id and seals those ids in its hash chain: deleting
the row would break the chain (the database refuses it; see grid_app/grid/models.py). What
is theirs alone (password, sign-in sessions and records, links, notifications, watches,
mail, named contributions to safe-space sessions still open) is deleted; where others' words
quote their name or address (mentions, notifications, audit details), it is replaced by the
placeholder.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable
from typing import Any

from markupsafe import escape
from sqlalchemy import ColumnElement, Text, cast, delete, func, or_, select, update

from grid_app.audit import service as audit
from grid_app.audit.models import AuditEvent
from grid_app.auth.models import (
    AccountToken,
    Actor,
    EmailFrequency,
    RecoveryCode,
    Role,
    SecondFactor,
    User,
    UserSession,
)
from grid_app.database import utcnow
from grid_app.discussion.models import Comment, CommentEdit, Notification, OutgoingMail, Watch
from grid_app.errors import Invalid
from grid_app.exchange.models import ImportUpload
from grid_app.extensions import db
from grid_app.gaps.models import GapFlag, GapFlagEvent
from grid_app.grid.models import AppliedSave
from grid_app.people import service
from grid_app.people.models import AccountRequest
from grid_app.safe_space.models import (
    Contribution,
    SafeSpaceSession,
    SessionParticipant,
    SessionStatus,
)
from grid_app.sso.models import SsoIdentity

LAST_ADMIN_ERASED = "Someone else must be an active admin before this person is erased."
# Sign-in records: the audit events that say when and from where the person signed in.
SIGN_IN_ACTIONS = (
    "auth.signed_in",
    "auth.sign_in_failed",
    "auth.signed_out",
    "auth.signed_out_everywhere",
    "auth.signed_out_elsewhere",
    "auth.session_ended",
    "sso.linked",
    "sso.refused",
    "sso.reauthenticated",
)


def placeholder_name(user_id: int) -> str:
    """The stable name an erased person is shown under."""
    return f"Former colleague {user_id}"


def placeholder_email(user_id: int) -> str:
    """The address an erased account keeps (unique, and deliverable nowhere)."""
    return f"former-colleague-{user_id}@erased.invalid"


def require_erasable(actor: Actor, user: User, confirmation: str | None = None) -> None:
    """Raise unless ``actor`` may erase ``user`` now; ``confirmation`` (from the web) must be
    the person's email address, typed again."""
    service.require_manage(actor)
    if actor.id is not None and actor.id == user.id:
        raise Invalid("Nobody was erased.", {"confirm": "Ask another admin to erase you."})
    if user.erased_at is not None:
        raise Invalid("Nobody was erased.", {"confirm": "This person has already been erased."})
    if confirmation is not None and confirmation.strip().lower() != user.email.lower():
        raise Invalid(
            "Nobody was erased.",
            {"confirm": "Type the person’s email address exactly as shown to confirm."},
        )


def erase(actor: Actor, user: User, confirmation: str | None = None) -> User:
    """Erase ``user``: replace their name and address everywhere, delete their private data,
    and audit it without naming them. Their row stays; the history still verifies."""
    require_erasable(actor, user, confirmation)
    if user.active and user.has_role(Role.ADMIN):
        service._require_another_admin(user, LAST_ADMIN_ERASED, "confirm")
    scrubber = _Scrubber(user.display_name, user.email, user.id)
    _delete_private_data(user)
    _replace_quotes(scrubber)
    user.display_name = placeholder_name(user.id)
    user.email = placeholder_email(user.id)
    user.password_hash = ""
    user.active = False
    user.email_frequency = EmailFrequency.NONE.value
    user.role_links = []
    user.erased_at = utcnow()
    db.session.flush()
    audit.record(actor, "user.erased", "user", user.id)
    return user


def _delete_private_data(user: User) -> None:
    mine = user.id
    for statement in (
        delete(UserSession).where(UserSession.user_id == mine),
        # The link to their identity at the provider: an erased person never signs in again.
        delete(SsoIdentity).where(SsoIdentity.user_id == mine),
        delete(AccountToken).where(AccountToken.user_id == mine),
        delete(SecondFactor).where(SecondFactor.user_id == mine),
        delete(RecoveryCode).where(RecoveryCode.user_id == mine),
        delete(Notification).where(Notification.user_id == mine),
        delete(Watch).where(Watch.user_id == mine),
        delete(AppliedSave).where(AppliedSave.user_id == mine),
        delete(OutgoingMail).where(OutgoingMail.user_id == mine),
        delete(ImportUpload).where(ImportUpload.created_by_id == mine),
        delete(AuditEvent).where(
            AuditEvent.action.in_(SIGN_IN_ACTIONS),
            or_(
                AuditEvent.actor_id == mine,
                (AuditEvent.target_type == "user") & (AuditEvent.target_id == str(mine)),
            ),
        ),
    ):
        db.session.execute(statement.execution_options(synchronize_session=False))
    still_open = select(SafeSpaceSession.id).where(
        SafeSpaceSession.status == SessionStatus.OPEN.value
    )
    db.session.execute(
        delete(Contribution)
        .where(Contribution.author_id == mine, Contribution.session_id.in_(still_open))
        .execution_options(synchronize_session=False)
    )
    db.session.execute(
        delete(SessionParticipant)
        .where(SessionParticipant.user_id == mine, SessionParticipant.session_id.in_(still_open))
        .execution_options(synchronize_session=False)
    )
    db.session.execute(
        delete(AccountRequest)
        .where(func.lower(AccountRequest.email) == user.email.lower())
        .execution_options(synchronize_session=False)
    )


class _Scrubber:
    """Replaces one person's name and address, as written, escaped for HTML or for JSON."""

    def __init__(self, name: str, email: str, user_id: int) -> None:
        self.name = placeholder_name(user_id)
        self.email = placeholder_email(user_id)
        names = {name, str(escape(name))} if name.strip() else set()
        emails = {email, str(escape(email))}
        self.needles = sorted({n.lower() for n in names | emails if n}, key=len, reverse=True)
        # Everywhere a name could be stored, in a JSON column too (non-ASCII letters escaped).
        self.stored = sorted(
            {n.lower() for n in self.needles} | {json.dumps(n)[1:-1].lower() for n in self.needles}
        )
        alternatives = [(re.escape(e), self.email) for e in sorted(emails, key=len, reverse=True)]
        alternatives += [
            (rf"(?<!\w){re.escape(n)}(?!\w)", self.name)
            for n in sorted(names, key=len, reverse=True)
        ]
        self._patterns = [(re.compile(p, re.IGNORECASE), r) for p, r in alternatives]

    def text(self, value: str) -> str:
        """``value`` with the person replaced by the placeholder."""
        for pattern, replacement in self._patterns:
            # A function, so that a backslash in the replacement is taken literally.
            value = pattern.sub(_literally(replacement), value)
        return value

    def value(self, value: Any) -> Any:
        """The same, through the lists and mappings of a JSON value."""
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, list):
            return [self.value(v) for v in value]
        if isinstance(value, dict):
            return {k: self.value(v) for k, v in value.items()}
        return value

    def mentioned_in(self, column: Any) -> ColumnElement[bool]:
        """Rows whose ``column`` may quote the person (checked again in Python)."""
        lowered = func.lower(cast(column, Text))
        return or_(*(lowered.contains(n, autoescape=True) for n in self.stored))


def _literally(replacement: str) -> Callable[[re.Match[str]], str]:
    return lambda _match: replacement


def _replace_quotes(scrubber: _Scrubber) -> None:
    """Rewrite every place others' words quote the person (mentions, notifications, mail,
    flags, audit details); history that is never rewritten holds ids, not names."""
    _rewrite(scrubber, Comment, ("body", "html"))
    _rewrite(scrubber, CommentEdit, ("body", "html"))
    _rewrite(scrubber, Notification, ("message",))
    _rewrite(scrubber, OutgoingMail, ("subject", "body", "to_address"))
    _rewrite(scrubber, GapFlag, ("what_is_missing",))
    _rewrite(scrubber, GapFlagEvent, ("note",))
    _rewrite(scrubber, AuditEvent, ("details",), scrubber.value)


def _rewrite(
    scrubber: _Scrubber,
    model: Any,
    names: Iterable[str],
    change: Callable[[Any], Any] | None = None,
) -> None:
    """Core UPDATEs, so that append-only wordings (CommentEdit, GapFlagEvent), whose ORM
    refuses changes, can lose the name too; the versions of comments are not bumped, so an
    edit in progress is not refused for it."""
    change = change or scrubber.text
    columns = [getattr(model, name) for name in names]
    found = db.session.execute(
        select(model.id, *columns).where(or_(*(scrubber.mentioned_in(c) for c in columns)))
    ).all()
    for row in found:
        values = {name: change(row[i + 1]) for i, name in enumerate(names)}
        db.session.execute(
            update(model)
            .where(model.id == row[0])
            .values(**values)
            .execution_options(synchronize_session=False)
        )
