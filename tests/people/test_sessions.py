"""An admin sees where a person is signed in and signs them out of every browser."""

from __future__ import annotations

import pytest

from grid_app.audit.models import AuditEvent
from grid_app.auth.models import User, UserSession
from grid_app.errors import Forbidden
from grid_app.extensions import db
from grid_app.people import service
from tests.conftest import HX, PASSWORD

NOT_ADMINS = ["contributor", "manager", "facilitator", "reader"]


def _sessions_of(app, person) -> int:
    with app.app_context():
        return db.session.scalar(
            db.select(db.func.count(UserSession.id)).where(UserSession.user_id == person.id)
        )


def _events(app):
    with app.app_context():
        return list(
            db.session.scalars(
                db.select(AuditEvent).where(AuditEvent.action == "user.sessions_ended")
            )
        )


@pytest.fixture
def admin(client, people):
    client.sign_in(people["admin"])
    return client


@pytest.fixture
def cara_twice(new_client, people):
    """The contributor, signed in on two browsers."""
    browsers = [new_client(), new_client()]
    for browser in browsers:
        browser.sign_in(people["contributor"])
    return browsers


def test_the_person_page_says_how_many_browsers_and_when_last_seen(admin, people, cara_twice):
    page = admin.get(f"/people/{people['contributor'].id}").text
    assert "Signed in on 2 browsers" in page and "last seen <time" in page
    assert "Sign Cara Contributor out of every browser" in page


def test_someone_signed_in_nowhere_is_said_so(admin, people):
    page = admin.get(f"/people/{people['other'].id}").text
    assert "Not signed in anywhere." in page and "out of every browser" not in page


def test_an_admin_signs_someone_out_of_every_browser(app, admin, people, cara_twice, new_client):
    bystander = new_client()
    bystander.sign_in(people["other"])
    response = admin.post_form(f"/people/{people['contributor'].id}/sessions/end", {})
    assert response.status_code == 303
    assert response.headers["Location"] == f"/people/{people['contributor'].id}#sessions"
    page = admin.get(response.headers["Location"]).text
    assert "Cara Contributor has been signed out of 2 browsers." in page
    assert "Not signed in anywhere." in page
    for browser in cara_twice:
        gone = browser.get("/profile")
        assert gone.status_code == 302 and gone.headers["Location"].startswith("/sign-in")
    assert bystander.get("/profile").status_code == 200
    assert admin.get("/profile").status_code == 200
    (event,) = _events(app)
    assert event.actor_id == people["admin"].id
    assert event.target_type == "user" and event.target_id == str(people["contributor"].id)
    assert event.details == {"sessions_ended": 2, "kept_current": False}


def test_with_htmx_the_whole_page_is_reloaded(admin, people, cara_twice):
    response = admin.post(
        f"/people/{people['contributor'].id}/sessions/end",
        data={"csrf_token": admin.csrf_token()},
        headers=HX,
    )
    assert response.status_code == 204
    assert response.headers["HX-Redirect"] == f"/people/{people['contributor'].id}#sessions"
    assert cara_twice[0].get("/profile").status_code == 302


def test_on_their_own_page_an_admin_keeps_this_browser(app, admin, people, new_client):
    elsewhere = new_client()
    elsewhere.sign_in(people["admin"])
    page = admin.get(f"/people/{people['admin'].id}").text
    assert "Sign out of every other browser" in page and "this one included" in page
    response = admin.post_form(f"/people/{people['admin'].id}/sessions/end", {})
    assert response.status_code == 303
    page = admin.get(response.headers["Location"]).text
    assert "You have been signed out of 1 other browser." in page
    assert admin.get("/profile").status_code == 200
    assert elsewhere.get("/profile").status_code == 302
    assert _sessions_of(app, people["admin"]) == 1
    (event,) = _events(app)
    assert event.details == {"sessions_ended": 1, "kept_current": True}


@pytest.mark.parametrize("who", NOT_ADMINS)
def test_nobody_but_an_admin_can_sign_someone_out(app, client, people, cara_twice, who):
    client.sign_in(people[who])
    before = _sessions_of(app, people["contributor"])
    response = client.post_form(f"/people/{people['contributor'].id}/sessions/end", {})
    assert response.status_code == 403
    assert _sessions_of(app, people["contributor"]) == before
    assert _events(app) == []


def test_nobody_signed_out_can_sign_someone_out(app, client, people, cara_twice):
    response = client.post_form(f"/people/{people['contributor'].id}/sessions/end", {})
    assert response.status_code == 302 and response.headers["Location"].startswith("/sign-in")
    assert _sessions_of(app, people["contributor"]) == 2


