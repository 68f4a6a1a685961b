"""Two admins removing each other at the same moment never leave nobody to look after people."""

from __future__ import annotations

from flask import Flask

from grid_app.auth.models import OPERATOR, Role, User, UserRole
from grid_app.extensions import db
from grid_app.people import service
from tests.grid.test_concurrency import race_jobs


def two_admins(app: Flask, people) -> None:
    with app.app_context():
        service.set_roles(OPERATOR, db.session.get_one(User, people["manager"].id), ["admin"])
        db.session.commit()


def active_admins(app: Flask) -> int:
    with app.app_context():
        return len(
            db.session.scalars(
                db.select(User.id)
                .join(UserRole)
                .where(User.active.is_(True), UserRole.role == Role.ADMIN.value)
            ).all()
        )


def test_two_admins_deactivating_each_other_at_once_leave_one(app: Flask, people):
    two_admins(app, people)
    statuses = race_jobs(
        app,
        [
            (people["admin"].email, f"/people/{people['manager'].id}/deactivate", {}),
            (people["manager"].email, f"/people/{people['admin'].id}/deactivate", {}),
        ],
    )
    # The loser is refused by the last-admin rule (422) if its check ran alongside the
    # winner's, or is already signed out (401) if it ran after.
    assert sorted(statuses)[0] == 204 and sorted(statuses)[1] in (401, 422)
    assert active_admins(app) == 1


def test_two_admins_taking_each_others_admin_role_at_once_leave_one(app: Flask, people):
    two_admins(app, people)
    statuses = race_jobs(
        app,
        [
            (
                people["admin"].email,
                f"/people/{people['manager'].id}/roles",
                {"roles": "manager", "roles_seen": "admin"},
            ),
            (
                people["manager"].email,
                f"/people/{people['admin'].id}/roles",
                {"roles": "contributor", "roles_seen": "admin,contributor"},
            ),
        ],
    )
    # The loser is refused by the last-admin rule (422) if its check ran alongside the
    # winner's, or as no longer an admin (403) if it ran after.
    assert sorted(statuses)[0] == 200 and sorted(statuses)[1] in (403, 422)
    assert active_admins(app) == 1
