"""Where one is signed in: the list on the profile page, and signing other browsers out."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from grid_app.audit.models import AuditEvent
from grid_app.auth import service
from grid_app.auth.models import User, UserSession
from grid_app.database import utcnow
from grid_app.errors import NotFound
from grid_app.extensions import db
from tests.auth.test_devices import FIREFOX_WINDOWS, SAFARI_IPHONE
from tests.conftest import HX, PASSWORD

# The password asked for before any browser is signed out.
CONFIRM = {"current_password": PASSWORD}


def _sign_in_with(client, person, agent):
    response = client.post_form(
        "/sign-in",
        {"email": person.email, "password": PASSWORD},
        headers={"User-Agent": agent},
    )
    assert response.status_code == 303
    return client


def _session_ids(app, person, device=None):
    with app.app_context():
        query = db.select(UserSession.id).where(UserSession.user_id == person.id)
        if device:
            query = query.where(UserSession.device == device)
        return list(db.session.scalars(query.order_by(UserSession.id)))


def _actions(app, action):
    with app.app_context():
        return list(db.session.scalars(db.select(AuditEvent).where(AuditEvent.action == action)))


@pytest.fixture
def laptop_and_phone(client, new_client, people):
    """The contributor on a Windows laptop (``client``) and on an iPhone."""
    _sign_in_with(client, people["contributor"], FIREFOX_WINDOWS)
    phone = _sign_in_with(new_client(), people["contributor"], SAFARI_IPHONE)
    return client, phone


def test_the_profile_lists_each_browser_with_this_one_marked(
    app, laptop_and_phone, people, new_client
):
    laptop, _phone = laptop_and_phone
    _sign_in_with(new_client(), people["other"], "Mozilla/5.0 (X11; CrOS x86_64) Chrome/131.0")
    page = laptop.get("/profile").text
    section = page[page.index('id="your-sessions"') :]
    assert "Firefox on Windows" in section and "Safari on iPhone" in section
    assert "Chrome on ChromeOS" not in section  # someone else's
    items = re.findall(r'<li class="app-sessions__item">(.*?)</li>', section, re.S)
    assert len(items) == 2
    assert "This browser" in items[0] and "Firefox on Windows" in items[0]
    assert "This browser" not in items[1] and ">Sign out<" in items[1]
    assert "Signed in <time" in items[1] and "last seen <time" in items[1]
    assert "Sign out everywhere else" in section


def test_signing_another_browser_out_sends_it_to_sign_in(app, laptop_and_phone, people):
    laptop, phone = laptop_and_phone
    (phone_id,) = _session_ids(app, people["contributor"], "Safari on iPhone")
    response = laptop.post_form(f"/profile/sessions/{phone_id}/end", CONFIRM)
    assert response.status_code == 303
    assert response.headers["Location"] == "/profile#your-sessions"
    assert "Safari on iPhone has been signed out." in laptop.get("/profile").text
    gone = phone.get("/profile")
    assert gone.status_code == 302 and gone.headers["Location"].startswith("/sign-in")
    assert laptop.get("/profile").status_code == 200
    (event,) = _actions(app, "auth.session_ended")
    assert event.actor_id == people["contributor"].id
    assert event.details == {"session_id": phone_id, "device": "Safari on iPhone"}


def test_with_htmx_the_list_is_swapped_in_place(app, laptop_and_phone, people):
    laptop, phone = laptop_and_phone
    (phone_id,) = _session_ids(app, people["contributor"], "Safari on iPhone")
    response = laptop.post(
        f"/profile/sessions/{phone_id}/end",
        data={"csrf_token": laptop.csrf_token(), **CONFIRM},
        headers=HX,
    )
    assert response.status_code == 200 and "HX-Request" in response.headers["Vary"]
    assert response.text.startswith("<section") and response.text.rstrip().endswith("</section>")
    assert 'id="your-sessions"' in response.text and "<html" not in response.text
    assert (
        'role="status"' in response.text
        and "Safari on iPhone has been signed out." in response.text
    )
    assert "You are not signed in anywhere else." in response.text
    assert phone.get("/profile").status_code == 302


def test_signing_out_everywhere_else_keeps_this_browser_and_others_people(
    app, laptop_and_phone, people, new_client
):
    laptop, phone = laptop_and_phone
    third = _sign_in_with(new_client(), people["contributor"], "")
    bystander = _sign_in_with(new_client(), people["other"], FIREFOX_WINDOWS)
    response = laptop.post_form("/profile/sessions/end-others", CONFIRM)
    assert response.status_code == 303
    assert "2 other browsers signed out." in laptop.get("/profile").text
    assert phone.get("/profile").status_code == 302
    assert third.get("/profile").status_code == 302
    assert bystander.get("/profile").status_code == 200
    assert len(_session_ids(app, people["contributor"])) == 1
    (event,) = _actions(app, "auth.signed_out_elsewhere")
    assert event.details == {"sessions_ended": 2}


def test_signing_out_everywhere_else_with_htmx_swaps_the_list(app, laptop_and_phone):
    laptop, _phone = laptop_and_phone
    response = laptop.post(
        "/profile/sessions/end-others",
        data={"csrf_token": laptop.csrf_token(), **CONFIRM},
        headers=HX,
    )
    assert response.status_code == 200 and response.text.startswith("<section")
    assert "1 other browser signed out." in response.text
    assert "Sign out everywhere else" not in response.text


def test_nobody_can_sign_out_someone_else_s_browser_by_its_id(
    app, laptop_and_phone, people, new_client
):
    _laptop, phone = laptop_and_phone
    (phone_id,) = _session_ids(app, people["contributor"], "Safari on iPhone")
    for intruder in ("other", "admin"):
        theirs = _sign_in_with(new_client(), people[intruder], FIREFOX_WINDOWS)
        response = theirs.post_form(f"/profile/sessions/{phone_id}/end", CONFIRM)
        assert response.status_code == 404
    assert phone.get("/profile").status_code == 200
    assert _actions(app, "auth.session_ended") == []


def test_this_browser_cannot_be_ended_through_the_list(app, laptop_and_phone, people):
    laptop, _phone = laptop_and_phone
    (laptop_id,) = _session_ids(app, people["contributor"], "Firefox on Windows")
    assert laptop.post_form(f"/profile/sessions/{laptop_id}/end", CONFIRM).status_code == 404
    assert laptop.get("/profile").status_code == 200


@pytest.mark.parametrize("session_id", ["abc", "-1", "1.5", "99999999999999999999", "0"])
def test_a_garbage_session_id_is_404(laptop_and_phone, session_id):
    laptop, phone = laptop_and_phone
    assert laptop.post_form(f"/profile/sessions/{session_id}/end", CONFIRM).status_code == 404
    assert phone.get("/profile").status_code == 200


def test_an_id_too_large_for_the_database_is_404(laptop_and_phone):
    laptop, phone = laptop_and_phone
    assert laptop.post_form(f"/profile/sessions/{2**40}/end", CONFIRM).status_code == 404
    assert phone.get("/profile").status_code == 200


def test_an_already_ended_session_is_404(app, laptop_and_phone, people):
    laptop, _phone = laptop_and_phone
    (phone_id,) = _session_ids(app, people["contributor"], "Safari on iPhone")
    assert laptop.post_form(f"/profile/sessions/{phone_id}/end", CONFIRM).status_code == 303
    again = laptop.post_form(f"/profile/sessions/{phone_id}/end", CONFIRM)
    assert again.status_code == 404 and "already signed out" in again.text


@pytest.mark.parametrize("path", ["/profile/sessions/1/end", "/profile/sessions/end-others"])
def test_nobody_signed_out_can_end_sessions(client, people, path):
    response = client.post_form(path, {})
    assert response.status_code == 302 and response.headers["Location"].startswith("/sign-in")


def test_expired_sessions_are_not_listed(app, laptop_and_phone, people):
    laptop, _phone = laptop_and_phone
    with app.app_context():
        phone = db.session.scalar(
            db.select(UserSession).where(UserSession.device == "Safari on iPhone")
        )
        assert phone is not None
        phone.last_seen_at = utcnow() - timedelta(minutes=app.config["SESSION_IDLE_MINUTES"] + 1)
        db.session.commit()
    assert "Safari on iPhone" not in laptop.get("/profile").text


def test_the_list_takes_the_same_queries_however_many_browsers(
    app, client, new_client, people, count_queries
):
    _sign_in_with(client, people["contributor"], FIREFOX_WINDOWS)
    _sign_in_with(new_client(), people["contributor"], SAFARI_IPHONE)
    client.get("/profile")
    with count_queries() as few:
        client.get("/profile")
    for _ in range(6):
        _sign_in_with(new_client(), people["contributor"], SAFARI_IPHONE)
    with count_queries() as many:
        page = client.get("/profile").text
    assert page.count('class="app-sessions__item"') == 8
    assert len(many) == len(few)
    assert len([s for s in many if "user_session" in s]) <= 2


def test_last_seen_is_written_at_most_once_a_minute(app, client, people, count_queries):
    _sign_in_with(client, people["contributor"], FIREFOX_WINDOWS)
    earlier = utcnow() - timedelta(minutes=5)
    with app.app_context():
        db.session.execute(db.update(UserSession).values(last_seen_at=earlier))
        db.session.commit()
    with count_queries() as first:
        client.get("/profile")
    with count_queries() as second:
        client.get("/profile")
    assert any(s.lstrip().upper().startswith("UPDATE USER_SESSION") for s in first)
    assert not any(s.lstrip().upper().startswith("UPDATE") for s in second)
    with app.app_context():
        seen = db.session.scalar(db.select(UserSession.last_seen_at))
    assert seen is not None and seen > earlier


def test_the_service_refuses_another_person_s_session(app, people, laptop_and_phone):
    (phone_id,) = _session_ids(app, people["contributor"], "Safari on iPhone")
    with app.app_context():
        other = db.session.get_one(User, people["other"].id)
        with pytest.raises(NotFound):
            service.end_other_session(other, phone_id, PASSWORD)


def test_a_session_started_by_a_password_reset_is_named_too(app, client, people):
    from grid_app.auth import tokens
    from grid_app.auth.tokens import TokenPurpose

    with app.app_context():
        raw = tokens.issue(
            db.session.get_one(User, people["contributor"].id),
            TokenPurpose.RESET,
            timedelta(hours=1),
        )
        db.session.commit()
    new = "plum kettle across winter"
    response = client.post_form(
        f"/reset-password/{raw}",
        {"password": new, "confirm_password": new},
        headers={"User-Agent": SAFARI_IPHONE},
    )
    assert response.status_code == 303
    assert _session_ids(app, people["contributor"], "Safari on iPhone") != []
    assert "Safari on iPhone" in client.get("/profile").text


@pytest.mark.parametrize("password", ["", "not my password at all"])
@pytest.mark.parametrize("path", ["/profile/sessions/{phone}/end", "/profile/sessions/end-others"])
def test_signing_browsers_out_asks_for_the_password_again(
    app, laptop_and_phone, people, path, password
):
    laptop, phone = laptop_and_phone
    (phone_id,) = _session_ids(app, people["contributor"], "Safari on iPhone")
    url = path.format(phone=phone_id)
    response = laptop.post_form(url, {"current_password": password})
    assert response.status_code == 422
    assert 'id="sessions-password-error"' in response.text
    assert "Your profile" in response.text  # the whole page, without JavaScript
    assert phone.get("/profile").status_code == 200
    fragment = laptop.post(
        url, data={"csrf_token": laptop.csrf_token(), "current_password": password}, headers=HX
    )
    assert fragment.status_code == 422 and fragment.text.startswith("<section")
    assert phone.get("/profile").status_code == 200
    assert _actions(app, "auth.session_ended") == _actions(app, "auth.signed_out_elsewhere") == []
