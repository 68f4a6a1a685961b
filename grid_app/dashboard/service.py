"""The dashboard's one change: a grid's review period, after which a cell is stale."""

from __future__ import annotations

from grid_app.audit import service as audit
from grid_app.auth.models import Actor, Role, User
from grid_app.errors import Forbidden, Invalid
from grid_app.extensions import db
from grid_app.grid.models import Grid

PERIOD_MIN = 1
PERIOD_MAX = 3650


def can_view(actor: Actor) -> bool:
    """Managers and admins see the dashboard."""
    return actor.active and actor.has_role(Role.MANAGER, Role.ADMIN)


def require_view(actor: Actor) -> None:
    """Refuse (403) anyone but a manager or an admin."""
    if not can_view(actor):
        raise Forbidden("Only managers and admins can see the dashboard.")


def set_review_period(actor: User, grid: Grid, days: str) -> bool:
    """Set how many days a cell may go unreviewed before it is stale.

    ``days`` is what the person typed. Returns False when it is already the period.
    """
    if not can_view(actor):
        raise Forbidden("Only a manager or an admin can set the review period.")
    raw = days.strip()
    message = f"Enter a whole number of days from {PERIOD_MIN} to {PERIOD_MAX:,}, like 180."
    if not raw.isdigit():
        raise Invalid("The review period was not changed.", {"days": message})
    value = int(raw)
    if not PERIOD_MIN <= value <= PERIOD_MAX:
        raise Invalid("The review period was not changed.", {"days": message})
    if value == grid.review_period_days:
        return False
    before = grid.review_period_days
    grid.review_period_days = value
    audit.record(actor, "grid.review_period_set", "grid", grid.id, before=before, after=value)
    db.session.flush()
    return True
