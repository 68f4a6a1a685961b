"""Erasing a person: name and address replaced everywhere, private data gone, history intact."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from flask import Flask
from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError

from grid_app.audit.models import AuditEvent
from grid_app.auth import service as auth_service
from grid_app.auth.models import OPERATOR, AccountToken, User, UserSession
from grid_app.discussion import notifications
from grid_app.discussion import service as discussion_service
from grid_app.discussion.models import Comment, Notification, Watch
from grid_app.extensions import db
from grid_app.grid import history
from grid_app.grid import service as grid_service
from grid_app.grid.models import Cell, CellRevision
from grid_app.people import erasure
from tests.conftest import HX, PASSWORD

NOT_ADMINS = ["contributor", "manager", "facilitator", "reader"]


@pytest.fixture
def written(app: Flask, people, grid) -> None:
    """Olu Other wrote a cell, owns another, was mentioned in a comment and watches a cell."""
    with app.app_context():
        other = db.session.get_one(User, people["other"].id)
        contributor = db.session.get_one(User, people["contributor"].id)
        strategy = db.session.get_one(Cell, grid.cells[("Social work", "Strategy")])
        owner = db.session.get_one(Cell, grid.cells[("Social work", "Owner")])
        grid_service.save_cell(other, strategy, expected_version=strategy.version, text="Plan A")
        grid_service.save_cell(
            contributor, owner, expected_version=owner.version, text="", owner_ids=[other.id]
        )
        notifications.set_watch(other, strategy, whole_row=False, on=True)
        discussion_service.add_comment(
            contributor, strategy, body="Thanks @other@example.org for this."
        )
        auth_service.start_session(other)
        db.session.commit()


@dataclass(frozen=True)
class Erased:
    display_name: str
    email: str
    status: str


def erase(app: Flask, person_id: int) -> Erased:
    with app.app_context():
        user = erasure.erase(OPERATOR, db.session.get_one(User, person_id))
        db.session.commit()
        return Erased(user.display_name, user.email, user.status)


def test_erasure_replaces_the_name_and_address_and_keeps_the_history_verifying(
    app, people, grid, written
):
    erased = erase(app, people["other"].id)
    assert erased.display_name == f"Former colleague {people['other'].id}"
    assert "other@example.org" not in erased.email and erased.status == "erased"
    with app.app_context():
        assert history.verify_all().first_broken is None
        authors = db.session.scalars(select(CellRevision.author_id)).all()
        assert people["other"].id in authors
        comment = db.session.scalars(select(Comment)).one()
        assert "other@example.org" not in comment.body and "Olu Other" not in comment.html
        assert erased.display_name in comment.html
        for model in (UserSession, AccountToken, Watch):
            assert db.session.scalar(select(func.count()).select_from(model)) == 0
        assert not db.session.scalar(
            select(func.count())
            .select_from(Notification)
            .where(Notification.user_id == people["other"].id)
        )
        user = db.session.get_one(User, people["other"].id)
        assert user.roles == frozenset() and not user.active and user.password_hash == ""


def test_the_erasure_is_audited_without_the_erased_identity(app, people, written):
    erase(app, people["other"].id)
    with app.app_context():
        event = db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == "user.erased")
        ).one()
        assert event.actor_id is None and event.target_id == str(people["other"].id)
        assert event.details == {}
        for details in db.session.scalars(select(AuditEvent.details)):
            assert "other@example.org" not in str(details) and "Olu Other" not in str(details)


def test_the_erased_person_can_no_longer_sign_in(app, client, people, written):
    erase(app, people["other"].id)
    response = client.post_form("/sign-in", {"email": "other@example.org", "password": PASSWORD})
    assert response.status_code != 303


def test_the_database_refuses_to_delete_someone_named_in_the_history(app, people, written):
    with app.app_context():
        with pytest.raises(IntegrityError):
            db.session.execute(delete(User).where(User.id == people["other"].id))
            db.session.flush()
        db.session.rollback()
        assert history.verify_all().first_broken is None


@pytest.mark.parametrize("who", NOT_ADMINS)
def test_people_who_are_not_admins_cannot_erase(app, client, people, who):
    client.sign_in(people[who])
    target = people["other"].id
    assert client.get(f"/people/{target}/erase").status_code == 403
    response = client.post_form(f"/people/{target}/erase", {"confirm": "other@example.org"})
    assert response.status_code == 403
    with app.app_context():
        assert db.session.get_one(User, target).erased_at is None


def test_signed_out_people_are_sent_to_sign_in(client, people):
    response = client.get(f"/people/{people['other'].id}/erase")
    assert response.status_code == 302 and "/sign-in" in response.location


def test_an_admin_erases_after_confirming_on_a_page_that_works_without_javascript(
    app, client, people, written
):
    client.sign_in(people["admin"])
    target = people["other"].id
    person_page = client.get(f"/people/{target}").text
    assert f'href="/people/{target}/erase"' in person_page
    confirm = client.get(f"/people/{target}/erase")
    assert confirm.status_code == 200 and "Type their email address" in confirm.text
    response = client.post_form(f"/people/{target}/erase", {"confirm": "Other@Example.org "})
    assert response.status_code == 303
    page = client.get(response.location).text
    assert f"Former colleague {target}" in page and "Olu Other" not in page
    assert "other@example.org" not in page


def test_a_wrong_confirmation_is_refused_beside_the_field_and_kept(app, client, people):
    client.sign_in(people["admin"])
    target = people["other"].id
    response = client.post_form(f"/people/{target}/erase", {"confirm": "someone@else.org"})
    assert response.status_code == 422
    assert "Type the person’s email address exactly" in response.text
    assert 'value="someone@else.org"' in response.text
    with app.app_context():
        assert db.session.get_one(User, target).erased_at is None


def test_an_admin_cannot_erase_themselves(app, client, people):
    client.sign_in(people["admin"])
    me = people["admin"].id
    response = client.post_form(f"/people/{me}/erase", {"confirm": "admin@example.org"})
    assert response.status_code == 422 and "Ask another admin to erase you." in response.text
    with app.app_context():
        assert db.session.get_one(User, me).erased_at is None


def test_an_erased_person_cannot_be_erased_twice(app, client, people):
    erase(app, people["other"].id)
    client.sign_in(people["admin"])
    response = client.post_form(
        f"/people/{people['other'].id}/erase",
        {"confirm": f"former-colleague-{people['other'].id}@erased.invalid"},
        headers=HX,
    )
    assert response.status_code == 422 and "already been erased" in response.text


def test_the_erase_command_is_audited_as_the_operator(app, people, written):
    result = app.test_cli_runner().invoke(args=["erase", "other@example.org"])
    assert result.exit_code == 0, result.output
    assert f"Former colleague {people['other'].id}" in result.output
    with app.app_context():
        event = db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == "user.erased")
        ).one()
        assert event.actor_id is None
    verified = app.test_cli_runner().invoke(args=["verify-history"])
    assert verified.exit_code == 0, verified.output


def test_the_erase_command_refuses_the_last_active_admin(app, people):
    result = app.test_cli_runner().invoke(args=["erase", "admin@example.org"])
    assert result.exit_code == 2
    assert "Someone else must be an active admin" in result.output
    with app.app_context():
        assert db.session.get_one(User, people["admin"].id).erased_at is None


def test_the_audit_log_names_the_erasure_by_the_placeholder(app, client, people, written):
    erase(app, people["other"].id)
    client.sign_in(people["admin"])
    page = client.get("/audit").text
    assert (
        f"erased the name, address and private data of Former colleague {people['other'].id}"
        in page
    )
    assert "Olu Other" not in page and "other@example.org" not in page


def test_named_contributions_to_open_sessions_go_and_anonymous_ones_stay(app):
    from grid_app import demo
    from grid_app.safe_space.models import Contribution, SessionParticipant

    with app.app_context():
        demo.load("demo-password-1234")
        db.session.commit()
        chris = db.session.scalars(
            select(User).where(User.email == "contributor@example.org")
        ).one()
        anonymous = db.session.scalar(
            select(func.count()).select_from(Contribution).where(Contribution.anonymous)
        )
        assert db.session.scalar(
            select(func.count()).select_from(Contribution).where(Contribution.author_id == chris.id)
        )
        erasure.erase(OPERATOR, chris)
        db.session.commit()
        assert not db.session.scalar(
            select(func.count()).select_from(Contribution).where(Contribution.author_id == chris.id)
        )
        assert not db.session.scalar(
            select(func.count())
            .select_from(SessionParticipant)
            .where(SessionParticipant.user_id == chris.id)
        )
        assert anonymous == db.session.scalar(
            select(func.count()).select_from(Contribution).where(Contribution.anonymous)
        )
        assert history.verify_all().first_broken is None
