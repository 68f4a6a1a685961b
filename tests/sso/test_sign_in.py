"""Signing in through a real OpenID Connect provider on localhost, and every refusal."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from flask import Flask
from sqlalchemy import select

from grid_app.audit.models import AuditEvent
from grid_app.auth.models import OPERATOR, Role, User, UserSession
from grid_app.extensions import db
from grid_app.people import invitations
from grid_app.people import service as people_service
from grid_app.sso.models import SsoIdentity
from tests.oidc_provider import (
    CLIENT_ID,
    Provider,
    local_path,
    running_provider,
    sign_in_at_provider,
)


def new_sub() -> str:
    return f"person-{uuid.uuid4().hex[:12]}"


def through_provider(client, provider: Provider, sub: str, start: str = "/sign-in/sso"):
    """Press "Sign in with …", sign in at the provider as ``sub``, come back; the answer."""
    leaving = client.get(start)
    assert leaving.status_code == 302, leaving.text
    assert leaving.location.startswith(provider.url)
    back = sign_in_at_provider(leaving.location, sub)
    return client.get(local_path(back))


def signed_in_as(client) -> str | None:
    """Whose name the grid's header shows, or None when the browser is signed out."""
    page = client.get("/profile")
    if page.status_code != 200:
        return None
    with client.application.app_context():
        for user in db.session.scalars(select(User)):
            if f">{user.email}<" in page.text or user.email in page.text:
                return user.email
    return None


def user_by_email(app: Flask, email: str) -> User | None:
    with app.app_context():
        user = db.session.scalar(select(User).where(User.email == email))
        if user is not None:
            _ = user.roles, user.status
        return user


def actions(app: Flask) -> list[str]:
    with app.app_context():
        return list(db.session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)))


def invite(app: Flask, email: str, roles: tuple[str, ...] = ("contributor",)) -> None:
    with app.app_context():
        invitations.invite(OPERATOR, email, roles)
        db.session.commit()


# --- Coming in ------------------------------------------------------------------------------


def test_first_sign_in_links_an_invited_account_by_verified_email_and_switches_it_on(
    sso_app, client, provider
):
    invite(sso_app, "ines@example.org", ("contributor", "manager"))
    sub = new_sub()
    provider.set_person(sub, email="Ines@Example.org", email_verified=True, name="Ines Ide")
    answer = through_provider(client, provider, sub)
    assert answer.status_code == 303
    assert answer.location.endswith("/") or "/grids" in answer.location
    assert signed_in_as(client) == "ines@example.org"
    user = user_by_email(sso_app, "ines@example.org")
    assert user is not None and user.status == "active" and user.display_name == "Ines Ide"
    assert user.roles == {Role.CONTRIBUTOR, Role.MANAGER}
    with sso_app.app_context():
        identity = db.session.scalar(select(SsoIdentity).where(SsoIdentity.user_id == user.id))
        assert identity is not None
        assert (identity.issuer, identity.subject) == (provider.url, sub)
        # The session is an ordinary server-side session record.
        assert db.session.scalar(select(UserSession).where(UserSession.user_id == user.id))
    assert {"user.invitation_accepted", "sso.linked", "auth.signed_in"} <= set(actions(sso_app))


def test_once_linked_the_person_is_found_by_subject_id_not_email(
    sso_app, client, new_client, provider, people
):
    sub = new_sub()
    provider.set_person(sub, email=people["contributor"].email, email_verified=True)
    assert through_provider(client, provider, sub).status_code == 303
    # At the provider the address moves to someone else's name, unverified: still the same
    # person here, by the subject id.
    provider.set_person(sub, email="somebody.else@example.org", email_verified=False)
    again = new_client()
    assert through_provider(again, provider, sub).status_code == 303
    assert signed_in_as(again) == people["contributor"].email


def test_sign_in_returns_to_the_page_the_person_was_going_to(sso_app, client, provider, people):
    sub = new_sub()
    provider.set_person(sub, email=people["manager"].email, email_verified=True)
    answer = through_provider(client, provider, sub, start="/sign-in/sso?next=/profile")
    assert answer.status_code == 303 and answer.location.endswith("/profile")


