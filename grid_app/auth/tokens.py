"""Single-use links sent by email: random, stored only as a hash, bound to a purpose and a
person, with an expiry the server keeps (the link itself carries none)."""

from __future__ import annotations

import enum
import hashlib
import secrets
from datetime import datetime, timedelta

from sqlalchemy import select, update

from grid_app.auth.models import AccountToken, User
from grid_app.database import utcnow
from grid_app.errors import DomainError, NotFound
from grid_app.extensions import db


class TokenPurpose(enum.StrEnum):
    """What a link lets its holder do; a link for one purpose never works for another."""

    RESET = "reset"
    INVITE = "invite"
    EMAIL = "email"


class LinkUsed(DomainError):
    """The link has been used, or has expired: it is known, but gone for good."""

    status = 410


# A link nobody issued (or issued for another purpose) says no more than that.
UNKNOWN = "This link is not right. Check that you copied all of it from the email."
GONE = "This link has expired or has already been used."


def _hash(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def issue(
    user: User, purpose: TokenPurpose, lifetime: timedelta, new_email: str | None = None
) -> str:
    """Store a new link for ``user`` and return its secret, to be put in an email once.

    Earlier unused links of the same purpose stop working: only the newest email counts.
    ``new_email`` is the address a link to change one's email address moves the account to.
    """
    now = utcnow()
    revoke(user, purpose, now)
    raw = secrets.token_urlsafe(32)
    db.session.add(
        AccountToken(
            token_hash=_hash(raw),
            purpose=purpose.value,
            user_id=user.id,
            created_at=now,
            expires_at=now + lifetime,
            new_email=new_email,
        )
    )
    db.session.flush()
    return raw


def revoke(user: User, purpose: TokenPurpose, now: datetime | None = None) -> None:
    """Make every unused link of ``purpose`` for ``user`` unusable."""
    db.session.execute(
        update(AccountToken)
        .where(
            AccountToken.user_id == user.id,
            AccountToken.purpose == purpose.value,
            AccountToken.used_at.is_(None),
        )
        .values(used_at=now or utcnow())
    )


def check(raw: str, purpose: TokenPurpose, now: datetime | None = None) -> User:
    """The person a live link belongs to, without using it up.

    Raises NotFound for a link nobody issued for this purpose, LinkUsed for one used,
    expired, or whose person can no longer sign in. An invitation's person cannot sign in
    yet by design: whether the invitation still stands is for its own service to check.
    """
    return check_token(raw, purpose, now).user


def check_token(raw: str, purpose: TokenPurpose, now: datetime | None = None) -> AccountToken:
    """The live link itself (its person and what it carries), without using it up; raises
    as ``check`` does."""
    now = now or utcnow()
    token = find(raw, purpose)
    if token is None:
        raise NotFound(UNKNOWN)
    switched_off = not token.user.active and purpose is not TokenPurpose.INVITE
    if token.used_at is not None or token.expires_at <= now or switched_off:
        raise LinkUsed(GONE)
    return token


def find(raw: str, purpose: TokenPurpose) -> AccountToken | None:
    """The link with this secret and purpose, live or not (to say why it is gone)."""
    return db.session.scalar(
        select(AccountToken).where(
            AccountToken.token_hash == _hash(raw), AccountToken.purpose == purpose.value
        )
    )


def consume(raw: str, purpose: TokenPurpose, now: datetime | None = None) -> User:
    """Use a link up and return its person; raises as ``check`` does.

    One conditional UPDATE claims it, so of two requests racing with the same link exactly
    one gets through, on SQLite and PostgreSQL alike.
    """
    now = now or utcnow()
    user = check(raw, purpose, now)
    claimed = db.session.execute(
        update(AccountToken)
        .where(
            AccountToken.token_hash == _hash(raw),
            AccountToken.purpose == purpose.value,
            AccountToken.used_at.is_(None),
            AccountToken.expires_at > now,
        )
        .values(used_at=now)
    )
    if getattr(claimed, "rowcount", 0) != 1:
        raise LinkUsed(GONE)
    return user
