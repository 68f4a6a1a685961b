"""A facilitator asks for accounts for people not yet here; an admin approves or declines."""

from __future__ import annotations

import re

import pytest
from flask import Flask

from grid_app.audit.models import AuditEvent
from grid_app.auth.models import User
from grid_app.discussion.models import OutgoingMail
from grid_app.extensions import db
from grid_app.people.models import AccountRequest

SESSION = {
    "title": "Listening session",
    "starts_at": "2027-01-14T10:00",
    "ground_rules": "Be kind.",
    "signposting": "Talk to HR.",
    "retention_days": "90",
}


def actions(app: Flask) -> list[str]:
    with app.app_context():
        return list(db.session.scalars(db.select(AuditEvent.action).order_by(AuditEvent.id)))


def request_ids(app: Flask) -> list[int]:
    with app.app_context():
        return list(db.session.scalars(db.select(AccountRequest.id).order_by(AccountRequest.id)))


def test_a_refused_session_invitee_leads_to_a_request_form_with_the_addresses_kept(
    app, client, people
):
    client.sign_in(people["facilitator"])
    response = client.post_form(
        "/safe-space/new", {**SESSION, "invitees": "contributor@example.org\nstranger@example.org"}
    )
    assert response.status_code == 422
    assert "No one can be invited as stranger@example.org" in response.text
    link = re.search(r'href="(/account-requests\?addresses=[^"]+)"', response.text)
    assert link is not None
    import html

    form = client.get(html.unescape(link.group(1)))
    assert form.status_code == 200
    textarea = re.search(r'id="request-addresses"[^>]*>([^<]*)</textarea>', form.text)
    assert textarea is not None and textarea.group(1).strip() == "stranger@example.org"


def test_an_admin_approves_a_request_which_invites_and_tells_the_facilitator(
    app, client, new_client, people
):
    client.sign_in(people["facilitator"])
    made = client.post_form(
        "/account-requests", {"addresses": "stranger@example.org", "reason": "Joins our team"}
    )
    assert made.status_code == 303
    page = client.get("/account-requests").text
    assert "stranger@example.org: waiting for an admin" in page
    # Asking again while one waits makes no second request.
    client.post_form("/account-requests", {"addresses": "stranger@example.org"})
    assert len(request_ids(app)) == 1

    admin = new_client()
    admin.sign_in(people["admin"])
    assert "1 request for an account waiting" in admin.get("/people").text
    listing = admin.get("/people/requests").text
    assert "stranger@example.org" in listing and "Joins our team" in listing
    assert "Asked by Fay Facilitator" in listing
    (request_id,) = request_ids(app)
    assert admin.post_form(f"/people/requests/{request_id}/approve", {}).status_code == 303
    with app.app_context():
        invited = db.session.scalar(db.select(User).where(User.email == "stranger@example.org"))
        assert invited is not None and invited.status == "invited"
        mails = db.session.scalars(db.select(OutgoingMail).order_by(OutgoingMail.id)).all()
        assert [m.to_address for m in mails] == ["stranger@example.org", "facilitator@example.org"]
        assert "stranger@example.org has been invited" in mails[1].body
    assert "request for an account waiting" not in admin.get("/people").text
    assert "approved, an invitation was sent" in client.get("/account-requests").text
    assert [a for a in actions(app) if a.startswith(("account_request", "user.invited"))] == [
        "account_request.made",
        "user.invited",
        "account_request.approved",
    ]
    # Answering twice is refused with the reason, not a 500.
    again = admin.post_form(f"/people/requests/{request_id}/decline", {})
    assert again.status_code == 422 and "already answered" in again.text


def test_an_admin_declines_a_request_and_the_facilitator_is_told(app, client, new_client, people):
    client.sign_in(people["facilitator"])
    client.post_form("/account-requests", {"addresses": "a@example.org\nb@example.org"})
    admin = new_client()
    admin.sign_in(people["admin"])
    first, _second = request_ids(app)
    assert admin.post_form(f"/people/requests/{first}/decline", {}).status_code == 303
    assert "declined" in client.get("/account-requests").text
    with app.app_context():
        assert db.session.scalar(db.select(User).where(User.email == "a@example.org")) is None
        body = db.session.scalars(db.select(OutgoingMail.body)).one()
    assert "did not give a@example.org an account" in body
    assert "account_request.declined" in actions(app)


@pytest.mark.parametrize(
    ("addresses", "message"),
    [
        ("not-an-address", "These are not email addresses: not-an-address."),
        ("", "Enter the email address of at least one person."),
        ("contributor@example.org", "already have an account or an invitation"),
    ],
)
def test_bad_addresses_are_refused_beside_the_field(app, client, people, addresses, message):
    client.sign_in(people["facilitator"])
    response = client.post_form("/account-requests", {"addresses": addresses})
    assert response.status_code == 422
    assert message in response.text
    assert request_ids(app) == []


@pytest.mark.parametrize("who", ["contributor", "manager", "admin", "reader"])
def test_only_facilitators_ask_for_accounts(app, client, people, who):
    client.sign_in(people[who])
    assert client.get("/account-requests").status_code == 403
    assert client.post_form("/account-requests", {"addresses": "x@example.org"}).status_code == 403
    assert request_ids(app) == []


@pytest.mark.parametrize("who", ["contributor", "manager", "facilitator", "reader"])
def test_only_admins_see_and_answer_requests(app, client, new_client, people, who):
    asker = new_client()
    asker.sign_in(people["facilitator"])
    asker.post_form("/account-requests", {"addresses": "x@example.org"})
    (request_id,) = request_ids(app)
    client.sign_in(people[who])
    assert client.get("/people/requests").status_code == 403
    assert client.post_form(f"/people/requests/{request_id}/approve", {}).status_code == 403
    assert client.post_form(f"/people/requests/{request_id}/decline", {}).status_code == 403
    with app.app_context():
        assert db.session.get_one(AccountRequest, request_id).status == "pending"


def test_signed_out_people_cannot_answer_requests(client, people):
    response = client.post_form("/people/requests/1/approve", {})
    assert response.status_code == 302 and "/sign-in" in response.location