def test_a_next_address_on_another_site_is_not_followed(sso_app, client, provider, people):
    sub = new_sub()
    provider.set_person(sub, email=people["manager"].email, email_verified=True)
    answer = through_provider(
        client, provider, sub, start="/sign-in/sso?next=https://evil.example/x"
    )
    assert answer.status_code == 303 and "evil.example" not in answer.location


def test_signing_in_through_the_provider_ends_the_session_the_browser_had(
    sso_app, client, provider, people
):
    client.sign_in(people["contributor"])
    sub = new_sub()
    provider.set_person(sub, email=people["manager"].email, email_verified=True)
    assert through_provider(client, provider, sub).status_code == 303
    with sso_app.app_context():
        left = db.session.scalars(select(UserSession.user_id)).all()
    assert left == [people["manager"].id]


def test_automatic_creation_makes_a_contributor_when_switched_on(sso_app, client, provider):
    sso_app.config["OIDC_AUTO_CREATE"] = True
    sub = new_sub()
    provider.set_person(sub, email="newcomer@example.org", email_verified=True, name="New Comer")
    assert through_provider(client, provider, sub).status_code == 303
    user = user_by_email(sso_app, "newcomer@example.org")
    assert user is not None and user.active and user.roles == {Role.CONTRIBUTOR}
    assert user.display_name == "New Comer"
    assert "sso.account_created" in actions(sso_app)


def test_groups_give_and_take_the_mapped_roles(sso_app, client, new_client, provider, people):
    sso_app.config.update(
        OIDC_GROUPS_CLAIM="groups", OIDC_GROUP_ROLES="grid-admins=admin,grid-managers=manager"
    )
    sub = new_sub()
    email = people["facilitator"].email
    provider.set_person(sub, email=email, email_verified=True, groups=["grid-managers", "x"])
    assert through_provider(client, provider, sub).status_code == 303
    assert user_by_email(sso_app, email).roles == {Role.FACILITATOR, Role.MANAGER}
    # Out of the managers' group at the provider: the manager role goes, the facilitator
    # role (which the groups do not decide) stays.
    provider.set_person(sub, email=email, email_verified=True, groups=[])
    assert through_provider(new_client(), provider, sub).status_code == 303
    assert user_by_email(sso_app, email).roles == {Role.FACILITATOR}
    assert "sso.roles_from_groups" in actions(sso_app)


def group_events(app: Flask, user_id: int) -> list[tuple[str, dict]]:
    """The role events about the person, oldest first, with their details."""
    with app.app_context():
        return [
            (event.action, event.details)
            for event in db.session.scalars(
                select(AuditEvent)
                .where(
                    AuditEvent.target_id == str(user_id),
                    AuditEvent.action.in_(["sso.roles_from_groups", "sso.last_admin_kept"]),
                )
                .order_by(AuditEvent.id)
            )
        ]


def test_the_last_admin_keeps_admin_and_signs_in_when_the_groups_no_longer_give_it(
    sso_app, client, provider, people
):
    sso_app.config.update(
        OIDC_GROUPS_CLAIM="groups", OIDC_GROUP_ROLES="grid-admins=admin,grid-managers=manager"
    )
    sub = new_sub()
    admin = people["admin"]
    provider.set_person(sub, email=admin.email, email_verified=True, groups=["grid-managers"])
    answer = through_provider(client, provider, sub)
    # Not locked out: the sign-in goes through, and they can still look after people.
    assert answer.status_code == 303
    assert signed_in_as(client) == admin.email
    assert client.get("/people").status_code == 200
    # Admin stays; the rest still follows the groups (manager given, contributor untouched).
    assert user_by_email(sso_app, admin.email).roles == {
        Role.CONTRIBUTOR,
        Role.ADMIN,
        Role.MANAGER,
    }
    # The log says the groups disagreed, and what they gave.
    assert group_events(sso_app, admin.id) == [
        ("sso.last_admin_kept", {"groups_gave": ["contributor", "manager"]}),
        (
            "sso.roles_from_groups",
            {"before": ["admin", "contributor"], "after": ["admin", "contributor", "manager"]},
        ),
    ]


