"""Signing in through the identity provider: who may come in, and as whom.

A person is found by the provider's subject id once linked; the first time, by a verified
email address, to an account that is active or invited (an invited account is switched on,
as accepting the invitation would). Anyone else is refused, unless automatic creation is
on. A switched-off account is refused whatever the provider says.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from flask import current_app
from sqlalchemy import select

from grid_app.audit import service as audit
from grid_app.auth import service as auth_service
from grid_app.auth import tokens
from grid_app.auth.models import Role, SignInMethod, User, UserRole
from grid_app.auth.tokens import TokenPurpose
from grid_app.database import utcnow
from grid_app.errors import Forbidden, Invalid
from grid_app.extensions import db
from grid_app.people import service as people_service
from grid_app.sso import queries
from grid_app.sso.models import SignInPolicy, SsoIdentity
from grid_app.sso.roles import parse_group_roles


class Refusal:
    """Why the provider's answer lets nobody in (each has its own page text)."""

    UNVERIFIED = "unverified"
    UNKNOWN = "unknown"
    SWITCHED_OFF = "switched_off"
    SOMEONE_ELSE = "someone_else"
    NOT_FRESH = "not_fresh"


@dataclass(frozen=True)
class Outcome:
    """Who came in, or why nobody did."""

    user: User | None
    refusal: str = ""
    # The session token of a new sign-in.
    token: str = ""
    # The person has an authenticator app and the provider does not ask for a second factor
    # itself: the sign-in waits for a code, as after a password.
    needs_code: bool = False


def sign_in(
    issuer: str, claims: Mapping[str, Any], user_agent: str = "", replaces: str | None = None
) -> Outcome:
    """Start a session for the person the provider vouched for, or say why not.

    ``claims`` are the validated ID token's. A refusal is recorded in the audit log and is
    meant to be kept (the caller commits either way).
    """
    subject = str(claims.get("sub") or "")
    identity = _identity(issuer, subject)
    if identity is not None:
        user = identity.user
    else:
        found = _first_match(claims)
        if isinstance(found, str):
            return _refuse(None, found)
        user = found
    if user.status == "invited":
        _accept_invitation(user, claims)
    elif not user.active:
        return _refuse(user, Refusal.SWITCHED_OFF)
    now = utcnow()
    if identity is None:
        identity = SsoIdentity(user_id=user.id, issuer=issuer, subject=subject, linked_at=now)
        db.session.add(identity)
        db.session.flush()
        audit.record(user, "sso.linked", "user", user.id)
    identity.last_used_at = now
    _follow_groups(user, claims)
    if (
        auth_service.has_second_factor(user)
        and not current_app.config["OIDC_PROVIDER_ENFORCES_MFA"]
    ):
        return Outcome(user, needs_code=True)
    token = _signed_in_via_sso(user, user_agent, replaces)
    return Outcome(user, token=token)


def _signed_in_via_sso(user: User, user_agent: str, replaces: str | None) -> str:
    """Start ``user``'s session as a single sign-on, on the same path as a password.

    This is the one place a sign-in through the provider becomes a session. The session
    records that it began through the provider and that its person proved who they are now
    (``start_session`` with method "sso"): with OIDC_PROVIDER_ENFORCES_MFA, that counts as a
    second factor as well.
    """
    return auth_service.start_session(
        user, user_agent, replaces=replaces, method=SignInMethod.SSO.value
    )


def reauthenticate(
    actor: User, issuer: str, claims: Mapping[str, Any], asked_at: datetime
) -> Outcome:
    """Accept a fresh sign-in at the provider as ``actor`` proving who they are again.

    The provider must say the person signed in after ``asked_at`` (its ``auth_time``), and
    the identity must be the one linked to ``actor``.
    """
    identity = _identity(issuer, str(claims.get("sub") or ""))
    if identity is None or identity.user_id != actor.id:
        return _refuse(actor, Refusal.SOMEONE_ELSE)
    skew = timedelta(seconds=int(current_app.config["OIDC_CLOCK_SKEW_SECONDS"]))
    auth_time = claims.get("auth_time")
    signed_in_at = (
        datetime.fromtimestamp(auth_time, UTC).replace(tzinfo=None)
        if isinstance(auth_time, int | float)
        else None
    )
    if signed_in_at is None or signed_in_at < asked_at - skew:
        return _refuse(actor, Refusal.NOT_FRESH)
    identity.last_used_at = utcnow()
    _proved_via_sso(actor)
    return Outcome(actor)


def _proved_via_sso(actor: User) -> None:
    """A fresh sign-in at the provider: the proof that sensitive actions ask for, recorded
    for the session in use."""
    auth_service.record_proof(actor)
    audit.record(actor, "sso.reauthenticated", "user", actor.id)


def _identity(issuer: str, subject: str) -> SsoIdentity | None:
    if not subject:
        return None
    return db.session.scalar(
        select(SsoIdentity).where(SsoIdentity.issuer == issuer, SsoIdentity.subject == subject)
    )


def _first_match(claims: Mapping[str, Any]) -> User | str:
    """The account a first sign-in belongs to, by verified email; or why there is none."""
    email = str(claims.get("email") or "").strip().lower()
    verified = claims.get(current_app.config["OIDC_EMAIL_VERIFIED_CLAIM"])
    if not email or not (verified is True or str(verified).lower() == "true"):
        return Refusal.UNVERIFIED
    user = db.session.scalar(select(User).where(User.email == email))
    if user is not None:
        if user.status in ("active", "invited"):
            return user
        return Refusal.SWITCHED_OFF
    if not current_app.config["OIDC_AUTO_CREATE"]:
        return Refusal.UNKNOWN
    return _create(email, claims)


