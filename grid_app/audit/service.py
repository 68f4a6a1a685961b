"""Writing audit events."""

from __future__ import annotations

from typing import Any

from grid_app.audit.models import AuditEvent
from grid_app.auth.models import Actor
from grid_app.extensions import db


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
