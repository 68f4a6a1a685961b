"""When the database cannot be reached, every page still answers as the app does."""

from __future__ import annotations

from pathlib import Path

import pytest
from flask import Flask

from grid_app import create_app
from tests.conftest import HX, Client

UNREACHABLE = {
    # A file in a folder that does not exist cannot be opened.
    "sqlite": "sqlite:///{tmp}/no-such-folder/grid.db",
    # Nothing listens on port 1.
    "postgresql": "postgresql://postgres@127.0.0.1:1/grid",
}


@pytest.fixture(params=sorted(UNREACHABLE))
def app_without_database(request: pytest.FixtureRequest, tmp_path: Path) -> Flask:
    return create_app(
        {
            "TESTING": True,
            "DATABASE_URL": UNREACHABLE[request.param].format(tmp=tmp_path),
            "SECRET_KEY": "test-secret",
            "INSTANCE_PATH": str(tmp_path / "instance"),
        }
    )


def _signed_in(app: Flask):  # type: ignore[no-untyped-def]
    client = app.test_client()
    with client.session_transaction() as cookie:
        cookie["_user_id"] = "a-session-token"
    return client


def test_a_signed_in_page_answers_the_apps_own_503_page_with_its_security_headers(
    app_without_database,
):
    response = _signed_in(app_without_database).get("/grids/anything")
    assert response.status_code == 503
    assert "cannot reach its database" in response.text
    assert "Supporting People Grid" in response.text and "<html" in response.text
    assert "script-src 'self'" in response.headers["Content-Security-Policy"]
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["X-Frame-Options"] == "DENY"


def test_an_htmx_request_gets_the_503_as_an_alert_to_swap(app_without_database):
    response = _signed_in(app_without_database).get("/grids/anything", headers=HX)
    assert response.status_code == 503
    assert "cannot reach its database" in response.text and "<html" not in response.text
    assert "Content-Security-Policy" in response.headers


def test_signing_in_while_the_database_is_down_is_a_503_not_a_crash(app_without_database):
    app_without_database.test_client_class = Client
    client = app_without_database.test_client()
    response = client.post_form("/sign-in", {"email": "a@example.org", "password": "x"})
    assert response.status_code == 503
    assert "cannot reach its database" in response.text
    assert "Content-Security-Policy" in response.headers


def test_health_check_says_the_database_is_unreachable_without_details(app_without_database):
    response = app_without_database.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.json == {"status": "unavailable", "database": "unreachable"}


def test_health_check_is_ok_when_the_database_answers(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json == {"status": "ok"}
