"""Accounts, passwords and server-side sign-in sessions."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.orm import joinedload
from werkzeug.security import check_password_hash, generate_password_hash

from grid_app.audit import service as audit
from grid_app.auth import passwords, tokens
from grid_app.auth.models import (
    Actor,
    EmailFrequency,
    Invitation,
    Role,
    User,
    UserRole,
    UserSession,
)
from grid_app.auth.tokens import TokenPurpose
from grid_app.database import utcnow
from grid_app.discussion import mail
from grid_app.errors import Forbidden, Invalid, NotFound
from grid_app.extensions import db

# Checked when the email is unknown, so a wrong email takes as long as a wrong password.
_DUMMY_HASH: str | None = None
# A session's last-seen time is written at most this often, not on every request.
TOUCH_EVERY = timedelta(minutes=1)


def hash_password(password: str) -> str:
    """Hash a password with the configured memory-hard algorithm (scrypt by default)."""
    return generate_password_hash(password, method=current_app.config["PASSWORD_HASH_METHOD"])


def create_user(
    actor: Actor,
    email: str,
    display_name: str,
    password: str,
    roles: Iterable[Role] = (Role.CONTRIBUTOR,),
) -> User:
    """Create an account; only an admin (or the command line, with no actor) may."""
    if not actor.has_role(Role.ADMIN):
        raise Forbidden("Only an admin can add people.")
    email = email.strip().lower()
    display_name = display_name.strip()
    errors: dict[str, str] = {}
    if "@" not in email or len(email) > 254:
        errors["email"] = "Enter an email address like name@example.org."
    elif db.session.scalar(select(func.count(User.id)).where(User.email == email)):
        errors["email"] = "Someone already has this email address."
    if not display_name or len(display_name) > 120:
        errors["display_name"] = "Enter a name of up to 120 characters."
    message = passwords.problem(password, email=email, display_name=display_name)
    if message:
        errors["password"] = message
    if errors:
        raise Invalid("Check the details.", errors)
    user = User(email=email, display_name=display_name, password_hash=hash_password(password))
    user.role_links = [UserRole(role=Role(role).value) for role in roles]
    db.session.add(user)
    db.session.flush()
    audit.record(actor, "user.created", "user", user.id, roles=sorted(r.value for r in user.roles))
    return user


# Beside the password field when signing in fails, whichever of the two was wrong.
WRONG_EMAIL_OR_PASSWORD = "Check your email address and password and try again."


def sign_in(email: str, password: str) -> User | None:
    """Start a session for the active account with this email and password.

    None when they do not match (or the account is switched off): the failed attempt is
    recorded in the audit log, and that record is meant to be kept.
    """
    try:
        user = authenticate(email, password)
    except Invalid:
        return None
    start_session(user)
    return user


def authenticate(email: str, password: str) -> User:
    """Return the active account with this email and password, or raise Invalid."""
    global _DUMMY_HASH
    user = db.session.scalar(select(User).where(User.email == email.strip().lower()))
    if user is None:
        if _DUMMY_HASH is None:
            _DUMMY_HASH = hash_password(secrets.token_hex(8))
        check_password_hash(_DUMMY_HASH, password)
    ok = user is not None and check_password_hash(user.password_hash, password)
    if not ok or user is None or not user.active:
        audit.record(user, "auth.sign_in_failed", "user", user.id if user else "")
        raise Invalid(
            "The email or password is not right.",
            {"password": WRONG_EMAIL_OR_PASSWORD},
        )
    return user


def start_session(user: User) -> str:
    """Record a new signed-in session for ``user`` and return its secret token."""
    token = secrets.token_urlsafe(32)
    db.session.add(UserSession(user_id=user.id, token_hash=_hash_token(token)))
    user.attach_session(token)
    audit.record(user, "auth.signed_in", "user", user.id)
    return token


@dataclass(frozen=True)
class SessionCheck:
    """What checking a sign-in cookie found: whose it is, and what is left to record.

    Checking only reads, so that a page that changes nothing runs no write; ending an
    expired session or noting activity is written apart (``record_session_check``).
    """

    user: User | None
    session_id: int | None = None
    # The session has expired (or its account was switched off): delete its record.
    ended: bool = False
    # Activity to note, at this time (at most every TOUCH_EVERY).
    seen_at: datetime | None = None

    @property
    def needs_recording(self) -> bool:
        """Whether anything is left to write."""
        return self.ended or self.seen_at is not None


def check_session(token: str, now: datetime | None = None, touch: bool = True) -> SessionCheck:
    """Find the user of a live session token; an expired session lets nobody in.

    ``touch`` asks for the activity to be noted, which keeps the session from idling out.
    """
    now = now or utcnow()
    record = db.session.scalar(
        select(UserSession)
        .where(UserSession.token_hash == _hash_token(token))
        .options(joinedload(UserSession.user).joinedload(User.role_links))
    )
    if record is None:
        return SessionCheck(None)
    config = current_app.config
    idle = timedelta(minutes=config["SESSION_IDLE_MINUTES"])
    maximum = timedelta(hours=config["SESSION_MAX_HOURS"])
    user = record.user
    if now - record.last_seen_at > idle or now - record.created_at > maximum or not user.active:
        return SessionCheck(None, record.id, ended=True)
    user.attach_session(token)
    due = touch and now - record.last_seen_at > TOUCH_EVERY
    return SessionCheck(user, record.id, seen_at=now if due else None)


def record_session_check(check: SessionCheck) -> None:
    """Write what ``check_session`` left to record: delete an expired session's record, or
    note its activity (never moving it back, if another request noted a later time)."""
    if check.ended:
        db.session.execute(delete(UserSession).where(UserSession.id == check.session_id))
    elif check.seen_at is not None:
        db.session.execute(
            update(UserSession)
            .where(UserSession.id == check.session_id, UserSession.last_seen_at < check.seen_at)
            .values(last_seen_at=check.seen_at)
        )


def prune_sessions(now: datetime | None = None) -> int:
    """Delete the sign-in records that have idled out or passed their limit; how many.

    They no longer let anyone in (``check_session`` refuses them), but each still says when
    someone was last active, so they are not kept.
    """
    now = now or utcnow()
    config = current_app.config
    idle_since = now - timedelta(minutes=config["SESSION_IDLE_MINUTES"])
    started_before = now - timedelta(hours=config["SESSION_MAX_HOURS"])
    result = db.session.execute(
        delete(UserSession).where(
            or_(UserSession.last_seen_at < idle_since, UserSession.created_at < started_before)
        )
    )
    return int(getattr(result, "rowcount", 0) or 0)


def end_session(user: User) -> None:
    """Sign the current browser out: its cookie stops working at once."""
    if user.current_session_token:
        db.session.execute(
            delete(UserSession).where(
                UserSession.token_hash == _hash_token(user.current_session_token)
            )
        )
    audit.record(user, "auth.signed_out", "user", user.id)


def end_all_sessions(user: User) -> int:
    """Sign ``user`` out on every device; returns how many sessions ended."""
    result = db.session.execute(delete(UserSession).where(UserSession.user_id == user.id))
    audit.record(user, "auth.signed_out_everywhere", "user", user.id)
    return int(getattr(result, "rowcount", 0) or 0)


def _hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def set_email_frequency(actor: User, user: User, frequency: str) -> User:
    """Choose how often ``user`` gets notifications by email; only they may."""
    if actor.id != user.id:
        raise Forbidden("Only the person themselves can change how they get email.")
    if frequency not in set(EmailFrequency):
        raise Invalid(
            "Your choice was not saved.",
            {"email_frequency": "Choose straight away, once a day, once a week or never."},
        )
    if user.email_frequency != frequency:
        audit.record(
            actor, "user.email_frequency", "user", user.id, old=user.email_frequency, new=frequency
        )
        user.email_frequency = frequency
        db.session.flush()
    return user


# --- Passwords: forgotten, changed, or set at the command line --------------------------


def request_reset(email: str) -> None:
    """Email a single-use link to set a new password, if an active account has this address.

    Whether or not one does, nothing here says so to the caller: the page that follows is
    the same, so the form cannot be used to find out who has an account.
    """
    user = db.session.scalar(select(User).where(User.email == email.strip().lower()))
    if user is None or not user.active:
        return
    minutes = int(current_app.config["RESET_LINK_MINUTES"])
    raw = tokens.issue(user, TokenPurpose.RESET, timedelta(minutes=minutes))
    link = mail.absolute_url("auth.reset_password", token=raw)
    mail.queue(
        to=user.email,
        subject="Set a new password for the Supporting People Grid",
        body=(
            f"Hello {user.display_name},\n\n"
            "Someone (we hope you) asked to set a new password for your account on the "
            "Supporting People Grid. Open this link to choose one:\n\n"
            f"{link}\n\n"
            f"The link works once, for {minutes} minutes. If you did not ask, ignore this "
            "email: your password stays as it is.\n"
        ),
        user_id=user.id,
        secret=True,
    )
    audit.record(user, "auth.reset_requested", "user", user.id)


def _confirm(password: str, confirmation: str, user: User) -> None:
    """Raise Invalid unless the new password is acceptable and typed the same twice."""
    passwords.require_acceptable(password, email=user.email, display_name=user.display_name)
    if password != confirmation:
        raise Invalid(
            "Choose a different password.",
            {"confirm_password": "Type the same password in both boxes."},
        )


def _set_password(user: User, password: str, keep_token: str | None = None) -> int:
    """Store the new password, end the person's other sessions and unused reset links."""
    user.password_hash = hash_password(password)
    tokens.revoke(user, TokenPurpose.RESET)
    ending = delete(UserSession).where(UserSession.user_id == user.id)
    if keep_token:
        ending = ending.where(UserSession.token_hash != _hash_token(keep_token))
    result = db.session.execute(ending)
    db.session.flush()
    return int(getattr(result, "rowcount", 0) or 0)


