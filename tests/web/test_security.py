"""Headers that keep pages private and script under control; friendly error pages."""

from __future__ import annotations

import re

import pytest

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
