"""Sensitive actions ask the person to prove who they are again when their last proof is
older than REAUTH_MINUTES, and then go on with what they chose."""

from __future__ import annotations

import re
from datetime import timedelta
from html import unescape
from urllib.parse import parse_qs, urlsplit

from grid_app.auth.models import User, UserRole, UserSession
from grid_app.database import utcnow
from grid_app.extensions import db
from tests.auth.test_second_factor import enrol
from tests.conftest import HX, PASSWORD


def _go_stale(app, person, minutes=16):
    """Make the person's sessions' last proof ``minutes`` old."""
    with app.app_context():
        db.session.execute(
            db.update(UserSession)
            .where(UserSession.user_id == person.id)
            .values(proved_at=utcnow() - timedelta(minutes=minutes))
        )
        db.session.commit()


def _roles_of(app, person):
    with app.app_context():
        return set(
            db.session.scalars(db.select(UserRole.role).where(UserRole.user_id == person.id))
        )


def _resume(location):
    return parse_qs(urlsplit(location).query)["resume"][0]


def _change_roles(client, person, roles):
    return client.post_form(
        f"/people/{person.id}/roles",
        {"roles": roles, "roles_seen": ",".join(sorted(["contributor"]))},
    )


def test_a_recent_proof_lets_a_role_change_through_at_once(app, client, people):
    client.sign_in(people["admin"])
    _go_stale(app, people["admin"], minutes=14)
    done = _change_roles(client, people["contributor"], ["contributor", "manager"])
    assert done.status_code == 303
    assert _roles_of(app, people["contributor"]) == {"contributor", "manager"}


def test_an_old_proof_asks_for_the_password_then_keeps_the_roles_chosen(app, client, people):
    client.sign_in(people["admin"])
    _go_stale(app, people["admin"])
    held = _change_roles(client, people["contributor"], ["contributor", "manager"])
    assert held.status_code == 303
    assert held.location.startswith("/confirm?resume=")
    assert _roles_of(app, people["contributor"]) == {"contributor"}
    page = client.get(held.location)
    assert "To change this person’s roles, confirm it is you" in unescape(page.text)
    confirmed = client.post_form(
        "/confirm", {"resume": _resume(held.location), "password": PASSWORD}
    )
    assert confirmed.status_code == 200
    shown = unescape(confirmed.text)
    assert "Confirmed: now change this person’s roles" in shown
    assert re.search(r"<dt[^>]*>Roles</dt><dd[^>]*>contributor, manager</dd>", shown)
    # The form as it was sent, with a fresh CSRF token, posted by the button.
    fields = dict.fromkeys(re.findall(r'name="(\w+)" value="', confirmed.text))
    assert {"csrf_token", "roles", "roles_seen"} <= set(fields)
    assert f'action="/people/{people["contributor"].id}/roles"' in confirmed.text
    sent = _change_roles(client, people["contributor"], ["contributor", "manager"])
    assert sent.status_code == 303
    assert _roles_of(app, people["contributor"]) == {"contributor", "manager"}


def test_an_htmx_role_change_with_an_old_proof_moves_the_whole_page_to_confirm(app, client, people):
    client.sign_in(people["admin"])
    _go_stale(app, people["admin"])
    held = client.post(
        f"/people/{people['contributor'].id}/roles",
        data={"csrf_token": client.csrf_token(), "roles": ["manager"], "roles_seen": "contributor"},
        headers=HX,
    )
    assert held.headers["HX-Redirect"].startswith("/confirm?resume=")
    assert _roles_of(app, people["contributor"]) == {"contributor"}


def test_a_wrong_password_is_422_beside_it_and_keeps_the_held_back_choice(app, client, people):
    client.sign_in(people["admin"])
    _go_stale(app, people["admin"])
    held = _change_roles(client, people["contributor"], ["manager"])
    token = _resume(held.location)
    wrong = client.post_form("/confirm", {"resume": token, "password": "not my password"})
    assert wrong.status_code == 422
    assert "Your current password is not right." in wrong.text
    assert f'value="{token}"' in wrong.text
    empty = client.post_form("/confirm", {"resume": token, "password": ""})
    assert empty.status_code == 422
    assert "Enter your password." in empty.text
    assert _change_roles(client, people["contributor"], ["manager"]).location.startswith("/confirm")


