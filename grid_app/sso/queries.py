"""Reads about single sign-on: whether it is on, and who may still use a password."""

from __future__ import annotations

from flask import current_app
from sqlalchemy import select

from grid_app.auth.models import Role, User
from grid_app.extensions import db
from grid_app.sso.models import SignInPolicy, SsoIdentity


def configured() -> bool:
    """Whether single sign-on is set up (an issuer and a client id are configured)."""
    config = current_app.config
    return bool(config.get("OIDC_ISSUER") and config.get("OIDC_CLIENT_ID"))


def policy() -> SignInPolicy | None:
    """The stored sign-in policy, if an admin has ever set one."""
    return db.session.scalar(select(SignInPolicy).order_by(SignInPolicy.id).limit(1))


def passwords_off() -> bool:
    """Whether local passwords are switched off (for all but the break-glass admin).

    Only while single sign-on is configured: a council that takes it away gets its
    passwords back rather than locking everyone out.
    """
    stored = policy()
    return bool(stored and stored.passwords_off and configured())


def password_allowed(user: User) -> bool:
    """Whether ``user`` may sign in, reset or set a password here."""
    stored = policy()
    if not (stored and stored.passwords_off and configured()):
        return True
    return user.id == stored.break_glass_id and user.active and user.has_role(Role.ADMIN)


def active_admins() -> list[User]:
    """The people who could be the break-glass admin, by name."""
    admins = db.session.scalars(select(User).where(User.active.is_(True)).order_by(User.email))
    return [user for user in admins.unique() if user.has_role(Role.ADMIN)]


def can_prove_again(user: User) -> bool:
    """Whether ``user`` can prove who they are with a fresh sign-in at the provider: single
    sign-on is set up and their account is linked to it."""
    if not configured():
        return False
    linked = select(SsoIdentity.id).where(SsoIdentity.user_id == user.id).limit(1)
    return db.session.scalar(linked) is not None
