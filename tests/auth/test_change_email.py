"""Changing one's email address: a link to the new address, a notice to the old one."""

from __future__ import annotations

import re
from datetime import timedelta
from urllib.parse import quote

import pytest

from grid_app.audit.models import AuditEvent
from grid_app.auth import service, tokens
from grid_app.auth.models import OPERATOR, AccountToken, User, UserSession
from grid_app.auth.tokens import TokenPurpose
from grid_app.discussion import mail
from grid_app.discussion.models import OutgoingMail
from grid_app.errors import Forbidden
from grid_app.extensions import db
from tests.conftest import PASSWORD, Person, use_smtp

NEW = "cara.new@example.net"


def _ask(client, new_email=NEW, password=PASSWORD):
    return client.post_form(
        "/profile/email", {"new_email": new_email, "current_password": password}
    )


def _outbox(app):
    with app.app_context():
        return [
            (m.to_address, m.subject, m.body)
            for m in db.session.scalars(db.select(OutgoingMail).order_by(OutgoingMail.id))
        ]


def _link(app, person, new_email=NEW, hours=24):
    with app.app_context():
        raw = tokens.issue(
            db.session.get_one(User, person.id),
            TokenPurpose.EMAIL,
            timedelta(hours=hours),
            new_email=new_email,
        )
        db.session.commit()
    return f"/profile/email/confirm/{raw}"


def _email_of(app, person):
    with app.app_context():
        return db.session.get_one(User, person.id).email


def _events(app, action):
    with app.app_context():
        return list(db.session.scalars(db.select(AuditEvent).where(AuditEvent.action == action)))


def test_the_profile_offers_the_form(client, people):
    client.sign_in(people["contributor"])
    page = client.get("/profile").text
    assert 'action="/profile/email"' in page and 'id="new-email"' in page
    assert "signed out on every other device" in page


def test_a_change_goes_through_the_link_sent_to_the_new_address(
    app, client, new_client, people, smtp_server
):
    use_smtp(app, smtp_server.port)
    elsewhere = new_client()
    elsewhere.sign_in(people["contributor"])
    client.sign_in(people["contributor"])
    response = _ask(client, " Cara.New@Example.net ")
    assert response.status_code == 303 and response.headers["Location"] == "/profile"
    page = client.get("/profile").text
    assert f"We have sent a link to {NEW}" in page and "within 24 hours" in page
    assert _email_of(app, people["contributor"]) == "contributor@example.org"
    with app.app_context():
        mail.deliver_due()
    received = {m["To"]: m for m in smtp_server.wait_for(2)}
    assert set(received) == {NEW, "contributor@example.org"}
    notice = received["contributor@example.org"].get_content()
    assert NEW in notice and "If it was not you" in notice
    found = re.search(
        r"https://grid\.example\.org(/profile/email/confirm/\S+)", received[NEW].get_content()
    )
    assert found is not None and "24 hours" in received[NEW].get_content()
    link = found.group(1)
    assert link not in "".join(body for _to, _subject, body in _outbox(app))  # forgotten

    confirm = client.get(link)
    assert confirm.status_code == 200 and NEW in confirm.text
    assert confirm.headers["Referrer-Policy"] == "strict-origin"
    assert (
        _email_of(app, people["contributor"]) == "contributor@example.org"
    )  # a GET changes nothing
    done = client.post_form(link, {})
    assert done.status_code == 303 and done.headers["Location"] == "/profile"
    page = client.get("/profile").text
    assert f"Your email address is now {NEW}." in page and "signed out of every other" in page
    assert _email_of(app, people["contributor"]) == NEW
    assert elsewhere.get("/profile").status_code == 302  # other sessions ended
    assert client.get(link).status_code == 410  # used

    with app.app_context():
        mail.deliver_due()
    changed = smtp_server.wait_for(3)[2]
    assert changed["To"] == "contributor@example.org" and NEW in changed.get_content()
    assert "If it was not you" in changed.get_content()

    new_client().sign_in(Person(0, NEW, ""))
    old = new_client().post_form(
        "/sign-in", {"email": "contributor@example.org", "password": PASSWORD}
    )
    assert old.status_code == 422
    (asked,) = _events(app, "auth.email_change_requested")
    assert asked.details == {
        "before": "contributor@example.org",
        "after": NEW,
        "address_in_use": False,
    }
    (changed_event,) = _events(app, "auth.email_changed")
    assert changed_event.actor_id == people["contributor"].id
    assert changed_event.details == {
        "before": "contributor@example.org",
        "after": NEW,
        "sessions_ended": 1,
    }


