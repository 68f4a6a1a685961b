"""Inviting people by email: one at a time, in bulk, resending and cancelling.

An invited person has an account from the start, switched off and with no password, so
nobody can sign in as them; the emailed single-use link lets them choose a name and a
password, which switches it on (auth.service.accept_invitation). Admins invite; managers
too once an admin allows it, though never as admins.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import func, select

from grid_app.audit import service as audit
from grid_app.auth import tokens
from grid_app.auth.models import Actor, Invitation, Role, User, UserRole
from grid_app.auth.tokens import TokenPurpose
from grid_app.database import utcnow
from grid_app.discussion import mail
from grid_app.errors import Forbidden, Invalid
from grid_app.extensions import db
from grid_app.people import service
from grid_app.people.models import PeopleSetting

MANAGERS_INVITE = "managers_invite"
NAME_MAX = 120
# Enough to catch a typing slip; the email itself is the real test of an address.
ADDRESS = re.compile(r"^[^@\s<>(),;:\"\[\]]+@[^@\s<>(),;:\"\[\]]+\.[^@\s<>(),;:\"\[\].]+$")

BAD_ADDRESS = "Enter an email address like name@example.org."
HAS_ACCOUNT = "{email} already has an account here."
ALREADY_INVITED = "{email} has already been invited: resend the invitation from their page."


def clean_address(raw: str) -> str | None:
    """The address in lower case, or None when it does not look like one."""
    email = raw.strip().lower()
    if len(email) > 254 or not ADDRESS.match(email):
        return None
    return email


def managers_may_invite() -> bool:
    """Whether an admin has let managers invite people."""
    setting = db.session.get(PeopleSetting, MANAGERS_INVITE)
    return bool(setting and setting.enabled)


def can_invite(actor: Actor) -> bool:
    """Admins may invite; managers when an admin allows it."""
    if actor.has_role(Role.ADMIN):
        return True
    return actor.has_role(Role.MANAGER) and managers_may_invite()


def require_invite(actor: Actor) -> None:
    """Raise Forbidden unless ``actor`` may invite people."""
    if not can_invite(actor):
        raise Forbidden("Only an admin, or a manager when an admin allows it, can invite people.")


def grantable_roles(actor: Actor) -> list[Role]:
    """The roles ``actor`` may give an invited person: a manager may not make admins."""
    return [r for r in Role if r is not Role.ADMIN or actor.has_role(Role.ADMIN)]


def set_managers_may_invite(actor: Actor, allowed: bool) -> bool:
    """Let managers invite people, or stop them; audited. Changing nothing writes nothing."""
    service.require_manage(actor)
    setting = db.session.get(PeopleSetting, MANAGERS_INVITE)
    before = bool(setting and setting.enabled)
    if before == allowed:
        return allowed
    if setting is None:
        setting = PeopleSetting(name=MANAGERS_INVITE)
        db.session.add(setting)
    setting.enabled = allowed
    setting.changed_at = utcnow()
    setting.changed_by_id = actor.id
    db.session.flush()
    audit.record(
        actor, "people.setting_changed", "setting", MANAGERS_INVITE, before=before, after=allowed
    )
    return allowed


def check_roles(actor: Actor, roles: Iterable[str]) -> set[Role]:
    """The roles named, refusing unknown ones, none at all, and admin from a non-admin."""
    chosen = service.parse_roles(roles)
    if not chosen:
        raise Invalid("Nobody was invited.", {"roles": "Choose at least one role."})
    if Role.ADMIN in chosen and not actor.has_role(Role.ADMIN):
        raise Forbidden("Only an admin can give the admin role.")
    return chosen


def account_for(email: str) -> User | None:
    """The account with this (clean) address, invited or not."""
    return db.session.scalar(select(User).where(func.lower(User.email) == email))


def refusal(user: User | None) -> str | None:
    """Why this address cannot be invited afresh, or None when it can."""
    if user is None or user.status == "cancelled":
        return None
    if user.status == "invited":
        return ALREADY_INVITED.format(email=user.email)
    return HAS_ACCOUNT.format(email=user.email)


def invite(
    actor: Actor,
    email: str,
    roles: Iterable[str],
    display_name: str = "",
    now: datetime | None = None,
) -> User:
    """Create an invited account with ``roles`` and email its person a link to join."""
    require_invite(actor)
    errors: dict[str, str] = {}
    clean = clean_address(email)
    existing = None
    if clean is None:
        errors["email"] = BAD_ADDRESS
    else:
        existing = account_for(clean)
        reason = refusal(existing)
        if reason:
            errors["email"] = reason
    name = " ".join(display_name.split())
    if len(name) > NAME_MAX:
        errors["display_name"] = f"Keep the name to {NAME_MAX} characters or fewer."
    try:
        chosen = check_roles(actor, roles)
    except Invalid as error:
        errors.update(error.field_errors)
        chosen = set()
    if errors or clean is None:
        raise Invalid("Nobody was invited. Check the highlighted fields.", errors)
    now = now or utcnow()
    user = existing or User(email=clean, display_name="", password_hash="", active=False)
    user.display_name = name
    wanted = {r.value for r in chosen}
    held = {link.role for link in user.role_links}
    # Links kept as they are, so the unique (person, role) pair is never inserted twice.
    user.role_links = [link for link in user.role_links if link.role in wanted] + [
        UserRole(role=value) for value in sorted(wanted - held)
    ]
    if user.invitation is None:
        user.invitation = Invitation()
    invitation = user.invitation
    invitation.invited_by_id = actor.id
    invitation.invited_at = now
    invitation.cancelled_at = None
    db.session.add(user)
    db.session.flush()
    _send(actor, user, invitation, now)
    audit.record(
        actor,
        "user.invited",
        "user",
        user.id,
        email=user.email,
        roles=sorted(r.value for r in chosen),
        again=existing is not None,
    )
    return user


def _require_pending(user: User) -> Invitation:
    invitation = user.invitation
    if invitation is None or not invitation.pending or user.active:
        raise Invalid(
            "Nothing was changed.", {"invitation": "This person has no invitation waiting."}
        )
    return invitation


def resend(actor: Actor, user: User, now: datetime | None = None) -> User:
    """Email a new link to an invited person; the link sent before stops working."""
    require_invite(actor)
    invitation = _require_pending(user)
    _send(actor, user, invitation, now or utcnow())
    audit.record(actor, "user.invitation_resent", "user", user.id, email=user.email)
    return user


def cancel(actor: Actor, user: User, now: datetime | None = None) -> User:
    """Take an invitation back: its link stops working and the account stays switched off.

    The row is kept, so the audit log and the link's page still name the person, and the
    address can be invited again later.
    """
    service.require_manage(actor)
    invitation = _require_pending(user)
    now = now or utcnow()
    invitation.cancelled_at = now
    tokens.revoke(user, TokenPurpose.INVITE, now)
    db.session.flush()
    audit.record(actor, "user.invitation_cancelled", "user", user.id, email=user.email)
    return user


def _send(actor: Actor, user: User, invitation: Invitation, now: datetime) -> None:
    """Issue a fresh link (earlier ones stop working) and queue the email that carries it."""
    days = int(current_app.config["INVITATION_DAYS"])
    raw = tokens.issue(user, TokenPurpose.INVITE, timedelta(days=days))
    invitation.sent_at = now
    link = mail.absolute_url("auth.accept_invitation", token=raw)
    inviter = actor.display_name if actor.id is not None else "An administrator"
    greeting = f"Hello {user.display_name}," if user.display_name else "Hello,"
    mail.queue(
        to=user.email,
        subject="You are invited to the Supporting People Grid",
        body=(
            f"{greeting}\n\n"
            f"{inviter} has invited you to the Supporting People Grid, the shared record of "
            "the council's anti-racist and disproportionality work. Open this link to give "
            "your name, choose a password and sign in:\n\n"
            f"{link}\n\n"
            f"The link works once, for {days} days. If you were not expecting this, ignore "
            "this email: no account can be used without it.\n"
        ),
        user_id=user.id,
        secret=True,
    )
