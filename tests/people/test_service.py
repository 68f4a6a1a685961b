"""Changing roles and deactivating people: who may, the last-admin rule, and the audit log."""

from __future__ import annotations

import pytest
from flask import Flask

from grid_app.audit.models import AuditEvent
from grid_app.auth import service as auth_service
from grid_app.auth.models import OPERATOR, Role, User, UserSession
from grid_app.discussion import service as discussion_service
from grid_app.discussion.models import Notification
from grid_app.discussion.notifications import watching
from grid_app.errors import EditConflict, Forbidden, Invalid
from grid_app.extensions import db
from grid_app.grid import service as grid_service
from grid_app.grid.models import Cell
from grid_app.people import service
from tests.conftest import PASSWORD


def user(key_or_id) -> User:
    return db.session.get_one(User, getattr(key_or_id, "id", key_or_id))


def events(action: str) -> list[AuditEvent]:
    return list(db.session.scalars(db.select(AuditEvent).where(AuditEvent.action == action)))


def test_admin_sets_roles_and_the_change_is_audited_with_before_and_after(app: Flask, people):
    with app.app_context():
        service.set_roles(
            user(people["admin"]), user(people["contributor"]), ["contributor", "manager"]
        )
        db.session.commit()
        assert user(people["contributor"]).roles == {Role.CONTRIBUTOR, Role.MANAGER}
        [event] = events("user.roles_changed")
        assert event.actor_id == people["admin"].id
        assert event.target_id == str(people["contributor"].id)
        assert event.details == {"before": ["contributor"], "after": ["contributor", "manager"]}


def test_setting_the_same_roles_writes_nothing(app: Flask, people):
    with app.app_context():
        service.set_roles(
            user(people["admin"]), user(people["manager"]), ["manager", "contributor"]
        )
        assert events("user.roles_changed") == []


@pytest.mark.parametrize("who", ["contributor", "manager", "facilitator", "reader"])
def test_only_an_admin_may_change_roles_or_deactivate(app: Flask, people, who):
    with app.app_context():
        actor, target = user(people[who]), user(people["other"])
        with pytest.raises(Forbidden):
            service.set_roles(actor, target, ["admin"])
        with pytest.raises(Forbidden):
            service.deactivate(actor, target)
        with pytest.raises(Forbidden):
            service.reactivate(actor, target)


def test_an_unknown_role_is_refused_beside_the_checkboxes(app: Flask, people):
    with app.app_context():
        with pytest.raises(Invalid) as refused:
            service.set_roles(user(people["admin"]), user(people["other"]), ["overlord"])
        assert "roles" in refused.value.field_errors


def test_the_last_active_admin_cannot_lose_the_role(app: Flask, people):
    with app.app_context():
        admin = user(people["admin"])
        with pytest.raises(Invalid) as refused:
            service.set_roles(OPERATOR, admin, ["contributor"])
        assert refused.value.field_errors == {"roles": service.LAST_ADMIN_ROLE}


def test_an_admin_can_lose_the_role_once_another_is_active(app: Flask, people):
    with app.app_context():
        service.set_roles(OPERATOR, user(people["manager"]), ["manager", "admin"])
        service.set_roles(OPERATOR, user(people["admin"]), ["contributor"])
        db.session.commit()
        assert not user(people["admin"]).has_role(Role.ADMIN)


def test_a_deactivated_admin_does_not_count_as_the_other_admin(app: Flask, people):
    with app.app_context():
        service.set_roles(OPERATOR, user(people["manager"]), ["manager", "admin"])
        service.deactivate(OPERATOR, user(people["manager"]))
        with pytest.raises(Invalid):
            service.set_roles(OPERATOR, user(people["admin"]), ["contributor"])
        with pytest.raises(Invalid) as refused:
            service.deactivate(OPERATOR, user(people["admin"]))
        assert refused.value.field_errors == {"active": service.LAST_ADMIN_ACTIVE}