def reset_password(raw_token: str, password: str, confirmation: str) -> User:
    """Set a new password through an emailed link, use the link up and sign the person in
    here (every other session of theirs ends).

    The link's holder acts as its person: the link is the proof of who they are. A refused
    password leaves the link usable (the caller rolls back), so the person can try again.
    """
    user = tokens.check(raw_token, TokenPurpose.RESET)
    _confirm(password, confirmation, user)
    tokens.consume(raw_token, TokenPurpose.RESET)
    ended = _set_password(user, password)
    audit.record(user, "auth.password_reset", "user", user.id, sessions_ended=ended)
    start_session(user)
    return user


# Beside the current-password field when it does not match.
WRONG_CURRENT_PASSWORD = "Your current password is not right."


def change_password(
    actor: User, user: User, current: str, password: str, confirmation: str
) -> User:
    """Change ``user``'s password; only they may, knowing the current one. Every other
    session of theirs ends; the one they are using goes on."""
    if actor.id != user.id:
        raise Forbidden("Only the person themselves can change their password.")
    if not check_password_hash(user.password_hash, current):
        raise Invalid(
            "Your password was not changed.", {"current_password": WRONG_CURRENT_PASSWORD}
        )
    _confirm(password, confirmation, user)
    ended = _set_password(user, password, keep_token=actor.current_session_token)
    audit.record(actor, "auth.password_changed", "user", user.id, sessions_ended=ended)
    return user


