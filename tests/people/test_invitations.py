"""Inviting one person: the form, the email and its link, joining, resending, cancelling."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from flask import Flask

from grid_app.audit.models import AuditEvent
from grid_app.auth import tokens
from grid_app.auth.models import OPERATOR, User
from grid_app.database import utcnow
from grid_app.discussion import mail
from grid_app.discussion.models import OutgoingMail
from grid_app.errors import Forbidden, Invalid
from grid_app.extensions import db
from grid_app.people import invitations
from tests.conftest import HX, PASSWORD, use_smtp

NEW_PASSWORD = "plum kettle across winter"
LINK = re.compile(r"https://grid\.example\.org(/invitation/\S+)")


def events(app: Flask, action: str) -> list[AuditEvent]:
    with app.app_context():
        return list(db.session.scalars(db.select(AuditEvent).where(AuditEvent.action == action)))


def account(app: Flask, email: str) -> User | None:
    with app.app_context():
        user = db.session.scalar(db.select(User).where(User.email == email))
        if user is not None:
            _ = user.roles, user.status
        return user


def last_link(app: Flask, to: str) -> str:
    """The path of the newest invitation link queued for ``to``."""
    with app.app_context():
        body = db.session.scalars(
            db.select(OutgoingMail.body)
            .where(OutgoingMail.to_address == to)
            .order_by(OutgoingMail.id.desc())
        ).first()
    assert body is not None
    found = LINK.search(body)
    assert found is not None, body
    return found.group(1)


def invite_as_admin(client, people, email="new@example.org", **extra):
    client.sign_in(people["admin"])
    return client.post_form("/people/invite", {"email": email, "roles": ["contributor"], **extra})


def allow_managers(app: Flask, allowed: bool = True) -> None:
    with app.app_context():
        invitations.set_managers_may_invite(OPERATOR, allowed)
        db.session.commit()


# --- Inviting -------------------------------------------------------------------------------


def test_an_admin_invites_someone_who_gets_an_email_that_lets_them_join(
    app, client, new_client, people, smtp_server
):
    use_smtp(app, smtp_server.port)
    response = invite_as_admin(client, people, "New.Person@Example.org", display_name="Nia New")
    assert response.status_code == 303
    assert (
        "An invitation has been sent to new.person@example.org" in client.get("/people/invite").text
    )
    invited = account(app, "new.person@example.org")
    assert invited is not None and invited.status == "invited" and not invited.active
    assert {r.value for r in invited.roles} == {"contributor"}
    with app.app_context():
        mail.deliver_due()
    (received,) = smtp_server.wait_for(1)
    assert received["To"] == "new.person@example.org"
    assert "Ade Admin has invited you" in received.get_content()
    path = LINK.search(received.get_content()).group(1)  # type: ignore[union-attr]

    invitee = new_client()
    page = invitee.get(path)
    assert page.status_code == 200
    assert "Ade Admin invited you as" in page.text and 'value="Nia New"' in page.text
    response = invitee.post_form(
        path,
        {"display_name": "Nia Newton", "password": NEW_PASSWORD, "confirm_password": NEW_PASSWORD},
    )
    assert response.status_code == 303 and response.location.endswith("/")
    assert "Nia Newton" in invitee.get("/profile").text
    joined = account(app, "new.person@example.org")
    assert joined is not None and joined.active and joined.status == "active"
    assert joined.display_name == "Nia Newton"
    assert len(events(app, "user.invited")) == 1
    assert len(events(app, "user.invitation_accepted")) == 1
    # The link worked once; it now says so and points to signing in.
    again = new_client().get(path)
    assert again.status_code == 410 and "already been used" in again.text


def test_an_invited_person_cannot_sign_in_with_a_password_until_they_accept(
    app, client, new_client, people
):
    invite_as_admin(client, people)
    other = new_client()
    for password in ("", PASSWORD, "anything at all here"):
        response = other.post_form("/sign-in", {"email": "new@example.org", "password": password})
        assert response.status_code == 422
    # Nor can they get a password by asking for a reset.
    other.post_form("/forgot-password", {"email": "new@example.org"})
    with app.app_context():
        sent = db.session.scalars(
            db.select(OutgoingMail.subject).where(OutgoingMail.to_address == "new@example.org")
        ).all()
    assert sent == ["You are invited to the Supporting People Grid"]


def test_an_address_that_already_has_an_account_is_not_invited(app, client, people):
    response = invite_as_admin(client, people, people["contributor"].email.upper())
    assert response.status_code == 422
    assert "contributor@example.org already has an account here." in response.text
    assert 'value="CONTRIBUTOR@EXAMPLE.ORG"' in response.text  # what was typed is kept
    invite_as_admin(client, people, "twice@example.org")
    again = client.post_form("/people/invite", {"email": "twice@example.org", "roles": ["manager"]})
    assert again.status_code == 422 and "has already been invited" in again.text
    assert len(events(app, "user.invited")) == 1


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"email": "not-an-address", "roles": ["contributor"]}, "invite-email", "Enter an email"),
        ({"email": "a@b", "roles": ["contributor"]}, "invite-email", "Enter an email"),
        ({"email": "", "roles": ["contributor"]}, "invite-email", "Enter an email"),
        ({"email": "x@example.org"}, "role-contributor", "Choose at least one role."),
        ({"email": "x@example.org", "roles": ["boss"]}, "role-contributor", "Choose from"),
        (
            {"email": "x@example.org", "roles": ["contributor"], "display_name": "n" * 121},
            "invite-name",
            "Keep the name to 120",
        ),
    ],
)
def test_bad_input_is_refused_beside_its_field_and_invites_nobody(
    app, client, people, data, field, message
):
    client.sign_in(people["admin"])
    response = client.post_form("/people/invite", data)
    assert response.status_code == 422
    assert message in response.text
    assert f'href="#{field}"' in response.text
    assert events(app, "user.invited") == []
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count()).select_from(OutgoingMail)) == 0


@pytest.mark.parametrize("who", ["contributor", "facilitator", "reader", "manager"])
def test_people_who_may_not_invite_are_refused(app, client, people, who):
    client.sign_in(people[who])
    assert client.get("/people/invite").status_code == 403
    response = client.post_form(
        "/people/invite", {"email": "x@example.org", "roles": ["contributor"]}
    )
    assert response.status_code == 403
    assert client.get("/people/invite/many").status_code == 403
    assert (
        client.post_form("/people/invite/many", {"addresses": "x@example.org"}).status_code == 403
    )
    assert (
        client.post_form("/people/invite/many/send", {"rows": "email\nx@example.org\n"}).status_code
        == 403
    )
    assert "Invite people</a>" not in client.get("/profile").text
    assert account(app, "x@example.org") is None


def test_signed_out_people_are_sent_to_sign_in(client, people):
    for url in ("/people/invite", "/people/invite/many", "/people/requests", "/account-requests"):
        response = client.get(url)
        assert response.status_code == 302 and "/sign-in" in response.location
    for url in (
        "/people/invite",
        "/people/invite/many",
        "/people/invite/many/send",
        f"/people/{people['contributor'].id}/invitation/resend",
        f"/people/{people['contributor'].id}/invitation/cancel",
        "/people/settings/managers-invite",
        "/account-requests",
    ):
        response = client.post_form(url, {"email": "x@example.org", "allowed": "y"})
        assert response.status_code == 302 and "/sign-in" in response.location, url


def test_a_manager_invites_once_an_admin_allows_it_but_never_as_admin(app, client, people):
    client.sign_in(people["admin"])
    response = client.post_form("/people/settings/managers-invite", {"allowed": "y"})
    assert response.status_code == 303
    (changed,) = events(app, "people.setting_changed")
    assert changed.details == {"before": False, "after": True}
    assert changed.actor_id == people["admin"].id
    assert (
        'id="managers-invite" name="allowed" type="checkbox" value="y" checked'
        in client.get("/people").text
    )

    manager = client.application.test_client()
    manager.sign_in(people["manager"])
    assert (
        '<a class="app-header__link" href="/people/invite">Invite people</a>'
        in manager.get("/profile").text
    )
    form = manager.get("/people/invite").text
    assert 'value="manager"' in form and 'value="admin"' not in form
    refused = manager.post_form("/people/invite", {"email": "boss@example.org", "roles": ["admin"]})
    assert refused.status_code == 403
    assert account(app, "boss@example.org") is None
    done = manager.post_form(
        "/people/invite", {"email": "mate@example.org", "roles": ["contributor"]}
    )
    assert done.status_code == 303
    assert account(app, "mate@example.org").status == "invited"  # type: ignore[union-attr]
    # Still not an admin page for them.
    assert manager.get("/people").status_code == 403

    client.post_form("/people/settings/managers-invite", {})
    assert manager.get("/people/invite").status_code == 403
    assert len(events(app, "people.setting_changed")) == 2


@pytest.mark.parametrize("who", ["manager", "contributor", "facilitator"])
def test_only_admins_change_who_may_invite(app, client, people, who):
    client.sign_in(people[who])
    response = client.post_form("/people/settings/managers-invite", {"allowed": "y"})
    assert response.status_code == 403
    with app.app_context():
        assert not invitations.managers_may_invite()


# --- The list and the person's page ---------------------------------------------------------


def test_the_list_shows_invited_people_and_filters_by_status(app, client, people, count_queries):
    invite_as_admin(client, people, "one@example.org", display_name="Una One")
    page = client.get("/people?status=invited")
    assert page.status_code == 200
    assert "Una One" in page.text and "Invited</strong>" in page.text
    assert people["contributor"].name not in page.text
    active = client.get("/people?status=active").text
    assert "Una One" not in active and people["contributor"].name in active
    assert "Una One" not in client.get("/people?status=deactivated").text
    fragment = client.get("/people?status=invited", headers=HX).text
    assert "Una One" in fragment and 'id="people-list"' in fragment and "<html" not in fragment
    with count_queries() as few:
        client.get("/people")
    for n in range(5):
        client.post_form("/people/invite", {"email": f"p{n}@example.org", "roles": ["manager"]})
    with count_queries() as many:
        client.get("/people")
    assert len(many) == len(few)


def test_the_person_page_says_when_and_by_whom_they_were_invited(app, client, people):
    invite_as_admin(client, people)
    user = account(app, "new@example.org")
    assert user is not None
    page = client.get(f"/people/{user.id}").text
    assert "<h1" in page and "new@example.org" in page
    assert re.search(r"Invited</dt>\s*<dd[^>]*>.*by Ade Admin", page)
    assert "Send the invitation again" in page and "Cancel the invitation" in page
    assert "Deactivate new@example.org" not in page


def test_resending_sends_a_new_link_and_the_old_one_stops_working(app, client, new_client, people):
    invite_as_admin(client, people)
    first = last_link(app, "new@example.org")
    user = account(app, "new@example.org")
    assert user is not None
    response = client.post_form(f"/people/{user.id}/invitation/resend", {})
    assert response.status_code == 303
    second = last_link(app, "new@example.org")
    assert first != second
    gone = new_client().get(first)
    assert gone.status_code == 410
    assert "ask Ade Admin to send the invitation again" in gone.text
    assert new_client().get(second).status_code == 200
    assert len(events(app, "user.invitation_resent")) == 1


def test_cancelling_stops_the_link_and_the_address_can_be_invited_again(
    app, client, new_client, people
):
    invite_as_admin(client, people)
    link = last_link(app, "new@example.org")
    user = account(app, "new@example.org")
    assert user is not None
    assert client.post_form(f"/people/{user.id}/invitation/cancel", {}).status_code == 303
    assert account(app, "new@example.org").status == "cancelled"  # type: ignore[union-attr]
    gone = new_client().get(link)
    assert gone.status_code == 410
    assert "This invitation was cancelled" in gone.text and "ask Ade Admin" in gone.text
    posted = new_client().post_form(
        link, {"display_name": "X", "password": NEW_PASSWORD, "confirm_password": NEW_PASSWORD}
    )
    assert posted.status_code == 410
    assert not account(app, "new@example.org").active  # type: ignore[union-attr]
    (cancelled,) = events(app, "user.invitation_cancelled")
    assert cancelled.target_id == str(user.id)
    # Cancelling twice, or resending a cancelled one, is refused beside the section.
    again = client.post_form(f"/people/{user.id}/invitation/cancel", {})
    assert again.status_code == 422 and "no invitation waiting" in again.text
    assert client.post_form(f"/people/{user.id}/invitation/resend", {}).status_code == 422
    # Nor can a cancelled invitation be switched on without a password.
    refused = client.post_form(f"/people/{user.id}/reactivate", {})
    assert refused.status_code == 422 and "invite them again instead" in refused.text
    # Inviting the address again uses the same account, with the new roles.
    response = client.post_form(
        "/people/invite", {"email": "new@example.org", "roles": ["manager"]}
    )
    assert response.status_code == 303
    again_user = account(app, "new@example.org")
    assert again_user is not None and again_user.id == user.id and again_user.status == "invited"
    assert {r.value for r in again_user.roles} == {"manager"}
    assert new_client().get(last_link(app, "new@example.org")).status_code == 200


@pytest.mark.parametrize("who", ["manager", "contributor", "facilitator"])
def test_only_admins_resend_or_cancel(app, client, new_client, people, who):
    allow_managers(app)
    invite_as_admin(client, people)
    user = account(app, "new@example.org")
    assert user is not None
    other = new_client()
    other.sign_in(people[who])
    assert other.post_form(f"/people/{user.id}/invitation/resend", {}).status_code == 403
    assert other.post_form(f"/people/{user.id}/invitation/cancel", {}).status_code == 403
    assert account(app, "new@example.org").status == "invited"  # type: ignore[union-attr]


# --- The link -------------------------------------------------------------------------------


def test_an_expired_link_says_who_to_ask(app, client, new_client, people):
    invite_as_admin(client, people)
    link = last_link(app, "new@example.org")
    with app.app_context():
        from grid_app.auth.models import AccountToken

        db.session.execute(
            db.update(AccountToken).values(expires_at=utcnow() - timedelta(minutes=1))
        )
        db.session.commit()
    gone = new_client().get(link)
    assert gone.status_code == 410
    assert "This invitation cannot be used" in gone.text and "ask Ade Admin" in gone.text


def test_an_invitation_lasts_the_configured_number_of_days(app, client, people):
    app.config["INVITATION_DAYS"] = 3
    invite_as_admin(client, people)
    with app.app_context():
        from grid_app.auth.models import AccountToken

        token = db.session.scalars(db.select(AccountToken)).one()
        assert timedelta(days=3) - (token.expires_at - token.created_at) < timedelta(seconds=1)
        body = db.session.scalars(db.select(OutgoingMail.body)).one()
    assert "for 3 days" in body


def test_unknown_and_other_purpose_links_are_not_found(app, client, new_client, people):
    assert new_client().get("/invitation/not-a-link").status_code == 404
    with app.app_context():
        user = db.session.get_one(User, people["contributor"].id)
        reset = tokens.issue(user, tokens.TokenPurpose.RESET, timedelta(hours=1))
        db.session.commit()
    response = new_client().get(f"/invitation/{reset}")
    assert response.status_code == 404 and "This link is not right" in response.text
    # And an invitation link does not reset a password.
    invite_as_admin(client, people)
    link = last_link(app, "new@example.org").rsplit("/", 1)[1]
    assert new_client().get(f"/reset-password/{link}").status_code == 404


def test_a_refused_password_or_name_keeps_the_link_and_what_was_typed(
    app, client, new_client, people
):
    invite_as_admin(client, people)
    link = last_link(app, "new@example.org")
    invitee = new_client()
    short = invitee.post_form(
        link, {"display_name": "Nia Newton", "password": "short", "confirm_password": "short"}
    )
    assert short.status_code == 422 and "Use at least 12 characters." in short.text
    assert 'value="Nia Newton"' in short.text
    assert short.headers["Referrer-Policy"] == "strict-origin"
    named = invitee.post_form(
        link,
        {
            "display_name": "Zebedee Quark",
            "password": "zebedee rules ok!",
            "confirm_password": "zebedee rules ok!",
        },
    )
    assert named.status_code == 422 and "Do not use your name" in named.text
    differ = invitee.post_form(
        link,
        {"display_name": "Nia", "password": NEW_PASSWORD, "confirm_password": NEW_PASSWORD + "x"},
    )
    assert differ.status_code == 422 and "Type the same password in both boxes." in differ.text
    blank = invitee.post_form(
        link, {"display_name": "", "password": NEW_PASSWORD, "confirm_password": NEW_PASSWORD}
    )
    assert blank.status_code == 422 and "Enter your name." in blank.text
    assert account(app, "new@example.org").status == "invited"  # type: ignore[union-attr]
    ok = invitee.post_form(
        link,
        {"display_name": "Nia Newton", "password": NEW_PASSWORD, "confirm_password": NEW_PASSWORD},
    )
    assert ok.status_code == 303


def test_the_joined_person_signs_out_and_in_again_with_their_new_password(
    app, client, new_client, people
):
    invite_as_admin(client, people)
    link = last_link(app, "new@example.org")
    invitee = new_client()
    invitee.post_form(
        link,
        {"display_name": "Nia Newton", "password": NEW_PASSWORD, "confirm_password": NEW_PASSWORD},
    )
    assert invitee.post_form("/sign-out", {}).status_code == 303
    again = new_client()
    response = again.post_form("/sign-in", {"email": "new@example.org", "password": NEW_PASSWORD})
    assert response.status_code == 303


# --- The service, as the command line and other domains call it ------------------------------


def test_the_service_refuses_whoever_may_not_invite(app, people):
    with app.app_context():
        contributor = db.session.get_one(User, people["contributor"].id)
        with pytest.raises(Forbidden):
            invitations.invite(contributor, "x@example.org", ["contributor"])
        manager = db.session.get_one(User, people["manager"].id)
        with pytest.raises(Forbidden):
            invitations.invite(manager, "x@example.org", ["contributor"])
        invitations.set_managers_may_invite(OPERATOR, True)
        with pytest.raises(Forbidden):
            invitations.invite(manager, "x@example.org", ["admin"])
        with pytest.raises(Invalid):
            invitations.invite(OPERATOR, "x@", ["contributor"])
        user = invitations.invite(manager, "x@example.org", ["contributor"])
        assert user.status == "invited"
        db.session.rollback()


def test_joining_in_a_browser_where_someone_else_is_signed_in_ends_their_session(
    app, client, new_client, people
):
    invite_as_admin(client, people)
    link = last_link(app, "new@example.org")
    shared = new_client()
    shared.sign_in(people["contributor"])
    response = shared.post_form(
        link,
        {"display_name": "Nia Newton", "password": NEW_PASSWORD, "confirm_password": NEW_PASSWORD},
    )
    assert response.status_code == 303
    assert "Nia Newton" in shared.get("/profile").text
    with app.app_context():
        from grid_app.auth.models import UserSession

        left = db.session.scalars(
            db.select(UserSession).where(UserSession.user_id == people["contributor"].id)
        ).all()
    assert left == []