def test_roles_changed_since_the_page_was_opened_are_a_conflict(app: Flask, people):
    with app.app_context():
        service.set_roles(OPERATOR, user(people["other"]), ["contributor", "facilitator"])
        with pytest.raises(EditConflict):
            service.set_roles(
                user(people["admin"]), user(people["other"]), ["manager"], expected=["contributor"]
            )


def test_deactivating_ends_every_session_and_refuses_sign_in(app: Flask, people):
    with app.app_context():
        other = user(people["other"])
        tokens = [auth_service.start_session(other) for _ in range(2)]
        db.session.commit()
        ended = service.deactivate(user(people["admin"]), user(people["other"]))
        db.session.commit()
        assert ended == 2
        assert db.session.scalar(db.select(db.func.count(UserSession.id))) == 0
        for token in tokens:
            assert auth_service.check_session(token).user is None
        assert auth_service.sign_in(people["other"].email, PASSWORD) is None
        [event] = events("user.deactivated")
        assert event.actor_id == people["admin"].id
        assert event.details == {"before": "active", "after": "deactivated", "sessions_ended": 2}


def test_an_admin_cannot_deactivate_themselves(app: Flask, people):
    with app.app_context():
        service.set_roles(OPERATOR, user(people["manager"]), ["manager", "admin"])
        with pytest.raises(Invalid) as refused:
            service.deactivate(user(people["admin"]), user(people["admin"]))
        assert "active" in refused.value.field_errors


def test_reactivating_lets_the_person_sign_in_again_with_their_roles(app: Flask, people):
    with app.app_context():
        service.deactivate(OPERATOR, user(people["manager"]))
        service.reactivate(user(people["admin"]), user(people["manager"]))
        db.session.commit()
        assert auth_service.sign_in(people["manager"].email, PASSWORD) is not None
        assert user(people["manager"]).roles == {Role.CONTRIBUTOR, Role.MANAGER}
        [event] = events("user.reactivated")
        assert event.actor_id == people["admin"].id
        assert event.details == {"before": "deactivated", "after": "active"}


def test_what_a_deactivated_person_wrote_keeps_their_name(app: Flask, people, grid):
    with app.app_context():
        cell = db.session.get_one(Cell, grid.cells[("Social work", "Evidence")])
        grid_service.save_cell(
            user(people["other"]), cell, expected_version=cell.version, text="Our evidence"
        )
        service.deactivate(OPERATOR, user(people["other"]))
        db.session.commit()
        cell = db.session.get_one(Cell, grid.cells[("Social work", "Evidence")])
        assert cell.updated_by is not None
        assert cell.updated_by.display_name == people["other"].name


def test_a_deactivated_watcher_is_not_told_of_changes_or_comments(app: Flask, people, grid):
    with app.app_context():
        cell = db.session.get_one(Cell, grid.cells[("Social work", "Evidence")])
        watching.set_watch(user(people["other"]), cell, whole_row=True, on=True)
        service.deactivate(user(people["admin"]), user(people["other"]))
        db.session.commit()
        cell = db.session.get_one(Cell, grid.cells[("Social work", "Evidence")])
        grid_service.save_cell(
            user(people["contributor"]), cell, expected_version=cell.version, text="New words"
        )
        discussion_service.add_comment(user(people["contributor"]), cell, body="A question")
        db.session.commit()
        told = db.session.scalars(
            db.select(Notification).where(Notification.user_id == people["other"].id)
        ).all()
        assert told == []


def test_a_deactivated_person_cannot_be_mentioned_so_is_never_told(app: Flask, people, grid):
    with app.app_context():
        service.deactivate(user(people["admin"]), user(people["other"]))
        cell = db.session.get_one(Cell, grid.cells[("Social work", "Evidence")])
        with pytest.raises(Invalid):
            discussion_service.add_comment(
                user(people["contributor"]), cell, body=f"Over to @{people['other'].email}"
            )
