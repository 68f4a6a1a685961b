"""Retention: what is kept how long, changing it, and purging what has expired."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import delete, func, select
from sqlalchemy.sql import ColumnElement

from grid_app.audit import service as audit
from grid_app.audit.models import AuditEvent
from grid_app.auth.models import Actor, Role
from grid_app.database import utcnow
from grid_app.dataprotection.models import RetentionSetting
from grid_app.discussion.models import Notification
from grid_app.errors import Forbidden, Invalid
from grid_app.extensions import db

if TYPE_CHECKING:
    from grid_app.safe_space.service.purge import PurgeItem


@dataclass(frozen=True)
class Kind:
    """A kind of record with a retention period an admin can change."""

    name: str
    label: str
    default_days: int
    minimum_days: int
    what: str


# Sign-in records are kept apart from the rest of the audit log: they are many, name
# addresses people typed, and are needed only to look into recent sign-in trouble.
SIGN_IN_ACTIONS = ("auth.signed_in", "auth.sign_in_failed", "auth.signed_out")
KINDS = (
    Kind(
        "audit_log",
        "Audit log",
        730,
        90,
        "Who did what: every audited action except sign-ins and sign-outs.",
    ),
    Kind(
        "sign_ins",
        "Sign-in records",
        90,
        7,
        "Sign-ins, failed sign-ins (with the address typed) and sign-outs.",
    ),
    Kind(
        "notifications",
        "Notifications",
        180,
        7,
        "What the bell showed each person, read or not.",
    ),
)
BY_NAME = {kind.name: kind for kind in KINDS}
MAXIMUM_DAYS = 3650


def can_manage(actor: Actor) -> bool:
    """Admins see and change retention and the record of processing."""
    return actor.has_role(Role.ADMIN)


def require_manage(actor: Actor) -> None:
    """Refuse anyone but an admin."""
    if not can_manage(actor):
        raise Forbidden("Only admins can see and change data protection settings.")


def retention() -> dict[str, int]:
    """Days each kind of record is kept, by kind name."""
    stored = dict(db.session.execute(select(RetentionSetting.name, RetentionSetting.days)).all())
    return {kind.name: int(stored.get(kind.name, kind.default_days)) for kind in KINDS}


def set_retention(actor: Actor, days: dict[str, int | None]) -> list[str]:
    """Keep each kind of record for ``days[name]`` days; audit each change with before and
    after. Returns the names changed; raises Invalid, changing nothing, on a bad value."""
    require_manage(actor)
    errors: dict[str, str] = {}
    for kind in KINDS:
        value = days.get(kind.name)
        if value is None:
            errors[kind.name] = f"Enter how many days to keep the {kind.label.lower()}."
        elif not kind.minimum_days <= value <= MAXIMUM_DAYS:
            errors[kind.name] = (
                f"Keep the {kind.label.lower()} between {kind.minimum_days} and "
                f"{MAXIMUM_DAYS:,} days."
            )
    if errors:
        raise Invalid("Check the retention periods.", errors)
    before = retention()
    changed = []
    for kind in KINDS:
        after = int(days[kind.name])  # type: ignore[arg-type]
        if after == before[kind.name]:
            continue
        setting = db.session.get(RetentionSetting, kind.name)
        if setting is None:
            setting = RetentionSetting(name=kind.name, days=after)
            db.session.add(setting)
        setting.days = after
        setting.changed_at = utcnow()
        setting.changed_by_id = actor.id
        audit.record(
            actor, "retention.changed", kind=kind.name, before=before[kind.name], after=after
        )
        changed.append(kind.name)
    db.session.flush()
    return changed


@dataclass
class Purged:
    """What a purge deleted (or, in a dry run, would delete), by kind of record."""

    counts: dict[str, int] = field(default_factory=dict)
    sessions: list[PurgeItem] = field(default_factory=list)

    @property
    def total(self) -> int:
        """Records of every kind together."""
        return sum(self.counts.values())


def _expired(now: datetime) -> dict[str, tuple[type[object], ColumnElement[bool]]]:
    keep = retention()

    def before(name: str) -> datetime:
        return now - timedelta(days=keep[name])

    sign_in = AuditEvent.action.in_(SIGN_IN_ACTIONS)
    return {
        "audit_log": (AuditEvent, ~sign_in & (AuditEvent.created_at < before("audit_log"))),
        "sign_ins": (AuditEvent, sign_in & (AuditEvent.created_at < before("sign_ins"))),
        "notifications": (Notification, Notification.created_at < before("notifications")),
    }


def purge_expired(actor: Actor, *, now: datetime | None = None, dry_run: bool = False) -> Purged:
    """Delete every record older than its kind's retention period, and the safe-space
    sessions' raw contributions that are due; with ``dry_run``, only count them.

    A real purge is audited with its counts (never with what was deleted)."""
    from grid_app.safe_space import service as safe_space

    now = now or utcnow()
    purged = Purged()
    for name, (model, expired) in _expired(now).items():
        if dry_run:
            counted = db.session.scalar(select(func.count()).select_from(model).where(expired))
            purged.counts[name] = int(counted or 0)
        else:
            result = db.session.execute(delete(model).where(expired))
            purged.counts[name] = int(getattr(result, "rowcount", 0) or 0)
    purged.sessions = safe_space.purge_due(now, dry_run=dry_run)
    if not dry_run and purged.total:
        audit.record(actor, "retention.purged", "", "", **purged.counts)
    db.session.flush()
    return purged
