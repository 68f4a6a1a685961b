"""Signing in and out, and every page needing a signed-in person."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from flask import Flask

from grid_app.audit.models import AuditEvent
from grid_app.auth.models import OPERATOR, UserSession
from grid_app.extensions import db
from tests.conftest import HX, PASSWORD, unique_address

PAGES = ["/", "/grids/test-grid", "/cells/1", "/cells/1/edit"]


@pytest.mark.parametrize("path", PAGES)
def test_signed_out_person_is_sent_to_sign_in_and_back(client, grid, path):
    response = client.get(path)
    assert response.status_code == 302
    location = urlsplit(response.headers["Location"])
    assert location.path == "/sign-in"
    assert parse_qs(location.query)["next"] == [path]


@pytest.mark.parametrize(
    "path,data", [("/cells/1", {"text": "x", "version": "1"}), ("/sign-out", {})]
)
def test_signed_out_post_is_refused_and_changes_nothing(client, grid, path, data):
    response = client.post_form(path, data)
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/sign-in")


def test_expired_session_during_htmx_edit_redirects_the_whole_page(client, grid):
    response = client.get(
        "/cells/1/edit", headers={**HX, "HX-Current-URL": "http://localhost/grids/test-grid"}
    )
    assert response.status_code == 401
    location = urlsplit(response.headers["HX-Redirect"])
    assert location.path == "/sign-in"
    assert parse_qs(location.query)["next"] == ["/grids/test-grid"]
    assert response.text == ""


def test_sign_in_then_land_where_you_were_going(client, people, grid):
    response = client.post_form(
        "/sign-in",
        {"email": "Contributor@Example.org ", "password": PASSWORD, "next": "/cells/1"},
    )
    assert response.status_code == 303
    assert response.headers["Location"] == "/cells/1"
    assert client.get("/cells/1").status_code == 200


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/", "/\\evil.example"])
def test_next_never_leaves_the_site(client, people, grid, target):
    response = client.post_form(
        "/sign-in", {"email": people["contributor"].email, "password": PASSWORD, "next": target}
    )
    assert response.headers["Location"] == "/"


def test_wrong_password_is_422_with_message_and_email_kept(app, client, people):
    response = client.post_form(
        "/sign-in", {"email": people["contributor"].email, "password": "not my password"}
    )
    assert response.status_code == 422
    assert "Check your email address and password" in response.text
    assert 'value="contributor@example.org"' in response.text
    assert "not my password" not in response.text
    with app.app_context():
        actions = list(db.session.scalars(db.select(AuditEvent.action)))
    assert actions.count("auth.sign_in_failed") == 1


def test_unknown_email_gets_the_same_message(client, people):
    response = client.post_form("/sign-in", {"email": "nobody@example.org", "password": "x" * 12})
    assert response.status_code == 422
    assert "Check your email address and password" in response.text


def test_empty_fields_get_messages_next_to_them(client):
    response = client.post_form("/sign-in", {"email": "", "password": ""})
    assert response.status_code == 422
    assert 'id="email-error"' in response.text and "Enter your email address." in response.text
    assert 'id="password-error"' in response.text and "Enter your password." in response.text


def test_deactivated_person_cannot_sign_in(app, client, people):
    with app.app_context():
        from grid_app.auth.models import User

        db.session.get_one(User, people["contributor"].id).active = False
        db.session.commit()
    response = client.post_form(
        "/sign-in", {"email": people["contributor"].email, "password": PASSWORD}
    )
    assert response.status_code == 422


def test_sign_in_without_csrf_token_is_refused(client, people):
    response = client.post(
        "/sign-in", data={"email": people["contributor"].email, "password": PASSWORD}
    )
    assert response.status_code == 400


def test_sign_out_ends_the_session_on_the_server_so_a_copied_cookie_stops_working(
    app, client, new_client, people, grid
):
    client.sign_in(people["contributor"])
    cookie = client.get_cookie(app.config["SESSION_COOKIE_NAME"])
    assert cookie is not None
    thief = new_client()
    thief.set_cookie(cookie.key, cookie.value)
    assert thief.get(f"/grids/{grid.slug}").status_code == 200

    assert client.post_form("/sign-out", {}).status_code == 303
    assert thief.get(f"/grids/{grid.slug}").status_code == 302
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count(UserSession.id))) == 0


def _copied_cookie(app, client, new_client):
    """Another browser holding a copy of ``client``'s sign-in cookie, as a thief would."""
    cookie = client.get_cookie(app.config["SESSION_COOKIE_NAME"])
    thief = new_client()
    thief.set_cookie(cookie.key, cookie.value)
    return thief


@pytest.mark.parametrize("again", ["contributor", "other"])
def test_signing_in_again_starts_a_new_session_and_ends_the_old_one(
    app, client, new_client, people, grid, again
):
    client.sign_in(people["contributor"])
    thief = _copied_cookie(app, client, new_client)
    assert thief.get(f"/grids/{grid.slug}").status_code == 200

    response = client.post_form("/sign-in", {"email": people[again].email, "password": PASSWORD})
    assert response.status_code == 303
    assert client.get(f"/grids/{grid.slug}").status_code == 200
    assert thief.get(f"/grids/{grid.slug}").status_code == 302
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count(UserSession.id))) == 1


def test_a_failed_sign_in_leaves_the_session_already_there(app, client, people, grid):
    client.sign_in(people["contributor"])
    response = client.post_form(
        "/sign-in", {"email": people["contributor"].email, "password": "not the password!"}
    )
    assert response.status_code == 422
    assert client.get(f"/grids/{grid.slug}").status_code == 200