def test_the_last_admin_signs_in_again_with_nothing_changed_but_the_disagreement_noted(
    sso_app, client, new_client, provider, people
):
    sso_app.config.update(OIDC_GROUPS_CLAIM="groups", OIDC_GROUP_ROLES="grid-admins=admin")
    sub = new_sub()
    admin = people["admin"]
    provider.set_person(sub, email=admin.email, email_verified=True, groups=[])
    assert through_provider(client, provider, sub).status_code == 303
    assert through_provider(new_client(), provider, sub).status_code == 303
    assert user_by_email(sso_app, admin.email).roles == {Role.CONTRIBUTOR, Role.ADMIN}
    assert group_events(sso_app, admin.id) == [
        ("sso.last_admin_kept", {"groups_gave": ["contributor"]}),
        ("sso.last_admin_kept", {"groups_gave": ["contributor"]}),
    ]


def test_an_admin_who_is_not_the_last_loses_admin_when_the_groups_no_longer_give_it(
    sso_app, client, provider, people
):
    with sso_app.app_context():
        manager = db.session.get_one(User, people["manager"].id)
        people_service.set_roles(OPERATOR, manager, ["contributor", "manager", "admin"])
        db.session.commit()
    sso_app.config.update(
        OIDC_GROUPS_CLAIM="groups", OIDC_GROUP_ROLES="grid-admins=admin,grid-managers=manager"
    )
    sub = new_sub()
    admin = people["admin"]
    provider.set_person(sub, email=admin.email, email_verified=True, groups=[])
    assert through_provider(client, provider, sub).status_code == 303
    assert signed_in_as(client) == admin.email
    assert user_by_email(sso_app, admin.email).roles == {Role.CONTRIBUTOR}
    assert group_events(sso_app, admin.id) == [
        ("sso.roles_from_groups", {"before": ["admin", "contributor"], "after": ["contributor"]}),
    ]


def test_a_deactivated_admin_does_not_count_as_another_admin_for_the_groups(
    sso_app, client, provider, people
):
    with sso_app.app_context():
        manager = db.session.get_one(User, people["manager"].id)
        people_service.set_roles(OPERATOR, manager, ["contributor", "manager", "admin"])
        people_service.deactivate(OPERATOR, manager)
        db.session.commit()
    sso_app.config.update(OIDC_GROUPS_CLAIM="groups", OIDC_GROUP_ROLES="grid-admins=admin")
    sub = new_sub()
    admin = people["admin"]
    provider.set_person(sub, email=admin.email, email_verified=True, groups=[])
    assert through_provider(client, provider, sub).status_code == 303
    assert user_by_email(sso_app, admin.email).roles == {Role.CONTRIBUTOR, Role.ADMIN}
    assert "sso.last_admin_kept" in actions(sso_app)


# --- Refused: the person ----------------------------------------------------------------------


def test_an_unknown_person_is_refused_with_a_clear_page_and_nothing_is_made(
    sso_app, client, provider
):
    sub = new_sub()
    provider.set_person(sub, email="stranger@example.org", email_verified=True)
    answer = through_provider(client, provider, sub)
    assert answer.status_code == 403
    assert "You do not have an account here" in answer.text
    assert "Ask an admin" in answer.text
    assert user_by_email(sso_app, "stranger@example.org") is None
    assert signed_in_as(client) is None
    with sso_app.app_context():
        assert db.session.scalar(select(SsoIdentity)) is None
    assert actions(sso_app)[-1] == "sso.refused"


def test_an_unverified_email_is_refused_even_for_an_existing_account(
    sso_app, client, provider, people
):
    sub = new_sub()
    provider.set_person(sub, email=people["admin"].email, email_verified=False)
    answer = through_provider(client, provider, sub)
    assert answer.status_code == 403
    assert "could not be confirmed" in answer.text
    assert signed_in_as(client) is None


def test_a_deactivated_person_is_refused_although_the_provider_says_yes(
    sso_app, client, new_client, provider, people
):
    sub = new_sub()
    provider.set_person(sub, email=people["other"].email, email_verified=True)
    assert through_provider(client, provider, sub).status_code == 303
    with sso_app.app_context():
        people_service.deactivate(OPERATOR, db.session.get_one(User, people["other"].id))
        db.session.commit()
    assert signed_in_as(client) is None
    answer = through_provider(new_client(), provider, sub)
    assert answer.status_code == 403
    assert "Your account is switched off" in answer.text