def test_a_wrong_password_is_422_beside_it_and_sends_nothing(app, client, people):
    client.sign_in(people["contributor"])
    response = _ask(client, password="not my password")
    assert response.status_code == 422
    assert 'id="email-password-error"' in response.text
    assert "Your current password is not right." in response.text
    assert f'value="{NEW}"' in response.text  # the address typed is kept
    assert _outbox(app) == [] and _events(app, "auth.email_change_requested") == []
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count(AccountToken.id))) == 0


@pytest.mark.parametrize(
    "address,message",
    [
        ("not-an-address", "Enter an email address like name@example.org."),
        ("someone@", "Enter an email address like name@example.org."),
        ("a b@example.org", "Enter an email address like name@example.org."),
        ("", "Enter your new email address."),
        (" Contributor@Example.org ", "This is already your email address."),
    ],
)
def test_a_bad_address_is_422_beside_it(app, client, people, address, message):
    client.sign_in(people["contributor"])
    response = _ask(client, address)
    assert response.status_code == 422
    assert 'id="new-email-error"' in response.text and message in response.text
    assert "Your email address was not changed" in response.text
    assert _outbox(app) == []


def test_an_address_already_in_use_gets_the_same_answer_and_no_link(app, client, people):
    client.sign_in(people["contributor"])
    free = _ask(client, "free@example.net")
    free_page = client.get("/profile").text
    taken = _ask(client, "Other@Example.org")
    taken_page = client.get("/profile").text
    assert free.status_code == taken.status_code == 303
    pattern = r"We have sent a link to \S+ Follow it within 24 hours"
    assert re.search(pattern, free_page) and re.search(pattern, taken_page)
    sent = _outbox(app)
    to_taken = [m for m in sent if m[0] == "other@example.org"]
    (holder_note,) = to_taken
    assert (
        "nothing was changed" in holder_note[2] and "/profile/email/confirm/" not in holder_note[2]
    )
    assert sum(1 for m in sent if m[0] == "contributor@example.org") == 2  # both notices
    with app.app_context():
        links = db.session.scalars(
            db.select(AccountToken.new_email).where(AccountToken.used_at.is_(None))
        ).all()
    assert links == ["free@example.net"]
    assert [e.details["address_in_use"] for e in _events(app, "auth.email_change_requested")] == [
        False,
        True,
    ]


def test_an_address_taken_since_the_link_was_sent_is_refused_clearly(app, client, people):
    client.sign_in(people["contributor"])
    link = _link(app, people["contributor"])
    with app.app_context():
        service.create_user(OPERATOR, NEW, "Somebody Else", "a fine long passphrase here")
        db.session.commit()
    response = client.post_form(link, {})
    assert response.status_code == 409
    assert "Your email address was not changed" in response.text
    assert "Someone else here now has this email address" in response.text
    assert _email_of(app, people["contributor"]) == "contributor@example.org"


def test_only_the_newest_link_works(app, client, people):
    client.sign_in(people["contributor"])
    first = _link(app, people["contributor"], "first@example.net")
    second = _link(app, people["contributor"], "second@example.net")
    assert client.get(first).status_code == 410
    assert client.post_form(first, {}).status_code == 410
    assert client.post_form(second, {}).status_code == 303
    assert _email_of(app, people["contributor"]) == "second@example.net"


