"""The operator's commands: set-roles, deactivate and reactivate, audited as the operator."""

from __future__ import annotations

from flask import Flask

from grid_app.audit.models import AuditEvent
from grid_app.auth import service as auth_service
from grid_app.auth.models import User, UserSession
from grid_app.extensions import db


def person(app: Flask, person_id: int) -> tuple[set[str], bool]:
    with app.app_context():
        user = db.session.get_one(User, person_id)
        return {r.value for r in user.roles}, user.active


def audit(app: Flask, action: str) -> list[tuple[int | None, str, dict]]:
    with app.app_context():
        return [
            (e.actor_id, e.target_id, e.details)
            for e in db.session.scalars(db.select(AuditEvent).where(AuditEvent.action == action))
        ]


def test_set_roles_gives_exactly_the_roles_named_and_is_audited_as_the_operator(app, people):
    result = app.test_cli_runner().invoke(
        args=["set-roles", "OTHER@example.org", "--role", "manager", "--role", "admin"]
    )
    assert result.exit_code == 0, result.output
    assert "other@example.org now holds: admin, manager." in result.output
    assert person(app, people["other"].id) == ({"admin", "manager"}, True)
    assert audit(app, "user.roles_changed") == [
        (None, str(people["other"].id), {"before": ["contributor"], "after": ["admin", "manager"]})
    ]


def test_set_roles_refuses_to_leave_no_active_admin(app, people):
    result = app.test_cli_runner().invoke(
        args=["set-roles", "admin@example.org", "--role", "contributor"]
    )
    assert result.exit_code == 2
    assert "Someone else must be an active admin" in result.output
    assert person(app, people["admin"].id)[0] == {"admin", "contributor"}
    assert audit(app, "user.roles_changed") == []


def test_an_unknown_address_or_role_is_refused(app, people):
    runner = app.test_cli_runner()
    unknown = runner.invoke(args=["deactivate", "nobody@example.org"])
    assert unknown.exit_code == 2 and "nobody here has the email address" in unknown.output
    bad_role = runner.invoke(args=["set-roles", "other@example.org", "--role", "overlord"])
    assert bad_role.exit_code == 2
    assert person(app, people["other"].id) == ({"contributor"}, True)


def test_deactivate_ends_every_session_and_reactivate_lets_them_back(app, people):
    with app.app_context():
        auth_service.start_session(db.session.get_one(User, people["other"].id))
        db.session.commit()
    runner = app.test_cli_runner()
    result = runner.invoke(args=["deactivate", "other@example.org"])
    assert result.exit_code == 0, result.output
    assert "ended 1 sign-in session." in result.output
    assert person(app, people["other"].id) == ({"contributor"}, False)
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count(UserSession.id))) == 0
    again = runner.invoke(args=["reactivate", "other@example.org"])
    assert again.exit_code == 0 and "can sign in again" in again.output
    assert person(app, people["other"].id) == ({"contributor"}, True)
    assert [a[0] for a in audit(app, "user.deactivated") + audit(app, "user.reactivated")] == [
        None,
        None,
    ]


def test_the_last_active_admin_cannot_be_deactivated_from_the_command_line(app, people):
    result = app.test_cli_runner().invoke(args=["deactivate", "admin@example.org"])
    assert result.exit_code == 2 and "Someone else must be an active admin" in result.output
    assert person(app, people["admin"].id)[1] is True