def test_a_cancelled_invitation_lets_nobody_in(sso_app, client, provider):
    invite(sso_app, "cancelled@example.org")
    with sso_app.app_context():
        user = db.session.scalar(select(User).where(User.email == "cancelled@example.org"))
        invitations.cancel(OPERATOR, user)
        db.session.commit()
    sub = new_sub()
    provider.set_person(sub, email="cancelled@example.org", email_verified=True)
    assert through_provider(client, provider, sub).status_code == 403
    assert user_by_email(sso_app, "cancelled@example.org").status == "cancelled"


# --- Refused: the provider's answer ---------------------------------------------------------


def test_a_wrong_state_is_refused(sso_app, client, provider, people):
    sub = new_sub()
    provider.set_person(sub, email=people["contributor"].email, email_verified=True)
    leaving = client.get("/sign-in/sso")
    back = sign_in_at_provider(leaving.location, sub)
    forged = local_path(back).replace("state=", "state=forged")
    answer = client.get(forged)
    assert answer.status_code == 400
    assert "Single sign-on did not work" in answer.text
    assert signed_in_as(client) is None


def test_an_answer_for_a_sign_in_started_elsewhere_is_refused(
    sso_app, client, new_client, provider, people
):
    """Login CSRF: someone else's code and state, planted in this browser."""
    sub = new_sub()
    provider.set_person(sub, email=people["contributor"].email, email_verified=True)
    leaving = client.get("/sign-in/sso")
    back = sign_in_at_provider(leaving.location, sub)
    victim = new_client()
    answer = victim.get(local_path(back))
    assert answer.status_code == 400
    assert signed_in_as(victim) is None


def test_a_replayed_code_is_refused(sso_app, client, new_client, provider, people):
    sub = new_sub()
    provider.set_person(sub, email=people["contributor"].email, email_verified=True)
    leaving = client.get("/sign-in/sso")
    back = sign_in_at_provider(leaving.location, sub)
    assert client.get(local_path(back)).status_code == 303
    used_code = dict(p.split("=", 1) for p in local_path(back).split("?", 1)[1].split("&"))["code"]
    # A new sign-in in another browser, answered with the code that was used already.
    other = new_client()
    started = other.get("/sign-in/sso")
    fresh = local_path(sign_in_at_provider(started.location, sub))
    fresh_code = dict(p.split("=", 1) for p in fresh.split("?", 1)[1].split("&"))["code"]
    answer = other.get(fresh.replace(fresh_code, used_code))
    assert answer.status_code == 400
    assert "already used" in answer.text
    assert signed_in_as(other) is None


def test_the_callback_opened_directly_is_refused(sso_app, client):
    answer = client.get("/sign-in/sso/callback?code=abc&state=def")
    assert answer.status_code == 400
    assert "Start again from the sign-in page" in answer.text


def test_a_refusal_at_the_provider_is_a_clear_page(sso_app, client, provider):
    leaving = client.get("/sign-in/sso")
    import requests

    denied = requests.post(
        leaving.location, data={"action": "deny"}, timeout=10, allow_redirects=False
    )
    answer = client.get(local_path(denied.headers["Location"]))
    assert answer.status_code == 400
    assert signed_in_as(client) is None


@pytest.fixture
def other_audience_provider():
    """A provider that issues its tokens to another application than this grid."""
    with running_provider(audience="another-council-app") as running:
        yield running


def test_a_token_for_another_audience_is_refused(app, client, other_audience_provider, people):
    app.config.update(other_audience_provider.config())
    sub = new_sub()
    other_audience_provider.set_person(sub, email=people["admin"].email, email_verified=True)
    answer = through_provider(client, other_audience_provider, sub)
    assert answer.status_code == 400
    assert "not meant for this grid" in answer.text
    assert signed_in_as(client) is None


@pytest.fixture
def expired_token_provider():
    """A provider whose ID tokens expired ten minutes before they were issued."""
    with running_provider(token_lifetime=timedelta(minutes=-10)) as running:
        yield running


def test_an_expired_token_is_refused(app, client, expired_token_provider, people):
    app.config.update(expired_token_provider.config())
    sub = new_sub()
    expired_token_provider.set_person(sub, email=people["admin"].email, email_verified=True)
    answer = through_provider(client, expired_token_provider, sub)
    assert answer.status_code == 400
    assert "out of date" in answer.text
    assert signed_in_as(client) is None


