"""Changing one's own password from the profile page."""

from __future__ import annotations

import pytest

from grid_app.audit.models import AuditEvent
from grid_app.auth import service
from grid_app.auth.models import User, UserSession
from grid_app.errors import Forbidden
from grid_app.extensions import db
from tests.conftest import PASSWORD, Person

NEW_PASSWORD = "plum kettle across winter"


def _change(client, current=PASSWORD, new=NEW_PASSWORD, again=None):
    return client.post_form(
        "/profile/password",
        {"current_password": current, "password": new, "confirm_password": again or new},
    )


def test_the_profile_page_offers_the_form(client, people):
    client.sign_in(people["contributor"])
    page = client.get("/profile").text
    assert 'action="/profile/password"' in page and 'autocomplete="new-password"' in page


def test_a_change_keeps_this_session_and_ends_every_other(app, client, new_client, people):
    elsewhere = new_client()
    elsewhere.sign_in(people["contributor"])
    bystander = new_client()
    bystander.sign_in(people["other"])
    client.sign_in(people["contributor"])
    response = _change(client)
    assert response.status_code == 303 and response.headers["Location"] == "/profile"
    assert client.get("/profile").status_code == 200
    assert elsewhere.get("/profile").status_code == 302
    assert bystander.get("/profile").status_code == 200
    new_client().sign_in(Person(0, people["contributor"].email, ""), NEW_PASSWORD)
    with app.app_context():
        event = db.session.scalar(
            db.select(AuditEvent).where(AuditEvent.action == "auth.password_changed")
        )
        assert event is not None and event.actor_id == people["contributor"].id
        assert event.details["sessions_ended"] == 1


def test_a_wrong_current_password_is_422_beside_it_and_changes_nothing(app, client, people):
    client.sign_in(people["contributor"])
    response = _change(client, current="not my password at all")
    assert response.status_code == 422
    assert 'id="current-password-error"' in response.text
    assert "not my password at all" not in response.text
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count(UserSession.id))) == 1
    client.post_form("/sign-out", {})
    client.sign_in(people["contributor"])  # the old password still works


@pytest.mark.parametrize(
    "new,message",
    [
        ("short", "at least 12"),
        ("x" * 257, "at most 256"),
        ("Qwerty123456", "most common"),
        ("contributor-rules-ok", "email address"),
        ("cara from the team", "your name"),
    ],
)
def test_a_refused_new_password_is_422_with_its_reason(client, people, new, message):
    client.sign_in(people["contributor"])
    response = _change(client, new=new)
    assert response.status_code == 422
    assert 'id="new-password-error"' in response.text and message in response.text


def test_the_new_password_must_be_typed_twice_alike(client, people):
    client.sign_in(people["contributor"])
    response = _change(client, again=NEW_PASSWORD + "!")
    assert response.status_code == 422 and 'id="confirm-password-error"' in response.text


def test_nobody_signed_out_can_change_a_password(client, people):
    response = _change(client)
    assert response.status_code == 302 and response.headers["Location"].startswith("/sign-in")


def test_nobody_can_change_someone_else_s_password(app, people):
    with app.app_context():
        actor = db.session.get_one(User, people["admin"].id)
        target = db.session.get_one(User, people["contributor"].id)
        with pytest.raises(Forbidden):
            service.change_password(actor, target, PASSWORD, NEW_PASSWORD, NEW_PASSWORD)
