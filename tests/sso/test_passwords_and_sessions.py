"""Switching local passwords off, signing out of the provider, and signing in afresh."""

from __future__ import annotations

import time
import uuid

import oidc_provider_mock._storage as provider_storage
import pytest
from sqlalchemy import select

from grid_app.audit.models import AuditEvent
from grid_app.auth import service as auth_service
from grid_app.extensions import db
from grid_app.sso.models import SignInPolicy
from tests.conftest import PASSWORD
from tests.oidc_provider import local_path, sign_in_at_provider
from tests.sso.test_sign_in import invite, signed_in_as, through_provider


def new_sub() -> str:
    return f"person-{uuid.uuid4().hex[:12]}"


def switch_passwords_off(client, people, break_glass: str = "admin"):
    client.sign_in(people["admin"])
    return client.post_form(
        "/people/sign-in-settings",
        {"passwords_off": "y", "break_glass": str(people[break_glass].id)},
    )


def last_action(app) -> AuditEvent:
    with app.app_context():
        return db.session.scalars(select(AuditEvent).order_by(AuditEvent.id.desc())).first()


# --- The sign-in page --------------------------------------------------------------------


def test_the_sign_in_page_offers_single_sign_on_first(sso_app, client):
    page = client.get("/sign-in").text
    assert "Sign in with your Camden account" in page
    assert page.index("Sign in with your Camden account") < page.index('name="password"')


def test_without_single_sign_on_the_sign_in_page_has_no_such_button(client):
    page = client.get("/sign-in").text
    assert "/sign-in/sso" not in page and "Sign in with your Camden" not in page


# --- The admin's switch ------------------------------------------------------------------


def test_an_admin_switches_passwords_off_for_all_but_the_break_glass_admin(
    sso_app, client, new_client, people
):
    answer = switch_passwords_off(client, people)
    assert answer.status_code == 303
    event = last_action(sso_app)
    assert event.action == "sso.passwords_switched_off"
    assert event.actor_id == people["admin"].id
    # Everyone else's password no longer signs them in, with a message saying what to do.
    other = new_client()
    refused = other.post_form("/sign-in", {"email": people["manager"].email, "password": PASSWORD})
    assert refused.status_code == 422
    assert "Passwords are switched off here" in refused.text
    assert signed_in_as(other) is None
    # The break-glass admin still can, from the emergency sign-in on the page.
    admin = new_client()
    page = admin.get("/sign-in").text
    assert "Emergency sign-in for the administrator" in page
    assert "Forgotten your password?" not in page
    assert admin.sign_in(people["admin"]).status_code == 303


def test_a_wrong_password_with_passwords_off_says_only_that_it_is_wrong(
    sso_app, client, new_client, people
):
    switch_passwords_off(client, people)
    refused = new_client().post_form(
        "/sign-in", {"email": people["manager"].email, "password": "not the password at all"}
    )
    assert refused.status_code == 422
    assert "Use the single sign-on button" not in refused.text
    assert "Check your email address and password" in refused.text


def test_with_passwords_off_no_reset_link_is_sent_and_old_links_stop_working(
    sso_app, client, people
):
    with sso_app.app_context():
        from datetime import timedelta

        from grid_app.auth import tokens
        from grid_app.auth.models import User
        from grid_app.auth.tokens import TokenPurpose

        user = db.session.get_one(User, people["manager"].id)
        link = tokens.issue(user, TokenPurpose.RESET, timedelta(minutes=60))
        db.session.commit()
    switch_passwords_off(client, people)
    with sso_app.app_context():
        auth_service.request_reset(people["manager"].email)
        sent = db.session.scalar(
            select(AuditEvent).where(AuditEvent.action == "auth.reset_requested")
        )
        assert sent is None
    page = client.get(f"/reset-password/{link}")
    assert page.status_code == 403
    assert "Passwords are switched off here" in page.text
    posted = client.post_form(
        f"/reset-password/{link}",
        {
            "password": "a brand new long passphrase",
            "confirm_password": "a brand new long passphrase",
        },
    )
    assert posted.status_code == 403


def test_with_passwords_off_an_invitation_is_accepted_through_the_provider_only(
    sso_app, client, new_client, provider, people
):
    switch_passwords_off(client, people)
    invite(sso_app, "joiner@example.org")
    with sso_app.app_context():
        from datetime import timedelta

        from grid_app.auth import tokens
        from grid_app.auth.models import User
        from grid_app.auth.tokens import TokenPurpose

        user = db.session.scalar(select(User).where(User.email == "joiner@example.org"))
        link = tokens.issue(user, TokenPurpose.INVITE, timedelta(days=7))
        db.session.commit()
    joiner = new_client()
    page = joiner.get(f"/invitation/{link}")
    assert page.status_code == 200
    assert "Sign in with your Camden account" in page.text
    assert 'name="password"' not in page.text
    posted = joiner.post_form(
        f"/invitation/{link}",
        {
            "display_name": "Jo Iner",
            "password": "a brand new long passphrase",
            "confirm_password": "a brand new long passphrase",
        },
    )
    assert posted.status_code == 403
    sub = new_sub()
    provider.set_person(sub, email="joiner@example.org", email_verified=True, name="Jo Iner")
    assert through_provider(joiner, provider, sub).status_code == 303
    assert signed_in_as(joiner) == "joiner@example.org"