def _create(email: str, claims: Mapping[str, Any]) -> User:
    """A new contributor's account for someone the provider vouched for."""
    name = " ".join(str(claims.get("name") or "").split())[:120] or email.split("@")[0]
    # A password nobody knows: the account signs in through the provider.
    user = User(
        email=email,
        display_name=name,
        password_hash=auth_service.hash_password(secrets.token_urlsafe(32)),
    )
    user.role_links = [UserRole(role=Role.CONTRIBUTOR.value)]
    db.session.add(user)
    db.session.flush()
    audit.record(user, "sso.account_created", "user", user.id, roles=[Role.CONTRIBUTOR.value])
    return user


def _accept_invitation(user: User, claims: Mapping[str, Any]) -> None:
    """Switch an invited account on, as accepting the invitation would."""
    now = utcnow()
    if user.invitation is not None:
        user.invitation.accepted_at = now
    if not user.display_name:
        user.display_name = (
            " ".join(str(claims.get("name") or "").split())[:120] or user.email.split("@")[0]
        )
    user.active = True
    tokens.revoke(user, TokenPurpose.INVITE, now)
    db.session.flush()
    audit.record(user, "user.invitation_accepted", "user", user.id, method="sso")


def group_roles() -> dict[str, Role]:
    """OIDC_GROUP_ROLES read as {group: role} (checked when the app starts)."""
    return parse_group_roles(str(current_app.config.get("OIDC_GROUP_ROLES") or ""))


def _follow_groups(user: User, claims: Mapping[str, Any]) -> None:
    """Give and take the roles that the provider's groups decide, if configured.

    Only roles named in OIDC_GROUP_ROLES follow the groups; others stay as admins set them.
    The change is made as an admin's would be (``people.service.apply_roles``), so the
    last active admin cannot lose the admin role this way either. When the groups would
    take it, the person still signs in and keeps admin (a grid nobody can look after, or
    an admin locked out, is worse than a role the provider disagrees with); every other
    role still follows the groups, and ``sso.last_admin_kept`` records which roles the
    groups gave, so that an admin can see the disagreement and settle it by making someone
    else an admin or by fixing the groups at the provider.
    """
    claim = current_app.config.get("OIDC_GROUPS_CLAIM")
    mapping = group_roles()
    if not claim or not mapping:
        return
    groups = claims.get(claim)
    if not isinstance(groups, list):
        groups = []
    managed = set(mapping.values())
    granted = {mapping[g] for g in groups if isinstance(g, str) and g in mapping}
    unmanaged = {r for r in user.roles if r not in managed}
    after = (unmanaged | granted) or {Role.CONTRIBUTOR}
    try:
        people_service.apply_roles(user, user, {r.value for r in after}, from_groups=True)
    except people_service.LastAdmin:
        audit.record(
            user,
            "sso.last_admin_kept",
            "user",
            user.id,
            groups_gave=sorted(r.value for r in after),
        )
        kept = unmanaged | granted | {Role.ADMIN}
        people_service.apply_roles(user, user, {r.value for r in kept}, from_groups=True)


def _refuse(user: User | None, reason: str) -> Outcome:
    audit.record(user, "sso.refused", "user", user.id if user else "", reason=reason)
    return Outcome(None, refusal=reason)


# --- Local passwords ----------------------------------------------------------------------

BREAK_GLASS_NEEDED = "Choose the admin who may still sign in with a password."
BREAK_GLASS_NOT_ADMIN = "Choose an active admin."
SSO_NOT_CONFIGURED = (
    "Single sign-on is not set up for this grid, so passwords cannot be switched off."
)


def set_passwords_off(actor: User, passwords_off: bool, break_glass_id: int | None) -> SignInPolicy:
    """Switch local passwords off for everyone but one named admin, or on again; only an
    admin may, and only while single sign-on is configured."""
    if not actor.has_role(Role.ADMIN):
        raise Forbidden("Only an admin can change how people sign in.")
    if passwords_off and not queries.configured():
        raise Invalid(SSO_NOT_CONFIGURED, {"passwords_off": SSO_NOT_CONFIGURED})
    break_glass = db.session.get(User, break_glass_id) if break_glass_id else None
    if passwords_off:
        if break_glass is None:
            raise Invalid(BREAK_GLASS_NEEDED, {"break_glass": BREAK_GLASS_NEEDED})
        if not (break_glass.active and break_glass.has_role(Role.ADMIN)):
            raise Invalid(BREAK_GLASS_NOT_ADMIN, {"break_glass": BREAK_GLASS_NOT_ADMIN})
    policy = queries.policy()
    if policy is None:
        policy = SignInPolicy()
        db.session.add(policy)
    before = (policy.passwords_off, policy.break_glass_id)
    after = (passwords_off, break_glass.id if break_glass else None)
    if before == after:
        return policy
    policy.passwords_off, policy.break_glass_id = after
    policy.changed_at = utcnow()
    policy.changed_by_id = actor.id
    db.session.flush()
    audit.record(
        actor,
        "sso.passwords_switched_off" if passwords_off else "sso.passwords_switched_on",
        "user",
        after[1] or "",
    )
    return policy