def test_idle_session_times_out(app, client, people, grid):
    client.sign_in(people["contributor"])
    with app.app_context():
        for record in db.session.scalars(db.select(UserSession)):
            record.last_seen_at -= timedelta(minutes=app.config["SESSION_IDLE_MINUTES"] + 1)
        db.session.commit()
    assert client.get(f"/grids/{grid.slug}").status_code == 302
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count(UserSession.id))) == 0


def test_a_page_opened_after_a_quiet_minute_notes_the_activity(app, client, people, grid):
    """Pages only read, but the sign-in's last activity is still written (on its own)."""
    client.sign_in(people["contributor"])
    with app.app_context():
        for record in db.session.scalars(db.select(UserSession)):
            record.last_seen_at -= timedelta(minutes=app.config["SESSION_IDLE_MINUTES"] - 1)
        db.session.commit()
        before = db.session.scalars(db.select(UserSession.last_seen_at)).one()
    assert client.get(f"/grids/{grid.slug}").status_code == 200
    with app.app_context():
        after = db.session.scalars(db.select(UserSession.last_seen_at)).one()
        assert after - before >= timedelta(minutes=app.config["SESSION_IDLE_MINUTES"] - 1)
        for record in db.session.scalars(db.select(UserSession)):
            record.last_seen_at -= timedelta(minutes=2)
        db.session.commit()
    # Without the activity noted, the session would have idled out by now.
    assert client.get(f"/grids/{grid.slug}").status_code == 200


def test_session_has_an_absolute_limit_however_active(app: Flask, client, people, grid):
    client.sign_in(people["contributor"])
    with app.app_context():
        for record in db.session.scalars(db.select(UserSession)):
            record.created_at -= timedelta(hours=app.config["SESSION_MAX_HOURS"] + 1)
        db.session.commit()
    assert client.get(f"/grids/{grid.slug}").status_code == 302


def test_session_cookie_is_host_only_secure_and_http_only(client, people):
    response = client.sign_in(people["contributor"])
    header = next(h for h in response.headers.getlist("Set-Cookie") if h.startswith("__Host-grid="))
    assert "Secure" in header and "HttpOnly" in header and "Path=/" in header
    assert "Domain" not in header and "SameSite=Lax" in header


def test_signed_in_person_visiting_sign_in_goes_to_the_grid(client, people, grid):
    client.sign_in(people["contributor"])
    assert client.get("/sign-in").status_code == 302


def test_repeated_wrong_passwords_are_rate_limited_with_a_friendly_429(client, people):
    for _ in range(10):
        assert (
            client.post_form(
                "/sign-in", {"email": people["contributor"].email, "password": "guess guess"}
            ).status_code
            == 422
        )
    blocked = client.post_form(
        "/sign-in", {"email": people["contributor"].email, "password": PASSWORD}
    )
    assert blocked.status_code == 429
    assert "too many attempts" in blocked.text
    # Another account from the same place is not locked out by it.
    assert (
        client.post_form(
            "/sign-in", {"email": people["other"].email, "password": PASSWORD}
        ).status_code
        == 303
    )


def test_rate_limit_is_shared_by_instances_through_redis(app, tmp_path, database_url):
    import uuid

    from grid_app import create_app
    from grid_app.auth.service import create_user
    from tests.conftest import TEST_HASH_METHOD, Client

    # The limiter is configured once per process, so each run counts for its own account.
    email = f"{uuid.uuid4().hex}@example.org"
    with app.app_context():
        create_user(OPERATOR, email, "Someone", PASSWORD)
        db.session.commit()
    shared = {
        "TESTING": True,
        "DATABASE_URL": database_url,
        "SECRET_KEY": "test-secret",
        "PASSWORD_HASH_METHOD": TEST_HASH_METHOD,
        "RATELIMIT_STORAGE_URI": "redis://127.0.0.1:6379/15",
        "SIGN_IN_LIMIT_PER_EMAIL": "4 per 5 minutes",
    }
    apps = [create_app({**shared, "INSTANCE_PATH": str(tmp_path / f"i{n}")}) for n in range(2)]
    instances = []
    # Redis outlives the test: an address of this run's own keeps other runs' counts apart.
    address = unique_address()
    for instance in apps:
        instance.test_client_class = Client
        instances.append(instance.test_client())
        instances[-1].environ_base["REMOTE_ADDR"] = address
    statuses = [
        instances[n % 2]
        .post_form("/sign-in", {"email": email, "password": "guess guess"})
        .status_code
        for n in range(6)
    ]
    for instance in apps:
        with instance.app_context():
            db.engine.dispose()
    assert statuses == [422, 422, 422, 422, 429, 429]


def test_rate_limit_keys_never_hold_an_email_address(app, tmp_path, database_url):
    import uuid

    import redis

    from grid_app import create_app
    from tests.conftest import TEST_HASH_METHOD, Client

    local = uuid.uuid4().hex
    email = f"{local}@example.org"
    instance = create_app(
        {
            "TESTING": True,
            "DATABASE_URL": database_url,
            "SECRET_KEY": "test-secret",
            "INSTANCE_PATH": str(tmp_path / "instance"),
            "PASSWORD_HASH_METHOD": TEST_HASH_METHOD,
            "RATELIMIT_STORAGE_URI": "redis://127.0.0.1:6379/15",
        }
    )
    instance.test_client_class = Client
    client = instance.test_client()
    client.environ_base["REMOTE_ADDR"] = unique_address()
    assert client.post_form("/sign-in", {"email": email, "password": "x"}).status_code == 422
    with instance.app_context():
        db.engine.dispose()
    keys = [k.decode() for k in redis.Redis(db=15).keys("*")]
    assert any("sign-in:" in k for k in keys)
    assert not [k for k in keys if local in k]
