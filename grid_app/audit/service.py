"""Writing audit events."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING, Any

from grid_app.audit.models import AuditEvent
from grid_app.auth.models import Actor, Role, User
from grid_app.errors import Forbidden
from grid_app.extensions import db

if TYPE_CHECKING:
    from grid_app.audit.queries import AuditFilters


def record(
    actor: Actor | None,
    action: str,
    target_type: str = "",
    target_id: object = "",
    **details: Any,
) -> AuditEvent:
    """Add an audit event to the current transaction; ``actor`` is None only when nobody is
    known (a failed sign-in with an unknown address)."""
    event = AuditEvent(
        actor_id=actor.id if actor else None,
        action=action,
        target_type=target_type,
        target_id=str(target_id),
        details=details,
    )
    db.session.add(event)
    return event


def can_view(actor: Actor) -> bool:
    """True for the people who may read the audit log: admins."""
    return actor.has_role(Role.ADMIN)


def require_view(actor: Actor) -> None:
    """Raise Forbidden unless ``actor`` may read the audit log."""
    if not can_view(actor):
        raise Forbidden("Only an admin can see the audit log.")


def _filters_used(filters: AuditFilters) -> dict[str, Any]:
    used: dict[str, Any] = {}
    if filters.person_id is not None:
        used["person"] = filters.person_id
    if filters.action:
        used["filtered_action"] = filters.action
    if filters.since is not None:
        used["from"] = filters.since.date().isoformat()
    if filters.until is not None:
        used["to"] = (filters.until.date() - timedelta(days=1)).isoformat()
    return used


def record_viewed(actor: User, filters: AuditFilters) -> AuditEvent:
    """Audit that ``actor`` read the audit log, and with which filters.

    A person filter makes that person the event's subject, so the read shows up among
    the events about them."""
    require_view(actor)
    target = ("user", filters.person_id) if filters.person_id is not None else ("", "")
    return record(actor, "audit.viewed", *target, **_filters_used(filters))


def record_exported(actor: User, filters: AuditFilters) -> AuditEvent:
    """Audit that ``actor`` downloaded the audit log as CSV, and with which filters."""
    require_view(actor)
    target = ("user", filters.person_id) if filters.person_id is not None else ("", "")
    return record(actor, "audit.exported", *target, **_filters_used(filters))