def test_a_token_from_another_issuer_is_refused(app, client, provider, people):
    # The configured issuer differs from the one the provider names in its tokens.
    app.config.update(provider.config(OIDC_ISSUER=provider.url + "/"))
    sub = new_sub()
    provider.set_person(sub, email=people["admin"].email, email_verified=True)
    answer = through_provider(client, provider, sub)
    assert answer.status_code == 400
    assert signed_in_as(client) is None


@pytest.fixture
def own_provider():
    """A provider of this test's own, whose keys it may rotate."""
    with running_provider() as running:
        yield running


def test_rotated_signing_keys_are_fetched_again(app, client, new_client, own_provider, people):
    app.config.update(own_provider.config())
    sub = new_sub()
    own_provider.set_person(sub, email=people["admin"].email, email_verified=True)
    assert through_provider(client, own_provider, sub).status_code == 303
    # The app now holds the provider's keys; the provider starts signing with a new one.
    own_provider.rotate_keys()
    again = new_client()
    assert through_provider(again, own_provider, sub).status_code == 303
    assert signed_in_as(again) == people["admin"].email


def test_a_token_signed_with_a_key_the_provider_does_not_publish_is_refused(
    app, client, own_provider, people
):
    app.config.update(own_provider.config())
    own_provider.rotate_keys(publish=False)
    sub = new_sub()
    own_provider.set_person(sub, email=people["admin"].email, email_verified=True)
    answer = through_provider(client, own_provider, sub)
    assert answer.status_code == 400
    assert signed_in_as(client) is None


def test_an_unreachable_provider_is_a_clear_page_not_an_error(app, client, provider):
    from tests.conftest import free_port

    app.config.update(provider.config(OIDC_ISSUER=f"http://127.0.0.1:{free_port()}"))
    answer = client.get("/sign-in/sso")
    assert answer.status_code == 503
    assert "could not be reached" in answer.text


def test_without_single_sign_on_set_up_its_addresses_are_not_found(client):
    assert client.get("/sign-in/sso").status_code == 404
    assert client.get("/sign-in/sso/callback?code=a&state=b").status_code == 404
    assert client.get("/signed-out").status_code == 404


def test_the_client_id_is_what_the_provider_is_asked_about(sso_app, client):
    leaving = client.get("/sign-in/sso")
    assert f"client_id={CLIENT_ID}" in leaving.location
    assert "code_challenge_method=S256" in leaving.location
    assert "nonce=" in leaving.location and "state=" in leaving.location


def test_the_claim_that_vouches_for_the_email_can_be_named(sso_app, client, provider, people):
    """Entra ID says so in xms_edov rather than email_verified."""
    sso_app.config["OIDC_EMAIL_VERIFIED_CLAIM"] = "xms_edov"
    sub = new_sub()
    provider.set_person(sub, email=people["manager"].email, email_verified=True)
    assert through_provider(client, provider, sub).status_code == 403
    sub = new_sub()
    provider.set_person(sub, email=people["manager"].email, xms_edov=True)
    assert through_provider(client, provider, sub).status_code == 303
    assert signed_in_as(client) == people["manager"].email


def test_a_group_mapping_naming_no_role_stops_the_app_from_starting(tmp_path):
    from grid_app import create_app
    from grid_app.config import ConfigError

    with pytest.raises(ConfigError, match="OIDC_GROUP_ROLES"):
        create_app(
            {
                "SECRET_KEY": "x",
                "INSTANCE_PATH": str(tmp_path),
                "OIDC_GROUP_ROLES": "grid-admins=superuser",
            }
        )


def test_an_erased_person_is_unlinked_and_cannot_come_back_through_the_provider(
    sso_app, client, new_client, provider, people
):
    from grid_app.people import erasure

    sub = new_sub()
    provider.set_person(sub, email=people["other"].email, email_verified=True)
    assert through_provider(client, provider, sub).status_code == 303
    with sso_app.app_context():
        erasure.erase(OPERATOR, db.session.get_one(User, people["other"].id))
        db.session.commit()
        assert db.session.scalar(select(SsoIdentity)) is None
    answer = through_provider(new_client(), provider, sub)
    assert answer.status_code == 403
    assert "nobody here has your email address" in answer.text