def test_switching_passwords_off_needs_an_active_admin_kept_beside_the_field(
    sso_app, client, people
):
    client.sign_in(people["admin"])
    missing = client.post_form("/people/sign-in-settings", {"passwords_off": "y"})
    assert missing.status_code == 422
    assert "Choose the admin who may still sign in with a password." in missing.text
    assert 'id="break-glass-error"' in missing.text
    assert "checked" in missing.text
    not_admin = client.post_form(
        "/people/sign-in-settings",
        {"passwords_off": "y", "break_glass": str(people["manager"].id)},
    )
    assert not_admin.status_code == 422
    assert "Choose an active admin." in not_admin.text
    nonsense = client.post_form(
        "/people/sign-in-settings", {"passwords_off": "y", "break_glass": "99999999999999"}
    )
    assert nonsense.status_code == 422
    with sso_app.app_context():
        assert db.session.scalar(select(SignInPolicy)) is None


def test_passwords_cannot_be_switched_off_without_single_sign_on(client, people):
    client.sign_in(people["admin"])
    page = client.get("/people/sign-in-settings")
    assert "Single sign-on is not set up" in page.text
    answer = client.post_form(
        "/people/sign-in-settings",
        {"passwords_off": "y", "break_glass": str(people["admin"].id)},
    )
    assert answer.status_code == 422
    assert "cannot be switched off" in answer.text


@pytest.mark.parametrize("who", ["manager", "contributor", "facilitator"])
def test_only_admins_see_or_change_how_people_sign_in(sso_app, client, people, who):
    client.sign_in(people[who])
    assert client.get("/people/sign-in-settings").status_code == 403
    answer = client.post_form(
        "/people/sign-in-settings",
        {"passwords_off": "y", "break_glass": str(people["admin"].id)},
    )
    assert answer.status_code == 403
    with sso_app.app_context():
        assert db.session.scalar(select(SignInPolicy)) is None


def test_signed_out_the_settings_page_sends_to_sign_in(sso_app, client):
    answer = client.get("/people/sign-in-settings")
    assert answer.status_code == 302 and "/sign-in" in answer.location


def test_switching_passwords_on_again_is_audited(sso_app, client, new_client, people):
    switch_passwords_off(client, people)
    answer = client.post_form("/people/sign-in-settings", {"break_glass": ""})
    assert answer.status_code == 303
    assert last_action(sso_app).action == "sso.passwords_switched_on"
    assert new_client().sign_in(people["manager"]).status_code == 303


# --- Signing out ---------------------------------------------------------------------------


def test_signing_out_after_single_sign_on_offers_to_sign_out_of_the_provider(
    sso_app, client, provider, people
):
    sub = new_sub()
    provider.set_person(sub, email=people["contributor"].email, email_verified=True)
    assert through_provider(client, provider, sub).status_code == 303
    out = client.post_form("/sign-out", {})
    assert out.status_code == 303 and out.location.endswith("/signed-out")
    assert signed_in_as(client) is None
    page = client.get("/signed-out")
    assert page.status_code == 200
    assert f"{provider.url}/oauth2/end_session?" in page.text
    assert "post_logout_redirect_uri=http%3A%2F%2Flocalhost%2Fsign-in" in page.text


def test_signing_out_after_a_password_goes_straight_to_the_sign_in_page(sso_app, client, people):
    client.sign_in(people["contributor"])
    out = client.post_form("/sign-out", {})
    assert out.location.endswith("/sign-in")


# --- Proving who one is again -----------------------------------------------------------------


def test_a_fresh_sign_in_at_the_provider_proves_who_one_is_again(sso_app, client, provider, people):
    sub = new_sub()
    provider.set_person(sub, email=people["admin"].email, email_verified=True)
    assert through_provider(client, provider, sub).status_code == 303
    leaving = client.get("/sign-in/sso/again?next=/people")
    assert "prompt=login" in leaving.location and "max_age=0" in leaving.location
    back = client.get(local_path(sign_in_at_provider(leaving.location, sub)))
    assert back.status_code == 303 and back.location.endswith("/people")
    event = last_action(sso_app)
    assert (event.action, event.actor_id) == ("sso.reauthenticated", people["admin"].id)


def test_a_remembered_sign_in_does_not_count_as_proving_it_again(
    sso_app, client, provider, people, monkeypatch
):
    sub = new_sub()
    provider.set_person(sub, email=people["admin"].email, email_verified=True)
    assert through_provider(client, provider, sub).status_code == 303
    monkeypatch.setattr(
        provider_storage.AuthorizationCode, "get_auth_time", lambda self: int(time.time()) - 3600
    )
    leaving = client.get("/sign-in/sso/again?next=/people")
    back = client.get(local_path(sign_in_at_provider(leaving.location, sub)))
    assert back.status_code == 403
    assert "did not confirm that you have just signed in" in back.text
    assert last_action(sso_app).action == "sso.refused"
    # Still signed in as before: nothing else changed.
    assert signed_in_as(client) == people["admin"].email


def test_proving_it_again_as_someone_else_is_refused(sso_app, client, provider, people):
    mine, theirs = new_sub(), new_sub()
    provider.set_person(mine, email=people["admin"].email, email_verified=True)
    provider.set_person(theirs, email=people["manager"].email, email_verified=True)
    assert through_provider(client, provider, mine).status_code == 303
    leaving = client.get("/sign-in/sso/again")
    back = client.get(local_path(sign_in_at_provider(leaving.location, theirs)))
    assert back.status_code == 403
    assert "That was another account" in back.text
    assert signed_in_as(client) == people["admin"].email


def test_proving_it_again_needs_to_be_signed_in(sso_app, client):
    answer = client.get("/sign-in/sso/again")
    assert answer.status_code == 302 and "/sign-in" in answer.location
