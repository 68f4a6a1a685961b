"""Accounts, passwords and server-side sign-in sessions."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from email_validator import EmailNotValidError, validate_email
from flask import current_app
from sqlalchemy import bindparam, delete, func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload
from werkzeug.security import check_password_hash, generate_password_hash

from grid_app.audit import service as audit
from grid_app.auth import devices, passwords, tokens
from grid_app.auth.models import (
    Actor,
    EmailFrequency,
    Invitation,
    Role,
    SecondFactor,
    SignInMethod,
    User,
    UserRole,
    UserSession,
)
from grid_app.auth.tokens import TokenPurpose
from grid_app.database import utcnow
from grid_app.discussion import mail
from grid_app.errors import EditConflict, Forbidden, Invalid, NotFound
from grid_app.extensions import db
from grid_app.sso import queries as sso_queries

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


# Beside the current-password field when it does not match.
WRONG_CURRENT_PASSWORD = "Your current password is not right."
# Beside the password field when signing in fails, whichever of the two was wrong.
WRONG_EMAIL_OR_PASSWORD = "Check your email address and password and try again."
# When an admin has switched passwords off and single sign-on is the way in.
PASSWORDS_OFF = (
    "Passwords are switched off here. Use the single sign-on button at the top of the page."
)


def sign_in(
    email: str, password: str, user_agent: str = "", replaces: str | None = None
) -> User | None:
    """Start a session for the active account with this email and password.

    None when they do not match (or the account is switched off): the failed attempt is
    recorded in the audit log, and that record is meant to be kept. ``user_agent`` is the
    browser's User-Agent header, kept only as a short label of browser and system.
    ``replaces`` is the token of the session this browser was already signed in with: it
    ends when the new one starts, and lives on if the attempt fails. Someone with an
    authenticator app is not signed in by a password alone (None).
    """
    try:
        user = authenticate(email, password)
    except Invalid:
        return None
    if has_second_factor(user):
        # A password alone is not enough for them: the sign-in page goes through
        # second_factor.begin_sign_in, which asks for the code.
        return None
    start_session(user, user_agent, replaces=replaces)
    return user


def has_second_factor(user: User) -> bool:
    """Whether the person has a confirmed authenticator app, so a password alone (or a
    reset link) must not start a session."""
    return bool(
        db.session.scalar(
            select(func.count(SecondFactor.id)).where(
                SecondFactor.user_id == user.id, SecondFactor.confirmed_at.is_not(None)
            )
        )
    )


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
    if not sso_queries.password_allowed(user):
        # Only someone who knows the password learns that it is switched off.
        audit.record(user, "auth.sign_in_failed", "user", user.id, reason="passwords_off")
        raise Invalid(PASSWORDS_OFF, {"password": PASSWORDS_OFF})
    return user


def start_session(
    user: User, user_agent: str = "", replaces: str | None = None, method: str = "password"
) -> str:
    """Record a new signed-in session for ``user`` and return its secret token.

    Every way in (a password, an emailed link, single sign-on with ``method`` "sso") starts
    its session here. Every sign-in gets a new token; the session with the token
    ``replaces`` (the one the browser had before, if any) ends, so a token planted in or
    copied from the browser before signing in is worth nothing after it.
    """
    if replaces:
        db.session.execute(
            delete(UserSession).where(UserSession.token_hash == _hash_token(replaces))
        )
    token = secrets.token_urlsafe(32)
    now = utcnow()
    db.session.add(
        UserSession(
            user_id=user.id,
            token_hash=_hash_token(token),
            device=devices.describe(user_agent),
            proved_at=now,
            method=SignInMethod(method).value,
        )
    )
    user.attach_session(token, now, SignInMethod(method).value)
    via = {"method": method} if method != "password" else {}
    audit.record(user, "auth.signed_in", "user", user.id, **via)
    return token


def record_proof(
    user: User, method: SignInMethod | None = None, now: datetime | None = None
) -> None:
    """Note that the person has just proved who they are in the session this request runs
    under (a password, an authenticator or recovery code, a sign-in through single sign-on).

    Sensitive actions look at this time (REAUTH_MINUTES). ``method`` also records how the
    session was signed in; a sign-in through single sign-on calls this with
    ``SignInMethod.SSO`` right after ``start_session``, and a fresh provider sign-in later
    calls it with no method, which leaves it as it was.
    """
    token = user.current_session_token
    if not token:
        return
    now = now or utcnow()
    values: dict[str, object] = {"proved_at": now}
    if method is not None:
        values["method"] = SignInMethod(method).value
    db.session.execute(
        update(UserSession).where(UserSession.token_hash == _hash_token(token)).values(**values)
    )
    user.attach_session(token, now, str(values.get("method", user.session_method)))


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


# Built once, with a bound parameter: every request signed in runs it.
_SESSION_BY_TOKEN = (
    select(UserSession)
    .where(UserSession.token_hash == bindparam("token_hash"))
    .options(joinedload(UserSession.user).joinedload(User.role_links))
)


def check_session(token: str, now: datetime | None = None, touch: bool = True) -> SessionCheck:
    """Find the user of a live session token; an expired session lets nobody in.

    ``touch`` asks for the activity to be noted, which keeps the session from idling out.
    """
    now = now or utcnow()
    record = db.session.scalar(_SESSION_BY_TOKEN, {"token_hash": _hash_token(token)})
    if record is None:
        return SessionCheck(None)
    config = current_app.config
    idle = timedelta(minutes=config["SESSION_IDLE_MINUTES"])
    maximum = timedelta(hours=config["SESSION_MAX_HOURS"])
    user = record.user
    if now - record.last_seen_at > idle or now - record.created_at > maximum or not user.active:
        return SessionCheck(None, record.id, ended=True)
    user.attach_session(token, record.proved_at, record.method)
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


def _hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def session_token_hash(user: User) -> str | None:
    """The stored hash of the session this request runs under, to tell it from the others."""
    token = user.current_session_token
    return _hash_token(token) if token else None


# A session that is gone, or belongs to someone else: the same answer for both.
SESSION_GONE = "That browser is already signed out."
# Ids are 32-bit on PostgreSQL; a larger number from an address names no session (and would
# not fit SQLite's integer at all).
_LARGEST_ID = 2**31 - 1


def require_password_allowed(user: User) -> None:
    """Raise Forbidden when an admin has switched passwords off for ``user``."""
    if not sso_queries.password_allowed(user):
        raise Forbidden(PASSWORDS_OFF)


def require_password(user: User, password: str, summary: str) -> None:
    """Raise Invalid, beside the current-password field, unless ``password`` is theirs."""
    if not check_password_hash(user.password_hash, password):
        raise Invalid(summary, {"current_password": WRONG_CURRENT_PASSWORD})


# What a refused "sign out" says: nothing was signed out.
NOBODY_SIGNED_OUT = "No browser was signed out."


def end_other_session(actor: User, session_id: int, password: str) -> UserSession:
    """Sign one of ``actor``'s other browsers out, once they have given their password
    again (a browser left signed in must not be enough); returns the ended session.

    Only one's own sessions, and never the one in use (that is "Sign out"): any other id
    is answered as a session that has already ended, so ids say nothing about others.
    """
    require_password(actor, password, NOBODY_SIGNED_OUT)
    if not 0 < session_id <= _LARGEST_ID:
        raise NotFound(SESSION_GONE)
    ending = db.session.scalar(
        select(UserSession).where(UserSession.id == session_id, UserSession.user_id == actor.id)
    )
    if ending is None or ending.token_hash == session_token_hash(actor):
        raise NotFound(SESSION_GONE)
    db.session.delete(ending)
    db.session.flush()
    audit.record(
        actor, "auth.session_ended", "user", actor.id, session_id=session_id, device=ending.device
    )
    return ending


def end_other_sessions(actor: User, password: str) -> int:
    """Sign ``actor`` out of every browser but this one, once they have given their password
    again; how many were signed out."""
    require_password(actor, password, NOBODY_SIGNED_OUT)
    ended = end_sessions_except(actor, actor.current_session_token)
    audit.record(actor, "auth.signed_out_elsewhere", "user", actor.id, sessions_ended=ended)
    return ended


def end_sessions_except(user: User, keep_token: str | None) -> int:
    """Delete ``user``'s sessions, all but the one with ``keep_token`` (if any); how many.

    Not audited here: each caller records why they ended.
    """
    ending = delete(UserSession).where(UserSession.user_id == user.id)
    if keep_token:
        ending = ending.where(UserSession.token_hash != _hash_token(keep_token))
    result = db.session.execute(ending)
    return int(getattr(result, "rowcount", 0) or 0)


def end_all_sessions_except(keep_token: str | None) -> int:
    """Delete everyone's sessions, all but the one with ``keep_token`` (if any); how many.

    Not audited here: the caller records why they ended.
    """
    ending = delete(UserSession)
    if keep_token:
        ending = ending.where(UserSession.token_hash != _hash_token(keep_token))
    result = db.session.execute(ending)
    return int(getattr(result, "rowcount", 0) or 0)


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
    if user is None or not user.active or not sso_queries.password_allowed(user):
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
    ended = end_sessions_except(user, keep_token)
    db.session.flush()
    return ended


def reset_password(
    raw_token: str,
    password: str,
    confirmation: str,
    user_agent: str = "",
    replaces: str | None = None,
) -> User:
    """Set a new password through an emailed link, use the link up and sign the person in
    here (every other session of theirs ends); someone with an authenticator app is left
    to type its code (no session starts here).

    The link's holder acts as its person: the link is the proof of who they are. A refused
    password leaves the link usable (the caller rolls back), so the person can try again.
    """
    user = tokens.check(raw_token, TokenPurpose.RESET)
    require_password_allowed(user)
    _confirm(password, confirmation, user)
    tokens.consume(raw_token, TokenPurpose.RESET)
    ended = _set_password(user, password)
    audit.record(user, "auth.password_reset", "user", user.id, sessions_ended=ended)
    # The link replaces the password, never the second factor: someone with an
    # authenticator app still types its code before a session starts.
    if not has_second_factor(user):
        start_session(user, user_agent, replaces=replaces)
    return user


def change_password(
    actor: User, user: User, current: str, password: str, confirmation: str
) -> User:
    """Change ``user``'s password; only they may, knowing the current one. Every other
    session of theirs ends; the one they are using goes on."""
    if actor.id != user.id:
        raise Forbidden("Only the person themselves can change their password.")
    require_password(user, current, "Your password was not changed.")
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


# --- Changing one's email address --------------------------------------------------------

# What the person is told after asking, whether or not the new address is free: the answer
# never says whether someone here already has it.
EMAIL_LINK_SENT = (
    "We have sent a link to {address}. Follow it within {hours} hours to finish the change; "
    "until then your email address stays as it is."
)
SAME_EMAIL = "This is already your email address. Enter a different one."
BAD_EMAIL = "Enter an email address like name@example.org."
# When the link is followed but someone took the address in the meantime.
EMAIL_TAKEN = (
    "Someone else here now has this email address, so yours was not changed. "
    "Ask for a change to another address from your profile."
)
_IF_NOT_YOU = (
    "If it was not you, change your password from your profile at once (that signs you out "
    "of every other browser) and tell an admin of the Supporting People Grid."
)


def _clean_email(address: str) -> str:
    """The address in lower case, or Invalid (beside the field) if it is not one."""
    address = address.strip()
    try:
        checked = validate_email(address, check_deliverability=False)
    except EmailNotValidError:
        raise Invalid("Your email address was not changed.", {"new_email": BAD_EMAIL}) from None
    normalised = checked.normalized.lower()
    if len(normalised) > 254:
        raise Invalid("Your email address was not changed.", {"new_email": BAD_EMAIL})
    return normalised


def request_email_change(actor: User, user: User, new_email: str, current_password: str) -> str:
    """Ask to move ``user``'s account to ``new_email``; only they may, knowing their password.

    A single-use link goes to the new address, and a notice to the current one. When the
    new address already has an account here, its holder is told instead and no link is
    made; the caller answers in the same words either way. Returns the new address.
    """
    if actor.id != user.id:
        raise Forbidden("Only the person themselves can change their email address.")
    address = _clean_email(new_email)
    if address == user.email.lower():
        raise Invalid("Your email address was not changed.", {"new_email": SAME_EMAIL})
    require_password(user, current_password, "Your email address was not changed.")
    hours = int(current_app.config["EMAIL_LINK_HOURS"])
    taken = bool(db.session.scalar(select(func.count(User.id)).where(User.email == address)))
    if taken:
        # Whoever holds that address learns that someone tried; the asker learns nothing.
        mail.queue(
            to=address,
            subject="Someone tried to use your address on the Supporting People Grid",
            body=(
                "Hello,\n\n"
                "Someone with an account on the Supporting People Grid asked to change their "
                "email address to this one. You already have an account with this address, "
                "so nothing was changed and nothing needs doing.\n"
            ),
        )
    else:
        raw = tokens.issue(user, TokenPurpose.EMAIL, timedelta(hours=hours), new_email=address)
        link = mail.absolute_url("auth.confirm_email", token=raw)
        mail.queue(
            to=address,
            subject="Confirm your new email address for the Supporting People Grid",
            body=(
                f"Hello {user.display_name},\n\n"
                "You asked to use this address for your account on the Supporting People "
                "Grid. Open this link, sign in if asked, and confirm:\n\n"
                f"{link}\n\n"
                f"The link works once, for {hours} hours. Until you confirm, your account "
                "keeps its current address. If you did not ask, ignore this email.\n"
            ),
            user_id=user.id,
            secret=True,
        )
    mail.queue(
        to=user.email,
        subject="A change of your email address was asked for",
        body=(
            f"Hello {user.display_name},\n\n"
            "Someone signed in to your account on the Supporting People Grid asked to change "
            f"its email address to {address}. Nothing changes unless the link we sent to that "
            "address is followed.\n\n"
            f"{_IF_NOT_YOU}\n"
        ),
        user_id=user.id,
    )
    audit.record(
        actor,
        "auth.email_change_requested",
        "user",
        user.id,
        before=user.email,
        after=address,
        address_in_use=taken,
    )
    return address


class LinkForSomeoneElse(Forbidden):
    """A link to change an email address, followed while signed in as another person."""


FOR_SOMEONE_ELSE = (
    "This link was sent for another account. Sign out, then sign in as the person it was "
    "sent to and follow the link again."
)


def email_change_link(actor: User, raw_token: str) -> str:
    """The new address a live link would give ``actor``'s account, without using it up.

    Raises NotFound or LinkUsed as links do, and LinkForSomeoneElse when the link belongs
    to another person (their address is not given).
    """
    token = tokens.check_token(raw_token, TokenPurpose.EMAIL)
    if token.user_id != actor.id:
        raise LinkForSomeoneElse(FOR_SOMEONE_ELSE)
    return token.new_email or ""


def confirm_email_change(actor: User, raw_token: str) -> int:
    """Move ``actor``'s account to the address the link was sent to, use the link up, and
    sign them out of every other browser; how many sessions ended.

    Refused (EditConflict) if someone has taken the address since the link was sent.
    """
    address = email_change_link(actor, raw_token)
    before = actor.email
    taken = db.session.scalar(
        select(func.count(User.id)).where(User.email == address, User.id != actor.id)
    )
    if taken:
        raise EditConflict(EMAIL_TAKEN)
    tokens.consume(raw_token, TokenPurpose.EMAIL)
    try:
        # Two people confirming the same address at once: the unique index refuses the
        # second, which is answered as the address having been taken.
        with db.session.begin_nested():
            actor.email = address
            db.session.flush()
    except IntegrityError:
        raise EditConflict(EMAIL_TAKEN) from None
    # Links sent to the old address (a reset, another change) must not work any more.
    tokens.revoke(actor, TokenPurpose.RESET)
    tokens.revoke(actor, TokenPurpose.EMAIL)
    ended = end_sessions_except(actor, actor.current_session_token)
    mail.queue(
        to=before,
        subject="Your email address has been changed",
        body=(
            f"Hello {actor.display_name},\n\n"
            "The email address of your account on the Supporting People Grid is now "
            f"{address}. Emails from the grid go there from now on, and you sign in with "
            "it.\n\n"
            f"{_IF_NOT_YOU}\n"
        ),
        user_id=actor.id,
    )
    audit.record(
        actor,
        "auth.email_changed",
        "user",
        actor.id,
        before=before,
        after=address,
        sessions_ended=ended,
    )
    return ended


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
    require_password_allowed(user)
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