@pytest.mark.parametrize("user_id", ["99999", "abc", "-1"])
def test_an_unknown_person_is_404(admin, user_id):
    assert admin.post_form(f"/people/{user_id}/sessions/end", {}).status_code == 404


def test_signing_out_someone_signed_in_nowhere_says_so(app, admin, people):
    response = admin.post_form(f"/people/{people['other'].id}/sessions/end", {})
    assert response.status_code == 303
    assert "Olu Other was not signed in anywhere." in admin.get(response.headers["Location"]).text
    (event,) = _events(app)
    assert event.details == {"sessions_ended": 0, "kept_current": False}


def test_the_person_page_takes_the_same_queries_however_many_browsers(
    admin, people, new_client, count_queries
):
    new_client().sign_in(people["contributor"])
    url = f"/people/{people['contributor'].id}"
    admin.get(url)
    with count_queries() as few:
        admin.get(url)
    for _ in range(5):
        new_client().sign_in(people["contributor"])
    with count_queries() as many:
        page = admin.get(url).text
    assert "Signed in on 6 browsers" in page
    assert len(many) == len(few)


def test_the_service_refuses_a_non_admin(app, people):
    with app.app_context():
        actor = db.session.get_one(User, people["manager"].id)
        target = db.session.get_one(User, people["contributor"].id)
        with pytest.raises(Forbidden):
            service.end_sessions(actor, target)


# --- Signing everyone out at once ----------------------------------------------------------

EVERYONE = "/people/sign-out-everyone"


def test_an_admin_signs_everyone_out_and_stays_signed_in(
    app, admin, people, cara_twice, new_client
):
    manager = new_client()
    manager.sign_in(people["manager"])
    other_admin_browser = new_client()
    other_admin_browser.sign_in(people["admin"])
    page = admin.get(EVERYONE)
    assert page.status_code == 200 and "4 sign-in sessions would end." in page.text
    response = admin.post_form(EVERYONE, {"current_password": PASSWORD})
    assert response.status_code == 303 and response.location.endswith("/people")
    assert "Everyone has been signed out: 4 sign-in sessions ended." in admin.get("/people").text
    for browser in [*cara_twice, manager, other_admin_browser]:
        assert browser.get("/profile").status_code == 302
    assert admin.get("/profile").status_code == 200
    with app.app_context():
        (event,) = db.session.scalars(
            db.select(AuditEvent).where(AuditEvent.action == "user.everyone_signed_out")
        )
        assert (event.actor_id, event.details) == (people["admin"].id, {"sessions_ended": 4})


@pytest.mark.parametrize(
    "password,message", [("", "Enter your password."), ("not it at all", "is not right")]
)
def test_signing_everyone_out_asks_for_the_password_again(
    app, admin, people, cara_twice, password, message
):
    response = admin.post_form(EVERYONE, {"current_password": password})
    assert response.status_code == 422
    assert "Nobody was signed out" in response.text and message in response.text
    assert 'id="everyone-password-error"' in response.text
    assert _sessions_of(app, people["contributor"]) == 2


@pytest.mark.parametrize("who", NOT_ADMINS)
def test_nobody_but_an_admin_can_sign_everyone_out(app, client, people, cara_twice, who):
    client.sign_in(people[who])
    before = _sessions_of(app, people["contributor"])
    assert client.get(EVERYONE).status_code == 403
    assert client.post_form(EVERYONE, {"current_password": PASSWORD}).status_code == 403
    assert _sessions_of(app, people["contributor"]) == before >= 2


def test_nobody_signed_out_can_sign_everyone_out(app, client, people, cara_twice):
    response = client.post_form(EVERYONE, {"current_password": PASSWORD})
    assert response.status_code == 302 and "/sign-in" in response.location
    assert _sessions_of(app, people["contributor"]) == 2


def test_the_operator_signs_everyone_out_from_the_command_line(app, people, cara_twice):
    refused = app.test_cli_runner().invoke(args=["sign-out-everyone"], input="n\n")
    assert refused.exit_code != 0
    assert _sessions_of(app, people["contributor"]) == 2
    result = app.test_cli_runner().invoke(args=["sign-out-everyone", "--yes"])
    assert result.exit_code == 0, result.output
    assert "Ended 2 sign-in sessions." in result.output
    assert _sessions_of(app, people["contributor"]) == 0
    with app.app_context():
        (event,) = db.session.scalars(
            db.select(AuditEvent).where(AuditEvent.action == "user.everyone_signed_out")
        )
        assert (event.actor_id, event.details) == (None, {"sessions_ended": 2})
