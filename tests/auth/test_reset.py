"""A forgotten password: ask for a link, receive it by email, choose a new password."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from flask import Flask

from grid_app.audit.models import AuditEvent
from grid_app.auth import tokens
from grid_app.auth.models import AccountToken, User, UserSession
from grid_app.auth.tokens import TokenPurpose
from grid_app.discussion import mail
from grid_app.discussion.models import OutgoingMail
from grid_app.extensions import db
from tests.conftest import PASSWORD, unique_address, use_smtp

NEW_PASSWORD = "plum kettle across winter"


def _link_for(app: Flask, person, purpose=TokenPurpose.RESET) -> str:
    with app.app_context():
        raw = tokens.issue(db.session.get_one(User, person.id), purpose, timedelta(hours=1))
        db.session.commit()
    return f"/reset-password/{raw}"


def _actions(app: Flask) -> list[str]:
    with app.app_context():
        return list(db.session.scalars(db.select(AuditEvent.action).order_by(AuditEvent.id)))


def test_sign_in_page_offers_the_forgotten_password_form(client):
    page = client.get("/sign-in").text
    assert 'href="/forgot-password"' in page and "Forgotten your password?" in page
    assert client.get("/forgot-password").status_code == 200


def test_asking_for_a_link_emails_one_that_resets_the_password(app, client, people, smtp_server):
    use_smtp(app, smtp_server.port)
    response = client.post_form("/forgot-password", {"email": " Contributor@Example.org "})
    assert response.status_code == 303
    assert response.headers["Location"] == "/forgot-password/sent"
    with app.app_context():
        mail.deliver_due()
    (received,) = smtp_server.wait_for(1)
    assert received["To"] == people["contributor"].email
    body = received.get_content()
    link = re.search(r"https://grid\.example\.org(/reset-password/\S+)", body)
    assert link is not None and "60 minutes" in body
    with app.app_context():
        kept = db.session.scalars(db.select(OutgoingMail.body)).all()
    assert kept == [mail.FORGOTTEN]  # the outbox keeps no usable link once it has gone
    assert client.get(link.group(1)).status_code == 200
    done = client.post_form(
        link.group(1), {"password": NEW_PASSWORD, "confirm_password": NEW_PASSWORD}
    )
    assert done.status_code == 303
    assert client.get("/profile").status_code == 200  # signed in
    assert client.get(link.group(1)).status_code == 410
    assert "auth.password_reset" in _actions(app)


@pytest.mark.parametrize("email", ["nobody@example.org", "contributor@example.org"])
def test_the_answer_is_the_same_whether_or_not_the_address_is_known(app, client, people, email):
    response = client.post_form("/forgot-password", {"email": email})
    assert response.status_code == 303
    page = client.get(response.headers["Location"])
    assert "If the address you entered has an account here" in page.text
    with app.app_context():
        queued = db.session.scalar(db.select(db.func.count(OutgoingMail.id)))
    assert queued == (1 if email.startswith("contributor") else 0)


def test_a_switched_off_account_gets_no_email(app, client, people):
    with app.app_context():
        db.session.get_one(User, people["contributor"].id).active = False
        db.session.commit()
    assert client.post_form("/forgot-password", {"email": people["contributor"].email})
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count(OutgoingMail.id))) == 0


def test_an_empty_address_is_422_with_the_message_beside_it(client):
    response = client.post_form("/forgot-password", {"email": ""})
    assert response.status_code == 422
    assert 'id="email-error"' in response.text


def test_requests_for_one_address_are_limited_wherever_they_come_from(app, client, people):
    app.config["RESET_LIMIT_PER_EMAIL"] = "2 per hour"
    email = "contributor@example.org"
    statuses = []
    for _ in range(3):
        client.environ_base["REMOTE_ADDR"] = unique_address()
        statuses.append(client.post_form("/forgot-password", {"email": email}).status_code)
    assert statuses == [303, 303, 429]
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count(OutgoingMail.id))) == 2


def test_requests_from_one_client_are_limited_whatever_the_address(app, client, people):
    app.config["RESET_LIMIT_PER_ADDRESS"] = "2 per hour"
    client.environ_base["REMOTE_ADDR"] = unique_address()
    statuses = [
        client.post_form("/forgot-password", {"email": f"n{n}@example.org"}).status_code
        for n in range(3)
    ]
    assert statuses == [303, 303, 429]
    assert (
        "No email was sent this time"
        in client.post_form("/forgot-password", {"email": "x@example.org"}).text
    )


def test_an_unknown_link_answers_404_with_a_way_forward(client):
    response = client.get("/reset-password/not-a-real-link")
    assert response.status_code == 404
    assert 'href="/forgot-password"' in response.text


def test_a_link_for_another_purpose_is_refused(app, client, people):
    link = _link_for(app, people["contributor"], TokenPurpose.INVITE)
    response = client.post_form(link, {"password": NEW_PASSWORD, "confirm_password": NEW_PASSWORD})
    assert response.status_code == 404


def test_a_used_link_answers_410_and_changes_nothing(app, client, people):
    link = _link_for(app, people["contributor"])
    data = {"password": NEW_PASSWORD, "confirm_password": NEW_PASSWORD}
    assert client.post_form(link, data).status_code == 303
    again = client.post_form(
        link,
        {"password": "a different one entirely", "confirm_password": "a different one entirely"},
    )
    assert again.status_code == 410
    assert "Ask for a new link" in again.text


def test_the_link_changes_only_its_own_person_s_password(app, client, new_client, people):
    link = _link_for(app, people["contributor"])
    client.post_form(link, {"password": NEW_PASSWORD, "confirm_password": NEW_PASSWORD})
    new_client().sign_in(people["other"])  # their password is untouched
    old = new_client().post_form(
        "/sign-in", {"email": people["contributor"].email, "password": PASSWORD}
    )
    assert old.status_code == 422


def test_a_refused_password_is_422_beside_the_field_and_the_link_still_works(app, client, people):
    link = _link_for(app, people["contributor"])
    response = client.post_form(link, {"password": "short", "confirm_password": "short"})
    assert response.status_code == 422
    assert 'id="new-password-error"' in response.text and "at least 12" in response.text
    assert 'value="short"' not in response.text
    mismatch = client.post_form(
        link, {"password": NEW_PASSWORD, "confirm_password": NEW_PASSWORD + "x"}
    )
    assert mismatch.status_code == 422 and 'id="confirm-password-error"' in mismatch.text
    assert client.get(link).status_code == 200


def test_a_reset_ends_every_other_session_of_theirs(app, client, new_client, people):
    elsewhere = new_client()
    elsewhere.sign_in(people["contributor"])
    link = _link_for(app, people["contributor"])
    client.post_form(link, {"password": NEW_PASSWORD, "confirm_password": NEW_PASSWORD})
    assert elsewhere.get("/profile").status_code == 302
    assert client.get("/profile").status_code == 200
    with app.app_context():
        sessions = db.session.scalars(db.select(UserSession.user_id)).all()
        used = db.session.scalars(db.select(AccountToken.used_at)).all()
    assert sessions == [people["contributor"].id]
    assert all(used)


def test_the_reset_page_passes_its_address_to_nobody(app, client, people):
    link = _link_for(app, people["contributor"])
    assert client.get(link).headers["Referrer-Policy"] == "strict-origin"


def test_a_reset_in_a_browser_signed_in_as_someone_else_ends_that_session(
    app, client, new_client, people
):
    client.sign_in(people["other"])
    cookie = client.get_cookie(app.config["SESSION_COOKIE_NAME"])
    copy = new_client()
    copy.set_cookie(cookie.key, cookie.value)
    link = _link_for(app, people["contributor"])
    response = client.post_form(link, {"password": NEW_PASSWORD, "confirm_password": NEW_PASSWORD})
    assert response.status_code == 303
    assert copy.get("/profile").status_code == 302
    with app.app_context():
        sessions = db.session.scalars(db.select(UserSession.user_id)).all()
    assert sessions == [people["contributor"].id]
