"""Changing people's roles, and deactivating and reactivating them (admins only).

Every change is audited with who made it, to whom, and what was before and after. The
last active admin can neither lose the role (not through the identity provider's groups
either) nor be deactivated, so somebody can always look after people from the web.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import delete, select

from grid_app.audit import service as audit
from grid_app.auth import service as auth_service
from grid_app.auth.models import Actor, Role, User, UserRole, UserSession
from grid_app.errors import EditConflict, Forbidden, Invalid
from grid_app.extensions import db

# Beside the role checkboxes and the deactivate button respectively.
LAST_ADMIN_ROLE = "Someone else must be an active admin before this person stops being one."
LAST_ADMIN_ACTIVE = "Someone else must be an active admin before this person is deactivated."


class LastAdmin(Invalid):
    """Refused: the change would leave nobody an active admin."""


def can_manage(actor: Actor) -> bool:
    """True for the people who may see and change others' roles and accounts."""
    return actor.has_role(Role.ADMIN)


def require_manage(actor: Actor) -> None:
    """Raise Forbidden unless ``actor`` may look after people."""
    if not can_manage(actor):
        raise Forbidden("Only an admin can look after people.")


def parse_roles(values: Iterable[str]) -> set[Role]:
    """The roles named by ``values``; Invalid (beside the checkboxes) for any unknown one."""
    chosen: set[Role] = set()
    for value in values:
        try:
            chosen.add(Role(value))
        except ValueError:
            raise Invalid(
                "The roles were not changed.",
                {"roles": "Choose from contributor, manager, facilitator and admin."},
            ) from None
    return chosen


def set_roles(
    actor: Actor,
    user: User,
    roles: Iterable[str],
    *,
    expected: Iterable[str] | None = None,
) -> User:
    """Give ``user`` exactly ``roles``. Nothing is written when nothing changes.

    ``expected`` is the roles the admin's page showed; if someone changed them since, the
    change is refused as a conflict rather than silently undoing theirs.
    """
    require_manage(actor)
    chosen = parse_roles(roles)
    before = {r.value for r in user.roles}
    if expected is not None and set(expected) != before:
        raise EditConflict("Someone else changed this person’s roles since you opened the page.")
    apply_roles(actor, user, {r.value for r in chosen})
    return user


def apply_roles(actor: Actor, user: User, after: set[str], *, from_groups: bool = False) -> bool:
    """Give ``user`` exactly the roles ``after`` (role values) and audit it; False when that
    changes nothing, and then nothing is written.

    This checks no permission: the caller has decided the change may be made (an admin in
    ``set_roles``, the identity provider's groups at sign-in). It does keep the rule that
    holds whoever asks: taking admin from the last active admin raises ``LastAdmin`` before
    anything is written. ``from_groups`` records the change as made by the provider's groups
    (``sso.roles_from_groups``) rather than by ``actor`` as an admin (``user.roles_changed``).
    """
    before = {r.value for r in user.roles}
    if after == before:
        return False
    if Role.ADMIN.value in before and Role.ADMIN.value not in after and user.active:
        _require_another_admin(user, LAST_ADMIN_ROLE, "roles")
    user.role_links = [link for link in user.role_links if link.role in after] + [
        UserRole(role=value) for value in sorted(after - before)
    ]
    db.session.flush()
    audit.record(
        actor,
        "sso.roles_from_groups" if from_groups else "user.roles_changed",
        "user",
        user.id,
        before=sorted(before),
        after=sorted(after),
    )
    return True


def deactivate(actor: Actor, user: User) -> int:
    """Stop ``user`` signing in and end every session they have; how many ended.

    What they wrote keeps their name: the account stays, only switched off.
    """
    require_manage(actor)
    if actor.id is not None and actor.id == user.id:
        raise Invalid(
            "You were not deactivated.",
            {"active": "Ask another admin to deactivate you."},
        )
    if not user.active:
        return 0
    if user.has_role(Role.ADMIN):
        _require_another_admin(user, LAST_ADMIN_ACTIVE, "active")
    user.active = False
    result = db.session.execute(delete(UserSession).where(UserSession.user_id == user.id))
    ended = int(getattr(result, "rowcount", 0) or 0)
    db.session.flush()
    audit.record(
        actor,
        "user.deactivated",
        "user",
        user.id,
        before="active",
        after="deactivated",
        sessions_ended=ended,
    )
    return ended


def reactivate(actor: Actor, user: User) -> User:
    """Let ``user`` sign in again, with the roles they had."""
    require_manage(actor)
    if user.active:
        return user
    if user.invitation is not None and user.invitation.accepted_at is None:
        # They never chose a password: only an invitation lets them in.
        raise Invalid(
            "They were not reactivated.",
            {"active": "They never joined: invite them again instead."},
        )
    user.active = True
    db.session.flush()
    audit.record(actor, "user.reactivated", "user", user.id, before="deactivated", after="active")
    return user


def _require_another_admin(user: User, message: str, field: str) -> None:
    """Raise LastAdmin (an Invalid) unless an active admin other than ``user`` remains.

    Every active admin's row is locked first, ``user``'s included (on PostgreSQL; SQLite
    writers queue anyway), so two admins removing each other at once cannot both pass:
    the second waits, then counts again without the first's change.
    """
    admins = db.session.scalars(
        select(User.id)
        .join(UserRole, UserRole.user_id == User.id)
        .where(User.active.is_(True), UserRole.role == Role.ADMIN.value)
        .with_for_update()
    ).all()
    if not [admin for admin in admins if admin != user.id]:
        raise LastAdmin("Nothing was changed.", {field: message})


def end_sessions(actor: User, user: User) -> int:
    """Sign ``user`` out of every browser at once; how many sessions ended.

    On their own page an admin keeps the session they are using (ending it by mistake would
    lock them out mid-task), and every other one ends.
    """
    require_manage(actor)
    keep = actor.current_session_token if actor.id == user.id else None
    ended = auth_service.end_sessions_except(user, keep)
    audit.record(
        actor,
        "user.sessions_ended",
        "user",
        user.id,
        sessions_ended=ended,
        kept_current=keep is not None,
    )
    return ended


# What a refused "sign everyone out" says: nobody was signed out.
NOBODY_SIGNED_OUT = "Nobody was signed out."


def sign_everyone_out(actor: Actor, password: str = "") -> int:
    """Sign every person out of every browser at once (after a lost laptop, say); how many
    sessions ended.

    An admin on the web gives their password again and keeps the session they are using;
    the operator at the command line keeps none.
    """
    require_manage(actor)
    keep = None
    if isinstance(actor, User):
        auth_service.require_password(actor, password, NOBODY_SIGNED_OUT)
        keep = actor.current_session_token
    ended = auth_service.end_all_sessions_except(keep)
    audit.record(actor, "user.everyone_signed_out", sessions_ended=ended)
    return ended