def set_password(actor: Actor, email: str, password: str) -> User:
    """Give the person with this address a new password and end all their sessions; only
    an admin (or the operator at the command line) may."""
    if not actor.has_role(Role.ADMIN):
        raise Forbidden("Only an admin can set someone's password.")
    user = db.session.scalar(select(User).where(User.email == email.strip().lower()))
    if user is None:
        raise NotFound("Nobody here has this email address.")
    passwords.require_acceptable(password, email=user.email, display_name=user.display_name)
    ended = _set_password(user, password)
    audit.record(actor, "auth.password_set", "user", user.id, sessions_ended=ended)
    return user


# --- Accepting an invitation --------------------------------------------------------------

NAME_MAX = 120


def accept_invitation(raw_token: str, display_name: str, password: str, confirmation: str) -> User:
    """Join through an emailed invitation: give a name and a password, use the link up,
    switch the account on and sign the person in.

    The link's holder acts as its person, as with a reset. A refused name or password leaves
    the link usable (the caller rolls back), so the person can try again.
    """
    user = tokens.check(raw_token, TokenPurpose.INVITE)
    invitation = user.invitation
    if invitation is None or not invitation.pending:
        raise tokens.LinkUsed(tokens.GONE)
    name = " ".join(display_name.split())
    if not name or len(name) > NAME_MAX:
        raise Invalid(
            "Check your details.",
            {"display_name": f"Enter your name, in up to {NAME_MAX} characters."},
        )
    user.display_name = name
    _confirm(password, confirmation, user)
    now = utcnow()
    tokens.consume(raw_token, TokenPurpose.INVITE, now)
    user.password_hash = hash_password(password)
    user.active = True
    invitation.accepted_at = now
    db.session.flush()
    audit.record(user, "user.invitation_accepted", "user", user.id)
    start_session(user)
    return user


def invitation_of_link(raw: str) -> Invitation | None:
    """The invitation a link was sent for, whatever became of it (to say who to ask)."""
    token = tokens.find(raw, TokenPurpose.INVITE)
    return token.user.invitation if token else None