def test_an_expired_link_answers_a_clear_page(app, client, people):
    client.sign_in(people["contributor"])
    link = _link(app, people["contributor"])
    with app.app_context():
        token = db.session.scalar(db.select(AccountToken))
        assert token is not None
        token.expires_at = token.created_at - timedelta(seconds=1)
        db.session.commit()
    for response in (client.get(link), client.post_form(link, {})):
        assert response.status_code == 410
        assert "This link cannot be used" in response.text and "expired" in response.text
    assert _email_of(app, people["contributor"]) == "contributor@example.org"


@pytest.mark.parametrize("raw", ["not-a-real-link", "x" * 500, "%00"])
def test_an_unknown_link_answers_a_clear_page(client, people, raw):
    client.sign_in(people["contributor"])
    response = client.get(f"/profile/email/confirm/{quote(raw)}")
    assert response.status_code == 404 and "This link cannot be used" in response.text


def test_a_reset_link_cannot_confirm_an_address(app, client, people):
    client.sign_in(people["contributor"])
    with app.app_context():
        raw = tokens.issue(
            db.session.get_one(User, people["contributor"].id),
            TokenPurpose.RESET,
            timedelta(hours=1),
        )
        db.session.commit()
    assert client.post_form(f"/profile/email/confirm/{raw}", {}).status_code == 404


def test_a_signed_out_person_is_taken_through_sign_in_and_back(app, client, people):
    link = _link(app, people["contributor"])
    response = client.get(link)
    assert response.status_code == 302
    assert response.headers["Location"] == "/sign-in?next=" + quote(link, safe="/")
    signed_in = client.post_form(
        response.headers["Location"],
        {"email": people["contributor"].email, "password": PASSWORD, "next": link},
    )
    assert signed_in.status_code == 303 and signed_in.headers["Location"] == link
    assert NEW in client.get(link).text


def test_a_signed_out_post_changes_nothing(app, client, people):
    link = _link(app, people["contributor"])
    response = client.post_form(link, {})
    assert response.status_code == 302 and response.headers["Location"].startswith("/sign-in")
    assert _email_of(app, people["contributor"]) == "contributor@example.org"


def test_someone_else_following_the_link_is_refused(app, client, people):
    link = _link(app, people["contributor"])
    client.sign_in(people["other"])
    for response in (client.get(link), client.post_form(link, {})):
        assert response.status_code == 403
        assert "sent for another account" in response.text and NEW not in response.text
    assert _email_of(app, people["contributor"]) == "contributor@example.org"
    assert _email_of(app, people["other"]) == "other@example.org"


def test_nobody_signed_out_can_ask_for_a_change(app, client, people):
    response = _ask(client)
    assert response.status_code == 302 and response.headers["Location"].startswith("/sign-in")
    assert _outbox(app) == []


def test_nobody_can_ask_to_change_someone_else_s_address(app, people):
    with app.app_context():
        actor = db.session.get_one(User, people["admin"].id)
        target = db.session.get_one(User, people["contributor"].id)
        with pytest.raises(Forbidden):
            service.request_email_change(actor, target, NEW, PASSWORD)


def test_the_link_lifetime_is_configurable(app, client, people):
    app.config["EMAIL_LINK_HOURS"] = 2
    client.sign_in(people["contributor"])
    assert _ask(client).status_code == 303
    (to_new,) = [m for m in _outbox(app) if m[0] == NEW]
    assert "for 2 hours" in to_new[2]
    with app.app_context():
        token = db.session.scalar(db.select(AccountToken))
        assert token is not None
        assert token.expires_at - token.created_at == timedelta(hours=2)


def test_a_change_voids_reset_links_sent_to_the_old_address(app, client, people):
    client.sign_in(people["contributor"])
    with app.app_context():
        reset = tokens.issue(
            db.session.get_one(User, people["contributor"].id),
            TokenPurpose.RESET,
            timedelta(hours=1),
        )
        db.session.commit()
    assert client.post_form(_link(app, people["contributor"]), {}).status_code == 303
    assert client.get(f"/reset-password/{reset}").status_code == 410
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count(UserSession.id))) == 1