def test_a_code_from_the_app_confirms_too(app, client, people):
    enrolled = enrol(app, people["admin"])
    client.post_form("/sign-in", {"email": people["admin"].email, "password": PASSWORD})
    client.post_form("/sign-in/code", {"code": enrolled.code()})
    _go_stale(app, people["admin"])
    held = client.post_form(f"/people/{people['contributor'].id}/deactivate", {})
    page = client.get(held.location)
    assert "Confirm with code" in page.text
    wrong = client.post_form("/confirm", {"resume": _resume(held.location), "code": "000000"})
    assert wrong.status_code == 422
    confirmed = client.post_form(
        "/confirm", {"resume": _resume(held.location), "code": enrolled.code(1)}
    )
    assert confirmed.status_code == 200
    done = client.post_form(f"/people/{people['contributor'].id}/deactivate", {})
    assert done.status_code == 303
    with app.app_context():
        assert not db.session.get_one(User, people["contributor"].id).active


def test_the_audit_export_goes_on_to_the_download_after_confirming(app, client, people):
    client.sign_in(people["admin"])
    _go_stale(app, people["admin"])
    held = client.get("/audit.csv?action=auth.signed_in")
    assert held.status_code == 303
    confirmed = client.post_form(
        "/confirm", {"resume": _resume(held.location), "password": PASSWORD}
    )
    assert confirmed.status_code == 303
    assert confirmed.location == "/audit.csv?action=auth.signed_in"
    download = client.get(confirmed.location)
    assert download.mimetype == "text/csv"


def test_downloading_what_was_said_in_a_session_asks_but_the_plain_summary_does_not(
    app, client, people
):
    from grid_app.safe_space import service as safe_space

    with app.app_context():
        meeting = safe_space.create_meeting(
            db.session.get_one(User, people["facilitator"].id),
            safe_space.SessionFields(
                title="Listening session",
                starts_at="2027-01-14T10:00",
                ground_rules=safe_space.DEFAULT_GROUND_RULES,
                signposting=safe_space.DEFAULT_SIGNPOSTING,
                invitees="contributor@example.org",
            ),
        )
        db.session.commit()
        meeting_id = meeting.id
    client.sign_in(people["facilitator"])
    _go_stale(app, people["facilitator"])
    assert client.get(f"/safe-space/{meeting_id}/summary.md").status_code == 200
    held = client.get(f"/safe-space/{meeting_id}/summary.md?raw=1")
    assert held.status_code == 303
    assert held.location.startswith("/confirm?resume=")


def test_someone_who_may_not_act_is_refused_not_asked_to_confirm(app, client, people):
    client.sign_in(people["manager"])
    _go_stale(app, people["manager"])
    assert _change_roles(client, people["contributor"], ["admin"]).status_code == 403
    assert client.get("/audit.csv").status_code == 403


def test_a_tampered_or_someone_else_s_resume_token_is_not_used(app, new_client, people):
    admin = new_client()
    admin.sign_in(people["admin"])
    _go_stale(app, people["admin"])
    token = _resume(_change_roles(admin, people["contributor"], ["manager"]).location)
    other = new_client()
    other.sign_in(people["contributor"])
    refused = other.get(f"/confirm?resume={token}")
    assert refused.status_code == 302
    assert "/confirm" not in refused.location
    tampered = admin.get(f"/confirm?resume={token[:-2]}xx")
    assert tampered.status_code == 302


def test_turning_the_factor_off_with_an_old_proof_asks_first(app, client, people):
    enrolled = enrol(app, people["contributor"])
    client.post_form("/sign-in", {"email": people["contributor"].email, "password": PASSWORD})
    client.post_form("/sign-in/code", {"code": enrolled.code()})
    _go_stale(app, people["contributor"])
    held = client.post_form("/profile/two-step/off", {"code": enrolled.codes[0]})
    assert held.location.startswith("/confirm?resume=")
    assert "On" in client.get("/profile/two-step").text


def test_the_confirm_page_sends_a_stranger_to_sign_in(client):
    assert "/sign-in" in client.get("/confirm?resume=x").location
