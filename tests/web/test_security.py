"""Headers that keep pages private and script under control; friendly error pages."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
from datetime import timedelta
from pathlib import Path

import pytest

from grid_app.auth.models import UserSession
from grid_app.extensions import db
from tests.conftest import HX, PASSWORD


def test_pages_send_a_strict_content_security_policy_and_no_store(client, people, grid):
    client.sign_in(people["contributor"])
    response = client.get(f"/grids/{grid.slug}")
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert "frame-ancestors 'none'" in csp
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_pages_have_no_inline_script_or_style(client, people, grid):
    client.sign_in(people["contributor"])
    for path in (f"/grids/{grid.slug}", "/cells/1", "/cells/1/edit"):
        html = client.get(path).text
        assert "<script>" not in html and "<style" not in html and " style=" not in html
        assert not re.search(r"<[^>]+\son[a-z]+=", html)
        assert "hx-on" not in html


def test_htmx_is_configured_without_eval_and_with_the_csrf_header(client, people, grid):
    client.sign_in(people["contributor"])
    html = client.get(f"/grids/{grid.slug}").text
    assert '"allowEval":false' in html and '"includeIndicatorStyles":false' in html
    assert 'hx-headers=\'{"X-CSRFToken": "' in html
    assert "/static/vendor/htmx/htmx.min.js" in html


def test_unknown_page_is_a_friendly_404_for_pages_and_htmx(client, people):
    client.sign_in(people["contributor"])
    page = client.get("/no/such/page")
    assert page.status_code == 404 and "Page not found" in page.text and "<html" in page.text
    fragment = client.get("/no/such/page", headers=HX)
    assert fragment.status_code == 404 and "<html" not in fragment.text


def test_the_404_page_speaks_in_the_apps_words_only(client, people):
    client.sign_in(people["contributor"])
    page = client.get("/no/such/page").text
    assert "requested URL was not found" not in page and "If you entered the URL" not in page
    assert "Check the address, or go back to the grid." in page


def test_wrong_method_is_405_not_500(client, people):
    client.sign_in(people["contributor"])
    assert client.delete("/cells/1").status_code == 405


def test_health_check_needs_no_sign_in(client):
    assert client.get("/healthz").json == {"status": "ok"}


@pytest.mark.parametrize(
    "target", ["/cells/1\r\nSet-Cookie: x=1", "/cells/1\r", "/cells/1\n", "/cells/\t1", "/c\x00"]
)
def test_a_next_address_with_a_control_character_signs_in_and_goes_to_the_grid(
    client, people, grid, target
):
    response = client.post_form(
        "/sign-in", {"email": people["contributor"].email, "password": PASSWORD, "next": target}
    )
    assert response.status_code == 303
    assert response.headers["Location"] == "/"
    assert client.get("/cells/1").status_code == 200


def test_https_is_required_on_subdomains_too_unless_switched_off(app, client):
    assert (
        client.get("/sign-in").headers["Strict-Transport-Security"]
        == "max-age=31536000; includeSubDomains"
    )


def test_hsts_can_leave_subdomains_out(tmp_path):
    from grid_app import create_app

    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "x",
            "INSTANCE_PATH": str(tmp_path),
            "HSTS_INCLUDE_SUBDOMAINS": False,
        }
    )
    response = app.test_client().get("/sign-in")
    assert response.headers["Strict-Transport-Security"] == "max-age=31536000"


def test_served_by_gunicorn_the_server_header_names_no_software(tmp_path):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    root = Path(__file__).resolve().parents[2]
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'grid.db'}",
        "SECRET_KEY": "test-secret",
    }
    server = subprocess.Popen(
        [
            str(Path(sys.executable).with_name("gunicorn")),
            "--config",
            str(root / "gunicorn.conf.py"),
            "--no-control-socket",
            "--workers",
            "1",
            "--bind",
            f"127.0.0.1:{port}",
            "grid_app:create_app()",
        ],
        cwd=root,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=5) as r:
                    server_header = r.headers.get("Server", "")
                break
            except OSError:
                if time.monotonic() > deadline or server.poll() is not None:
                    raise
                time.sleep(0.2)
    finally:
        server.terminate()
        server.wait(timeout=30)
    assert "gunicorn" not in server_header.lower() and "/" not in server_header


@pytest.mark.parametrize(
    "header",
    [
        {"Origin": "https://evil.example"},
        {"Origin": "null"},
        {"Referer": "http://evil.example/page"},
        {"Origin": "http://localhost.evil.example"},
    ],
)
def test_a_change_sent_from_another_site_is_refused_even_with_a_token(
    app, client, people, grid, header
):
    client.sign_in(people["contributor"])
    cell_id = grid.cells[("Social work", "Strategy")]
    response = client.post_form(
        f"/cells/{cell_id}", {"text": "Planted", "version": "1"}, headers=header
    )
    assert response.status_code == 400
    assert "not sent from this site" in response.text
    assert "Planted" not in client.get(f"/cells/{cell_id}").text


def test_a_change_from_this_site_names_it_and_is_accepted(app, client, people, grid):
    client.sign_in(people["contributor"])
    cell_id = grid.cells[("Social work", "Strategy")]
    response = client.post_form(
        f"/cells/{cell_id}",
        {"text": "Ours", "version": "1"},
        headers={"Origin": "http://localhost", "Referer": "http://localhost/grids/test-grid"},
    )
    assert response.status_code == 303
    assert "Ours" in client.get(f"/cells/{cell_id}").text


def test_sessions_idle_out_after_30_minutes_and_end_after_8_hours_by_default(app):
    assert (app.config["SESSION_IDLE_MINUTES"], app.config["SESSION_MAX_HOURS"]) == (30, 8)


def test_the_bells_poll_does_not_keep_an_idle_session_alive(app, client, people, grid):
    client.sign_in(people["contributor"])
    with app.app_context():
        for record in db.session.scalars(db.select(UserSession)):
            record.last_seen_at -= timedelta(minutes=app.config["SESSION_IDLE_MINUTES"] - 1)
        db.session.commit()
    assert client.get("/notifications/bell", headers=HX).status_code == 200
    with app.app_context():
        for record in db.session.scalars(db.select(UserSession)):
            record.last_seen_at -= timedelta(minutes=2)
        db.session.commit()
    # Had the bell counted as activity, the session would have 28 more minutes to live.
    assert client.get(f"/grids/{grid.slug}").status_code == 302


def _csrf_secret(client) -> str | None:  # type: ignore[no-untyped-def]
    with client.session_transaction() as cookie:
        return cookie.get("csrf_token")


def test_signing_in_and_out_rotates_the_csrf_secret_and_clears_site_data(client, people, grid):
    client.csrf_token()
    before = _csrf_secret(client)
    client.sign_in(people["contributor"])
    signed_in = _csrf_secret(client)
    assert signed_in != before
    client.csrf_token()
    during = _csrf_secret(client)
    response = client.post_form("/sign-out", {})
    assert response.status_code == 303
    assert response.headers["Clear-Site-Data"] == '"cache", "storage"'
    assert _csrf_secret(client) != during
    assert "You have signed out" in client.get("/sign-in").text


def _end_every_session(app) -> None:  # type: ignore[no-untyped-def]
    """Idle every sign-in out, as 30 minutes away from the keyboard would."""
    with app.app_context():
        for record in db.session.scalars(db.select(UserSession)):
            record.last_seen_at -= timedelta(minutes=app.config["SESSION_IDLE_MINUTES"] + 1)
        db.session.commit()


def test_a_form_opened_before_the_sign_in_ended_saves_after_signing_in_again(
    app, client, people, grid
):
    client.sign_in(people["contributor"])
    cell_id = grid.cells[("Social work", "Strategy")]
    token = client.csrf_token()
    _end_every_session(app)
    refused = client.post(
        f"/cells/{cell_id}", data={"csrf_token": token, "text": "Typed", "version": "1"}, headers=HX
    )
    # Refused without a redirect being swapped in; the page decides whether to leave.
    assert refused.status_code == 401
    client.sign_in(people["contributor"])
    saved = client.post(
        f"/cells/{cell_id}", data={"csrf_token": token, "text": "Typed", "version": "1"}
    )
    assert saved.status_code == 303
    assert "Typed" in client.get(f"/cells/{cell_id}").text


def test_someone_else_signing_in_in_the_same_browser_voids_the_earlier_forms(
    app, client, people, grid
):
    client.sign_in(people["contributor"])
    client.csrf_token()
    before = _csrf_secret(client)
    _end_every_session(app)
    client.sign_in(people["manager"])
    assert _csrf_secret(client) != before
